"""Intensity-based statistics (IBSI 3.3) and the shared moments used by the intensity histogram (3.4)."""

from __future__ import annotations

import numpy as np


def distribution_features(values: np.ndarray, prefix: str) -> dict[str, float]:
    """The 17 features that IBSI defines identically on intensities (``stat_``) and grey levels (``ih_``)."""
    distinct, weights = _value_counts(np.asarray(values))
    n = weights.sum()
    mean = np.dot(weights, distinct) / n
    centred = distinct - mean
    squared = centred * centred
    variance = np.dot(weights, squared) / n

    def percentiles(q):  # numpy's default ("linear") percentiles of the full sample
        position = np.asarray(q) / 100.0 * (n - 1)
        below = np.floor(position)
        ends = np.searchsorted(np.cumsum(weights), np.stack([below, np.minimum(below + 1, n - 1)]), side="right")
        low, high = distinct[ends]
        return low + (position - below) * (high - low)

    p10, p25, median, p75, p90 = percentiles([10, 25, 50, 75, 90])
    robust = (distinct >= p10) & (distinct <= p90)
    robust_mean = np.dot(weights[robust], distinct[robust]) / weights[robust].sum()
    low, high = distinct[0], distinct[-1]
    return {
        f"{prefix}_mean": mean,
        f"{prefix}_var": variance,
        f"{prefix}_skew": np.dot(weights, squared * centred) / n / variance**1.5 if variance > 0 else 0.0,
        f"{prefix}_kurt": np.dot(weights, squared * squared) / n / variance**2 - 3.0 if variance > 0 else 0.0,
        f"{prefix}_median": median,
        f"{prefix}_min": low,
        f"{prefix}_p10": p10,
        f"{prefix}_p90": p90,
        f"{prefix}_max": high,
        f"{prefix}_iqr": p75 - p25,
        f"{prefix}_range": high - low,
        f"{prefix}_mad": np.dot(weights, np.abs(centred)) / n,
        f"{prefix}_rmad": np.dot(weights[robust], np.abs(distinct[robust] - robust_mean)) / weights[robust].sum(),
        f"{prefix}_medad": np.dot(weights, np.abs(distinct - median)) / n,
        f"{prefix}_cov": np.sqrt(variance) / mean if mean != 0 else np.nan,
        f"{prefix}_qcod": (p75 - p25) / (p75 + p25) if (p75 + p25) != 0 else np.nan,
    }


def _value_counts(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of ``x`` (ascending, float64) and how often each occurs. Integer-valued samples
    (CT in HU, grey levels) are counted with a histogram, in linear time; others are sorted."""
    if x.dtype.kind in "iu" or (x.size and np.array_equal(x, np.rint(x))):
        low, high = int(x.min()), int(x.max())
        if high - low <= 4 * x.size + 65536:  # a histogram no larger than the sample
            counts = np.bincount((x - low).astype(np.intp), minlength=high - low + 1)
            present = np.flatnonzero(counts)
            return (present + low).astype(np.float64), counts[present].astype(np.float64)
    distinct, counts = np.unique(x.astype(np.float64), return_counts=True)
    return distinct, counts.astype(np.float64)


def statistics_features(values: np.ndarray) -> dict[str, float]:
    """The 18 intensity-based statistical features of the intensities in the ROI intensity mask."""
    x = np.asarray(values, dtype=np.float64)
    features = distribution_features(x, "stat")
    energy = float(np.dot(x, x))
    features["stat_energy"] = energy
    features["stat_rms"] = float(np.sqrt(energy / x.size))
    return {k: float(v) for k, v in features.items()}
