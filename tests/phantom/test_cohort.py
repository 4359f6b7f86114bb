"""The simulated cohort: deterministic, each hidden variable visible through the feature designed to read it out,
and outcomes that follow the stated effects."""

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from hepatica.phantom.cohort import HIDDEN, READOUTS, patient_images, simulate_cohort
from hepatica.radiomics.extract import extract
from hepatica.radiomics.settings import ExtractionSettings


def test_same_seed_same_cohort_and_images_regenerate():
    a, b = simulate_cohort(6, seed=3), simulate_cohort(6, seed=3, keep_images=False)
    assert [p.hidden for p in a.patients] == [p.hidden for p in b.patients]
    assert [p.time_months for p in a.patients] == [p.time_months for p in b.patients]
    image, mask = patient_images(b, 4)
    assert np.array_equal(image, a.patients[4].image) and np.array_equal(mask, a.patients[4].mask)


def test_each_hidden_variable_is_read_out_by_its_feature():
    cohort = simulate_cohort(60, seed=5)
    rows = [
        extract(p.image, p.mask, cohort.spacing_mm, ExtractionSettings(voxel_size_mm=(1.0, 1.0, 1.0)))
        for p in cohort.patients
    ]
    for name in HIDDEN:
        hidden = [p.hidden[name] for p in cohort.patients]
        rho = spearmanr(hidden, [r[READOUTS[name]] for r in rows])[0]
        assert abs(rho) > 0.85, (name, rho)


def test_outcomes_follow_the_true_models():
    cohort = simulate_cohort(400, seed=1, keep_images=False)
    events = np.array([p.event for p in cohort.patients])
    expected = 1 / (1 + np.exp(-cohort.linear_predictor))
    assert abs(events.mean() - expected.mean()) < 0.06
    clinical = pd.DataFrame([p.clinical for p in cohort.patients])
    assert set(clinical["bclc"]) <= {"0", "A", "B", "C"} and (clinical["afp_ng_ml"] > 0).all()
    times = np.array([p.time_months for p in cohort.patients])
    recurred = np.array([p.died_or_recurred for p in cohort.patients])
    assert 0.3 < recurred.mean() < 0.9 and times.max() <= cohort.effects.follow_up_months
    high = cohort.log_hazard_ratio > np.median(cohort.log_hazard_ratio)
    assert np.median(times[high]) < np.median(times[~high])  # higher true hazard, earlier recurrence
