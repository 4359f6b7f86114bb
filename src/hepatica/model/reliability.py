"""Feature reliability: intraclass correlation (Shrout and Fleiss 1979; McGraw and Wong 1996) per feature across
perturbed copies or repeat scans of the same ROIs, and a selection step that keeps the reliable ones.

Written here because scikit-learn has no ICC and the packages that do (pingouin) bring a statistics stack for one
ANOVA."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import f as f_distribution
from sklearn.base import BaseEstimator
from sklearn.feature_selection import SelectorMixin
from sklearn.utils.validation import check_is_fitted

from hepatica.errors import HepaticaInputError
from hepatica.io.atomic import write_text_atomic
from hepatica.radiomics.batch import Case, read_case
from hepatica.radiomics.perturbation import perturbed_features
from hepatica.radiomics.settings import ExtractionSettings

KINDS = ("ICC(1,1)", "ICC(2,1)", "ICC(3,1)")


def icc(ratings: np.ndarray, kind: str = "ICC(1,1)", alpha: float = 0.05) -> tuple[float, float]:
    """(ICC, lower bound of its 1 - alpha interval) of a subjects x raters (or repetitions) matrix.

    ICC(1,1): one-way random effects, absolute agreement (repetitions interchangeable, e.g. perturbations);
    ICC(2,1): two-way random, absolute agreement (e.g. test and retest scans); ICC(3,1): two-way mixed,
    consistency. Lower bounds: the exact F interval for ICC(1,1) and ICC(3,1), McGraw and Wong's approximation
    for ICC(2,1)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    x = np.asarray(ratings, dtype=float)
    n, k = x.shape
    grand = x.mean()
    ss_rows = k * ((x.mean(1) - grand) ** 2).sum()
    ss_cols = n * ((x.mean(0) - grand) ** 2).sum()
    ss_total = ((x - grand) ** 2).sum()
    ms_rows = ss_rows / (n - 1)
    ms_within = (ss_total - ss_rows) / (n * (k - 1))
    ms_cols = ss_cols / (k - 1)
    ms_error = (ss_total - ss_rows - ss_cols) / ((n - 1) * (k - 1))
    q = 1 - alpha / 2
    if kind == "ICC(1,1)":
        value = (ms_rows - ms_within) / (ms_rows + (k - 1) * ms_within)
        f_low = (ms_rows / ms_within) / f_distribution.ppf(q, n - 1, n * (k - 1))
        low = (f_low - 1) / (f_low + k - 1)
    elif kind == "ICC(3,1)":
        value = (ms_rows - ms_error) / (ms_rows + (k - 1) * ms_error)
        f_low = (ms_rows / ms_error) / f_distribution.ppf(q, n - 1, (n - 1) * (k - 1))
        low = (f_low - 1) / (f_low + k - 1)
    else:
        value = (ms_rows - ms_error) / (ms_rows + (k - 1) * ms_error + k * (ms_cols - ms_error) / n)
        a = k * value / (n * (1 - value))
        b = 1 + k * value * (n - 1) / (n * (1 - value))
        v = (a * ms_cols + b * ms_error) ** 2 / (
            (a * ms_cols) ** 2 / (k - 1) + (b * ms_error) ** 2 / ((n - 1) * (k - 1))
        )
        f_star = f_distribution.ppf(q, n - 1, v)
        low = n * (ms_rows - f_star * ms_error) / (f_star * (k * ms_cols + (k * n - k - n) * ms_error) + n * ms_rows)
    return float(value), float(low)


def feature_icc(repetitions: list[pd.DataFrame], kind: str = "ICC(1,1)") -> pd.DataFrame:
    """ICC and its lower bound per feature, from tables of the same cases (index) and features (columns), one
    table per repetition (perturbed copy or scan). Constant features get NaN."""
    cases = repetitions[0].index
    for table in repetitions[1:]:
        if not table.index.equals(cases):
            raise ValueError("every repetition must hold the same cases in the same order")
    columns = [c for c in repetitions[0].columns if all(c in t.columns for t in repetitions[1:])]
    out = {}
    for column in columns:
        ratings = np.column_stack([t[column].to_numpy(dtype=float) for t in repetitions])
        out[column] = icc(ratings, kind) if np.nanstd(ratings) > 0 and np.isfinite(ratings).all() else (np.nan, np.nan)
    return pd.DataFrame.from_dict(out, orient="index", columns=["icc", "icc_low"])


def retest_icc(test: pd.DataFrame, retest: pd.DataFrame) -> pd.DataFrame:
    """ICC(2,1) per feature of two scans of the same patients (cases joined by index)."""
    common = test.index.intersection(retest.index)
    if len(common) < 5:
        raise ValueError(f"only {len(common)} cases are in both scans' tables; test-retest ICC needs more")
    return feature_icc([test.loc[common], retest.loc[common]], "ICC(2,1)")


class ReliableFeatures(SelectorMixin, BaseEstimator):
    """Keep the columns whose ICC (from ``feature_icc``, a Series or DataFrame column by feature name) is at least
    ``threshold``; columns without an ICC are dropped. Unsupervised, so it may also be applied before
    cross-validation; in a pipeline it needs the feature names (fit on a DataFrame)."""

    def __init__(self, reliability: pd.Series | None = None, threshold: float = 0.75) -> None:
        self.reliability = reliability
        self.threshold = threshold

    def fit(self, X, y=None):
        if not hasattr(X, "columns"):
            raise ValueError("ReliableFeatures selects by feature name: fit it on a DataFrame")
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        values = pd.Series(self.reliability).reindex(self.feature_names_in_)
        self.support_ = (values >= self.threshold).to_numpy()
        return self

    def _get_support_mask(self) -> np.ndarray:
        check_is_fitted(self, "support_")
        return self.support_


def perturbation_icc(cases: list[Case], settings: ExtractionSettings, copies: int = 8, seed: int = 0) -> pd.DataFrame:
    """ICC(1,1) per feature (``<image type>__<tag>``, as `hepatica model train` names them) over ``copies``
    perturbed versions of each case's ROI."""
    if len(cases) < 5 or copies < 2:
        raise HepaticaInputError(
            f"perturbation ICC needs at least 5 cases and 2 copies (got {len(cases)} and {copies})"
        )
    per_case = {}
    for number, case in enumerate(cases):
        image, roi, spacing = read_case(case)
        per_case[case.case] = perturbed_features(image, roi, spacing, settings, copies, seed + number)
    names = list(per_case)
    tables = [pd.DataFrame([per_case[name][copy] for name in names], index=names) for copy in range(copies)]
    return feature_icc(tables)


def write_reliability(table: pd.DataFrame, path, kind: str, cases: int, repetitions: int) -> None:
    """The ICC table as CSV (feature, icc, icc_low, kind, cases, repetitions), written atomically."""
    out = table.rename_axis("feature").assign(kind=kind, cases=cases, repetitions=repetitions)
    write_text_atomic(path, out.to_csv())


def read_reliability(path) -> pd.Series:
    """The ``icc`` column of a table written by :func:`write_reliability`, by feature."""
    try:
        table = pd.read_csv(path, index_col="feature")
    except (OSError, ValueError) as error:
        raise HepaticaInputError(
            f"{path}: not a reliability table from `hepatica model reliability` ({error})"
        ) from error
    if "icc" not in table.columns:
        raise HepaticaInputError(f"{path}: has no icc column; make it with `hepatica model reliability`")
    return table["icc"]
