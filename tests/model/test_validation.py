"""Honest validation: DeLong's interval against its definition, the bootstrap beside it, and no leakage — on a
pure-noise cohort (1000 features, 150 patients) the nested cross-validated AUC's interval contains 0.5 while the
naive select-then-cross-validate protocol shows optimism."""

from collections.abc import Callable

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.feature_selection import f_classif
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from hepatica.model.selection import lasso_logistic_pipeline
from hepatica.model.validation import (
    CrossValidated,
    bootstrap_interval,
    delong_interval,
    nested_cross_validation,
)


def _delong_by_definition(y, scores):
    """DeLong et al. (1988) directly: placement values from every positive-negative pair (ties count 1/2)."""
    pos, neg = scores[y == 1], scores[y == 0]
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    v10, v01 = psi.mean(1), psi.mean(0)
    return psi.mean(), np.var(v10, ddof=1) / len(pos) + np.var(v01, ddof=1) / len(neg)


def test_delong_interval_matches_its_definition_with_ties():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 120)
    scores = np.round(y * 0.8 + rng.normal(size=120), 1)  # rounded: many ties
    estimate = delong_interval(y, scores)
    auc, variance = _delong_by_definition(y, scores)
    assert estimate.auc == pytest.approx(auc, abs=1e-12) == pytest.approx(roc_auc_score(y, scores), abs=1e-12)
    assert (estimate.high - estimate.low) / 2 == pytest.approx(1.959964 * np.sqrt(variance), rel=1e-5)


def test_bootstrap_and_delong_intervals_agree_on_a_large_sample():
    rng = np.random.default_rng(4)
    y = np.r_[np.zeros(200), np.ones(200)].astype(int)
    scores = y + rng.normal(scale=1.2, size=400)
    d, b = delong_interval(y, scores), bootstrap_interval(y, scores, resamples=1000, seed=1)
    assert d.auc == b.auc and abs(d.low - b.low) < 0.015 and abs(d.high - b.high) < 0.015


def test_no_leakage_on_a_pure_noise_cohort():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 1000))
    y = rng.permutation(np.r_[np.zeros(75), np.ones(75)]).astype(int)
    nested = nested_cross_validation(X, y, lasso_logistic_pipeline(), {"select__C": [0.05, 0.1, 0.3, 1.0]})
    assert nested.delong.contains(0.5) and nested.bootstrap.contains(0.5)
    assert len(nested.chosen) == 5

    def top_20_on_all_patients(X, y):
        return np.argsort(f_classif(X, y)[0])[-20:]

    naive = naive_cross_validation(X, y, top_20_on_all_patients, LogisticRegression(max_iter=1000))
    assert naive.delong.low > 0.5 and naive.delong.auc > nested.delong.high  # optimism, from the selection alone


def naive_cross_validation(
    X: np.ndarray,
    y: np.ndarray,
    select: Callable[[np.ndarray, np.ndarray], np.ndarray],
    model,
    folds: int = 5,
    seed: int = 0,
    alpha: float = 0.05,
) -> CrossValidated:
    """The protocol not to use, for contrast: ``select(X, y)`` (column indices) sees every patient, then only
    ``model`` is cross-validated on the selected columns. Its AUC is optimistic by construction."""
    X, y = np.asarray(X, dtype=float), np.asarray(y).astype(int)
    columns = select(X, y)
    probabilities = cross_val_predict(
        clone(model),
        X[:, columns],
        y,
        method="predict_proba",
        cv=StratifiedKFold(folds, shuffle=True, random_state=seed),
    )[:, 1]
    return CrossValidated(
        probabilities,
        delong_interval(y, probabilities, alpha),
        bootstrap_interval(y, probabilities, alpha, seed=seed),
        [],
    )
