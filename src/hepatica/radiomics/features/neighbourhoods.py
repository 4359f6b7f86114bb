"""Neighbourhood grey tone difference (IBSI 3.10) and neighbouring grey level dependence (3.11) features.

Neighbourhoods are the voxels at Chebyshev distance 1 (26 in 3D, 8 in a slice); only neighbours inside the
ROI count. Dependence uses coarseness parameter alpha = 0 (neighbours with the same grey level)."""

from __future__ import annotations

import numpy as np

from hepatica.radiomics.features.size_matrix_features import size_matrix_features
from hepatica.radiomics.features.texture import Matrix, size_matrix, undirected_features


def _kernel(in_plane: bool) -> np.ndarray:
    kernel = np.zeros((3, 3, 3)) if in_plane else np.ones((3, 3, 3))
    if in_plane:
        kernel[1] = 1
    kernel[1, 1, 1] = 0
    return kernel


def grey_tone_difference_matrix(levels: np.ndarray, n_levels: int, z: int | None) -> Matrix:
    """Rows (n_i, s_i) for grey levels 1..Ng: voxels with a neighbour in the ROI, and sum of |i - mean of
    their neighbours|."""
    inside = levels > 0
    axes = (1, 2) if z is not None else (0, 1, 2)
    total_type = np.int64 if levels.dtype.itemsize >= 4 else np.int32
    neighbours = _box_total(inside, axes, total_type) - inside
    sums = _box_total(levels, axes, total_type) - levels
    valid = inside & (neighbours > 0)
    grey = levels[valid]
    difference = np.abs(grey - sums[valid] / neighbours[valid])
    counts = np.bincount(grey, minlength=n_levels + 1)[1:]
    differences = np.bincount(grey, weights=difference, minlength=n_levels + 1)[1:]
    return Matrix(np.stack([counts, differences]).astype(np.float64), int(valid.sum()))


def _box_total(array: np.ndarray, axes, dtype) -> np.ndarray:
    """Sum over the 3 x 3 (x 3) box around each voxel along ``axes`` (zero outside the array), exactly in
    integers: one shifted add each way per axis."""
    total = array.astype(dtype)
    for axis in axes:
        lower = tuple(slice(None, -1) if a == axis else slice(None) for a in range(array.ndim))
        upper = tuple(slice(1, None) if a == axis else slice(None) for a in range(array.ndim))
        spread = total.copy()
        spread[upper] += total[lower]
        spread[lower] += total[upper]
        total = spread
    return total


def ngtdm_matrix_features(matrix: Matrix) -> dict[str, float]:
    counts, s = matrix.counts
    total = counts.sum()
    p = counts / total
    present = p > 0
    grey = np.arange(1, p.size + 1, dtype=np.float64)[present]
    p, s = p[present], s[present]
    n_present = p.size
    weighted = np.sum(p * s)
    i, j = grey[:, None], grey[None, :]
    pi, pj = p[:, None], p[None, :]
    si, sj = s[:, None], s[None, :]
    contrast = (
        np.sum(pi * pj * (i - j) ** 2) / (n_present * (n_present - 1)) * np.sum(s) / total if n_present > 1 else 0.0
    )
    busy_denominator = np.sum(np.abs(i * pi - j * pj))
    return {
        "ngt_coarseness": 1.0 / weighted if weighted > 0 else 1e6,
        "ngt_contrast": contrast,
        "ngt_busyness": weighted / busy_denominator if busy_denominator > 0 else 0.0,
        "ngt_complexity": np.sum(np.abs(i - j) * (pi * si + pj * sj) / (pi + pj)) / total,
        "ngt_strength": np.sum((pi + pj) * (i - j) ** 2) / np.sum(s) if np.sum(s) > 0 else 0.0,
    }


def ngtdm_features(levels: np.ndarray, n_levels: int, dimensions=("2D", "3D")) -> dict[str, float]:
    """NGTDM features in 2D, 2.5D and 3D (tags like ``ngt_coarseness_3D``)."""
    return undirected_features(
        levels,
        n_levels,
        grey_tone_difference_matrix,
        lambda m: {k: float(v) for k, v in ngtdm_matrix_features(m).items()},
        dimensions,
    )


def dependence_matrix(levels: np.ndarray, n_levels: int, z: int | None) -> Matrix:
    """Counts of (grey level, dependence k): k = 1 + neighbours in the ROI with the same grey level."""
    padded = np.pad(levels, 1)  # ROI voxels (levels >= 1) never match the zeros outside
    inside = levels > 0
    dependence = np.ones(levels.shape, dtype=np.uint8)  # at most 27
    kernel = _kernel(in_plane=z is not None)
    for offset in np.argwhere(kernel > 0) - 1:
        window = tuple(slice(1 + o, 1 + o + n) for o, n in zip(offset, levels.shape))
        dependence += padded[window] == levels
    return size_matrix(levels[inside], dependence[inside], n_levels, int(inside.sum()))


def ngldm_features(levels: np.ndarray, n_levels: int, dimensions=("2D", "3D")) -> dict[str, float]:
    """NGLDM features in 2D, 2.5D and 3D (tags like ``ngl_lde_3D``)."""
    return undirected_features(
        levels, n_levels, dependence_matrix, lambda m: size_matrix_features(m, "ngl"), dimensions
    )
