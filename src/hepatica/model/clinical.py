"""Clinical variables with radiomics: a rad-score (LASSO logistic regression of the radiomics features) combined
with clinical variables (e.g. AFP, bilirubin, BCLC stage) in one logistic regression, the model behind a
nomogram, and the nomogram's scales.

The rad-score is stacked honestly: while the combined model is fitted, the logistic regression on top sees
out-of-fold rad-scores (as scikit-learn's ``StackingClassifier`` does), so the rad-score's in-sample optimism
does not inflate its weight. Skewed positive laboratory values (skewness > 2, such as AFP) are log-transformed,
missing values imputed (median; most frequent category), all learned from the training data only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import skew
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted

from hepatica.model.selection import lasso_logistic_pipeline


class RadScore(TransformerMixin, BaseEstimator):
    """The linear predictor (log-odds) of a LASSO-selected logistic model of the radiomics columns, as one
    column ``radscore``. ``fit_transform`` returns out-of-fold rad-scores (``folds`` stratified folds)."""

    def __init__(self, C: float = 0.1, correlation_threshold: float = 0.9, folds: int = 5, seed: int = 0) -> None:
        self.C = C
        self.correlation_threshold = correlation_threshold
        self.folds = folds
        self.seed = seed

    def _model(self) -> Pipeline:
        return lasso_logistic_pipeline(self.correlation_threshold, self.C, self.seed)

    def fit(self, X, y):
        self.model_ = self._model().fit(X, y)
        self.n_features_in_ = self.model_.n_features_in_
        if hasattr(self.model_, "feature_names_in_"):
            self.feature_names_in_ = self.model_.feature_names_in_
        return self

    def fit_transform(self, X, y=None, **fit_params):
        self.fit(X, y)
        folds = StratifiedKFold(self.folds, shuffle=True, random_state=self.seed)
        return cross_val_predict(self._model(), X, y, cv=folds, method="decision_function")[:, None]

    def transform(self, X):
        check_is_fitted(self, "model_")
        return self.model_.decision_function(X)[:, None]

    def get_feature_names_out(self, input_features=None):
        return np.asarray(["radscore"], dtype=object)

    def selected_features(self) -> list[str]:
        """The radiomics columns the LASSO kept."""
        names = np.asarray(getattr(self, "feature_names_in_", [f"x{i}" for i in range(self.n_features_in_)]))
        return list(self.model_[:-1].get_feature_names_out(names))


class LogSkewed(TransformerMixin, BaseEstimator):
    """log10 of the columns that are positive with skewness above ``threshold`` in the training data."""

    def __init__(self, threshold: float = 2.0) -> None:
        self.threshold = threshold

    def fit(self, X, y=None):
        values = np.asarray(X, dtype=float)
        self.n_features_in_ = values.shape[1]
        if hasattr(X, "columns"):
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.logged_ = np.array(
            [bool(np.nanmin(v) > 0 and skew(v, nan_policy="omit") > self.threshold) for v in values.T]
        )
        return self

    def transform(self, X):
        check_is_fitted(self, "logged_")
        values = np.array(X, dtype=float)
        values[:, self.logged_] = np.log10(values[:, self.logged_])
        return values

    def get_feature_names_out(self, input_features=None):
        names = input_features if input_features is not None else getattr(self, "feature_names_in_", None)
        return np.asarray(names, dtype=object)


def clinical_columns(clinical: pd.DataFrame) -> tuple[list[str], list[str]]:
    """(numeric, categorical) columns of a clinical table; text columns are categorical (e.g. BCLC "A")."""
    numeric = [c for c in clinical.columns if pd.api.types.is_numeric_dtype(clinical[c])]
    return numeric, [c for c in clinical.columns if c not in numeric]


def combined_pipeline(radiomics: list[str], numeric: list[str], categorical: list[str], seed: int = 0) -> Pipeline:
    """Rad-score + clinical variables -> logistic regression (lightly penalised, C = 10), on a DataFrame with
    those columns. Tune ``features__radscore__C``."""
    branches = []
    if radiomics:
        branches.append(("radscore", RadScore(seed=seed), radiomics))
    if numeric:
        branches.append(
            (
                "num",
                Pipeline(
                    [("log", LogSkewed()), ("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]
                ),
                numeric,
            )
        )
    if categorical:
        branches.append(
            (
                "cat",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="most_frequent")),
                        ("onehot", OneHotEncoder(drop="first", handle_unknown="ignore", sparse_output=False)),
                    ]
                ),
                categorical,
            )
        )
    return Pipeline(
        [
            ("features", ColumnTransformer(branches, sparse_threshold=0.0)),
            ("model", LogisticRegression(C=10.0, max_iter=2000, random_state=seed)),
        ]
    )


@dataclass(frozen=True)
class NomogramScale:
    """One predictor's axis: the values shown (in the variable's units or categories) and their points."""

    name: str
    values: list
    points: list[float]


@dataclass(frozen=True)
class Nomogram:
    """Points per predictor (the widest-ranging predictor spans 0-100), and how total points map to the predicted
    probability: probability = 1 / (1 + exp(-(intercept + total_points * per_point)))."""

    scales: list[NomogramScale]
    intercept: float
    per_point: float

    def probability(self, total_points: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-(self.intercept + np.asarray(total_points) * self.per_point)))


def nomogram(pipeline: Pipeline, X: pd.DataFrame, ticks: int = 6) -> Nomogram:
    """The nomogram of a fitted :func:`combined_pipeline`, its axes over the range of the training table ``X``
    (1st to 99th centile for continuous values)."""
    features: ColumnTransformer = pipeline.named_steps["features"]
    model: LogisticRegression = pipeline.named_steps["model"]
    weights = dict(zip(features.get_feature_names_out(), model.coef_[0]))
    reference = _reference_row(X)
    contributions: list[tuple[str, list, np.ndarray]] = []
    for branch, transformer, columns in features.transformers_:
        if branch == "radscore":
            scores = transformer.transform(X[columns])[:, 0]
            values = np.linspace(*np.quantile(scores, [0.01, 0.99]), ticks)
            contributions.append(
                ("Rad-score", [round(float(v), 2) for v in values], weights["radscore__radscore"] * values)
            )
        elif branch in ("num", "cat"):
            for column in columns:
                if branch == "num":
                    low, high = np.nanquantile(X[column].astype(float), [0.01, 0.99])
                    logged = transformer.named_steps["log"].logged_[columns.index(column)]
                    values = [float(f"{v:.3g}") for v in (np.geomspace if logged else np.linspace)(low, high, ticks)]
                else:
                    values = sorted(X[column].dropna().unique().tolist())
                frame = pd.DataFrame([reference] * len(values))[columns]
                frame[column] = values
                out = transformer.transform(frame)
                out = out.toarray() if hasattr(out, "toarray") else out
                names = [f"{branch}__{n}" for n in transformer.get_feature_names_out(columns)]
                contributions.append((column, values, np.asarray(out) @ np.array([weights[n] for n in names])))
    widest = max(float(np.ptp(c)) for _, _, c in contributions) or 1.0
    per_point = widest / 100.0
    intercept = float(model.intercept_[0]) + sum(float(np.min(c)) for _, _, c in contributions)
    scales = [
        NomogramScale(name, values, [float((c_i - np.min(c)) / per_point) for c_i in c])
        for name, values, c in contributions
    ]
    return Nomogram(scales, intercept, per_point)


def _reference_row(X: pd.DataFrame) -> dict:
    row = {}
    for column in X.columns:
        values = X[column].dropna()
        row[column] = values.median() if pd.api.types.is_numeric_dtype(X[column]) else values.mode().iloc[0]
    return row
