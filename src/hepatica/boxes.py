"""Bounding boxes of masks: the one helper every stage uses to work on the part of a scan that matters.

Arrays are indexed (z, y, x) like every ``Volume``; boxes are tuples of slices in the same order. This module
imports nothing of Hepatica's, so any stage may use it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def bounding_box(mask: np.ndarray, margin: int | Sequence[int] = 0) -> tuple[slice, ...] | None:
    """The smallest box around the set voxels of ``mask``, grown by ``margin`` voxels (one number, or one per
    axis) and clipped to the array; None when no voxel is set. Cheaper than ``np.nonzero`` on a whole scan."""
    margins = [margin] * mask.ndim if isinstance(margin, int | np.integer) else list(margin)
    box = []
    for axis, (extra, size) in enumerate(zip(margins, mask.shape, strict=True)):
        hits = np.flatnonzero(mask.any(axis=tuple(a for a in range(mask.ndim) if a != axis)))
        if hits.size == 0:
            return None
        box.append(slice(max(0, int(hits[0]) - int(extra)), min(size, int(hits[-1]) + 1 + int(extra))))
    return tuple(box)


def margin_voxels(margin_mm: float, spacing_mm: Sequence[float]) -> tuple[int, ...]:
    """Whole voxels per axis that cover at least ``margin_mm`` (``spacing_mm`` in the array's axis order)."""
    return tuple(int(math.ceil(margin_mm / s)) for s in spacing_mm)
