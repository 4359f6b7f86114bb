"""ICC against Shrout and Fleiss' (1979) worked example; perturbation ICCs that separate robust from fragile
features on simulated lesions; a test-retest ICC; the reliability filter."""

import numpy as np
import pandas as pd
import pytest

from hepatica.model.reliability import ReliableFeatures, feature_icc, icc, retest_icc
from hepatica.phantom.cohort import simulate_cohort
from hepatica.radiomics.perturbation import Perturbation, apply_perturbation, noise_sd_estimate, perturbed_features
from hepatica.radiomics.settings import ExtractionSettings

# Shrout and Fleiss (1979), Table 2: six targets rated by four judges; their Table 4 gives the ICCs.
SHROUT_FLEISS = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])


@pytest.mark.parametrize("kind, expected", [("ICC(1,1)", 0.17), ("ICC(2,1)", 0.29), ("ICC(3,1)", 0.71)])
def test_icc_matches_shrout_and_fleiss(kind, expected):
    value, low = icc(SHROUT_FLEISS, kind)
    assert value == pytest.approx(expected, abs=0.005) and low < value


def test_perturbations_move_what_they_should():
    rng = np.random.default_rng(0)
    patient = simulate_cohort(1, seed=4).patients[0]
    same, same_mask = apply_perturbation(patient.image, patient.mask, (2.0, 1.0, 1.0), Perturbation(), rng)
    assert np.allclose(same, patient.image, atol=1e-3) and np.array_equal(same_mask, patient.mask)
    _, grown = apply_perturbation(
        patient.image, patient.mask, (2.0, 1.0, 1.0), Perturbation(boundary_shift_mm=1.0), rng
    )
    _, shrunk = apply_perturbation(
        patient.image, patient.mask, (2.0, 1.0, 1.0), Perturbation(boundary_shift_mm=-1.0), rng
    )
    assert shrunk.sum() < patient.mask.sum() < grown.sum()
    noise = noise_sd_estimate(patient.image, patient.mask)
    assert 5.0 < noise < 20.0  # the phantom's noise is 11 / sqrt(dose) HU, dose 0.8-1.25, smoothed in-plane


def test_perturbation_icc_separates_robust_from_fragile_features():
    cohort = simulate_cohort(12, seed=9)
    settings = ExtractionSettings(voxel_size_mm=(1.0, 1.0, 1.0))
    copies = [
        perturbed_features(p.image, p.mask, cohort.spacing_mm, settings, copies=4, seed=i)
        for i, p in enumerate(cohort.patients)
    ]
    tables = [pd.DataFrame([c[r] for c in copies], index=[p.case for p in cohort.patients]) for r in range(4)]
    reliability = feature_icc(tables)
    assert reliability.loc["original__stat_mean", "icc"] > 0.95
    assert reliability.loc["original__morph_volume", "icc"] > 0.95
    assert reliability["icc"].min() < 0.5  # some features do not survive the perturbations
    kept = ReliableFeatures(reliability["icc"], 0.9).fit(tables[0]).get_feature_names_out()
    assert "original__stat_mean" in kept and len(kept) < tables[0].shape[1]


def test_retest_icc_of_repeat_scans():
    rng = np.random.default_rng(1)
    truth = rng.normal(size=(30, 3))
    first = pd.DataFrame(truth + 0.1 * rng.normal(size=truth.shape), columns=["a", "b", "c"])
    second = pd.DataFrame(truth + 0.1 * rng.normal(size=truth.shape), columns=["a", "b", "c"])
    second["c"] = rng.normal(size=30)  # c does not repeat
    result = retest_icc(first, second)
    assert (result.loc[["a", "b"], "icc"] > 0.95).all() and abs(result.loc["c", "icc"]) < 0.4
