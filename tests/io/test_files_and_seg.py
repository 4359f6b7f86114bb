import os

import numpy as np
import pydicom
import pytest

from hepatica.errors import HepaticaInputError
from hepatica.io import Phase, Volume, load_study, read_dicom_seg, read_image, read_mask, write_dicom_seg, write_image


@pytest.mark.parametrize("suffix", [".nii.gz", ".nrrd", ".mha"])
def test_image_files_round_trip_geometry_and_values(tmp_path, suffix):
    direction = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])  # an oblique-free sagittal stack
    volume = Volume(np.arange(60, dtype=np.int16).reshape(3, 4, 5), (0.7, 0.9, 3.0), (-12.5, 40.0, 7.25), direction)
    back = read_image(write_image(volume, tmp_path / f"image{suffix}"))
    assert back.same_grid(volume)
    assert np.array_equal(back.array, volume.array)


def test_read_mask_refuses_non_integer_labels(tmp_path):
    write_image(Volume(np.full((2, 2, 2), 0.5, np.float32), (1, 1, 1), (0, 0, 0)), tmp_path / "m.nii.gz")
    with pytest.raises(HepaticaInputError, match="non-integer values"):
        read_mask(tmp_path / "m.nii.gz")


def test_writes_are_atomic_and_leave_no_temporary_files(tmp_path):
    write_image(Volume(np.zeros((2, 2, 2), np.int16), (1, 1, 1), (0, 0, 0)), tmp_path / "a.nii.gz")
    assert [p.name for p in tmp_path.iterdir()] == ["a.nii.gz"]


def test_dicom_seg_round_trip_on_phantom_series(small_phantom, small_phantom_files, tmp_path):
    study = load_study(small_phantom_files.dicom)
    portal = study.by_phase[Phase.PORTAL_VENOUS].volume
    liver = portal.with_array(small_phantom.liver.array)
    lesion = portal.with_array((small_phantom.lesion_labels.array == 1).astype(np.uint8))
    path = write_dicom_seg({"liver": liver, "lesion_1": lesion}, portal, tmp_path / "seg.dcm")
    ds = pydicom.dcmread(path)
    assert ds.Modality == "SEG"
    assert ds.ReferencedSeriesSequence[0].SeriesInstanceUID == portal.metadata["series_uid"]
    assert [s.SegmentedPropertyTypeCodeSequence[0].CodeMeaning for s in ds.SegmentSequence] == ["Liver", "Lesion"]
    back = read_dicom_seg(path, reference=portal)
    assert np.array_equal(back["liver"].array, liver.array)
    assert np.array_equal(back["lesion_1"].array, lesion.array)


def test_dicom_seg_needs_a_dicom_source(small_phantom, tmp_path):
    with pytest.raises(HepaticaInputError, match="must reference DICOM source images"):
        write_dicom_seg({"liver": small_phantom.liver}, small_phantom.phases[Phase.PORTAL_VENOUS], tmp_path / "s.dcm")


def test_atomic_writes_get_the_usual_file_permissions(tmp_path):
    umask = os.umask(0)
    os.umask(umask)
    path = write_image(Volume(np.zeros((2, 2, 2), np.int16), (1, 1, 1), (0, 0, 0)), tmp_path / "b.nii.gz")
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
