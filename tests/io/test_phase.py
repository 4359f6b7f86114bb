from datetime import time

import pytest

from hepatica.errors import PhaseError
from hepatica.io.phase import Phase, PhaseClues, estimate_phases, parse_phase, phase_from_text, phase_from_timing


@pytest.mark.parametrize(
    ("delay_s", "phase"),
    [
        (20, Phase.ARTERIAL),
        (45, Phase.ARTERIAL),
        (60, Phase.PORTAL_VENOUS),
        (110, Phase.PORTAL_VENOUS),
        (180, Phase.DELAYED),
    ],
)
def test_phase_from_bolus_timing(delay_s, phase):
    start = time(10, 0, 0)
    acquired = time(10, delay_s // 60, delay_s % 60)
    estimate = phase_from_timing(start, acquired)
    assert estimate.phase is phase
    assert estimate.evidence == f"acquired {delay_s} s after contrast bolus start"


def test_timing_across_midnight():
    assert phase_from_timing(time(23, 59, 30), time(0, 0, 40)).phase is Phase.PORTAL_VENOUS


@pytest.mark.parametrize(
    ("text", "phase"),
    [
        ("Abdomen non-contrast 5mm", Phase.PRE_CONTRAST),
        ("LEBER NATIV", Phase.PRE_CONTRAST),
        ("Late arterial 1.25", Phase.ARTERIAL),
        ("Leber arteriell", Phase.ARTERIAL),
        ("PVP 3mm", Phase.PORTAL_VENOUS),
        ("Portal venous", Phase.PORTAL_VENOUS),
        ("Delayed 3 min", Phase.DELAYED),
        ("equilibrium", Phase.DELAYED),
    ],
)
def test_phase_from_series_description(text, phase):
    assert phase_from_text(text).phase is phase


def test_description_without_phase_words_gives_nothing():
    assert phase_from_text("CT Body 3.0 FDG_TK_KM") is None


def test_acquisition_order_fills_unknown_series():
    clues = [
        PhaseClues(description="Series A", contrast_agent=None, acquisition_time=time(9, 0, 0)),
        PhaseClues(description="Series B", contrast_agent="Iomeprol", acquisition_time=time(9, 2, 30)),
        PhaseClues(description="Series C", contrast_agent="Iomeprol", acquisition_time=time(9, 3, 10)),
        PhaseClues(description="Series D", contrast_agent="Iomeprol", acquisition_time=time(9, 6, 0)),
    ]
    phases = [e.phase for e in estimate_phases(clues)]
    assert phases == [Phase.PRE_CONTRAST, Phase.ARTERIAL, Phase.PORTAL_VENOUS, Phase.DELAYED]
    assert all(e.source == "acquisition-order" for e in estimate_phases(clues))


def test_timing_outranks_description():
    clue = PhaseClues(
        description="arterial", contrast_agent="x", bolus_start=time(9, 0), acquisition_time=time(9, 1, 10)
    )
    assert estimate_phases([clue])[0].phase is Phase.PORTAL_VENOUS


def test_single_series_without_clues_stays_unknown():
    [estimate] = estimate_phases([PhaseClues()])
    assert estimate.phase is Phase.UNKNOWN and estimate.confidence == 0.0


def test_parse_phase_accepts_short_forms_and_rejects_others():
    assert parse_phase("PV") is Phase.PORTAL_VENOUS
    assert parse_phase("portal-venous") is Phase.PORTAL_VENOUS
    assert parse_phase("pre") is Phase.PRE_CONTRAST
    with pytest.raises(PhaseError, match="Unknown contrast phase 'hepatobiliary'"):
        parse_phase("hepatobiliary")
