"""Checks of an image's voxel values before anything is computed from them.

Two kinds of input produce confident nonsense rather than an error further down, so they are caught here:

* **Non-finite values** (NaN, +-inf) in a floating-point image. Where a few are scattered or in a block, they are
  replaced by the image's lowest finite value (air on CT), so that nothing is segmented or measured there, and the
  study says how many there were and in which slices. Above ``MAX_NON_FINITE_FRACTION`` of the voxels the image is
  refused: what is left is not the image the user meant.
* **Values that are not CT Hounsfield units** (`require_ct_values`): an abdominal CT holds air (outside the body,
  in the lungs or bowel: values below ``AIR_HU``) or at least fat (``FAT_HU``). An MR image, or a CT written
  without its rescale slope and intercept, holds neither. The bundled models and LI-RADS on CT need HU, so such an
  image is refused with what it looks like, instead of giving a "liver" and LR-NC lesions. A CT whose rescale
  is wrong by a factor (values multiplied by 1000, say) still holds "air", but its body does not lie at soft
  tissue: the median of the voxels above ``AIR_HU`` (fat, muscle, organs, bone) must lie in ``BODY_MEDIAN_HU``.

The thresholds are physical (air is -1000 HU, fat -100 HU) and were checked on the real cases of
``../shared/data``: the CTs hold 1-36 % of voxels below -500 HU; TotalSegmentator's T1 MR example holds none
(its values run from -47 to 833). The median of the body voxels is 3-78 HU on the real CTs (TotalSegmentator's two,
IRCAD patient 1, LiTS 117, dcmqi's three slices) and 26-58 HU in the phantom's four phases; ``BODY_MEDIAN_HU``
leaves a wide margin around that.
"""

from __future__ import annotations

import numpy as np

from hepatica.errors import ImageValuesError, ModalityError
from hepatica.io.volume import Volume

#: Above this share of non-finite voxels an image is refused (below it they are replaced and reported).
MAX_NON_FINITE_FRACTION = 0.01
#: Air and fat on CT (HU), and the share of voxels in either that an abdominal CT in HU always shows.
AIR_HU = -500.0
FAT_HU = (-150.0, -30.0)
MIN_AIR_FRACTION = 0.001
MIN_FAT_FRACTION = 0.02
#: Where the median of an abdominal CT's body voxels (above AIR_HU) lies when the image is in HU: between fat
#: (-100) and bone (+400 and more), nearest soft tissue.
BODY_MEDIAN_HU = (-200.0, 400.0)


def replace_non_finite(volume: Volume, name: str) -> tuple[Volume, str | None]:
    """``volume`` with its NaN and infinite voxels set to its lowest finite value, and a warning saying how many
    and where (None when all are finite). Raises :class:`ImageValuesError` when none or too many are finite."""
    array = volume.array
    if not np.issubdtype(array.dtype, np.floating):
        return volume, None
    bad = ~np.isfinite(array)
    count = int(bad.sum())
    if count == 0:
        return volume, None
    share = count / bad.size
    if share > MAX_NON_FINITE_FRACTION:
        raise ImageValuesError(
            f"{name}: {100 * share:.1f} % of its voxels are not numbers (NaN or infinite); at most "
            f"{100 * MAX_NON_FINITE_FRACTION:g} % are set aside. Export the image again from its source, or give "
            "the series it was computed from."
        )
    fill = float(array[~bad].min())
    slices = np.flatnonzero(bad.any(axis=(1, 2)))
    cleaned = array.copy()
    cleaned[bad] = fill
    warning = (
        f"{name}: {count} voxels ({100 * share:.2f} %) are not numbers (NaN or infinite), in slices "
        f"{_ranges(slices)} of {array.shape[0]}; they were set to the image's lowest value ({fill:.0f}), so nothing "
        "there is segmented or measured"
    )
    return volume.with_array(cleaned), warning


def require_ct_values(volume: Volume, name: str) -> None:
    """Raise :class:`ModalityError` unless ``volume`` holds CT Hounsfield units (air or fat present), and
    :class:`ImageValuesError` when it holds air but its body does not lie at soft tissue (a wrong rescale)."""
    modality = str(volume.metadata.get("modality") or "").upper()
    if modality and modality != "CT":
        raise ModalityError(
            f"{name} is {modality}: Hepatica segments and characterises CT (portal-venous or multiphase) only for "
            "now. Give the CT series of the study."
        )
    values = volume.array
    sample = values.ravel()[:: max(1, values.size // 2_000_000)].astype(np.float32)
    air = float(np.mean(sample < AIR_HU))
    fat = float(np.mean((sample >= FAT_HU[0]) & (sample <= FAT_HU[1])))
    if air >= MIN_AIR_FRACTION or fat >= MIN_FAT_FRACTION:
        body = sample[sample > AIR_HU]
        median = float(np.median(body)) if body.size else None
        if median is None or BODY_MEDIAN_HU[0] <= median <= BODY_MEDIAN_HU[1]:
            return
        raise ImageValuesError(
            f"{name} is not calibrated in Hounsfield units: the median of its voxels above {AIR_HU:.0f} (the body) "
            f"is {median:.0f}, where a CT in HU has soft tissue ({BODY_MEDIAN_HU[0]:.0f} to {BODY_MEDIAN_HU[1]:.0f}). "
            "Its rescale slope or intercept look wrong (scaled by a factor?); export the image again from the "
            "scanner's DICOM series."
        )
    low, high = np.percentile(sample, [1, 99])
    looks = (
        "an MR image or a CT stored without its rescale slope and intercept"
        if low >= -100
        else "not a CT of the abdomen"
    )
    raise ModalityError(
        f"{name} does not hold CT Hounsfield units: {100 * air:.2f} % of its voxels are air (below {AIR_HU:.0f}) "
        f"and {100 * fat:.2f} % fat ({FAT_HU[0]:.0f} to {FAT_HU[1]:.0f}); its values run from {low:.0f} to "
        f"{high:.0f} (1st-99th percentile). It looks like {looks}. Give the CT in HU (MR studies are not analysed "
        "yet)."
    )


def _ranges(indices: np.ndarray) -> str:
    """'3-7, 12' for [3, 4, 5, 6, 7, 12] (1-based slice numbers)."""
    parts, start = [], None
    for n, value in enumerate(indices):
        if start is None:
            start = value
        if n + 1 == len(indices) or indices[n + 1] != value + 1:
            parts.append(f"{start + 1}" if start == value else f"{start + 1}-{value + 1}")
            start = None
    return ", ".join(parts)
