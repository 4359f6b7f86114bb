"""Filters against IBSI-2 phase 2 (CT phantom: intensity statistics of filter responses), and shapes with
known responses."""

import csv
from pathlib import Path

import numpy as np
import pytest

from hepatica.radiomics import ExtractionSettings, RadiomicsInputError
from hepatica.radiomics.extract import extract_all
from hepatica.radiomics.filters import FilterSpec, laplacian_of_gaussian, wavelet_response
from tests.conftest import shared

# IBSI-2 phase 2 filters: "A" filters axial slices of the original grid, "B" filters in 3D after tricubic
# resampling to 1 mm; both round intensities and re-segment to [-1000, 400] HU. Laws (4), Gabor (5) and
# Simoncelli (8, 9) filters are not implemented.
FILTERS = {
    "1": None,
    "2": FilterSpec("mean", support=5),
    "3": FilterSpec("log", sigma_mm=1.5, truncate=4.0),
    "6": FilterSpec("wavelet", wavelet="db3", subband="LLH", level=1, rotation_invariant=True),
    "7": FilterSpec("wavelet", wavelet="db3", subband="HHH", level=2, rotation_invariant=True),
}
IN_PLANE_SUBBAND = {"LLH": "LH", "HHH": "HH"}


@pytest.fixture(scope="module")
def references():
    rows = csv.DictReader(
        Path(shared("ibsi/reference_values/ibsi_2_reference_values.csv")).open(encoding="utf-8-sig"), delimiter=";"
    )
    table: dict[str, dict[str, tuple[float, float]]] = {}
    for row in rows:
        if row["consensus_value"].strip():
            table.setdefault(row["filter_id"], {})[row["feature_tag"]] = (
                float(row["consensus_value"]),
                float(row["tolerance"]),
            )
    return table


@pytest.mark.parametrize("configuration", [f"{n}.{d}" for n in FILTERS for d in "AB"])
def test_ibsi2_phase2_statistics(ct_phantom, references, configuration):
    number, dimension = configuration.split(".")
    spec = FILTERS[number]
    if spec is not None and spec.kind == "wavelet" and dimension == "A":
        spec = FilterSpec(
            "wavelet",
            wavelet=spec.wavelet,
            subband=IN_PLANE_SUBBAND[spec.subband],
            level=spec.level,
            rotation_invariant=True,
        )
    settings = ExtractionSettings(
        by_slice=dimension == "A",
        voxel_size_mm=None if dimension == "A" else (1, 1, 1),
        image_interpolation="cubic",
        resegmentation_range=(-1000, 400),
        filters=(spec,) if spec else (),
    )
    features = extract_all(*ct_phantom, settings)[spec.name if spec else "original"]
    expected = references[configuration]
    assert len(expected) == 18
    wrong = {
        tag: (features[tag], value, tolerance)
        for tag, (value, tolerance) in expected.items()
        if abs(features[tag] - value) > tolerance
    }
    assert not wrong


def test_wavelet_of_a_constant_image():
    image = np.full((12, 12, 12), 5.0)
    assert np.allclose(wavelet_response(image, "haar", "LLL"), 5.0 * np.sqrt(2) ** 3)
    assert np.allclose(wavelet_response(image, "db2", "HLL", level=2), 0.0)
    with pytest.raises(RadiomicsInputError, match="letters"):
        wavelet_response(image, "haar", "LLX")
    with pytest.raises(RadiomicsInputError, match="unknown wavelet"):
        wavelet_response(image, "nowave", "LLL")


def test_log_impulse_response_is_the_ibsi_kernel():
    image = np.zeros((31, 31, 31))
    image[15, 15, 15] = 1.0
    sigma = 2.0
    response = laplacian_of_gaussian(image, sigma, (1.0, 1.0, 1.0))
    centre = -1 / sigma**2 * (1 / (np.sqrt(2 * np.pi) * sigma)) ** 3 * 3
    assert response[15, 15, 15] == pytest.approx(centre, rel=1e-9)
    at_two = -1 / sigma**2 * (1 / (np.sqrt(2 * np.pi) * sigma)) ** 3 * (3 - 4 / sigma**2) * np.exp(-4 / (2 * sigma**2))
    assert response[15, 15, 17] == pytest.approx(at_two, rel=1e-9)


def test_filter_names_are_image_types():
    assert FilterSpec("log", sigma_mm=2).name == "log_2mm"
    assert FilterSpec("wavelet", wavelet="coif1", subband="HLH").name == "wavelet_coif1_HLH_level1"
