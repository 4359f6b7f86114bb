"""A prior study of the same phantom patient: aligned, lesions matched, growth and RECIST (true masks, so this
tests the comparison, not the segmentation). Synthetic data only."""

import numpy as np
import pytest

from hepatica.characterize.study import compare_with_prior
from hepatica.errors import HepaticaInputError
from hepatica.io.phase import Phase
from hepatica.measure.lesions import find_lesions
from hepatica.phantom.follow_up import make_prior_study


@pytest.fixture(scope="module")
def studies(small_phantom):
    # the small phantom: 1 HCC 30 mm, 2 FNH 24 mm, 3 cyst 20 mm. Before: the HCC was 16 mm, the FNH not there.
    types = {lesion.label: lesion.type.value for lesion in small_phantom.lesions}
    assert types == {1: "hcc", 2: "fnh", 3: "cyst"}
    prior, motion = make_prior_study(small_phantom, {1: 16.0, 2: 0.0}, np.random.default_rng(5), max_shift_mm=10.0)
    return small_phantom, prior, motion


@pytest.fixture(scope="module")
def comparison(studies):
    current, prior, _ = studies
    return compare_with_prior(
        prior.phases[Phase.PORTAL_VENOUS],
        find_lesions(prior.liver, prior.lesion_labels),
        current.phases[Phase.PORTAL_VENOUS],
        find_lesions(current.liver, current.lesion_labels),
        interval_days=90,
    )


def test_the_prior_study_is_aligned_and_its_lesions_matched(studies, comparison):
    _, prior, motion = studies
    assert np.linalg.norm(motion.translation_mm) > 3  # the patient did lie differently
    assert comparison.alignment.residual_mm < 1.0
    prior_types = {lesion.label: lesion.type.value for lesion in prior.lesions}
    matched = {label: g.match.matched for label, g in comparison.growth.items()}
    assert prior_types[matched[1]] == "hcc" and prior_types[matched[3]] == "cyst"
    assert matched[2] is None  # the FNH is new
    assert comparison.disappeared == []


def test_growth_of_more_than_half_in_90_days_is_threshold_growth_and_a_stable_cyst_is_not(comparison):
    hcc, fnh, cyst = (comparison.growth[label] for label in (1, 2, 3))
    assert hcc.threshold_growth.value is True and hcc.change_percent > 50
    assert cyst.threshold_growth.value is False and abs(cyst.change_percent) < 20
    assert fnh.threshold_growth.value is False and "new since the prior study" in fnh.threshold_growth.evidence


def test_recist_with_the_prior_study_as_baseline_is_progression(comparison):
    assert comparison.recist.category == "PD"
    assert any("new lesion" in reason for reason in comparison.recist.reasons)


def test_a_prior_study_dated_after_the_current_one_is_refused(studies):
    current, prior, _ = studies
    with pytest.raises(HepaticaInputError, match="dated .* after the current one"):
        compare_with_prior(
            prior.phases[Phase.PORTAL_VENOUS],
            find_lesions(prior.liver, prior.lesion_labels),
            current.phases[Phase.PORTAL_VENOUS],
            find_lesions(current.liver, current.lesion_labels),
            interval_days=-10,
        )
