"""Intensity histogram features (IBSI 3.4) of discretised grey levels."""

from __future__ import annotations

import numpy as np

from hepatica.radiomics.features.statistics import distribution_features


def histogram_features(levels: np.ndarray, n_levels: int) -> dict[str, float]:
    """The 23 intensity histogram features of grey levels 1..``n_levels`` (``levels`` inside the ROI, 1D)."""
    levels = np.asarray(levels)
    features = distribution_features(levels, "ih")
    counts = np.bincount(levels, minlength=n_levels + 1)[1:].astype(np.float64)
    p = counts / counts.sum()
    grey = np.arange(1, n_levels + 1)
    modes = grey[counts == counts.max()]
    features["ih_mode"] = modes[np.argmin(np.abs(modes - features["ih_mean"]))]  # ties: the one nearest the mean
    nonzero = p[p > 0]
    features["ih_entropy"] = -np.sum(nonzero * np.log2(nonzero))
    features["ih_uniformity"] = np.sum(p**2)
    gradient = np.gradient(counts) if n_levels > 1 else np.zeros(1)
    features["ih_max_grad"] = gradient.max()
    features["ih_max_grad_g"] = grey[np.argmax(gradient)]
    features["ih_min_grad"] = gradient.min()
    features["ih_min_grad_g"] = grey[np.argmin(gradient)]
    return {k: float(v) for k, v in features.items()}
