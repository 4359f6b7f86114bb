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
    """One texture matrix with the number of ROI voxels it was counted over (IBSI's N_v)."""

    counts: np.ndarray
    voxels: int

    def __add__(self, other: Matrix) -> Matrix:
        """Merged matrix; run, zone or count axes of different lengths are padded with zeros."""
        shape = tuple(max(a, b) for a, b in zip(self.counts.shape, other.counts.shape))
        return Matrix(_padded(self.counts, shape) + _padded(other.counts, shape), self.voxels + other.voxels)


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
    return [(z, levels[z:z + 1]) for z in range(levels.shape[0]) if levels[z].any()]


def directional_features(levels: np.ndarray, n_levels: int, build: Callable[[np.ndarray, int, tuple], Matrix],
                         features: Callable[[Matrix], dict[str, float]],
                         dimensions: tuple[str, ...] = ("2D", "3D")) -> dict[str, float]:
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


def undirected_features(levels: np.ndarray, n_levels: int,
                        build: Callable[[np.ndarray, int, int | None], Matrix],
                        features: Callable[[Matrix], dict[str, float]],
                        dimensions: tuple[str, ...] = ("2D", "3D")) -> dict[str, float]:
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
    """Counts of (grey level, size) pairs, e.g. runs by length or zones by size: rows 1..Ng, columns 1..max."""
    width = int(sizes.max()) if sizes.size else 1
    counts = np.bincount((levels - 1) * width + (sizes - 1), minlength=n_levels * width)
    return Matrix(counts.reshape(n_levels, width).astype(np.float64), voxels)
