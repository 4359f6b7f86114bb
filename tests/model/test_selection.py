"""Selection steps: the correlation filter keeps one feature per correlated group, the LASSO keeps the informative
features and never none, mRMR passes over a redundant copy."""

import numpy as np

from hepatica.model.selection import CorrelationFilter, LassoSelector, MrmrSelector


def test_correlation_filter_keeps_the_first_feature_of_each_correlated_group():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(2, 200))
    X = np.column_stack([a, np.exp(a) + 0.01 * rng.normal(size=200), b, -3 * b, rng.normal(size=200)])
    kept = CorrelationFilter(0.9).fit(X).get_support()
    assert kept.tolist() == [True, False, True, False, True]  # exp(a) is monotone in a: Spearman 1
    assert CorrelationFilter(0.9).fit_transform(X).shape == (200, 3)


def test_lasso_keeps_the_informative_features_and_at_least_one():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, 50))
    y = (X[:, 3] - X[:, 7] + 0.3 * rng.normal(size=300) > 0).astype(int)
    support = LassoSelector(C=0.05).fit(X, y).get_support()
    assert support[3] and support[7] and support.sum() <= 10
    noise = rng.integers(0, 2, 300)
    assert LassoSelector(C=1e-4).fit(X, noise).get_support().sum() == 1


def test_mrmr_takes_the_relevant_feature_then_the_relevant_one_that_is_not_redundant():
    rng = np.random.default_rng(5)
    signal, other = rng.normal(size=(2, 400))
    y = (signal + 0.7 * other + 0.5 * rng.normal(size=400) > 0).astype(int)
    copy = signal + 0.05 * rng.normal(size=400)  # as relevant as the signal, and redundant with it
    X = np.column_stack([rng.normal(size=(400, 5)), copy, other, signal])
    selector = MrmrSelector(k=2).fit(X, y)
    assert selector.order_[1] == 6  # 'other', not the copy of the first choice
    assert selector.order_[0] in (5, 7)
    assert selector.get_support().sum() == 2 and selector.transform(X).shape == (400, 2)
