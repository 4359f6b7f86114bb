"""Local intensity features (IBSI 3.2): mean intensity in a 1 cm^3 sphere around ROI voxels.

The sphere's mean is an FFT convolution over the ROI's box and the sphere's reach around it (the neighbourhood
may leave the ROI; outside the image counts as absent, so the mean divides by the voxels that exist), in single
precision: sums of ~10^4 voxels keep a relative error near 1e-6, far inside IBSI's tolerances."""

from __future__ import annotations

import numpy as np
import scipy.fft

from hepatica.boxes import bounding_box

SPHERE_RADIUS_MM = 10.0 * (3.0 / (4.0 * np.pi)) ** (1.0 / 3.0)  # 1 cm^3


def _sphere(spacing_mm) -> np.ndarray:
    half = [int(np.floor(SPHERE_RADIUS_MM / s)) for s in spacing_mm]
    grids = np.meshgrid(*[np.arange(-h, h + 1) * s for h, s in zip(half, spacing_mm)], indexing="ij")
    return (sum(g**2 for g in grids) <= SPHERE_RADIUS_MM**2).astype(np.float32)


def local_intensity_features(image: np.ndarray, mask: np.ndarray, spacing_mm) -> dict[str, float]:
    """Local intensity peak (around the brightest ROI voxels) and global intensity peak (over all ROI voxels)."""
    sphere = _sphere(spacing_mm)
    reach = [n // 2 for n in sphere.shape]
    box = tuple(slice(max(0, s.start - h), s.stop + h) for s, h in zip(bounding_box(mask), reach))
    sub_image, sub_mask = image[box], mask[box]
    shape = [scipy.fft.next_fast_len(n + k - 1, real=True) for n, k in zip(sub_image.shape, sphere.shape)]
    sphere_spectrum = scipy.fft.rfftn(sphere, shape, workers=-1)
    same = tuple(slice(h, h + n) for h, n in zip(reach, sub_image.shape))  # scipy.signal's mode="same"

    def sphere_sums(array: np.ndarray) -> np.ndarray:  # at the ROI voxels
        spectrum = scipy.fft.rfftn(array.astype(np.float32), shape, workers=-1)
        spectrum *= sphere_spectrum
        return scipy.fft.irfftn(spectrum, shape, workers=-1)[same][sub_mask].astype(np.float64)

    sums = sphere_sums(sub_image)
    clipped = any(s.start - h < 0 or s.stop + h > n for s, h, n in zip(bounding_box(mask), reach, image.shape))
    # spheres reach outside the image only where the box was clipped at its border
    counts = np.rint(sphere_sums(np.ones(sub_image.shape, np.float32))) if clipped else sphere.sum()
    means = sums / counts
    values = sub_image[sub_mask]
    brightest = values == values.max()
    return {"loc_peak_loc": float(means[brightest].max()), "loc_peak_glob": float(means.max())}
