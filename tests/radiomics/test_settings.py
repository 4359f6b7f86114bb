"""Parameter files: Hepatica's own round-trip; PyRadiomics's map onto the settings both share."""

import pytest
import yaml

from hepatica.radiomics import Discretisation, ExtractionSettings, RadiomicsInputError
from hepatica.radiomics.pyradiomics_names import IBSI_TO_PYRADIOMICS, PYRADIOMICS_TO_IBSI
from hepatica.radiomics.settings import from_pyradiomics, load_settings


def test_settings_round_trip_through_yaml(tmp_path):
    settings = ExtractionSettings(
        voxel_size_mm=(1.0, 1.0, None),
        resegmentation_range=(-150.0, 250.0),
        discretisation=Discretisation("fixed_bin_number", 32, None),
    )
    path = tmp_path / "params.yaml"
    path.write_text(settings.to_yaml())
    assert load_settings(path) == (settings, None, [])


def test_pyradiomics_parameter_file(tmp_path):
    path = tmp_path / "pyradiomics.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "imageType": {"Original": {}, "LoG": {"sigma": [1.0]}},
                "featureClass": {"glcm": None},
                "setting": {
                    "binWidth": 10,
                    "resampledPixelSpacing": [1, 1, 2],
                    "interpolator": "sitkBSpline",
                    "resegmentRange": [-200, 300],
                    "label": 2,
                    "normalize": True,
                },
            }
        )
    )
    settings, label, ignored = load_settings(path)
    assert settings.discretisation == Discretisation("fixed_bin_size", None, 10.0)
    assert settings.voxel_size_mm == (1.0, 1.0, 2.0) and settings.image_interpolation == "cubic"
    assert settings.resegmentation_range == (-200.0, 300.0) and label == 2
    assert ignored == ["setting.normalize"]
    assert [f.name for f in settings.filters] == ["log_1mm"]


def test_pyradiomics_sigma_resegmentation_2d_and_wavelets():
    settings, _, ignored = from_pyradiomics(
        {
            "setting": {
                "binCount": 64,
                "resegmentRange": [-3, 3],
                "resegmentMode": "sigma",
                "force2D": True,
                "wavelet": "db2",
            },
            "imageType": {"Wavelet": {}, "Square": {}},
        }
    )
    assert ignored == ["imageType.Square"]
    assert [f.name for f in settings.filters][:2] == ["wavelet_db2_LLL_level1", "wavelet_db2_LLH_level1"]
    assert settings.outlier_sigma == 3 and settings.by_slice
    assert settings.discretisation == Discretisation("fixed_bin_number", 64, None)


def test_unknown_settings_are_refused_with_the_known_ones(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("bin_width: 25\n")
    with pytest.raises(RadiomicsInputError, match="unknown radiomics settings \\['bin_width'\\]"):
        load_settings(path)


def test_pyradiomics_names_map_both_ways():
    assert PYRADIOMICS_TO_IBSI["glcm_JointEnergy"] == "cm_energy_3D_avg"
    assert PYRADIOMICS_TO_IBSI["gldm_SmallDependenceEmphasis"] == "ngl_lde_3D"
    assert IBSI_TO_PYRADIOMICS["stat_mean"] == "firstorder_Mean"
    assert len(PYRADIOMICS_TO_IBSI) == len(IBSI_TO_PYRADIOMICS) == 101  # one to one
