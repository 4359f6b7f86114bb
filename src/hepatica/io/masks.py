"""The user's own masks (a liver corrected in 3D Slicer, an expert's lesions) brought onto the grid of the image
they belong to.

A mask is a NIfTI, NRRD or MetaImage file (non-zero = inside; a lesion mask may give each lesion its own value)
or a DICOM SEG (the liver: its segment named 'liver', else every segment together; lesions: every segment but
the liver, one value each). A mask on the image's grid is taken as it is. A mask on another grid is resampled onto
it (nearest neighbour) when its voxels lie within the image's field of view; it is refused with
`MaskMismatchError` when they do not (a mask of another study), when a DICOM SEG refers to another series, or
when a CT mask lies mostly on air.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hepatica.errors import GridMismatchError
from hepatica.io.files import is_image_file, read_mask
from hepatica.io.volume import Volume, grid_differences, resample_to_grid

#: Share of a mask's voxels (by volume) that must land on the image's grid when it is resampled there.
MIN_INSIDE_FRACTION = 0.95
#: A CT mask whose median lies below this (HU) covers air or lung, not liver: it belongs to another image.
AIR_HU = -300.0


class MaskMismatchError(GridMismatchError):
    """A mask that does not belong to the image (another study, another series, or outside its field of view)."""


def read_liver_mask(path: Path | str, image: Volume) -> Volume:
    """The liver mask of ``path`` on ``image``'s grid as uint8 0/1."""
    mask = _read(Path(path), image, "liver")
    return mask.with_array((mask.array > 0).astype(np.uint8))


def read_lesion_mask(path: Path | str, image: Volume) -> Volume:
    """The lesion mask of ``path`` on ``image``'s grid: 0 outside lesions, one value per lesion where the mask gives
    several (a binary mask's lesions are its connected components)."""
    return _read(Path(path), image, "lesions")


def _read(path: Path, image: Volume, what: str) -> Volume:
    if is_image_file(path) or not path.is_file():
        placed = _onto(read_mask(path), image, path, what)
    else:  # not an image file by its name: a DICOM SEG
        placed = _from_seg(path, image, what)
    _check_intensities(placed, image, path, what)
    return placed


def _onto(mask: Volume, image: Volume, path: Path, what: str) -> Volume:
    """``mask`` on ``image``'s grid, resampled when it lies on another grid that covers the same place."""
    if mask.same_grid(image):
        return mask
    inside = np.count_nonzero(mask.array) * mask.voxel_volume_ml
    if inside == 0:
        return resample_to_grid(mask, image, interpolation="nearest")
    placed = resample_to_grid(mask, image, interpolation="nearest")
    kept = np.count_nonzero(placed.array) * image.voxel_volume_ml
    if kept < MIN_INSIDE_FRACTION * inside:
        raise MaskMismatchError(
            f"{path.name}: the {what} mask does not lie on this image: only {100 * kept / inside:.0f} % of its "
            f"{inside:.1f} mL falls within the image's field of view ({'; '.join(grid_differences(image, mask))}). "
            "Give the mask drawn on this study's series."
        )
    return placed


def _from_seg(path: Path, image: Volume, what: str) -> Volume:
    """A DICOM SEG's segments for ``what`` ('liver' or 'lesions') on ``image``'s grid."""
    from hepatica.io.seg import read_dicom_seg, referenced_series_uids

    series_uid = image.metadata.get("series_uid")
    referenced = referenced_series_uids(path)
    if series_uid and referenced and series_uid not in referenced:
        raise MaskMismatchError(
            f"{path.name}: this DICOM SEG refers to series {', '.join(sorted(referenced))}, not to the segmented "
            f"series {series_uid}. Give the SEG drawn on this study's series."
        )
    segments = read_dicom_seg(path, reference=image)
    livers = {name: mask for name, mask in segments.items() if name.strip().lower() == "liver"}
    if what == "liver":
        chosen = list(livers.values()) or list(segments.values())
        return image.with_array(np.any([m.array > 0 for m in chosen], axis=0).astype(np.uint8))
    lesions = [mask for name, mask in segments.items() if name not in livers]
    if not lesions:
        raise MaskMismatchError(f"{path.name}: this DICOM SEG holds only a liver segment, no lesion segment")
    labels = np.zeros(image.array.shape, dtype=np.uint16)
    for value, mask in enumerate(lesions, start=1):
        labels[mask.array > 0] = value
    return image.with_array(labels)


def _check_intensities(mask: Volume, image: Volume, path: Path, what: str) -> None:
    """Refuse a CT mask that lies mostly on air: it was drawn on another image."""
    if str(image.metadata.get("modality", "CT")).upper() != "CT" or not mask.array.any():
        return
    median = float(np.median(image.array[mask.array > 0]))
    if median < AIR_HU:
        raise MaskMismatchError(
            f"{path.name}: the {what} mask lies mostly on air or lung in this image (median {median:.0f} HU inside "
            "it): it belongs to another study or series."
        )
