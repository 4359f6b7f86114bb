"""Intensity-volume histogram features (IBSI 3.5)."""

from __future__ import annotations

import numpy as np


def ivh_features(values: np.ndarray, low: float, high: float, step: float) -> dict[str, float]:
    """IVH features of discretised intensities ``values`` over the total range [``low``, ``high``] sampled every
    ``step`` (IBSI's G and w_d: e.g. the re-segmentation range and 1 HU for CT, grey levels 1..Ng and 1 otherwise)."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    intensities = np.arange(low, high + step / 2, step)
    # fraction of the volume with intensity >= i
    volume = 1.0 - np.searchsorted(x, intensities - step * 1e-9, side="left") / x.size
    fraction = (intensities - low) / (high - low) if high > low else np.zeros_like(intensities)

    def volume_at(percent: float) -> float:
        at_least = fraction >= percent / 100.0
        return float(volume[at_least].max()) if at_least.any() else 0.0

    def intensity_at(percent: float) -> float:
        at_most = volume <= percent / 100.0
        return float(intensities[at_most].min()) if at_most.any() else float(high + step)

    features = {
        "ivh_v10": volume_at(10),
        "ivh_v90": volume_at(90),
        "ivh_i10": intensity_at(10),
        "ivh_i90": intensity_at(90),
    }
    features["ivh_diff_v10_v90"] = features["ivh_v10"] - features["ivh_v90"]
    features["ivh_diff_i10_i90"] = features["ivh_i10"] - features["ivh_i90"]
    features["ivh_auc"] = float(np.trapezoid(volume, fraction)) if intensities.size > 1 else 0.0
    return features
