"""Centred-grid resampling of arrays, as the bundled networks' training data were resampled.

The pyliverlesionseg models were trained on volumes resampled on a *centred* grid (the new grid has
``ceil(n * old / new)`` voxels and shares its centre with the old one), with box (area-weighted) averaging when
downsampling and linear interpolation when upsampling. SimpleITK and scipy resample point samples on a grid
anchored at the first voxel, which shifts the image by up to half a voxel and aliases when downsampling, so
this is written here: one sparse weight matrix per axis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import sparse


@dataclass(frozen=True)
class CentredAxis:
    """How a new axis of ``new_size`` voxels of ``new_spacing`` mm sits on an old axis of ``old_size``."""

    old_size: int
    old_spacing: float
    new_spacing: float

    @property
    def new_size(self) -> int:
        return max(1, math.ceil(self.old_size * self.old_spacing / self.new_spacing - 1e-6))

    @property
    def ratio(self) -> float:
        """New voxel length in old voxels."""
        return self.new_spacing / self.old_spacing

    def new_to_old_index(self, new_index: np.ndarray | float) -> np.ndarray | float:
        """Continuous old index of the centre of new voxel ``new_index``."""
        return (self.old_size - 1) / 2 + (np.asarray(new_index) - (self.new_size - 1) / 2) * self.ratio

    def weights(self) -> sparse.csr_matrix:
        """Matrix (new_size x old_size) that resamples along this axis."""
        if self.ratio > 1:
            return self._box_weights()
        return self._linear_weights()

    def _box_weights(self) -> sparse.csr_matrix:
        rows, cols, values = [], [], []
        for o in range(self.new_size):
            centre = float(self.new_to_old_index(o))
            low, high = centre - self.ratio / 2, centre + self.ratio / 2
            for i in range(max(0, math.floor(low + 0.5)), min(self.old_size, math.ceil(high + 0.5))):
                overlap = min(high, i + 0.5) - max(low, i - 0.5)
                if overlap > 0:
                    rows.append(o), cols.append(i), values.append(overlap)
        matrix = sparse.csr_matrix((values, (rows, cols)), shape=(self.new_size, self.old_size))
        # Renormalise by the covered length, so edge voxels half outside the image are not darkened.
        coverage = np.asarray(matrix.sum(axis=1)).ravel()
        return sparse.diags(1 / np.where(coverage > 0, coverage, 1)) @ matrix

    def _linear_weights(self) -> sparse.csr_matrix:
        return linear_weights(self.new_to_old_index(np.arange(self.new_size)), self.old_size)


def linear_weights(positions: np.ndarray, old_size: int) -> sparse.csr_matrix:
    """Matrix (len(positions) x old_size) interpolating linearly at continuous old indices (edges clamped)."""
    position = np.clip(np.asarray(positions, dtype=float), 0, old_size - 1)
    left = np.minimum(np.floor(position).astype(int), old_size - 1)
    right = np.minimum(left + 1, old_size - 1)
    fraction = position - left
    rows = np.concatenate([np.arange(len(position))] * 2)
    return sparse.csr_matrix(
        (np.concatenate([1 - fraction, fraction]), (rows, np.concatenate([left, right]))),
        shape=(len(position), old_size),
    )


def apply_along_axes(array: np.ndarray, matrices: list[sparse.spmatrix | None]) -> np.ndarray:
    """Multiply each axis of a 3D array by its (new x old) matrix; None leaves the axis alone."""
    result = np.asarray(array, dtype=np.float32)
    for axis, weights in enumerate(matrices):
        if weights is None:
            continue
        weights = weights.astype(np.float32)
        moved = np.moveaxis(result, axis, 0)
        flat = weights @ moved.reshape(moved.shape[0], -1)
        result = np.moveaxis(np.asarray(flat).reshape((weights.shape[0], *moved.shape[1:])), 0, axis)
    return np.ascontiguousarray(result, dtype=np.float32)


def resample_centred(array: np.ndarray, spacing: tuple[float, ...], new_spacing: tuple[float, ...]) -> np.ndarray:
    """Resample a 3D array (any axis order; ``spacing`` in the same order, mm) onto the centred grid."""
    matrices = [
        None if abs(old - new) < 1e-9 else CentredAxis(size, old, new).weights()
        for size, old, new in zip(array.shape, spacing, new_spacing)
    ]
    return apply_along_axes(array, matrices)


def centred_back(array: np.ndarray, old_shape: tuple[int, ...], old_spacing, new_spacing) -> np.ndarray:
    """Interpolate an array on the centred grid (``new_spacing``) back onto the original voxels (linear)."""
    matrices = []
    for size, old, new, new_size in zip(old_shape, old_spacing, new_spacing, array.shape):
        axis = CentredAxis(size, old, new)
        if axis.new_size != new_size:
            raise ValueError(f"array has {new_size} voxels on an axis where the centred grid has {axis.new_size}")
        # old voxel i sits at new continuous index (i - (n-1)/2) / ratio + (m-1)/2
        positions = (np.arange(size) - (size - 1) / 2) / axis.ratio + (new_size - 1) / 2
        matrices.append(None if abs(old - new) < 1e-9 else linear_weights(positions, new_size))
    return apply_along_axes(array, matrices)
