"""Fixtures of the radiomics tests: the IBSI-1 CT phantom (image, mask, spacing in (z, y, x))."""

import pytest
import SimpleITK as sitk

from tests.conftest import shared


@pytest.fixture(scope="session")
def ct_phantom():
    folder = shared("ibsi/ibsi_1_ct_radiomics_phantom/nifti")
    image = sitk.ReadImage(str(folder / "image" / "phantom.nii.gz"))
    mask = sitk.ReadImage(str(folder / "mask" / "mask.nii.gz"))
    return sitk.GetArrayFromImage(image), sitk.GetArrayFromImage(mask), image.GetSpacing()[::-1]
