"""One test per kind of malformed input, each asserting its specific error and what the message names."""

import shutil

import numpy as np
import pydicom
import pytest

from hepatica.errors import (
    DuplicateSliceError,
    GridMismatchError,
    InconsistentGeometryError,
    MissingSliceError,
    MixedOrientationError,
    NoImageDataError,
    UnevenSpacingError,
    UnreadableFileError,
)
from hepatica.io import SeriesHeader, Volume, load_study, read_image, read_mask, write_ct_series, write_image


@pytest.fixture
def series_dir(tmp_path):
    """A valid 8-slice CT series of 16 x 12 pixels, 0.8 mm pixels, 2.5 mm slices."""
    rng = np.random.default_rng(1)
    volume = Volume(rng.integers(-100, 200, size=(8, 12, 16)).astype(np.int16), (0.8, 0.8, 2.5), (-6.0, -4.0, 100.0))
    header = SeriesHeader(
        study_uid="1.2.3.4",
        series_uid="1.2.3.4.5",
        frame_of_reference_uid="1.2.3.4.6",
        series_number=3,
        series_description="Test series",
    )
    write_ct_series(volume, tmp_path / "series", header)
    return tmp_path / "series"


def _edit(path, **attributes):
    ds = pydicom.dcmread(path)
    for key, value in attributes.items():
        setattr(ds, key, value)
    ds.save_as(path)


def test_valid_series_reads(series_dir):
    study = load_study(series_dir)
    assert study.series[0].volume.array.shape == (8, 12, 16)
    assert study.series[0].volume.spacing == pytest.approx((0.8, 0.8, 2.5))


def test_truncated_file_names_the_file(series_dir):
    victim = series_dir / "IM0004.dcm"
    data = victim.read_bytes()
    victim.write_bytes(data[: len(data) - 100])
    with pytest.raises(UnreadableFileError, match=r"IM0004\.dcm.*truncated \(284 of 384 bytes\)"):
        load_study(series_dir)


def test_truncated_header_names_the_file(series_dir):
    victim = series_dir / "IM0002.dcm"
    victim.write_bytes(victim.read_bytes()[:400])
    with pytest.raises(UnreadableFileError, match=r"IM0002\.dcm"):
        load_study(series_dir)


def test_folder_without_images_lists_what_it_skipped(tmp_path):
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.4 not dicom")
    with pytest.raises(NoImageDataError, match=r"no DICOM image series found; skipped 2 file\(s\): notes\.txt"):
        load_study(tmp_path)


def test_non_image_files_beside_a_series_are_skipped(series_dir):
    (series_dir / "README.txt").write_text("export notes")
    study = load_study(series_dir)
    assert [s.path.name for s in study.skipped] == ["README.txt"]
    assert study.series[0].volume.array.shape[0] == 8


def test_non_image_file_given_as_image_names_the_file(tmp_path):
    fake = tmp_path / "arterial.nii.gz"
    fake.write_text("this is text, not NIfTI")
    with pytest.raises(UnreadableFileError, match=r"arterial\.nii\.gz: could not be read as an image"):
        read_image(fake)
    document = tmp_path / "report.docx"
    document.write_text("a document")
    with pytest.raises(UnreadableFileError, match=r"report\.docx: is not a NIfTI, NRRD or MetaImage file"):
        read_image(document)


def test_missing_slice(series_dir):
    (series_dir / "IM0005.dcm").unlink()
    with pytest.raises(
        MissingSliceError, match=r"#3 'Test series'.*1 slice\(s\) missing between IM0004\.dcm .* and IM0006\.dcm"
    ):
        load_study(series_dir)


def test_duplicated_slice(series_dir):
    shutil.copy(series_dir / "IM0003.dcm", series_dir / "IM0003_copy.dcm")
    with pytest.raises(DuplicateSliceError, match=r"IM0003\.dcm and IM0003_copy\.dcm are both at slice position"):
        load_study(series_dir)


def test_uneven_spacing(series_dir):
    ds = pydicom.dcmread(series_dir / "IM0006.dcm")
    x, y, z = (float(v) for v in ds.ImagePositionPatient)
    _edit(series_dir / "IM0006.dcm", ImagePositionPatient=[x, y, z + 0.9])
    with pytest.raises(
        UnevenSpacingError, match=r"slice spacing is uneven: 3\.400 mm between IM0005\.dcm and IM0006\.dcm"
    ):
        load_study(series_dir)


def test_mixed_orientations_in_one_series(series_dir):
    _edit(series_dir / "IM0002.dcm", ImageOrientationPatient=[1, 0, 0, 0, 0, -1])
    with pytest.raises(MixedOrientationError, match=r"2 different image orientations .*IM0002\.dcm has"):
        load_study(series_dir)


def test_gantry_tilt_is_refused(series_dir):
    for n, path in enumerate(sorted(series_dir.glob("IM*.dcm"))):
        ds = pydicom.dcmread(path)
        x, y, z = (float(v) for v in ds.ImagePositionPatient)
        _edit(path, ImagePositionPatient=[x, y + 0.5 * n, z])
    with pytest.raises(InconsistentGeometryError, match="gantry tilt"):
        load_study(series_dir)


def test_changing_pixel_spacing_is_refused(series_dir):
    _edit(series_dir / "IM0007.dcm", PixelSpacing=[0.7, 0.7])
    with pytest.raises(InconsistentGeometryError, match="PixelSpacing changes within the series"):
        load_study(series_dir)


def test_mask_on_another_grid(tmp_path):
    image = Volume(np.zeros((10, 20, 20), np.int16), (1.0, 1.0, 2.0), (0.0, 0.0, 0.0))
    mask = Volume(np.zeros((10, 20, 20), np.uint8), (1.0, 1.0, 2.5), (0.0, 0.0, 0.0))
    write_image(mask, tmp_path / "liver.nii.gz")
    with pytest.raises(GridMismatchError, match=r"mask liver\.nii\.gz is not on the image's voxel grid \(spacing"):
        read_mask(tmp_path / "liver.nii.gz", image)
