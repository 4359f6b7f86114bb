"""Contrast phase of a series: pre-contrast, arterial, portal venous or delayed.

The phase is read from the evidence a scanner leaves, strongest first:

1. the user's assignment (always wins);
2. the delay between ``ContrastBolusStartTime`` and ``AcquisitionTime`` (s): < 50 arterial, 50-120 portal venous,
   > 120 delayed (typical liver protocols: late arterial 35-45 s, portal venous 60-90 s, delayed 3-5 min);
3. words in ``SeriesDescription`` / ``ProtocolName`` (or a file name), in English, German, French and Spanish;
4. within a multi-series study, the order of acquisition times: a series with no contrast agent recorded that
   precedes contrast-enhanced series is pre-contrast, and the enhanced series in time order become arterial,
   portal venous and delayed (low confidence, said so in the evidence).

A series about which nothing is known is ``unknown``; nothing is guessed from the pixel values here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from enum import Enum

from hepatica.errors import PhaseError


class Phase(str, Enum):
    """Contrast phases of a liver CT or MRI study, in acquisition order."""

    PRE_CONTRAST = "pre_contrast"
    ARTERIAL = "arterial"
    PORTAL_VENOUS = "portal_venous"
    DELAYED = "delayed"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        """Name as a radiologist writes it."""
        return {
            "pre_contrast": "Pre-contrast",
            "arterial": "Arterial",
            "portal_venous": "Portal venous",
            "delayed": "Delayed",
            "unknown": "Unknown phase",
        }[self.value]


ENHANCED_ORDER = (Phase.ARTERIAL, Phase.PORTAL_VENOUS, Phase.DELAYED)

#: Upper bounds (s after bolus start) of the arterial and portal-venous windows.
ARTERIAL_MAX_DELAY_S = 50.0
PORTAL_VENOUS_MAX_DELAY_S = 120.0

_ALIASES = {
    "pre": Phase.PRE_CONTRAST,
    "pre_contrast": Phase.PRE_CONTRAST,
    "precontrast": Phase.PRE_CONTRAST,
    "native": Phase.PRE_CONTRAST,
    "unenhanced": Phase.PRE_CONTRAST,
    "noncontrast": Phase.PRE_CONTRAST,
    "arterial": Phase.ARTERIAL,
    "art": Phase.ARTERIAL,
    "a": Phase.ARTERIAL,
    "ap": Phase.ARTERIAL,
    "late_arterial": Phase.ARTERIAL,
    "portal_venous": Phase.PORTAL_VENOUS,
    "portal": Phase.PORTAL_VENOUS,
    "pv": Phase.PORTAL_VENOUS,
    "venous": Phase.PORTAL_VENOUS,
    "pvp": Phase.PORTAL_VENOUS,
    "delayed": Phase.DELAYED,
    "delay": Phase.DELAYED,
    "equilibrium": Phase.DELAYED,
    "late": Phase.DELAYED,
    "transitional": Phase.DELAYED,
    "unknown": Phase.UNKNOWN,
}

# Order matters: the first pattern that matches decides ("non-contrast" before "contrast", "late arterial"
# before "late").
_DESCRIPTION_PATTERNS: tuple[tuple[re.Pattern[str], Phase], ...] = tuple(
    (re.compile(p, re.IGNORECASE), phase)
    for p, phase in (
        (
            r"\b(non[\s_-]?contrast|pre[\s_-]?contrast|precontrast|unenhanced|non[\s_-]?enhanced|native?|plain|"
            r"sans[\s_-]?injection|sin[\s_-]?contraste|w/?o|without)\b",
            Phase.PRE_CONTRAST,
        ),
        (
            r"\b(late[\s_-]?arterial|early[\s_-]?arterial|arterial|arteriell|art[ée]riel(le)?|hap|lap|art)\b",
            Phase.ARTERIAL,
        ),
        (r"\b(portal[\s_-]?ven\w*|portale?|pvp?|venous|ven[öo]s|veineux|venosa|70\s?s)\b", Phase.PORTAL_VENOUS),
        (r"\b(delayed?|equilibrium|late|sp[äa]t\w*|tardif|tard[ií]a|transitional|[2-5]\s?min)\b", Phase.DELAYED),
        (r"\b(pre)\b", Phase.PRE_CONTRAST),
    )
)


def parse_phase(name: str) -> Phase:
    """The phase a user means by ``name`` ('arterial', 'pv', 'portal-venous', 'pre', ...)."""
    key = re.sub(r"[\s-]+", "_", name.strip().lower())
    if key in _ALIASES:
        return _ALIASES[key]
    choices = ", ".join(p.value for p in Phase if p is not Phase.UNKNOWN)
    raise PhaseError(f"Unknown contrast phase {name!r}. Use one of: {choices} (or short forms pre, art, pv, delay).")


@dataclass(frozen=True)
class PhaseEstimate:
    """A phase with how it was decided (``source``), the facts behind it, and a confidence in [0, 1]."""

    phase: Phase
    source: str  # "user", "bolus-timing", "description", "file-name", "acquisition-order", "none"
    evidence: str
    confidence: float


def phase_from_text(text: str, source: str = "description") -> PhaseEstimate | None:
    """The phase named in free text such as a SeriesDescription or a file name, or None."""
    if not text:
        return None
    cleaned = re.sub(r"[_.]+", " ", text)
    for pattern, phase in _DESCRIPTION_PATTERNS:
        match = pattern.search(cleaned)
        if match:
            return PhaseEstimate(phase, source, f"{source} contains '{match.group(0)}'", 0.8)
    return None


def phase_from_timing(bolus_start: time | None, acquisition: time | None) -> PhaseEstimate | None:
    """The phase from the delay between contrast bolus start and acquisition, or None when either is missing."""
    delay = seconds_between(bolus_start, acquisition)
    if delay is None or delay < 0:
        return None
    if delay < ARTERIAL_MAX_DELAY_S:
        phase = Phase.ARTERIAL
    elif delay <= PORTAL_VENOUS_MAX_DELAY_S:
        phase = Phase.PORTAL_VENOUS
    else:
        phase = Phase.DELAYED
    return PhaseEstimate(phase, "bolus-timing", f"acquired {delay:.0f} s after contrast bolus start", 0.9)


def seconds_between(start: time | None, end: time | None) -> float | None:
    """Seconds from ``start`` to ``end`` on the same day (a scan that crosses midnight wraps around)."""
    if start is None or end is None:
        return None
    s = start.hour * 3600 + start.minute * 60 + start.second + start.microsecond / 1e6
    e = end.hour * 3600 + end.minute * 60 + end.second + end.microsecond / 1e6
    delta = e - s
    return delta + 86400 if delta < -43200 else delta


@dataclass(frozen=True)
class PhaseClues:
    """What one series says about its contrast phase (all optional)."""

    description: str = ""
    contrast_agent: str | None = None  # ContrastBolusAgent; None when the attribute is absent or empty
    bolus_start: time | None = None
    acquisition_time: time | None = None


def estimate_phases(clues: list[PhaseClues]) -> list[PhaseEstimate]:
    """Phase estimates for the series of one study, in the order given (see the module docstring)."""
    estimates: list[PhaseEstimate | None] = []
    for c in clues:
        estimates.append(phase_from_timing(c.bolus_start, c.acquisition_time) or phase_from_text(c.description))
    _fill_from_acquisition_order(clues, estimates)
    return [
        e or PhaseEstimate(Phase.UNKNOWN, "none", "no phase information in the DICOM header", 0.0) for e in estimates
    ]


def _fill_from_acquisition_order(clues: list[PhaseClues], estimates: list[PhaseEstimate | None]) -> None:
    """Assign phases to still-unknown series of a multi-series study from their acquisition order."""
    unknown = [n for n, e in enumerate(estimates) if e is None and clues[n].acquisition_time is not None]
    timed = [n for n, c in enumerate(clues) if c.acquisition_time is not None]
    if not unknown or len(timed) < 2:
        return
    order = sorted(timed, key=lambda n: _seconds(clues[n].acquisition_time))
    enhanced_seen = False
    enhanced_rank = 0
    for n in order:
        has_agent = bool(clues[n].contrast_agent)
        if estimates[n] is not None:
            enhanced_seen |= estimates[n].phase in ENHANCED_ORDER
            if estimates[n].phase in ENHANCED_ORDER:
                enhanced_rank = ENHANCED_ORDER.index(estimates[n].phase) + 1
            continue
        if not has_agent and not enhanced_seen:
            estimates[n] = PhaseEstimate(
                Phase.PRE_CONTRAST,
                "acquisition-order",
                "no contrast agent recorded and acquired before the enhanced series",
                0.5,
            )
        elif has_agent and enhanced_rank < len(ENHANCED_ORDER):
            phase = ENHANCED_ORDER[enhanced_rank]
            enhanced_rank += 1
            enhanced_seen = True
            estimates[n] = PhaseEstimate(
                phase,
                "acquisition-order",
                f"contrast agent recorded; enhanced series number {enhanced_rank} in acquisition order",
                0.4,
            )


def _seconds(t: time) -> float:
    return t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6
