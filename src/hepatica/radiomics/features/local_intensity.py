"""Local intensity features (IBSI 3.2): mean intensity in a 1 cm^3 sphere around ROI voxels.

The sphere's mean is an FFT convolution over the whole image (the neighbourhood may leave the ROI; outside the
image counts as absent, so the mean divides by the voxels that exist)."""

from __future__ import annotations

import numpy as np
from scipy import signal

SPHERE_RADIUS_MM = 10.0 * (3.0 / (4.0 * np.pi)) ** (1.0 / 3.0)  # 1 cm^3


def _sphere(spacing_mm) -> np.ndarray:
    half = [int(np.floor(SPHERE_RADIUS_MM / s)) for s in spacing_mm]
    grids = np.meshgrid(*[np.arange(-h, h + 1) * s for h, s in zip(half, spacing_mm)], indexing="ij")
    return (sum(g**2 for g in grids) <= SPHERE_RADIUS_MM**2).astype(np.float64)


def local_intensity_features(image: np.ndarray, mask: np.ndarray, spacing_mm) -> dict[str, float]:
    """Local intensity peak (around the brightest ROI voxels) and global intensity peak (over all ROI voxels)."""
    sphere = _sphere(spacing_mm)
    box = tuple(slice(max(0, s.start - h), s.stop + h) for s, h in
                zip(_bounding_box(mask), (n // 2 for n in sphere.shape)))
    sub_image, sub_mask = image[box], mask[box]
    sums = signal.fftconvolve(sub_image, sphere, mode="same")
    counts = signal.fftconvolve(np.ones_like(sub_image), sphere, mode="same")
    means = sums / np.rint(counts)
    in_roi = means[sub_mask]
    brightest = sub_image[sub_mask] == sub_image[sub_mask].max()
    return {"loc_peak_loc": float(in_roi[brightest].max()), "loc_peak_glob": float(in_roi.max())}


def _bounding_box(mask: np.ndarray) -> tuple[slice, ...]:
    where = np.nonzero(mask)
    return tuple(slice(int(w.min()), int(w.max()) + 1) for w in where)
