"""IBSI-1 digital phantom: all 482 reference values within tolerance."""

import numpy as np
import pytest
import SimpleITK as sitk

from hepatica.radiomics import Roi, compute_features, discretise
from tests.conftest import shared
from tests.radiomics.reference import read_reference


@pytest.fixture(scope="module")
def features():
    folder = shared("ibsi/ibsi_1_digital_phantom/nifti")
    image = sitk.ReadImage(str(next((folder / "image").glob("*.nii.gz"))))
    mask = sitk.ReadImage(str(next((folder / "mask").glob("*.nii.gz"))))
    roi = Roi.from_arrays(sitk.GetArrayFromImage(image), sitk.GetArrayFromImage(mask), image.GetSpacing()[::-1])
    return compute_features(roi, discretise(roi, "none"))


@pytest.fixture(scope="module")
def references():
    return read_reference(shared("ibsi/reference_values/ibsi_1_reference_values_digital_phantom.csv"))


def test_all_482_reference_values_are_listed(references):
    assert len(references) == 482


def test_every_reference_value_matches(features, references):
    expected = references
    missing = [r.tag for r in expected if r.tag not in features]
    wrong = [
        (r.tag, features[r.tag], r.value) for r in expected if r.tag in features and not r.matches(features[r.tag])
    ]
    assert not missing and not wrong


@pytest.mark.parametrize("family", ["morph", "stat", "ih", "ivh", "loc", "cm", "rlm", "szm", "dzm", "ngt", "ngl"])
def test_family_values_are_finite(features, family):
    values = [v for k, v in features.items() if k.startswith(family + "_")]
    assert values and np.all(np.isfinite(values))


def test_every_pyradiomics_name_maps_to_a_computed_feature(features):
    from hepatica.radiomics.pyradiomics_names import IBSI_TO_PYRADIOMICS

    assert set(IBSI_TO_PYRADIOMICS) <= set(features)
