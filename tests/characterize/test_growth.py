"""Lesion matching across studies and growth in LI-RADS v2018 terms (threshold growth: >= 50 % in <= 6 months)."""

import numpy as np
import pytest

from hepatica.characterize.growth import assess_growth
from hepatica.measure.matching import LesionMatch, match_lesions


def _ball(shape, centre, radius):
    z, y, x = np.indices(shape)
    return (z - centre[0]) ** 2 + (y - centre[1]) ** 2 + (x - centre[2]) ** 2 <= radius**2


def _match(now, before, prior=1):
    return LesionMatch(1, prior, now, before, 0.5, 1.0)


def test_lesions_match_by_overlap_then_by_distance_and_the_rest_are_new():
    shape = (40, 40, 80)
    current = np.zeros(shape, np.uint16)
    prior = np.zeros(shape, np.uint16)
    current[_ball(shape, (20, 20, 15), 6)] = 1
    prior[_ball(shape, (20, 20, 16), 4)] = 2  # overlaps lesion 1
    current[_ball(shape, (20, 20, 45), 3)] = 2
    prior[_ball(shape, (20, 27, 45), 2)] = 1  # no overlap, centre 7 mm away: matched by distance
    current[_ball(shape, (20, 20, 70), 3)] = 3  # nothing there before: new
    prior[_ball(shape, (5, 5, 70), 2)] = 3  # 21 mm from lesion 3: not the same lesion
    matches = {
        m.lesion: m for m in match_lesions(current, prior, (1.0, 1.0, 1.0), {1: 12, 2: 6, 3: 6}, {1: 4, 2: 8, 3: 4})
    }
    assert matches[1].matched == 2 and matches[1].overlap > 0.2
    assert matches[2].matched == 1 and matches[2].overlap == 0 and matches[2].distance_mm == pytest.approx(7.0)
    assert matches[3].matched is None and matches[3].matched_size_mm is None


@pytest.mark.parametrize(
    ("now", "before", "days", "expected"),
    [
        (15.0, 10.0, 180, True),  # exactly +50 % within 6 months
        (14.5, 10.0, 180, False),  # +45 %
        (15.0, 10.0, 200, False),  # +50 %, but over more than 6 months
    ],
)
def test_threshold_growth_is_50_percent_in_6_months(now, before, days, expected):
    growth = assess_growth(_match(now, before), days, size_error_mm=0.5)
    assert growth.threshold_growth.value is expected
    assert f"{before:.0f} mm -> {now:.0f} mm" in growth.threshold_growth.evidence


def test_unequivocal_growth_short_of_threshold_is_subthreshold_growth():
    assert assess_growth(_match(14.0, 10.0), 90, size_error_mm=0.5).favor_malignancy == ("subthreshold growth",)
    assert assess_growth(_match(10.5, 10.0), 90, size_error_mm=0.5).favor_malignancy == ()  # within error
    assert assess_growth(_match(30.0, 10.0), 90, size_error_mm=0.5).favor_malignancy == ()  # threshold growth


def test_size_reduction_and_two_year_stability_favour_benignity():
    assert assess_growth(_match(7.0, 10.0), 90, size_error_mm=0.5).favor_benign == ("size reduction",)
    assert assess_growth(_match(10.2, 10.0), 800, size_error_mm=0.5).favor_benign == ("size stability >= 2 years",)
    assert assess_growth(_match(10.2, 10.0), 400, size_error_mm=0.5).favor_benign == ()


def test_new_lesions_and_unknown_intervals_are_not_threshold_growth():
    new = assess_growth(LesionMatch(1, None, 12.0, None, 0.0, None), 90, size_error_mm=0.5)
    assert new.threshold_growth.value is False and "new since the prior study" in new.threshold_growth.evidence
    unknown = assess_growth(_match(20.0, 10.0), None, size_error_mm=0.5)
    assert unknown.threshold_growth.value is None and "--interval-days" in unknown.threshold_growth.evidence
