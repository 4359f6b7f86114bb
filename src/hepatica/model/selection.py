"""Feature selection steps as scikit-learn transformers, so that a pipeline fits them on training folds only.

``CorrelationFilter`` (one feature per correlated cluster) is written here because scikit-learn has none;
variance filtering is scikit-learn's ``VarianceThreshold``; ``LassoSelector`` wraps scikit-learn's L1 logistic
regression and keeps one feature when the penalty removes all (``SelectFromModel`` would leave none).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata
from sklearn.base import BaseEstimator
from sklearn.feature_selection import SelectorMixin, VarianceThreshold
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted, validate_data


class CorrelationFilter(SelectorMixin, BaseEstimator):
    """Keep one feature of each group whose absolute Spearman correlation exceeds ``threshold``: features are
    taken in table order, and one correlated above the threshold with a feature already kept is dropped."""

    def __init__(self, threshold: float = 0.9) -> None:
        self.threshold = threshold

    def fit(self, X, y=None):
        X = validate_data(self, X, dtype=np.float64)
        ranks = np.apply_along_axis(rankdata, 0, X)
        ranks -= ranks.mean(0)
        norms = np.linalg.norm(ranks, axis=0)
        norms[norms == 0] = 1.0
        ranks /= norms
        kept: list[int] = []
        for j in range(X.shape[1]):
            if not kept or np.max(np.abs(ranks[:, kept].T @ ranks[:, j])) <= self.threshold:
                kept.append(int(j))
        self.support_ = np.zeros(X.shape[1], dtype=bool)
        self.support_[kept] = True
        return self

    def _get_support_mask(self) -> np.ndarray:
        check_is_fitted(self, "support_")
        return self.support_


class LassoSelector(SelectorMixin, BaseEstimator):
    """Features with a non-zero coefficient in an L1-penalised logistic regression of inverse penalty ``C`` (on
    standardised features); the single largest one when the penalty removes them all, so a model can follow."""

    def __init__(self, C: float = 0.1, seed: int = 0) -> None:
        self.C = C
        self.seed = seed

    def fit(self, X, y):
        X, y = validate_data(self, X, y, dtype=np.float64)
        lasso = LogisticRegression(l1_ratio=1.0, C=self.C, solver="liblinear", random_state=self.seed).fit(X, y)
        weights = np.abs(lasso.coef_).max(0)
        self.support_ = weights > 1e-10
        if not self.support_.any():
            self.support_[int(np.argmax(weights))] = True
        return self

    def _get_support_mask(self) -> np.ndarray:
        check_is_fitted(self, "support_")
        return self.support_


def lasso_logistic_pipeline(correlation_threshold: float = 0.9, C: float = 0.1, seed: int = 0) -> Pipeline:
    """Variance filter -> correlation filter -> standardise -> LASSO selection -> logistic regression (ridge),
    every step fitted on the data the pipeline is fitted on. ``C`` is the LASSO's inverse penalty (tuned by
    nested cross-validation as ``select__C``)."""
    return Pipeline([
        ("variance", VarianceThreshold(1e-12)),
        ("correlation", CorrelationFilter(correlation_threshold)),
        ("scale", StandardScaler()),
        ("select", LassoSelector(C=C, seed=seed)),
        ("model", LogisticRegression(C=1.0, max_iter=1000, random_state=seed)),
    ])
