"""Every model of the registry learns a known signal under nested cross-validation, and a fitted model saved and
loaded again predicts the same."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from hepatica.errors import HepaticaInputError
from hepatica.model.models import MODELS
from hepatica.model.persist import ModelCard, load_model, save_model
from hepatica.model.validation import nested_cross_validation


def _cohort(n=160, p=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    linear = 1.5 * X[:, 0] - 1.5 * X[:, 1] + X[:, 2]
    y = (rng.random(n) < 1 / (1 + np.exp(-linear))).astype(int)
    return X, y, linear


@pytest.mark.parametrize("name", sorted(MODELS))
def test_each_model_learns_the_signal_under_nested_cross_validation(name):
    X, y, linear = _cohort()
    spec = MODELS[name]
    result = nested_cross_validation(X, y, spec.build(0), spec.grid, outer_folds=3, inner_folds=3)
    assert np.all((result.probabilities >= 0) & (result.probabilities <= 1))
    # The true model's AUC on these outcomes is about 0.89; every model gets most of the way, none beyond it.
    assert 0.75 < result.delong.auc <= roc_auc_score(y, linear) + 0.02, result.delong


def test_a_saved_model_loads_and_predicts_the_same(tmp_path):
    X, y, _ = _cohort(seed=1)
    pipeline = MODELS["lasso"].build(0).fit(X, y)
    card = ModelCard("lasso", "outcome", [f"f{i}" for i in range(X.shape[1])])
    save_model(pipeline, card, tmp_path / "model")
    loaded, card_back = load_model(tmp_path / "model")
    assert card_back == card
    assert np.array_equal(loaded.predict_proba(X), pipeline.predict_proba(X))
    with pytest.raises(HepaticaInputError, match="no saved model here"):
        load_model(tmp_path)
