"""NIfTI, NRRD and MetaImage (MHA/MHD) images and masks, read and written through SimpleITK.

SimpleITK converts every format's own frame (NIfTI's RAS, NRRD's space field) to LPS on reading and back on
writing, so a `Volume` from any of them lives in the same physical frame as one read from DICOM.
"""

from __future__ import annotations

from pathlib import Path

import nibabel
import numpy as np
import SimpleITK as sitk

from hepatica.errors import HepaticaInputError, UnreadableFileError
from hepatica.io.atomic import atomic_path
from hepatica.io.volume import Volume, require_same_grid

IMAGE_SUFFIXES = (".nii", ".nii.gz", ".nrrd", ".nhdr", ".mha", ".mhd")
#: Formats written as one file, so that a write can be atomic.
WRITE_SUFFIXES = (".nii", ".nii.gz", ".nrrd", ".mha")


def is_image_file(path: Path | str) -> bool:
    """True when the file name has a suffix of a format read by :func:`read_image`."""
    name = Path(path).name.lower()
    return any(name.endswith(s) for s in IMAGE_SUFFIXES)


def read_image(path: Path | str) -> Volume:
    """A 3-D image file (NIfTI, NRRD, MHA/MHD) as a `Volume` in LPS millimetres."""
    path = Path(path)
    if not path.exists():
        raise UnreadableFileError(path, "does not exist", "Check the path.")
    if path.is_dir():
        raise UnreadableFileError(path, "is a folder", "Give an image file, or read the folder as DICOM.")
    if not is_image_file(path):
        raise UnreadableFileError(
            path,
            "is not a NIfTI, NRRD or MetaImage file (by its name)",
            f"Give a file ending in one of {', '.join(IMAGE_SUFFIXES)}, or a folder of DICOM files.",
        )
    try:
        image = sitk.ReadImage(str(path))
    except RuntimeError as exc:
        raise UnreadableFileError(
            path,
            "could not be read as an image (truncated, or not the format its name says)",
            "Write the file again from its source.",
        ) from exc
    if image.GetNumberOfComponentsPerPixel() != 1:
        raise UnreadableFileError(
            path, f"has {image.GetNumberOfComponentsPerPixel()} values per voxel", "Give a scalar (grey-level) image."
        )
    if image.GetDimension() == 4 and image.GetSize()[3] == 1:
        image = image[:, :, :, 0]
    if image.GetDimension() != 3:
        raise UnreadableFileError(
            path,
            f"is a {image.GetDimension()}-D image of size {image.GetSize()}",
            "Give a 3-D volume (one file per contrast phase).",
        )
    volume = Volume.from_sitk(image, {"source": "file", "file_name": path.name})
    if path.name.lower().endswith((".nii", ".nii.gz")):
        volume = _with_nifti_non_finite(path, volume)
    return volume


def _with_nifti_non_finite(path: Path, volume: Volume) -> Volume:
    """``volume`` with the NaN and infinite voxels of a floating-point NIfTI file put back: ITK's NIfTI reader
    replaces them by 0, which would then pass for real values (`hepatica.io.values` sets them aside and says so).
    The file's raw voxels are read again with nibabel only when its data type is floating point."""
    header = nibabel.load(path)
    if not np.issubdtype(header.get_data_dtype(), np.floating):
        return volume
    raw = np.asarray(header.dataobj)
    raw = raw.reshape(raw.shape[:3]) if raw.ndim == 4 and raw.shape[3] == 1 else raw
    bad = ~np.isfinite(raw)
    if not bad.any() or bad.T.shape != volume.array.shape:
        return volume
    array = volume.array.astype(np.float32, copy=True)
    array[bad.T] = np.nan
    return volume.with_array(array)


def read_mask(path: Path | str, image: Volume | None = None) -> Volume:
    """A label mask file as an integer `Volume`; when ``image`` is given the mask must lie on its grid.

    Raises :class:`~hepatica.errors.GridMismatchError` for a mask on another grid, and
    :class:`~hepatica.errors.HepaticaInputError` for non-integer labels.
    """
    mask = read_image(path)
    values = mask.array
    if not np.issubdtype(values.dtype, np.integer):
        if not np.all(np.mod(values, 1) == 0):
            raise HepaticaInputError(
                f"{path}: holds non-integer values, so it is not a label mask. Give a mask with labels 0, 1, 2, ..."
            )
        values = values.astype(np.int32)
    if values.min() < 0:
        raise HepaticaInputError(f"{path}: holds negative labels. Give a mask with labels 0, 1, 2, ...")
    dtype = np.uint8 if values.max() < 256 else np.uint16 if values.max() < 65536 else np.uint32
    mask = mask.with_array(values.astype(dtype))
    if image is not None:
        require_same_grid(image, mask, what=f"mask {Path(path).name}")
    return mask


def write_image(volume: Volume, path: Path | str, compress: bool = True) -> Path:
    """Write ``volume`` to a NIfTI/NRRD/MHA file (format from the suffix), atomically."""
    path = Path(path)
    if not path.name.lower().endswith(WRITE_SUFFIXES):
        raise HepaticaInputError(f"{path}: cannot write this format; use one of {', '.join(WRITE_SUFFIXES)}")
    with atomic_path(path) as tmp:
        sitk.WriteImage(volume.to_sitk(), str(tmp), useCompression=compress)
    return path
