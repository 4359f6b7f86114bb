"""RECIST 1.1 and mRECIST thresholds (Eisenhauer 2009; Lencioni & Llovet 2010), at and beside each edge."""

import pytest

from hepatica.errors import HepaticaInputError
from hepatica.lirads import MeasuredLesion, assess_response, select_targets

BASELINE = [
    MeasuredLesion("a", 40.0),
    MeasuredLesion("b", 30.0),
    MeasuredLesion("c", 25.0),
    MeasuredLesion("d", 8.0),
    MeasuredLesion("lung", 20.0, organ="lung"),
]


def test_targets_are_the_largest_measurable_two_per_organ_five_in_all():
    assert [t.id for t in select_targets(BASELINE)] == ["a", "b", "lung"]
    many = [MeasuredLesion(f"{organ}{k}", 50.0 - k, organ=organ) for organ in "pqrs" for k in range(3)]
    assert len(select_targets(many)) == 5


def follow(a: float, b: float, lung: float) -> list[MeasuredLesion]:
    return [MeasuredLesion("a", a), MeasuredLesion("b", b), MeasuredLesion("lung", lung, organ="lung")]


@pytest.mark.parametrize(
    "sizes, expected",
    [
        ((0, 0, 0), "CR"),
        ((28, 21, 14), "PR"),  # 63 of 90 mm: exactly -30 %
        ((29, 21, 14), "SD"),  # -29 %
        ((48, 36, 24), "PD"),  # 108 mm: exactly +20 % and +18 mm
        ((47, 36, 24), "SD"),  # +19 %
    ],
)
def test_recist_thresholds(sizes, expected):
    assert assess_response(BASELINE, follow(*sizes)).category == expected


def test_recist_progression_is_measured_from_the_nadir_and_needs_5_mm():
    assert assess_response(BASELINE, follow(30, 20, 10), nadir_sum_mm=50).category == "PD"  # +20 %, +10 mm
    small = [MeasuredLesion("a", 12.0), MeasuredLesion("b", 10.0)]
    grown = [MeasuredLesion("a", 15.0), MeasuredLesion("b", 11.5)]  # +20.5 % but +4.5 mm
    assert assess_response(small, grown).category == "SD"
    assert assess_response(small, grown, criteria="mRECIST").category == "PD"  # mRECIST has no 5 mm rule


def test_new_lesion_is_progression():
    assert assess_response(BASELINE, follow(10, 10, 10), new_lesions=True).category == "PD"


def test_mrecist_uses_enhancing_targets_only():
    baseline = [MeasuredLesion("a", 40.0, arterial_enhancement=False), MeasuredLesion("b", 30.0)]
    result = assess_response(baseline, [MeasuredLesion("b", 0.0)], criteria="mRECIST")
    assert result.targets == ["b"] and result.category == "CR"
    with pytest.raises(HepaticaInputError, match="no measurable target"):
        assess_response([MeasuredLesion("a", 40.0, arterial_enhancement=False)], [], criteria="mRECIST")
