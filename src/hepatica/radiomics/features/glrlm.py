"""Grey level run length matrix features (IBSI 3.7)."""

from __future__ import annotations

import numpy as np

from hepatica.radiomics.features.size_matrix_features import size_matrix_features
from hepatica.radiomics.features.texture import Matrix, directional_features, size_matrix


def runs(levels: np.ndarray, direction) -> tuple[np.ndarray, np.ndarray]:
    """Grey level and length of every run of equal ROI grey levels along ``direction``.

    A run starts where the voxel before it (v - direction) is outside the ROI or another level and ends
    likewise; starts and ends are paired by sorting both by line and by position along the line."""
    d = np.asarray(direction)
    padded = np.pad(levels, 1)
    shape = padded.shape
    before = np.roll(padded, shift=tuple(d), axis=(0, 1, 2))  # before[v] = padded[v - d]
    after = np.roll(padded, shift=tuple(-d), axis=(0, 1, 2))  # after[v] = padded[v + d]
    inside = padded > 0
    starts = np.argwhere(inside & (before != padded))
    ends = np.argwhere(inside & (after != padded))
    axis = int(np.flatnonzero(d)[0])  # position along the line: the coordinate on d's first non-zero axis
    step = d[axis]  # +1 or -1

    def order(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        t = points[:, axis] * step
        base = points - t[:, None] * d  # where the line crosses axis = 0
        line = np.ravel_multi_index(tuple((base + np.array(shape)).T), tuple(3 * n for n in shape))
        sort = np.lexsort((t, line))
        return points[sort], t[sort]

    start_points, start_t = order(starts)
    _, end_t = order(ends)
    return padded[tuple(start_points.T)], end_t - start_t + 1


def run_length_matrix(levels: np.ndarray, n_levels: int, direction) -> Matrix:
    grey, length = runs(levels, direction)
    return size_matrix(grey, length, n_levels, int((levels > 0).sum()))


def glrlm_features(levels: np.ndarray, n_levels: int, dimensions=("2D", "3D")) -> dict[str, float]:
    """GLRLM features under all six aggregation methods (tags like ``rlm_sre_3D_avg``)."""
    return directional_features(levels, n_levels, run_length_matrix, lambda m: size_matrix_features(m, "rlm"),
                                dimensions)
