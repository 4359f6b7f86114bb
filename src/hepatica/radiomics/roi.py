"""The region of interest features are computed on, and IBSI discretisation.

Arrays are indexed (z, y, x) like every ``Volume``; ``spacing_mm`` is in the same order. IBSI keeps two masks:
the *intensity* mask (after re-segmentation) for intensity and texture features, and the *morphological* mask
for shape and for the distance to the ROI edge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hepatica.boxes import bounding_box
from hepatica.errors import HepaticaInputError


class RadiomicsInputError(HepaticaInputError):
    """The image or mask cannot give features (empty ROI, mismatched grids, bad settings)."""


@dataclass(frozen=True)
class Roi:
    """Intensities and the two IBSI masks on one grid."""

    image: np.ndarray  # float64 intensities (z, y, x)
    spacing_mm: tuple[float, float, float]
    intensity_mask: np.ndarray  # bool
    morphological_mask: np.ndarray  # bool

    def __post_init__(self) -> None:
        if self.image.ndim != 3:
            raise RadiomicsInputError(f"radiomics needs a 3D image, got {self.image.ndim} dimensions")
        for name in ("intensity_mask", "morphological_mask"):
            if getattr(self, name).shape != self.image.shape:
                raise RadiomicsInputError(
                    f"{name} has shape {getattr(self, name).shape} but the image {self.image.shape}"
                )
        if not self.intensity_mask.any():
            raise RadiomicsInputError("the ROI is empty: no voxel of the mask (after re-segmentation) is set")

    @classmethod
    def from_arrays(cls, image: np.ndarray, mask: np.ndarray, spacing_mm) -> Roi:
        """A ROI whose intensity and morphological masks are both ``mask`` > 0."""
        roi_mask = np.asarray(mask) > 0
        return cls(np.asarray(image, dtype=np.float64), tuple(float(s) for s in spacing_mm), roi_mask, roi_mask.copy())

    @property
    def values(self) -> np.ndarray:
        """Intensities inside the intensity mask (1D)."""
        return self.image[self.intensity_mask]

    def with_intensity_mask(self, mask: np.ndarray) -> Roi:
        return Roi(self.image, self.spacing_mm, mask, self.morphological_mask)

    def box(self) -> tuple[slice, slice, slice]:
        """The bounding box of the morphological mask (which holds the intensity mask)."""
        return bounding_box(self.morphological_mask)

    def cropped(self) -> Roi:
        """The same ROI on its ``box()``: every feature but the local intensity peaks, which look beyond the
        ROI, is the same on it and cheaper."""
        box = self.box()
        return Roi(self.image[box], self.spacing_mm, self.intensity_mask[box], self.morphological_mask[box])


@dataclass(frozen=True)
class Discretised:
    """Grey levels 1..n_levels inside the intensity mask (0 outside), and how they map back to intensities."""

    levels: np.ndarray  # (z, y, x), the smallest unsigned type that holds n_levels; 0 outside the ROI
    n_levels: int
    mask: np.ndarray  # bool, the intensity mask

    @property
    def values(self) -> np.ndarray:
        return self.levels[self.mask]


def discretise(
    roi: Roi, method: str, *, bins: int | None = None, bin_width: float | None = None, lower_bound: float | None = None
) -> Discretised:
    """IBSI discretisation (section 2.7) of the intensities in the intensity mask.

    * ``"fixed_bin_number"``: ``bins`` bins between the ROI's minimum and maximum;
    * ``"fixed_bin_size"``: bins of ``bin_width`` starting at ``lower_bound`` (the lower re-segmentation bound;
      the ROI's minimum when None);
    * ``"none"``: the intensities are already integer grey levels >= 1 (e.g. the IBSI digital phantom).
    """
    values = roi.values
    if method == "fixed_bin_number":
        if not bins or bins < 1:
            raise RadiomicsInputError("fixed_bin_number needs bins >= 1")
        low, high = values.min(), values.max()
        if high == low:
            levels = np.ones_like(values, dtype=np.int32)
        else:
            levels = np.minimum(np.floor(bins * (values - low) / (high - low)).astype(np.int64) + 1, bins)
        n_levels = bins
    elif method == "fixed_bin_size":
        if not bin_width or bin_width <= 0:
            raise RadiomicsInputError("fixed_bin_size needs bin_width > 0")
        low = values.min() if lower_bound is None else lower_bound
        levels = np.floor((values - low) / bin_width).astype(np.int64) + 1
        if levels.min() < 1:
            raise RadiomicsInputError(
                f"intensities below the lower bound {low} in the ROI; re-segment to the range first"
            )
        n_levels = int(levels.max())
    elif method == "none":
        levels = np.rint(values).astype(np.int64)
        if not np.allclose(levels, values) or levels.min() < 1:
            raise RadiomicsInputError("discretisation 'none' needs integer intensities >= 1 in the ROI")
        n_levels = int(levels.max())
    else:
        raise RadiomicsInputError(f"unknown discretisation {method!r}; use fixed_bin_number, fixed_bin_size or none")
    # uint8 for the usual <= 255 levels: a quarter of int32's memory traffic in every texture matrix
    grid = np.zeros(roi.image.shape, dtype=np.min_scalar_type(n_levels))
    grid[roi.intensity_mask] = levels
    return Discretised(grid, n_levels, roi.intensity_mask)
