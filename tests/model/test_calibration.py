"""Calibration slope and intercept, Brier score and net benefit against their definitions."""

import numpy as np
import pytest
from scipy.special import expit, logit

from hepatica.model.calibration import calibration, net_benefit, net_benefit_treat_all


def _outcomes(p, seed=0):
    return (np.random.default_rng(seed).random(len(p)) < p).astype(int)


def test_calibrated_predictions_have_slope_one_and_intercept_zero():
    p = expit(np.random.default_rng(1).normal(scale=1.5, size=40_000))
    y = _outcomes(p)
    c = calibration(y, p)
    assert c.slope == pytest.approx(1.0, abs=0.04) and c.intercept == pytest.approx(0.0, abs=0.03)
    assert c.brier == pytest.approx(np.mean((p - y) ** 2), abs=1e-12)
    assert np.all(np.abs(c.predicted - c.observed) < 0.03)


def test_over_confident_and_biased_predictions_are_recognised():
    truth = expit(np.random.default_rng(2).normal(scale=1.5, size=40_000))
    y = _outcomes(truth)
    too_extreme = expit(2 * logit(truth))
    assert calibration(y, too_extreme).slope == pytest.approx(0.5, abs=0.03)
    too_high = expit(logit(truth) + 1.0)
    assert calibration(y, too_high).intercept == pytest.approx(-1.0, abs=0.05)


def test_net_benefit_counts_true_and_false_positives_at_each_threshold():
    y = np.array([1, 1, 0, 0, 1, 0, 0, 0, 1, 0])
    p = np.array([0.9, 0.7, 0.6, 0.2, 0.4, 0.1, 0.3, 0.8, 0.35, 0.05])
    # At 0.3: treated 0.9, 0.7, 0.6, 0.4, 0.3, 0.8, 0.35 -> TP 4, FP 3; 4/10 - 3/10 * 0.3/0.7
    assert net_benefit(y, p, [0.3])[0] == pytest.approx(0.4 - 0.3 * 0.3 / 0.7)
    assert net_benefit(y, p, [0.5])[0] == pytest.approx(0.2 - 0.2 * 1.0)  # TP 2 (0.9, 0.7), FP 2 (0.6, 0.8)
    assert net_benefit_treat_all(y, [0.3])[0] == pytest.approx(0.4 - 0.6 * 0.3 / 0.7)
