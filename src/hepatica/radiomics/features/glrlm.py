"""Grey level run length matrix features (IBSI 3.7)."""

from __future__ import annotations

import numpy as np

from hepatica.radiomics.features.size_matrix_features import size_matrix_features
from hepatica.radiomics.features.texture import Matrix, directional_features, size_matrix


def runs(levels: np.ndarray, direction) -> tuple[np.ndarray, np.ndarray]:
    """Grey level and length of every run of equal ROI grey levels along ``direction``.

    The volume is sheared so that every line along ``direction`` becomes a row of a 2D array (other axes
    shift by the position along the direction's first non-zero axis), a zero ends each row, and runs are the
    stretches between changes of value in the flattened rows: linear time, no sorting."""
    d = np.asarray(direction)
    axis = int(np.flatnonzero(d)[0])
    if d[axis] < 0:
        d = -d  # the same lines
    others = [a for a in range(3) if a != axis]
    n = levels.shape
    # sheared coordinates: t along ``axis``; on every other axis c - t * d_c, shifted to start at 0
    index = np.indices(n, sparse=True)
    t = index[axis]
    shape, coords = [], []
    for a in others:
        shift = (n[axis] - 1) * max(0, d[a])
        shape.append(n[a] + (n[axis] - 1) * abs(d[a]))
        coords.append(index[a] - t * d[a] + shift)
    sheared = np.zeros((shape[0], shape[1], n[axis] + 1), dtype=levels.dtype)  # + 1: a zero ends each row
    sheared[coords[0], coords[1], t] = levels
    flat = sheared.ravel()
    boundaries = np.concatenate(([0], np.flatnonzero(flat[1:] != flat[:-1]) + 1))
    lengths = np.diff(np.append(boundaries, flat.size))
    grey = flat[boundaries]
    inside = grey > 0
    return grey[inside], lengths[inside]


def run_length_matrix(levels: np.ndarray, n_levels: int, direction) -> Matrix:
    grey, length = runs(levels, direction)
    return size_matrix(grey, length, n_levels, int((levels > 0).sum()))


def glrlm_features(levels: np.ndarray, n_levels: int, dimensions=("2D", "3D")) -> dict[str, float]:
    """GLRLM features under all six aggregation methods (tags like ``rlm_sre_3D_avg``)."""
    return directional_features(levels, n_levels, run_length_matrix, lambda m: size_matrix_features(m, "rlm"),
                                dimensions)
