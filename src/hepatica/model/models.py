"""The models a radiomics study compares, each a scikit-learn pipeline with the same selection steps in front and
the hyper-parameter grid that nested cross-validation tunes. Every pipeline outputs probabilities."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.feature_selection import VarianceThreshold
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from hepatica.model.selection import CorrelationFilter, LassoSelector, MrmrSelector, lasso_logistic_pipeline


@dataclass(frozen=True)
class ModelSpec:
    """A named model: how to build its pipeline (from a seed) and the grid its hyper-parameters are tuned on."""

    name: str
    build: Callable[[int], Pipeline]
    grid: dict


def _filters() -> list:
    return [
        ("variance", VarianceThreshold(1e-12)),
        ("correlation", CorrelationFilter(0.9, prefer_relevant=True)),
        ("scale", StandardScaler()),
    ]


def _penalised(l1_ratio: float, solver: str) -> Callable[[int], Pipeline]:
    def build(seed: int) -> Pipeline:
        return Pipeline(
            _filters()
            + [("model", LogisticRegression(l1_ratio=l1_ratio, solver=solver, max_iter=5000, random_state=seed))]
        )

    return build


def _with_lasso(model_factory) -> Callable[[int], Pipeline]:
    def build(seed: int) -> Pipeline:
        return Pipeline(_filters() + [("select", LassoSelector(C=0.1, seed=seed)), ("model", model_factory(seed))])

    return build


MODELS = {
    spec.name: spec
    for spec in (
        ModelSpec("lasso", _penalised(1.0, "liblinear"), {"model__C": [0.03, 0.1, 0.3, 1.0]}),
        ModelSpec("ridge", _penalised(0.0, "lbfgs"), {"model__C": [0.001, 0.01, 0.1, 1.0]}),
        ModelSpec("elastic_net", _penalised(0.5, "saga"), {"model__C": [0.03, 0.1, 0.3, 1.0]}),
        ModelSpec(
            "lasso_then_logistic", lambda seed: lasso_logistic_pipeline(seed=seed), {"select__C": [0.05, 0.1, 0.3]}
        ),
        ModelSpec(
            "mrmr_logistic",
            lambda seed: Pipeline(
                _filters()
                + [("select", MrmrSelector(10)), ("model", LogisticRegression(max_iter=1000, random_state=seed))]
            ),
            {"select__k": [3, 10, 20]},
        ),
        ModelSpec(
            "random_forest",
            _with_lasso(lambda seed: RandomForestClassifier(200, random_state=seed)),
            {"select__C": [0.05, 0.1, 0.3], "model__min_samples_leaf": [1, 5]},
        ),
        # An SVM's scores become probabilities by Platt scaling on internal folds of its training data.
        ModelSpec(
            "svm",
            _with_lasso(lambda seed: CalibratedClassifierCV(SVC(random_state=seed), ensemble=False)),
            {"select__C": [0.05, 0.1, 0.3], "model__estimator__C": [0.3, 1.0, 3.0]},
        ),
        ModelSpec(
            "gradient_boosting",
            _with_lasso(lambda seed: GradientBoostingClassifier(random_state=seed)),
            {"select__C": [0.05, 0.1, 0.3], "model__max_depth": [1, 2]},
        ),
    )
}
