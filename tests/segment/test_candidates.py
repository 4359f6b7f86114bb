"""Lesion candidates: what each decision rests on, on evidence and on synthetic images with a known answer."""

import numpy as np
from scipy import ndimage

from hepatica.segment.candidates import (
    ADJACENT_MASS,
    BELOW_THRESHOLD,
    LESION,
    CandidateEvidence,
    decide,
    find_candidates,
)
from hepatica.segment.refine import Parenchyma


def _evidence(**changes):
    values = dict(
        volume_ml=3.0,
        diameter_mm=18.0,
        mean_probability=0.95,
        mean_hu=60.0,
        contrast_hu=-50.0,
        contrast_sd=-3.0,
        outside_fraction=0.0,
        at_surface=0.0,
        continues_outside=0.0,
    )
    return CandidateEvidence(**{**values, **changes})


def test_a_conspicuous_candidate_inside_the_liver_is_a_lesion():
    evidence = _evidence()
    assert evidence.confidence > 0.85
    assert decide(evidence, 0.5) == (LESION, ())


def test_a_candidate_as_dense_as_the_liver_around_it_is_below_threshold():
    decision, reasons = decide(_evidence(contrast_hu=-4.0, contrast_sd=-0.3), 0.5)
    assert decision == BELOW_THRESHOLD and "confidence" in reasons[0] and "-0.3 SD" in reasons[0]


def test_a_speck_is_below_the_minimum_reportable_size():
    decision, reasons = decide(_evidence(diameter_mm=3.0, volume_ml=0.01), 0.5)
    assert decision == BELOW_THRESHOLD and "minimum reportable size of 5 mm" in reasons[0]
    thin = decide(_evidence(diameter_mm=6.0, volume_ml=0.02), 0.5)  # 6 mm across two slices, but a speck
    assert thin[0] == BELOW_THRESHOLD and "a sphere of 3.4 mm" in thin[1][0]


def test_a_large_candidate_mostly_outside_the_liver_is_an_adjacent_mass_and_a_small_one_is_dropped():
    decision, reasons = decide(_evidence(volume_ml=400.0, diameter_mm=110.0, outside_fraction=0.8), 0.5)
    assert decision == ADJACENT_MASS and "possibly extrahepatic: review" in reasons[0]
    assert decide(_evidence(outside_fraction=0.9), 0.5)[0] == BELOW_THRESHOLD


def test_a_lesion_continuing_outside_the_liver_is_reported_with_a_reason_to_review():
    decision, reasons = decide(_evidence(at_surface=0.3, continues_outside=0.6), 0.5)
    assert decision == LESION and "exophytic" in reasons[0]
    subcapsular = _evidence(at_surface=0.2, continues_outside=0.6)  # IRCAD 1's subcapsular tumour: not exophytic
    assert decide(subcapsular, 0.5) == (LESION, ())


def test_the_operating_point_moves_the_threshold():
    weak = _evidence(mean_probability=0.6, contrast_sd=-1.1)  # 0.6 x 0.6
    assert decide(weak, 0.5)[0] == BELOW_THRESHOLD
    assert decide(weak, 0.3)[0] == LESION


def test_find_candidates_keeps_a_real_lesion_and_lists_a_noise_blob_below_threshold():
    shape = (80, 80, 60)
    grid = np.indices(shape).transpose(1, 2, 3, 0)
    liver = np.linalg.norm(grid - (40, 40, 30), axis=-1) <= 30
    lesion = np.linalg.norm(grid - (30, 40, 30), axis=-1) <= 6
    blob = np.linalg.norm(grid - (52, 40, 30), axis=-1) <= 5  # the network fires on plain parenchyma
    hu = np.where(liver, 110.0, -100.0).astype(np.float32)
    hu[lesion] = 60.0
    hu = ndimage.gaussian_filter(hu, 0.8) + np.random.default_rng(0).normal(0, 10, shape).astype(np.float32)
    probability = np.where(lesion | blob, 0.95, 0.05).astype(np.float32)
    found = find_candidates(probability, hu, liver, liver, Parenchyma(110.0, 4.0, 10.0), (1.0, 1.0, 1.0))
    decisions = sorted((c.decision, round(c.evidence.contrast_hu)) for c in found)
    assert [d for d, _ in decisions] == [BELOW_THRESHOLD, LESION]
    assert decisions[1][1] < -40 and abs(decisions[0][1]) < 10


def test_a_candidate_mask_cut_to_another_box():
    from hepatica.segment.candidates import Candidate

    local = np.zeros((3, 3, 3), dtype=bool)
    local[1, 1, :] = True
    candidate = Candidate((slice(2, 5), slice(2, 5), slice(2, 5)), local, None, "lesion", ())
    cut = candidate.mask_on((slice(3, 6), slice(0, 4), slice(4, 9)))
    assert cut.shape == (3, 4, 5) and cut.sum() == 1 and cut[0, 3, 0]
    assert not candidate.mask_on((slice(10, 12), slice(0, 2), slice(0, 2))).any()
