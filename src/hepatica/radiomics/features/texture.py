"""Texture matrices (IBSI 3.6-3.11) and their aggregation over slices and directions.

Levels arrays are (z, y, x) with grey levels 1..Ng inside the ROI and 0 outside. "2D" works slice by slice
(axial, in-plane neighbours), "3D" on the volume. IBSI's aggregation methods map to the tags' suffixes:
``2D_avg`` (a matrix per slice and direction, features averaged), ``2D_comb`` (directions merged per slice),
``2_5D_avg`` (slices merged per direction), ``2_5D_comb`` (everything merged), ``3D_avg`` (a matrix per 3D
direction, features averaged), ``3D_comb`` (directions merged). Matrices without directions (zones,
neighbourhoods) have ``2D`` (per slice, averaged), ``2_5D`` (slices merged) and ``3D``.

Written here rather than taken from PyRadiomics, whose matrices miss the 2.5D methods and several IBSI
definitions (see ../shared/docs/peers.md), and vectorised with numpy so that whole-liver ROIs stay fast.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# Unique directions at Chebyshev distance 1 (one of each opposite pair), as (dz, dy, dx)
DIRECTIONS_3D = [d for d in itertools.product((-1, 0, 1), repeat=3) if d > (0, 0, 0)]
DIRECTIONS_2D = [d for d in DIRECTIONS_3D if d[0] == 0]


@dataclass
class Matrix:
    """One texture matrix with the number of ROI voxels it was counted over (IBSI's N_v). A grey level x size
    matrix (runs, zones, dependences) keeps only the sizes that occur, as its columns' ``sizes``: zone sizes
    reach 10^6 on a liver, of which a few thousand occur."""

    counts: np.ndarray
    voxels: int
    sizes: np.ndarray | None = None  # ascending; None for matrices without a size axis

    def __add__(self, other: Matrix) -> Matrix:
        """Merged matrix; missing rows, columns or sizes count zero."""
        rows = max(self.counts.shape[0], other.counts.shape[0])
        voxels = self.voxels + other.voxels
        if self.sizes is not None:
            sizes = np.union1d(self.sizes, other.sizes)
            counts = np.zeros((rows, sizes.size))
            for part in (self, other):
                counts[: part.counts.shape[0], np.searchsorted(sizes, part.sizes)] += part.counts
            return Matrix(counts, voxels, sizes)
        shape = (rows,) + tuple(max(a, b) for a, b in zip(self.counts.shape[1:], other.counts.shape[1:]))
        return Matrix(_padded(self.counts, shape) + _padded(other.counts, shape), voxels)


def shifted_pairs(levels: np.ndarray, direction) -> tuple[np.ndarray, np.ndarray]:
    """Grey levels of every voxel pair (v, v + direction) with both voxels in the ROI."""
    source, target = [], []
    for step, n in zip(direction, levels.shape):
        source.append(slice(max(0, -step), n - max(0, step)))
        target.append(slice(max(0, step), n - max(0, -step)))
    a, b = levels[tuple(source)], levels[tuple(target)]
    both = (a > 0) & (b > 0)
    return a[both], b[both]


def per_slice(levels: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """(z, slice as a one-slice volume) for the axial slices that hold ROI voxels."""
    return [(z, levels[z : z + 1]) for z in range(levels.shape[0]) if levels[z].any()]


def directional_features(
    levels: np.ndarray,
    n_levels: int,
    build: Callable[[np.ndarray, int, tuple], Matrix],
    features: Callable[[Matrix], dict[str, float]],
    dimensions: tuple[str, ...] = ("2D", "3D"),
) -> dict[str, float]:
    """Features of a directional matrix (GLCM, GLRLM) under IBSI's aggregation methods: "2D" gives the 2D and
    2.5D ones, "3D" the 3D ones."""
    results = {}
    if "2D" in dimensions:
        by_slice = [[build(part, n_levels, d) for d in DIRECTIONS_2D] for _, part in per_slice(levels)]
        results["2D_avg"] = _mean([features(m) for row in by_slice for m in row if m.counts.any()])
        results["2D_comb"] = _mean([features(_merge(row)) for row in by_slice])
        results["2_5D_avg"] = _mean([features(_merge(column)) for column in zip(*by_slice)])
        results["2_5D_comb"] = features(_merge([m for row in by_slice for m in row]))
    if "3D" in dimensions:
        by_direction = [build(levels, n_levels, d) for d in DIRECTIONS_3D]
        results["3D_avg"] = _mean([features(m) for m in by_direction if m.counts.any()])
        results["3D_comb"] = features(_merge(by_direction))
    return {f"{tag}_{suffix}": value for suffix, values in results.items() for tag, value in values.items()}


def undirected_features(
    levels: np.ndarray,
    n_levels: int,
    build: Callable[[np.ndarray, int, int | None], Matrix],
    features: Callable[[Matrix], dict[str, float]],
    dimensions: tuple[str, ...] = ("2D", "3D"),
) -> dict[str, float]:
    """Features of a matrix without directions (GLSZM, GLDZM, NGTDM, NGLDM): "2D" gives 2D and 2.5D, "3D" 3D.

    ``build(part, n_levels, z)`` gets one slice and its index ``z``, or the volume and None."""
    results = {}
    if "2D" in dimensions:
        by_slice = [build(part, n_levels, z) for z, part in per_slice(levels)]
        results["2D"] = _mean([features(m) for m in by_slice])
        results["2_5D"] = features(_merge(by_slice))
    if "3D" in dimensions:
        results["3D"] = features(build(levels, n_levels, None))
    return {f"{tag}_{suffix}": value for suffix, values in results.items() for tag, value in values.items()}


def _merge(matrices: list[Matrix]) -> Matrix:
    total = matrices[0]
    for m in matrices[1:]:
        total = total + m
    return total


def _mean(dicts: list[dict[str, float]]) -> dict[str, float]:
    return {key: float(np.mean([d[key] for d in dicts])) for key in dicts[0]}


def _padded(counts: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    if counts.shape == shape:
        return counts
    return np.pad(counts, [(0, n - c) for n, c in zip(shape, counts.shape)])


def size_matrix(levels: np.ndarray, sizes: np.ndarray, n_levels: int, voxels: int) -> Matrix:
    """Counts of (grey level, size) pairs, e.g. runs by length or zones by size: rows 1..Ng, a column per size
    that occurs."""
    if sizes.size == 0:
        return Matrix(np.zeros((n_levels, 1)), voxels, np.ones(1, dtype=np.int64))
    occurring = np.bincount(sizes)
    used = np.flatnonzero(occurring)
    column = np.zeros(occurring.size, dtype=np.intp)
    column[used] = np.arange(used.size)
    index = (levels.astype(np.intp) - 1) * used.size + column[sizes]
    counts = np.bincount(index, minlength=n_levels * used.size).reshape(n_levels, used.size)
    return Matrix(counts.astype(np.float64), voxels, used)
