"""Grey level run length matrix features (IBSI 3.7)."""

from __future__ import annotations

import numpy as np

from hepatica.radiomics.features.size_matrix_features import size_matrix_features
from hepatica.radiomics.features.texture import Matrix, directional_features, size_matrix


def runs(levels: np.ndarray, direction) -> tuple[np.ndarray, np.ndarray]:
    """Grey level and length of every run of equal ROI grey levels along ``direction``.

    The volume is sheared so that every line along ``direction`` becomes a row of a 2D array (each plane across
    the direction's first non-zero axis shifts by its position on the other axes), a zero ends each row, and
    runs are the stretches between changes of value in the flattened rows: linear time, no sorting."""
    d = np.asarray(direction)
    n = levels.shape
    axis = min(np.flatnonzero(d), key=lambda a: n[a])  # lines are indexed by their position on this axis
    if d[axis] < 0:
        d = -d  # the same lines
    others = [a for a in range(3) if a != axis]
    steps = [int(d[a]) for a in others]
    size = [n[a] + (n[axis] - 1) * abs(step) for a, step in zip(others, steps)]
    rows = np.zeros((size[0], size[1], n[axis] + 1), dtype=levels.dtype)  # + 1: a zero ends each row
    if steps == [0, 0]:
        rows[:, :, :-1] = np.moveaxis(levels, axis, -1)
    else:
        planes, stack = np.moveaxis(levels, axis, 0), np.moveaxis(rows, -1, 0)
        for t in range(n[axis]):
            first = [(n[axis] - 1) * max(0, step) - t * step for step in steps]
            stack[t, first[0] : first[0] + n[others[0]], first[1] : first[1] + n[others[1]]] = planes[t]
    flat = rows.ravel()
    boundaries = np.concatenate(([0], np.flatnonzero(flat[1:] != flat[:-1]) + 1))
    lengths = np.diff(np.append(boundaries, flat.size))
    grey = flat[boundaries]
    inside = grey > 0
    return grey[inside], lengths[inside]


def run_length_matrix(levels: np.ndarray, n_levels: int, direction) -> Matrix:
    grey, length = runs(levels, direction)
    return size_matrix(grey, length, n_levels, np.count_nonzero(levels))


def glrlm_features(levels: np.ndarray, n_levels: int, dimensions=("2D", "3D")) -> dict[str, float]:
    """GLRLM features under all six aggregation methods (tags like ``rlm_sre_3D_avg``)."""
    return directional_features(
        levels, n_levels, run_length_matrix, lambda m: size_matrix_features(m, "rlm"), dimensions
    )
