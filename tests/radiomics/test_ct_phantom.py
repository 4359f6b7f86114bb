"""IBSI-1 CT phantom, configurations A to E (05_Reference_data_sets.rst): reference values including the
diagnostic ones, within tolerance."""

from pathlib import Path

import pytest

from hepatica.radiomics.extract import extract
from hepatica.radiomics.settings import Discretisation, ExtractionSettings
from tests.conftest import shared
from tests.radiomics.reference import read_reference

FBS25 = Discretisation("fixed_bin_size", None, 25)
FBN32 = Discretisation("fixed_bin_number", 32, None)
CONFIGURATIONS = {
    "A": ExtractionSettings(by_slice=True, resegmentation_range=(-500, 400), discretisation=FBS25),
    "B": ExtractionSettings(
        by_slice=True, voxel_size_mm=(2, 2, None), resegmentation_range=(-500, 400), discretisation=FBN32
    ),
    "C": ExtractionSettings(
        voxel_size_mm=(2, 2, 2),
        resegmentation_range=(-1000, 400),
        discretisation=FBS25,
        ivh=Discretisation("fixed_bin_size", None, 2.5),
    ),
    "D": ExtractionSettings(voxel_size_mm=(2, 2, 2), outlier_sigma=3, discretisation=FBN32),
    "E": ExtractionSettings(
        voxel_size_mm=(2, 2, 2),
        image_interpolation="cubic",
        resegmentation_range=(-1000, 400),
        outlier_sigma=3,
        discretisation=FBN32,
        ivh=Discretisation("fixed_bin_number", 1000, None),
    ),
}


@pytest.mark.parametrize("configuration", sorted(CONFIGURATIONS))
def test_configuration_matches_the_reference_values(ct_phantom, configuration):
    references = read_reference(
        Path(shared("ibsi/reference_values")) / f"ibsi_1_reference_values_config_{configuration}.csv"
    )
    features = extract(*ct_phantom, CONFIGURATIONS[configuration], diagnostics=True)
    missing = [r.tag for r in references if r.tag not in features]
    wrong = [
        (r.tag, features[r.tag], r.value, r.tolerance)
        for r in references
        if r.tag in features and not r.matches(features[r.tag])
    ]
    assert not missing
    assert not wrong  # all of them: 406 (A, B) or 270 (C, D, E); the issue asks for >= 98 %
