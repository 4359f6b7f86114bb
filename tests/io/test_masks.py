"""The user's own masks on the image's grid: taken as they are, resampled when they lie on another grid over the
same place, refused with the reason when they belong to another image; DICOM SEG masks by segment."""

import numpy as np
import pytest

from hepatica.io import Volume, load_study
from hepatica.io.files import write_image
from hepatica.io.masks import MaskMismatchError, read_lesion_mask, read_liver_mask
from hepatica.io.phase import Phase


def _ct(shape=(20, 40, 40), spacing=(1.0, 1.0, 2.0)):
    array = np.full(shape, -1000.0, dtype=np.float32)  # air
    array[2:-2, 5:-5, 5:-5] = 60.0  # soft tissue
    return Volume(array, spacing, (0.0, 0.0, 0.0), metadata={"modality": "CT"})


def _ball(volume: Volume, centre_kji, radius_mm: float) -> np.ndarray:
    k, j, i = np.indices(volume.array.shape)
    spacing = volume.spacing[::-1]
    distance = np.sqrt(sum(((g - c) * s) ** 2 for g, c, s in zip((k, j, i), centre_kji, spacing, strict=True)))
    return (distance <= radius_mm).astype(np.uint8)


def test_a_mask_on_the_image_grid_is_taken_as_it_is(tmp_path):
    image = _ct()
    mask = image.with_array(_ball(image, (10, 20, 20), 8.0))
    liver = read_liver_mask(write_image(mask, tmp_path / "liver.nii.gz"), image)
    assert liver.same_grid(image) and np.array_equal(liver.array, mask.array)


def test_a_mask_on_a_finer_grid_over_the_same_place_is_resampled(tmp_path):
    image = _ct()
    fine = Volume(np.zeros((40, 80, 80), np.float32), (0.5, 0.5, 1.0), (-0.25, -0.25, -0.5))
    mask = fine.with_array(_ball(fine, (20.5, 40.5, 40.5), 8.0))
    liver = read_liver_mask(write_image(mask, tmp_path / "liver.nii.gz"), image)
    assert liver.same_grid(image)
    volume_ml = lambda v: np.count_nonzero(v.array) * v.voxel_volume_ml  # noqa: E731
    assert volume_ml(liver) == pytest.approx(volume_ml(mask), rel=0.1)


def test_a_mask_of_another_place_is_refused_with_the_grids(tmp_path):
    image = _ct()
    elsewhere = Volume(np.zeros((20, 40, 40), np.float32), (1.0, 1.0, 2.0), (400.0, 0.0, 0.0))
    path = write_image(elsewhere.with_array(_ball(elsewhere, (10, 20, 20), 8.0)), tmp_path / "other.nii.gz")
    with pytest.raises(
        MaskMismatchError, match=r"only 0 % of its .* mL falls within the image's field of view.*origin"
    ):
        read_liver_mask(path, image)


def test_a_ct_mask_on_air_is_refused(tmp_path):
    image = _ct()
    corner = np.zeros(image.array.shape, np.uint8)
    corner[:, :4, :4] = 1  # outside the body
    with pytest.raises(MaskMismatchError, match="lies mostly on air"):
        read_lesion_mask(write_image(image.with_array(corner), tmp_path / "lesions.nii.gz"), image)


def test_a_lesion_mask_keeps_one_value_per_lesion(tmp_path):
    image = _ct()
    labels = image.with_array((_ball(image, (10, 20, 14), 4.0) + 2 * _ball(image, (10, 20, 26), 4.0)).astype(np.uint8))
    lesions = read_lesion_mask(write_image(labels, tmp_path / "lesions.nrrd"), image)
    assert sorted(np.unique(lesions.array)) == [0, 1, 2]


def test_a_dicom_seg_gives_the_liver_and_one_value_per_lesion_segment(small_phantom, small_phantom_files):
    study = load_study(small_phantom_files.dicom)
    portal = study.by_phase[Phase.PORTAL_VENOUS].volume
    seg = small_phantom_files.root / "truth" / "truth_seg.dcm"
    liver = read_liver_mask(seg, portal)
    assert np.array_equal(liver.array > 0, small_phantom.liver.array > 0)
    lesions = read_lesion_mask(seg, portal)
    assert int(lesions.array.max()) == len(small_phantom.lesions)
    assert np.array_equal(lesions.array > 0, small_phantom.lesion_labels.array > 0)


def test_a_dicom_seg_of_another_series_is_refused_naming_it(small_phantom_files):
    arterial = load_study(small_phantom_files.dicom).by_phase[Phase.ARTERIAL].volume
    with pytest.raises(MaskMismatchError, match="refers to series .*, not to the segmented series"):
        read_liver_mask(small_phantom_files.root / "truth" / "truth_seg.dcm", arterial)
