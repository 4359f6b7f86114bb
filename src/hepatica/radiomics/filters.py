"""Convolutional filters for higher-order features, with IBSI-2 conventions: mean, Laplacian of Gaussian and
undecimated separable wavelets (Haar, Daubechies, Coiflet, ...: any PyWavelets orthogonal wavelet).

Boundary condition: "mirror" (IBSI-2), i.e. the image continues as its mirror image including the edge voxel
(numpy's "symmetric", scipy.ndimage's "reflect"). Filters are convolutions; "2D" filters work in the axial
plane. Arrays are (z, y, x), sizes in mm with the spacing in the same order."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import scipy.fft
from scipy import ndimage

from hepatica.radiomics.roi import RadiomicsInputError

BOUNDARY = "reflect"  # scipy's name for IBSI's "mirror"


@dataclass(frozen=True)
class FilterSpec:
    """One filter: kind "mean" (support in voxels), "log" (sigma in mm, truncated at ``truncate`` sigma) or
    "wavelet" (``wavelet`` name, ``subband`` like "LLH" ordered x, y, z, ``level``, ``rotation_invariant``)."""

    kind: str
    support: int = 5
    sigma_mm: float = 1.0
    truncate: float = 4.0
    wavelet: str = "db3"
    subband: str = "LLH"
    level: int = 1
    rotation_invariant: bool = False

    @property
    def name(self) -> str:
        if self.kind == "mean":
            return f"mean_{self.support}"
        if self.kind == "log":
            return f"log_{self.sigma_mm:g}mm"
        if self.kind == "wavelet":
            return f"wavelet_{self.wavelet}_{self.subband}_level{self.level}" + (
                "_ri" if self.rotation_invariant else ""
            )
        raise RadiomicsInputError(f"unknown filter {self.kind!r}; use mean, log or wavelet")

    def radius_mm(self, spacing_mm) -> float:
        """How far the response at a voxel reads (mm), so a crop around the ROI can keep exact values."""
        largest = max(spacing_mm)
        if self.kind == "mean":
            return (self.support // 2) * largest
        if self.kind == "log":
            return self.truncate * self.sigma_mm + largest
        taps = len(_wavelet(self.wavelet).dec_lo)
        return sum((taps - 1) * 2**level for level in range(self.level)) * largest

    def apply(self, image: np.ndarray, spacing_mm, by_slice: bool = False) -> np.ndarray:
        if self.kind == "mean":
            size = (1, self.support, self.support) if by_slice else (self.support,) * 3
            return ndimage.uniform_filter(image.astype(np.float64), size=size, mode=BOUNDARY)
        if self.kind == "log":
            return laplacian_of_gaussian(image, self.sigma_mm, spacing_mm, self.truncate, by_slice)
        if self.kind == "wavelet":
            return wavelet_response(image, self.wavelet, self.subband, self.level, self.rotation_invariant, by_slice)
        raise RadiomicsInputError(f"unknown filter {self.kind!r}; use mean, log or wavelet")


def laplacian_of_gaussian(
    image: np.ndarray, sigma_mm: float, spacing_mm, truncate: float = 4.0, by_slice: bool = False
) -> np.ndarray:
    """IBSI-2 LoG: the sampled kernel -1/s^2 (1/(sqrt(2 pi) s))^D (D - |k|^2/s^2) exp(-|k|^2 / 2 s^2) on a cube
    reaching ``truncate`` sigma from its centre, convolved by FFT over the mirror-padded image.

    IBSI-2 writes the kernel in voxel units (s and k in voxels): that is the kernel in mm times the voxel size
    to the power D + 2 (the geometric mean of the filtered axes' spacings when they differ)."""
    axes = [1, 2] if by_slice else [0, 1, 2]
    dimensions = len(axes)
    radius = [int(math.ceil(truncate * sigma_mm / spacing_mm[a])) if a in axes else 0 for a in range(3)]
    grids = np.meshgrid(*[np.arange(-r, r + 1) * s for r, s in zip(radius, spacing_mm)], indexing="ij", sparse=True)
    squared = sum(g**2 for g in grids)
    voxel = math.prod(spacing_mm[a] for a in axes) ** (1 / dimensions)
    kernel = (
        -1
        / sigma_mm**2
        * (1 / (math.sqrt(2 * math.pi) * sigma_mm)) ** dimensions
        * (dimensions - squared / sigma_mm**2)
        * np.exp(-squared / (2 * sigma_mm**2))
    ) * voxel ** (dimensions + 2)
    padded = np.pad(image.astype(np.float64), [(r, r) for r in radius], mode="symmetric")
    return _valid_convolution(padded, kernel)


def _valid_convolution(padded: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """scipy.signal.fftconvolve(padded, kernel, mode="valid") with a circular FFT of the input's size: the
    wrap-around only reaches the outputs that "valid" drops, so no extra padding (and a third less memory)."""
    shape = [scipy.fft.next_fast_len(n, real=True) for n in padded.shape]
    spectrum = scipy.fft.rfftn(padded, shape, workers=-1)
    spectrum *= scipy.fft.rfftn(kernel, shape, workers=-1)
    full = scipy.fft.irfftn(spectrum, shape, workers=-1)
    return full[tuple(slice(k - 1, n) for k, n in zip(kernel.shape, padded.shape))]


def _wavelet(name: str):
    import pywt

    try:
        return pywt.Wavelet(name)
    except ValueError:
        raise RadiomicsInputError(f"unknown wavelet {name!r}; e.g. haar, db2, db3, coif1, sym4") from None


def _separable(image: np.ndarray, kernels: dict[int, tuple[np.ndarray, int]]) -> np.ndarray:
    result = image
    for axis, (kernel, origin) in kernels.items():
        result = ndimage.convolve1d(result, kernel, axis=axis, mode=BOUNDARY, origin=origin)
    return result


def _dilated(kernel: np.ndarray, level: int) -> tuple[np.ndarray, int]:
    """The kernel with 2^(level-1) - 1 zeros between taps (the undecimated "a trous" transform) and its scipy
    origin. The centre tap is the one before the middle for even lengths (the extra tap lies on the side of
    the following voxels), and stays that tap when dilated."""
    step = 2 ** (level - 1)
    out = np.zeros((len(kernel) - 1) * step + 1)
    out[::step] = kernel
    centre = (len(kernel) - 1) // 2 * step
    return out, centre - len(out) // 2


def wavelet_response(
    image: np.ndarray,
    wavelet: str,
    subband: str,
    level: int = 1,
    rotation_invariant: bool = False,
    by_slice: bool = False,
) -> np.ndarray:
    """Undecimated separable wavelet sub-band (``subband`` letters per axis x, y[, z]: L low-pass, H high-pass)
    at ``level`` (levels > 1 filter the all-low-pass band of the level before with dilated kernels).
    Rotation invariance averages the responses over the 24 right-angle rotations (4 in-plane in 2D)."""
    w = _wavelet(wavelet)
    letters = subband.upper()
    if len(letters) != (2 if by_slice else 3) or set(letters) - {"L", "H"}:
        raise RadiomicsInputError(f"sub-band {subband!r}: give {'2' if by_slice else '3'} letters of L and H")
    if level < 1:
        raise RadiomicsInputError("wavelet level must be >= 1")
    low, high = np.asarray(w.dec_lo[::-1]), np.asarray(w.dec_hi[::-1])  # decomposition filters as convolution kernels
    axes = (2, 1) if by_slice else (2, 1, 0)  # x, y, z

    def response(volume: np.ndarray) -> np.ndarray:
        current = volume.astype(np.float64)
        for lvl in range(1, level):
            current = _separable(current, {a: _dilated(low, lvl) for a in axes})
        bands = {a: _dilated(low if c == "L" else high, level) for a, c in zip(axes, letters)}
        return _separable(current, bands)

    if not rotation_invariant:
        return response(image)
    rotations = list(_rotations(by_slice))
    total = np.zeros(image.shape)
    for forward, backward in rotations:
        total += backward(response(forward(image)))
    return total / len(rotations)


def _rotations(by_slice: bool):
    """(rotate, undo) pairs: the 24 proper rotations of a volume by right angles (4 in the axial plane)."""
    if by_slice:
        for k in range(4):
            yield (lambda a, k=k: np.rot90(a, k, axes=(1, 2))), (lambda a, k=k: np.rot90(a, -k, axes=(1, 2)))
        return
    seen = set()
    for permutation in itertools.permutations(range(3)):
        for signs in itertools.product((1, -1), repeat=3):
            matrix = np.zeros((3, 3), dtype=int)
            for row, (column, sign) in enumerate(zip(permutation, signs)):
                matrix[row, column] = sign
            if round(np.linalg.det(matrix)) != 1 or matrix.tobytes() in seen:
                continue
            seen.add(matrix.tobytes())

            def forward(a, permutation=permutation, signs=signs):
                a = np.transpose(a, permutation)
                return a[tuple(slice(None, None, s) for s in signs)]

            def backward(a, permutation=permutation, signs=signs):
                a = a[tuple(slice(None, None, s) for s in signs)]
                return np.transpose(a, np.argsort(permutation))

            yield forward, backward
