"""SHAP explanations of fitted radiomics, clinical and survival pipelines, in the space the final model sees (the
selected, standardised features; the rad-score and clinical variables of a nomogram), with the explainer that
is exact for the model: linear (logistic and Cox regression), tree (random forest, gradient boosting), or
permutation (anything else, e.g. a calibrated SVM or a random survival forest)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shap
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sksurv.linear_model import CoxnetSurvivalAnalysis


@dataclass(frozen=True)
class Explanation:
    """SHAP values (patients x model inputs, in the model's output units: log-odds, log hazard, or probability
    / risk for permutation explanations), the inputs' values and names, the expected model output."""

    values: np.ndarray
    data: np.ndarray
    names: list[str]
    base_value: float
    units: str

    def importance(self) -> list[tuple[str, float]]:
        """Model inputs by mean absolute SHAP value, largest first."""
        mean = np.abs(self.values).mean(0)
        return [(self.names[i], float(mean[i])) for i in np.argsort(-mean)]


def explain(pipeline: Pipeline, X, background_size: int = 100, seed: int = 0) -> Explanation:
    """SHAP values of the fitted ``pipeline`` for the rows of ``X`` (the table the pipeline takes)."""
    preprocess, model = pipeline[:-1], pipeline[-1]
    data = np.asarray(preprocess.transform(X), dtype=float)
    names = [str(n) for n in preprocess.get_feature_names_out(_input_names(pipeline, X))]
    rng = np.random.default_rng(seed)
    background = data[rng.choice(len(data), min(background_size, len(data)), replace=False)]
    if isinstance(model, LogisticRegression):
        explainer = shap.LinearExplainer((model.coef_[0], model.intercept_[0]), background)
        values, base, units = explainer.shap_values(data), explainer.expected_value, "log-odds"
    elif isinstance(model, CoxnetSurvivalAnalysis):
        explainer = shap.LinearExplainer((model.coef_[:, -1], 0.0), background)
        values, base, units = explainer.shap_values(data), explainer.expected_value, "log hazard"
    elif isinstance(model, (RandomForestClassifier, GradientBoostingClassifier)):
        explainer = shap.TreeExplainer(model, background, model_output="probability")
        values = explainer.shap_values(data)
        values = values[..., 1] if values.ndim == 3 else values
        base = np.atleast_1d(explainer.expected_value)[-1]
        units = "probability"
    else:
        predict = (lambda z: model.predict_proba(z)[:, 1]) if hasattr(model, "predict_proba") else model.predict
        explainer = shap.PermutationExplainer(predict, background, seed=seed)
        result = explainer(data)
        values, base = result.values, float(np.mean(result.base_values))
        units = "probability" if hasattr(model, "predict_proba") else "risk score"
    return Explanation(np.asarray(values, dtype=float), data, names, float(base), units)


def _input_names(pipeline: Pipeline, X) -> np.ndarray:
    if hasattr(X, "columns"):
        return np.asarray(X.columns, dtype=object)
    return np.asarray([f"x{i}" for i in range(np.asarray(X).shape[1])], dtype=object)
