"""Intensity-based statistics (IBSI 3.3) and the shared moments used by the intensity histogram (3.4)."""

from __future__ import annotations

import numpy as np


def distribution_features(values: np.ndarray, prefix: str) -> dict[str, float]:
    """The 17 features that IBSI defines identically on intensities (``stat_``) and grey levels (``ih_``).

    Integer-valued samples (HU, grey levels) are summarised from their histogram in linear time; others
    directly, with percentiles by partial sorting."""
    x = np.asarray(values)
    counted = _value_counts(x)
    if counted is None:
        return _sample_features(x.astype(np.float64), prefix)
    distinct, weights = counted
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
    return _assemble(
        prefix,
        mean,
        variance,
        np.dot(weights, squared * centred) / n,
        np.dot(weights, squared * squared) / n,
        (p10, p25, median, p75, p90),
        distinct[0],
        distinct[-1],
        np.dot(weights, np.abs(centred)) / n,
        np.dot(weights[robust], np.abs(distinct[robust] - robust_mean)) / weights[robust].sum(),
        np.dot(weights, np.abs(distinct - median)) / n,
    )


def _sample_features(x: np.ndarray, prefix: str) -> dict[str, float]:
    n = x.size
    mean = x.mean()
    centred = x - mean
    squared = centred * centred
    variance = squared.sum() / n
    p10, p25, median, p75, p90 = quartiles = np.percentile(x, [10, 25, 50, 75, 90])
    robust = x[(x >= p10) & (x <= p90)]
    return _assemble(
        prefix,
        mean,
        variance,
        np.dot(squared, centred) / n,
        np.dot(squared, squared) / n,
        quartiles,
        x.min(),
        x.max(),
        np.abs(centred).sum() / n,
        np.abs(robust - robust.mean()).mean(),
        np.abs(x - median).sum() / n,
    )


def _assemble(prefix, mean, variance, third, fourth, quantiles, low, high, mad, rmad, medad) -> dict[str, float]:
    p10, p25, median, p75, p90 = quantiles
    return {
        f"{prefix}_mean": mean,
        f"{prefix}_var": variance,
        f"{prefix}_skew": third / variance**1.5 if variance > 0 else 0.0,
        f"{prefix}_kurt": fourth / variance**2 - 3.0 if variance > 0 else 0.0,
        f"{prefix}_median": median,
        f"{prefix}_min": low,
        f"{prefix}_p10": p10,
        f"{prefix}_p90": p90,
        f"{prefix}_max": high,
        f"{prefix}_iqr": p75 - p25,
        f"{prefix}_range": high - low,
        f"{prefix}_mad": mad,
        f"{prefix}_rmad": rmad,
        f"{prefix}_medad": medad,
        f"{prefix}_cov": np.sqrt(variance) / mean if mean != 0 else np.nan,
        f"{prefix}_qcod": (p75 - p25) / (p75 + p25) if (p75 + p25) != 0 else np.nan,
    }


def _value_counts(x: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The distinct values of an integer-valued sample (ascending, float64) and how often each occurs, from
    a histogram; None for other samples."""
    if x.size == 0 or not (x.dtype.kind in "iu" or np.array_equal(x, np.rint(x))):
        return None
    low, high = int(x.min()), int(x.max())
    if high - low > 4 * x.size + 65536:  # a histogram larger than the sample
        return None
    counts = np.bincount((x - low).astype(np.intp), minlength=high - low + 1)
    present = np.flatnonzero(counts)
    return (present + low).astype(np.float64), counts[present].astype(np.float64)


def statistics_features(values: np.ndarray) -> dict[str, float]:
    """The 18 intensity-based statistical features of the intensities in the ROI intensity mask."""
    x = np.asarray(values, dtype=np.float64)
    features = distribution_features(x, "stat")
    energy = float(np.dot(x, x))
    features["stat_energy"] = energy
    features["stat_rms"] = float(np.sqrt(energy / x.size))
    return {k: float(v) for k, v in features.items()}
