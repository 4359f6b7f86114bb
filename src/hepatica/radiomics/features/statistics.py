"""Intensity-based statistics (IBSI 3.3) and the shared moments used by the intensity histogram (3.4)."""

from __future__ import annotations

import numpy as np


def distribution_features(values: np.ndarray, prefix: str) -> dict[str, float]:
    """The 17 features that IBSI defines identically on intensities (``stat_``) and grey levels (``ih_``)."""
    x = np.asarray(values, dtype=np.float64)
    mean = x.mean()
    centred = x - mean
    variance = np.mean(centred**2)
    p10, p25, median, p75, p90 = np.percentile(x, [10, 25, 50, 75, 90])
    robust = x[(x >= p10) & (x <= p90)]
    return {
        f"{prefix}_mean": mean,
        f"{prefix}_var": variance,
        f"{prefix}_skew": np.mean(centred**3) / variance**1.5 if variance > 0 else 0.0,
        f"{prefix}_kurt": np.mean(centred**4) / variance**2 - 3.0 if variance > 0 else 0.0,
        f"{prefix}_median": median,
        f"{prefix}_min": x.min(),
        f"{prefix}_p10": p10,
        f"{prefix}_p90": p90,
        f"{prefix}_max": x.max(),
        f"{prefix}_iqr": p75 - p25,
        f"{prefix}_range": x.max() - x.min(),
        f"{prefix}_mad": np.mean(np.abs(centred)),
        f"{prefix}_rmad": np.mean(np.abs(robust - robust.mean())),
        f"{prefix}_medad": np.mean(np.abs(x - median)),
        f"{prefix}_cov": np.sqrt(variance) / mean if mean != 0 else np.nan,
        f"{prefix}_qcod": (p75 - p25) / (p75 + p25) if (p75 + p25) != 0 else np.nan,
    }


def statistics_features(values: np.ndarray) -> dict[str, float]:
    """The 18 intensity-based statistical features of the intensities in the ROI intensity mask."""
    x = np.asarray(values, dtype=np.float64)
    features = distribution_features(x, "stat")
    features["stat_energy"] = float(np.sum(x**2))
    features["stat_rms"] = float(np.sqrt(np.mean(x**2)))
    return {k: float(v) for k, v in features.items()}
