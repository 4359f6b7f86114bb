"""Honest validation of a binary radiomics model: nested cross-validation (hyper-parameters tuned inside each
outer training fold, selection fitted there too), pooled out-of-fold AUC with DeLong and bootstrap confidence
intervals, and for contrast the naive protocol (select features on all patients, then cross-validate), whose
optimism the nested estimate must not share.

DeLong's variance is computed here (the fast midrank algorithm of Sun and Xu, IEEE SPL 2014) because
scikit-learn gives the AUC but no interval for it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm, rankdata
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline


@dataclass(frozen=True)
class AucEstimate:
    """An AUC with its (1 - alpha) confidence interval and how the interval was obtained."""

    auc: float
    low: float
    high: float
    method: str

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True)
class CrossValidated:
    """Out-of-fold predicted probabilities (one per patient), the AUC with DeLong and bootstrap intervals, and
    the hyper-parameters chosen in each outer fold."""

    probabilities: np.ndarray
    delong: AucEstimate
    bootstrap: AucEstimate
    chosen: list[dict]


def delong_interval(y: np.ndarray, scores: np.ndarray, alpha: float = 0.05) -> AucEstimate:
    """AUC and its DeLong confidence interval (normal approximation, clipped to [0, 1])."""
    y = np.asarray(y).astype(bool)
    scores = np.asarray(scores, dtype=float)
    positives, negatives = scores[y], scores[~y]
    m, n = len(positives), len(negatives)
    if m < 2 or n < 2:
        raise ValueError("DeLong's interval needs at least two patients of each outcome")
    tx, ty = rankdata(positives), rankdata(negatives)
    tz = rankdata(np.concatenate([positives, negatives]))
    auc = (tz[:m].sum() - m * (m + 1) / 2) / (m * n)
    v10 = (tz[:m] - tx) / n  # structural components of the positives
    v01 = 1.0 - (tz[m:] - ty) / m  # and of the negatives
    variance = np.var(v10, ddof=1) / m + np.var(v01, ddof=1) / n
    half = norm.ppf(1 - alpha / 2) * np.sqrt(variance)
    return AucEstimate(float(auc), float(max(0.0, auc - half)), float(min(1.0, auc + half)), "DeLong")


def bootstrap_interval(
    y: np.ndarray, scores: np.ndarray, alpha: float = 0.05, resamples: int = 2000, seed: int = 0
) -> AucEstimate:
    """AUC and its percentile bootstrap interval over ``resamples`` resamplings of the patients (stratified, so
    each resample has both outcomes)."""
    y = np.asarray(y).astype(bool)
    scores = np.asarray(scores, dtype=float)
    rng = np.random.default_rng(seed)
    pos, neg = np.flatnonzero(y), np.flatnonzero(~y)
    aucs = np.empty(resamples)
    for b in range(resamples):
        index = np.concatenate([rng.choice(pos, len(pos)), rng.choice(neg, len(neg))])
        aucs[b] = roc_auc_score(y[index], scores[index])
    low, high = np.quantile(aucs, [alpha / 2, 1 - alpha / 2])
    return AucEstimate(float(roc_auc_score(y, scores)), float(low), float(high), "bootstrap")


def nested_cross_validation(
    X: np.ndarray,
    y: np.ndarray,
    pipeline: Pipeline,
    grid: dict,
    outer_folds: int = 5,
    inner_folds: int = 5,
    seed: int = 0,
    alpha: float = 0.05,
) -> CrossValidated:
    """Out-of-fold probabilities of ``pipeline`` with its hyper-parameters ``grid`` tuned (AUC) by an inner
    stratified cross-validation within each outer training fold; selection steps in the pipeline are refitted
    there, so no outer test patient ever influences what predicts it."""
    X, y = as_table(X), np.asarray(y).astype(int)
    outer = StratifiedKFold(outer_folds, shuffle=True, random_state=seed)
    probabilities = np.empty(len(y))
    chosen = []
    for train, test in outer.split(X, y):
        search = GridSearchCV(
            clone(pipeline),
            grid,
            scoring="roc_auc",
            cv=StratifiedKFold(inner_folds, shuffle=True, random_state=seed + 1),
        )
        search.fit(table_rows(X, train), y[train])
        probabilities[test] = search.predict_proba(table_rows(X, test))[:, 1]
        chosen.append(dict(search.best_params_))
    return CrossValidated(
        probabilities,
        delong_interval(y, probabilities, alpha),
        bootstrap_interval(y, probabilities, alpha, seed=seed),
        chosen,
    )


def as_table(X):
    """A DataFrame as it is (pipelines pick columns by name), anything else as a float array."""
    return X if hasattr(X, "iloc") else np.asarray(X, dtype=float)


def table_rows(X, index: np.ndarray):
    return X.iloc[index] if hasattr(X, "iloc") else X[index]
