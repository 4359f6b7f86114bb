"""Tumour response between a baseline and a follow-up study: RECIST 1.1 and mRECIST for HCC.

RECIST 1.1 (Eisenhauer et al., Eur J Cancer 2009;45:228-247): up to five target lesions, at most two per organ,
each at least 10 mm in longest diameter at baseline; the sum of their longest diameters gives complete
response (all gone), partial response (>= 30 % below the baseline sum), progressive disease (>= 20 % and
>= 5 mm above the smallest sum so far, or a new lesion) or stable disease. mRECIST (Lencioni & Llovet, Semin
Liver Dis 2010;30:52-60) applies the same rules to the longest diameter of the *viable* (arterially enhancing)
tumour, with targets that enhance in the arterial phase, and no 5 mm condition for progression.
Lesions are matched across studies by the caller (``id``); a target absent at follow-up counts 0 mm.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from hepatica.errors import HepaticaInputError

Criteria = Literal["RECIST 1.1", "mRECIST"]


@dataclass(frozen=True)
class MeasuredLesion:
    """One lesion in one study: its longest diameter (mm), for mRECIST that of the viable tumour."""

    id: str
    diameter_mm: float
    organ: str = "liver"
    arterial_enhancement: bool = True  # mRECIST: only enhancing lesions can be targets


@dataclass(frozen=True)
class ResponseAssessment:
    criteria: Criteria
    category: Literal["CR", "PR", "SD", "PD"]
    targets: list[str]
    baseline_sum_mm: float
    follow_up_sum_mm: float
    nadir_sum_mm: float
    reasons: list[str]

    def to_json(self) -> dict:
        return {
            "criteria": self.criteria,
            "category": self.category,
            "targets": self.targets,
            "baseline_sum_mm": round(self.baseline_sum_mm, 1),
            "follow_up_sum_mm": round(self.follow_up_sum_mm, 1),
            "nadir_sum_mm": round(self.nadir_sum_mm, 1),
            "reasons": self.reasons,
        }


def select_targets(baseline: list[MeasuredLesion], criteria: Criteria = "RECIST 1.1") -> list[MeasuredLesion]:
    """The largest measurable lesions: >= 10 mm, at most two per organ and five in all (mRECIST: enhancing)."""
    eligible = [
        lesion
        for lesion in sorted(baseline, key=lambda lesion: -lesion.diameter_mm)
        if lesion.diameter_mm >= 10 and (criteria == "RECIST 1.1" or lesion.arterial_enhancement)
    ]
    targets, per_organ = [], {}
    for lesion in eligible:
        if len(targets) < 5 and per_organ.get(lesion.organ, 0) < 2:
            targets.append(lesion)
            per_organ[lesion.organ] = per_organ.get(lesion.organ, 0) + 1
    return targets


def assess_response(
    baseline: list[MeasuredLesion],
    follow_up: list[MeasuredLesion],
    criteria: Criteria = "RECIST 1.1",
    nadir_sum_mm: float | None = None,
    new_lesions: bool = False,
) -> ResponseAssessment:
    """Response of the target lesions chosen at ``baseline`` at ``follow_up``. ``nadir_sum_mm`` is the smallest
    target sum recorded since treatment started (default: the baseline sum)."""
    if criteria not in ("RECIST 1.1", "mRECIST"):
        raise HepaticaInputError(f"unknown response criteria {criteria!r}; use 'RECIST 1.1' or 'mRECIST'")
    targets = select_targets(baseline, criteria)
    if not targets:
        raise HepaticaInputError(
            f"{criteria}: no measurable target lesion at baseline (>= 10 mm"
            f"{', arterially enhancing' if criteria == 'mRECIST' else ''})."
        )
    now = {lesion.id: lesion.diameter_mm for lesion in follow_up}
    baseline_sum = sum(t.diameter_mm for t in targets)
    current = sum(now.get(t.id, 0.0) for t in targets)
    nadir = min(baseline_sum, nadir_sum_mm) if nadir_sum_mm is not None else baseline_sum
    what = "viable tumour diameters" if criteria == "mRECIST" else "longest diameters"
    reasons = [
        f"Targets: {', '.join(f'{t.id} ({t.diameter_mm:.0f} mm)' for t in targets)}; sum of {what} "
        f"{baseline_sum:.0f} mm at baseline, {current:.0f} mm at follow-up."
    ]
    growth = current - nadir
    progression = nadir > 0 and growth / nadir >= 0.2 and (criteria == "mRECIST" or growth >= 5.0)
    if new_lesions or progression:
        causes = (["a new lesion"] if new_lesions else []) + (
            [f"the sum is {100 * growth / nadir:.0f} % ({growth:.0f} mm) above its smallest value {nadir:.0f} mm"]
            if progression
            else []
        )
        reasons.append(f"Progressive disease: {' and '.join(causes)}.")
        category = "PD"
    elif current == 0:
        reasons.append(
            "Complete response: "
            + (
                "no viable (arterially enhancing) tumour left in any target."
                if criteria == "mRECIST"
                else "every target lesion has disappeared."
            )
        )
        category = "CR"
    elif (baseline_sum - current) / baseline_sum >= 0.3:
        reasons.append(
            f"Partial response: the sum is {100 * (baseline_sum - current) / baseline_sum:.0f} % below "
            "baseline (>= 30 %)."
        )
        category = "PR"
    else:
        reasons.append(
            f"Stable disease: {100 * (current - baseline_sum) / baseline_sum:+.0f} % from baseline, "
            "neither >= 30 % smaller nor >= 20 % above the smallest sum."
        )
        category = "SD"
    return ResponseAssessment(criteria, category, [t.id for t in targets], baseline_sum, current, nadir, reasons)
