"""Feature selection steps as scikit-learn transformers, so that a pipeline fits them on training folds only.

``CorrelationFilter`` (one feature per correlated cluster) is written here because scikit-learn has none;
variance filtering is scikit-learn's ``VarianceThreshold``; ``LassoSelector`` wraps scikit-learn's L1 logistic
regression and keeps one feature when the penalty removes all (``SelectFromModel`` would leave none);
``MrmrSelector`` is mRMR (FCQ), which scikit-learn lacks and whose PyPI packages are unmaintained.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata
from sklearn.base import BaseEstimator
from sklearn.feature_selection import SelectorMixin, VarianceThreshold, f_classif
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted, validate_data


class SupportSelector(SelectorMixin, BaseEstimator):
    """A selector whose ``fit`` sets ``support_`` (a boolean per input column)."""

    def _get_support_mask(self) -> np.ndarray:
        check_is_fitted(self, "support_")
        return self.support_


def nonzero_support(weights: np.ndarray) -> np.ndarray:
    """Columns with a non-zero penalised coefficient; the largest alone when the penalty removed them all, so a
    model can follow."""
    support = np.abs(weights) > 1e-10
    if not support.any():
        support[int(np.argmax(np.abs(weights)))] = True
    return support


class CorrelationFilter(SupportSelector):
    """Keep one feature of each group whose absolute Spearman correlation exceeds ``threshold``: features are
    taken in order, and one correlated above the threshold with a feature already kept is dropped. The order is
    the table's, or with ``prefer_relevant`` (and an outcome given to ``fit``) that of decreasing univariate
    relevance (`univariate_relevance`; a survival outcome is a structured array of event and time, as
    scikit-survival's), so each cluster is represented by its member most related to the outcome."""

    def __init__(self, threshold: float = 0.9, prefer_relevant: bool = False) -> None:
        self.threshold = threshold
        self.prefer_relevant = prefer_relevant

    def fit(self, X, y=None):
        X = validate_data(self, X, dtype=np.float64)
        order = np.arange(X.shape[1])
        if self.prefer_relevant and y is not None:
            order = np.argsort(-np.nan_to_num(univariate_relevance(X, y)), kind="stable")
        ranks = np.apply_along_axis(rankdata, 0, X)
        ranks -= ranks.mean(0)
        norms = np.linalg.norm(ranks, axis=0)
        norms[norms == 0] = 1.0
        ranks /= norms
        kept: list[int] = []
        for j in order:
            if not kept or np.max(np.abs(ranks[:, kept].T @ ranks[:, j])) <= self.threshold:
                kept.append(int(j))
        self.support_ = np.zeros(X.shape[1], dtype=bool)
        self.support_[kept] = True
        return self


def univariate_relevance(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per column: the ANOVA F statistic against class labels, or against a survival outcome the absolute score
    statistic of a univariate Cox model at zero (Breslow ties; the log-rank test of that feature)."""
    if y.dtype.names is None:
        return f_classif(X, y)[0]
    event, time = (np.asarray(y[name]) for name in y.dtype.names)
    order = np.argsort(time, kind="stable")
    x, event = X[order], event[order].astype(bool)
    at_risk = np.arange(len(x), 0, -1)[:, None]  # patients still at risk at each (sorted) time
    mean = np.cumsum(x[::-1], 0)[::-1] / at_risk
    second = np.cumsum(x[::-1] ** 2, 0)[::-1] / at_risk
    score = (x[event] - mean[event]).sum(0)
    information = (second[event] - mean[event] ** 2).sum(0)
    return np.abs(score) / np.sqrt(np.maximum(information, 1e-300))


class LassoSelector(SupportSelector):
    """Features with a non-zero coefficient in an L1-penalised logistic regression of inverse penalty ``C`` (on
    standardised features); the single largest one when the penalty removes them all, so a model can follow."""

    def __init__(self, C: float = 0.1, seed: int = 0) -> None:
        self.C = C
        self.seed = seed

    def fit(self, X, y):
        X, y = validate_data(self, X, y, dtype=np.float64)
        lasso = LogisticRegression(l1_ratio=1.0, C=self.C, solver="liblinear", random_state=self.seed).fit(X, y)
        self.support_ = nonzero_support(np.abs(lasso.coef_).max(0))
        return self


class MrmrSelector(SupportSelector):
    """Minimum-redundancy maximum-relevance selection of ``k`` features, FCQ scheme (Ding and Peng 2005): features
    are added one at a time by the F statistic of their relevance to the outcome divided by their mean absolute
    Pearson correlation with the features already chosen (the first: the most relevant)."""

    def __init__(self, k: int = 10) -> None:
        self.k = k

    def fit(self, X, y):
        X, y = validate_data(self, X, y, dtype=np.float64)
        relevance = np.nan_to_num(f_classif(X, y)[0])
        z = (X - X.mean(0)) / np.where(X.std(0) > 0, X.std(0), 1.0) / np.sqrt(len(X))
        chosen = [int(np.argmax(relevance))]
        redundancy = np.abs(z.T @ z[:, chosen[0]])
        while len(chosen) < min(self.k, X.shape[1]):
            score = relevance / np.maximum(redundancy / len(chosen), 1e-12)
            score[chosen] = -np.inf
            best = int(np.argmax(score))
            chosen.append(best)
            redundancy += np.abs(z.T @ z[:, best])
        self.support_ = np.zeros(X.shape[1], dtype=bool)
        self.support_[chosen] = True
        self.order_ = np.asarray(chosen)
        return self


def lasso_logistic_pipeline(correlation_threshold: float = 0.9, C: float = 0.1, seed: int = 0) -> Pipeline:
    """Variance filter -> correlation filter (each cluster kept by its most relevant member) -> standardise ->
    LASSO selection -> logistic regression (ridge), every step fitted on the data the pipeline is fitted on.
    ``C`` is the LASSO's inverse penalty (tuned by nested cross-validation as ``select__C``)."""
    return Pipeline(
        [
            ("variance", VarianceThreshold(1e-12)),
            ("correlation", CorrelationFilter(correlation_threshold, prefer_relevant=True)),
            ("scale", StandardScaler()),
            ("select", LassoSelector(C=C, seed=seed)),
            ("model", LogisticRegression(C=1.0, max_iter=1000, random_state=seed)),
        ]
    )
