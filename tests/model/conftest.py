"""A simulated cohort with known truth, shared by the modelling tests (about a minute to make)."""

import pandas as pd
import pytest

from hepatica.phantom.cohort import simulate_cohort
from tests.model.cohort_tables import clinical_table, feature_table, hidden_table, outcome_table


@pytest.fixture(scope="session")
def simulated_cohort():
    """500 patients (seed 2): features, clinical and outcome tables, hidden biology, and the cohort itself."""
    cohort = simulate_cohort(500, seed=2, keep_images=False)
    features = feature_table(cohort)
    return {
        "cohort": cohort,
        "features": features,
        "clinical": clinical_table(cohort),
        "outcomes": outcome_table(cohort),
        "hidden": hidden_table(cohort),
        "table": pd.concat([features, clinical_table(cohort)], axis=1),
    }
