"""How far predicted probabilities can be taken at their word: calibration slope and intercept (logistic
recalibration, Cox 1958), the calibration curve, the Brier score, and decision-curve net benefit (Vickers and
Elkin 2006). Written here because scikit-learn has the curve and the Brier score but neither the slope and
intercept nor decision curves."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import logit
from sklearn.calibration import calibration_curve
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss


@dataclass(frozen=True)
class Calibration:
    """Slope (1: spread right; < 1: predictions too extreme), intercept (calibration-in-the-large with the slope
    fixed at 1; 0: right on average), Brier score, and the binned curve (mean predicted, observed rate)."""

    slope: float
    intercept: float
    brier: float
    predicted: np.ndarray
    observed: np.ndarray


def calibration(y: np.ndarray, probabilities: np.ndarray, bins: int = 10) -> Calibration:
    """Calibration of ``probabilities`` against the outcomes ``y`` (0/1)."""
    y = np.asarray(y).astype(int)
    p = np.clip(np.asarray(probabilities, dtype=float), 1e-6, 1 - 1e-6)
    lp = logit(p)
    slope = LogisticRegression(C=1e9, max_iter=1000).fit(lp[:, None], y).coef_[0, 0]
    intercept = _intercept_with_offset(y, lp)
    observed, predicted = calibration_curve(y, p, n_bins=bins, strategy="quantile")
    return Calibration(float(slope), float(intercept), float(brier_score_loss(y, p)), predicted, observed)


def _intercept_with_offset(y: np.ndarray, offset: np.ndarray, iterations: int = 50) -> float:
    """The intercept a of logit P(y = 1) = a + offset, by Newton's method."""
    a = 0.0
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-(a + offset)))
        step = (y - p).sum() / max((p * (1 - p)).sum(), 1e-12)
        a += step
        if abs(step) < 1e-10:
            break
    return a


def net_benefit(y: np.ndarray, probabilities: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Net benefit of treating the patients whose probability is at least each threshold pt:
    TP/n - FP/n * pt / (1 - pt)."""
    y = np.asarray(y).astype(bool)
    p = np.asarray(probabilities, dtype=float)
    n = len(y)
    out = []
    for pt in np.asarray(thresholds, dtype=float):
        treated = p >= pt
        out.append((treated & y).sum() / n - (treated & ~y).sum() / n * pt / (1 - pt))
    return np.asarray(out)


def net_benefit_treat_all(y: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """The 'treat everyone' reference curve of a decision-curve analysis."""
    prevalence = float(np.mean(np.asarray(y).astype(bool)))
    t = np.asarray(thresholds, dtype=float)
    return prevalence - (1 - prevalence) * t / (1 - t)
