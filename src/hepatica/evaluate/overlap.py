"""Dice, surface distances and volume error between a predicted and a reference mask.

Surface distances use the anisotropic Euclidean distance transform (scipy) from each surface to the other:
a surface voxel is a mask voxel with a face neighbour outside the mask. HD95 is the 95th percentile of the
pooled distances of both surfaces (as in the Medical Segmentation Decathlon and LiTS), ASD their mean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from hepatica.boxes import bounding_box
from hepatica.io.volume import Volume, require_same_grid


@dataclass(frozen=True)
class OverlapMetrics:
    """Agreement of two masks. Distances in mm, volumes in mL, errors relative to the reference."""

    dice: float
    hd95_mm: float
    average_surface_distance_mm: float
    predicted_volume_ml: float
    reference_volume_ml: float

    @property
    def volume_error_percent(self) -> float:
        """(predicted - reference) / reference x 100."""
        if self.reference_volume_ml == 0:
            return float("nan")
        return 100.0 * (self.predicted_volume_ml - self.reference_volume_ml) / self.reference_volume_ml


def overlap_metrics(predicted: Volume, reference: Volume) -> OverlapMetrics:
    """Compare the non-zero voxels of two masks on the same grid."""
    require_same_grid(reference, predicted, "predicted mask")
    p, r = predicted.array > 0, reference.array > 0
    spacing = predicted.spacing[::-1]  # array axes (k, j, i)
    total = p.sum() + r.sum()
    dice = 2.0 * np.logical_and(p, r).sum() / total if total else 1.0
    if p.any() and r.any():
        box = bounding_box(p | r, margin=2)
        p_box, r_box = p[box], r[box]
        to_r = _surface_distances(p_box, r_box, spacing)
        to_p = _surface_distances(r_box, p_box, spacing)
        both = np.concatenate([to_r, to_p])
        hd95, asd = float(np.percentile(both, 95)), float(both.mean())
    else:
        hd95 = asd = float("inf") if p.any() != r.any() else 0.0
    voxel = predicted.voxel_volume_ml
    return OverlapMetrics(float(dice), hd95, asd, float(p.sum()) * voxel, float(r.sum()) * voxel)


def _surface(mask: np.ndarray) -> np.ndarray:
    return mask & ~ndimage.binary_erosion(mask, border_value=0)


def _surface_distances(source: np.ndarray, target: np.ndarray, spacing) -> np.ndarray:
    """Distance (mm) from each surface voxel of ``source`` to the nearest surface voxel of ``target``."""
    distance_to_target = ndimage.distance_transform_edt(~_surface(target), sampling=spacing)
    return distance_to_target[_surface(source)]
