"""Survival models of radiomics (and clinical) features on scikit-survival: Cox regression with a LASSO penalty,
random survival forests on LASSO-selected features, nested cross-validation of either, Harrell's C-index with a
bootstrap interval, time-dependent (cumulative/dynamic) AUC, and Kaplan-Meier curves of risk groups with the
log-rank test."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import clone
from sklearn.feature_selection import VarianceThreshold
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import validate_data
from sksurv.compare import compare_survival
from sksurv.ensemble import RandomSurvivalForest
from sksurv.linear_model import CoxnetSurvivalAnalysis
from sksurv.metrics import concordance_index_censored, cumulative_dynamic_auc
from sksurv.nonparametric import kaplan_meier_estimator
from sksurv.util import Surv

from hepatica.errors import HepaticaInputError
from hepatica.model.selection import CorrelationFilter, SupportSelector, nonzero_support
from hepatica.model.validation import as_table, table_rows


def survival_outcome(event, time_months) -> np.ndarray:
    """scikit-survival's structured outcome from event indicators (1: event) and times (months)."""
    event = np.asarray(event).astype(bool)
    time_months = np.asarray(time_months, dtype=float)
    if np.any(~np.isfinite(time_months)) or np.any(time_months <= 0):
        raise HepaticaInputError("survival times must be positive numbers (months); fix or drop the rows without")
    if event.sum() < 5:
        raise HepaticaInputError(f"only {int(event.sum())} events; a survival model needs more")
    return Surv.from_arrays(event, time_months)


class CoxLassoSelector(SupportSelector):
    """Features with a non-zero coefficient in a LASSO Cox regression of penalty ``alpha`` (on standardised
    features); the largest one when the penalty removes them all."""

    def __init__(self, alpha: float = 0.1) -> None:
        self.alpha = alpha

    def fit(self, X, y):
        X = validate_data(self, X, dtype=np.float64)
        cox = CoxnetSurvivalAnalysis(l1_ratio=1.0, alphas=[self.alpha], max_iter=100000).fit(X, y)
        self.support_ = nonzero_support(cox.coef_[:, -1])
        return self


def _filters() -> list:
    return [
        ("variance", VarianceThreshold(1e-12)),
        ("correlation", CorrelationFilter(0.9, prefer_relevant=True)),
        ("scale", StandardScaler()),
    ]


def cox_lasso_pipeline(alpha: float = 0.05) -> Pipeline:
    """Filters -> standardise -> Cox regression with a LASSO penalty ``alpha`` (which selects the features:
    `cox_selected_features`), with its Breslow baseline for survival curves. Tune ``model__alphas`` (lists of one)."""
    return Pipeline(
        _filters()
        + [("model", CoxnetSurvivalAnalysis(l1_ratio=1.0, alphas=[alpha], max_iter=100000, fit_baseline_model=True))]
    )


def cox_selected_features(pipeline: Pipeline, columns: list[str]) -> list[str]:
    """The columns a fitted :func:`cox_lasso_pipeline` gives a non-zero coefficient."""
    kept = pipeline[:-1].get_feature_names_out(np.asarray(columns, dtype=object))
    return [name for name, w in zip(kept, pipeline[-1].coef_[:, -1]) if abs(w) > 1e-10]


def random_survival_forest_pipeline(alpha: float = 0.05, seed: int = 0) -> Pipeline:
    """Filters -> LASSO Cox selection -> random survival forest (300 trees). Tune ``select__alpha`` and
    ``model__min_samples_leaf``."""
    return Pipeline(
        _filters()
        + [
            ("select", CoxLassoSelector(alpha)),
            ("model", RandomSurvivalForest(300, min_samples_leaf=10, n_jobs=1, random_state=seed)),
        ]
    )


SURVIVAL_MODELS = {
    "cox_lasso": (cox_lasso_pipeline, {"model__alphas": [[0.02], [0.05], [0.1], [0.2]]}),
    "random_survival_forest": (
        lambda: random_survival_forest_pipeline(),
        {"select__alpha": [0.05, 0.1], "model__min_samples_leaf": [5, 15]},
    ),
}


@dataclass(frozen=True)
class ConcordanceEstimate:
    """Harrell's C-index with its percentile bootstrap (1 - alpha) interval."""

    c_index: float
    low: float
    high: float


@dataclass(frozen=True)
class SurvivalValidated:
    """Out-of-fold risk scores (higher: earlier event), their C-index, and the hyper-parameters per outer fold."""

    risk: np.ndarray
    concordance: ConcordanceEstimate
    chosen: list[dict]


def c_index(y: np.ndarray, risk: np.ndarray) -> float:
    """Harrell's concordance index of risk scores against a structured survival outcome."""
    event, time = _event_time(y)
    return float(concordance_index_censored(event, time, np.asarray(risk, dtype=float))[0])


def concordance_interval(
    y: np.ndarray, risk: np.ndarray, alpha: float = 0.05, resamples: int = 500, seed: int = 0
) -> ConcordanceEstimate:
    """C-index with a percentile bootstrap interval over resampled patients."""
    rng = np.random.default_rng(seed)
    risk = np.asarray(risk, dtype=float)
    values = [c_index(y[i], risk[i]) for i in (rng.integers(0, len(y), len(y)) for _ in range(resamples))]
    low, high = np.quantile(values, [alpha / 2, 1 - alpha / 2])
    return ConcordanceEstimate(c_index(y, risk), float(low), float(high))


def nested_survival_cross_validation(
    X, y: np.ndarray, pipeline: Pipeline, grid: dict, outer_folds: int = 5, inner_folds: int = 4, seed: int = 0
) -> SurvivalValidated:
    """Out-of-fold risk scores with hyper-parameters tuned by C-index inside each outer training fold (folds
    stratified by event, so each holds events)."""
    X = as_table(X)
    event, _ = _event_time(y)
    risk = np.empty(len(y))
    chosen = []
    for train, test in StratifiedKFold(outer_folds, shuffle=True, random_state=seed).split(np.zeros(len(y)), event):
        inner = list(
            StratifiedKFold(inner_folds, shuffle=True, random_state=seed + 1).split(np.zeros(len(train)), event[train])
        )
        search = GridSearchCV(clone(pipeline), grid, cv=inner).fit(table_rows(X, train), y[train])
        risk[test] = search.predict(table_rows(X, test))
        chosen.append(dict(search.best_params_))
    return SurvivalValidated(risk, concordance_interval(y, risk, seed=seed), chosen)


def time_dependent_auc(y: np.ndarray, risk: np.ndarray, times_months) -> tuple[np.ndarray, float]:
    """Cumulative/dynamic AUC at each time (months; inside the follow-up) and its mean over them (Uno's IPCW
    estimator, censoring distribution from ``y`` itself)."""
    auc, mean = cumulative_dynamic_auc(y, y, np.asarray(risk, dtype=float), np.asarray(times_months, dtype=float))
    return auc, float(mean)


def evaluation_times(y: np.ndarray, count: int = 5) -> np.ndarray:
    """``count`` times between the 10th and 80th centile of event times, where time-dependent AUC is defined."""
    event, time = _event_time(y)
    low, high = np.quantile(time[event], [0.1, 0.8])
    return np.linspace(low, min(high, time.max() * 0.99), count)


@dataclass(frozen=True)
class RiskGroupCurves:
    """Kaplan-Meier survival per risk group (low to high), and the log-rank test across groups."""

    groups: list[str]
    times: list[np.ndarray]
    survival: list[np.ndarray]
    counts: list[int]
    log_rank_chi2: float
    log_rank_p: float


def risk_group_curves(y: np.ndarray, risk: np.ndarray, groups: int = 2, cutoffs=None) -> RiskGroupCurves:
    """Patients split at the risk score's quantiles (median for two groups, tertiles for three) or at fixed
    ``cutoffs`` (e.g. the training cohort's median, for a validation cohort), one Kaplan-Meier curve per group,
    and the log-rank test."""
    risk = np.asarray(risk, dtype=float)
    edges = np.quantile(risk, np.linspace(0, 1, groups + 1)[1:-1]) if cutoffs is None else np.sort(cutoffs)
    groups = len(edges) + 1
    group = np.digitize(risk, edges)
    names = ["low risk", "high risk"] if groups == 2 else [f"risk group {g + 1} of {groups}" for g in range(groups)]
    event, time = _event_time(y)
    times, survival, counts = [], [], []
    if len(np.unique(group)) < 2:
        raise HepaticaInputError("every patient falls in one risk group; Kaplan-Meier curves by risk need two")
    for g in range(groups):
        if not (group == g).any():
            times.append(np.zeros(0))
            survival.append(np.zeros(0))
            counts.append(0)
            continue
        t, s = kaplan_meier_estimator(event[group == g], time[group == g])
        times.append(t)
        survival.append(s)
        counts.append(int((group == g).sum()))
    chi2, p = compare_survival(y, group)
    return RiskGroupCurves(names, times, survival, counts, float(chi2), float(p))


def _event_time(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    event_field, time_field = y.dtype.names
    return y[event_field].astype(bool), y[time_field].astype(float)
