"""SHAP explanations add up to the model's output (local accuracy) and rank the inputs that carry the signal
first, for linear, tree, permutation and Cox models and for the rad-score + clinical nomogram model."""

import numpy as np
import pandas as pd
import pytest
from scipy.special import logit

from hepatica.model.clinical import combined_pipeline
from hepatica.model.explain import explain
from hepatica.model.models import MODELS
from hepatica.model.survival import cox_lasso_pipeline, survival_outcome


def _cohort(n=200, p=30, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, p)), columns=[f"f{i}" for i in range(p)])
    linear = 2.0 * X["f0"] - 1.5 * X["f1"]
    y = (rng.random(n) < 1 / (1 + np.exp(-linear))).astype(int)
    return X, y


# The SVM's permutation explainer takes about 2.5 minutes on 2 cores: marked slow, out of the default run.
@pytest.mark.parametrize("name", ["lasso", "random_forest", pytest.param("svm", marks=pytest.mark.slow)])
def test_shap_values_add_up_and_rank_the_signal_first(name):
    X, y = _cohort()
    pipeline = MODELS[name].build(0).fit(X, y)
    explanation = explain(pipeline, X, background_size=50)
    output = pipeline.predict_proba(X)[:, 1]
    if explanation.units == "log-odds":
        output = logit(output)
    total = explanation.base_value + explanation.values.sum(1)
    tolerance = 0.05 if name == "svm" else 1e-6  # the permutation explainer's background is a sample
    assert np.allclose(total, output, atol=tolerance) or np.corrcoef(total, output)[0, 1] > 0.99
    assert {n for n, _ in explanation.importance()[:2]} == {"f0", "f1"}


def test_shap_of_the_nomogram_model_and_of_cox_regression():
    X, y = _cohort()
    X["bclc"] = np.where(y == 1, "B", "A")
    X.loc[::7, "bclc"] = "C"
    pipeline = combined_pipeline([f"f{i}" for i in range(30)], [], ["bclc"]).fit(X, y)
    explanation = explain(pipeline, X)
    assert explanation.names == ["radscore__radscore", "cat__bclc_B", "cat__bclc_C"]
    assert np.allclose(explanation.base_value + explanation.values.sum(1), pipeline.decision_function(X), atol=1e-6)

    rng = np.random.default_rng(1)
    times = rng.exponential(np.exp(-(X["f0"] - X["f1"])) * 20)
    outcome = survival_outcome(times < 30, np.minimum(times, 30))
    cox = cox_lasso_pipeline(0.05).fit(X.drop(columns="bclc"), outcome)
    cox_explanation = explain(cox, X.drop(columns="bclc"))
    assert cox_explanation.units == "log hazard"
    assert {n for n, _ in cox_explanation.importance()[:2]} == {"f0", "f1"}
