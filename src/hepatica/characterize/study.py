"""The LI-RADS stage of ``analyze``: align the phases, measure each segmented lesion, categorize it; with a prior
study, match its lesions to this study's and assess growth and RECIST 1.1 response.

Lesions are the study's `LiverLesions` (labelled once, 1 = largest) on the segmented series' grid; the other
phases (and the prior study) are aligned to it. A phase that cannot be aligned is left out, with the reason (a
warning, and a quality-control flag); the lesions are characterized on the phases that remain. A study with one
phase still gets an entry per lesion, with the missing phases named and LR-NC: Hepatica does not guess features
it cannot see.
Everything here is returned as objects (`StudyLirads`); the report stage turns them into the result and files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import SimpleITK as sitk

from hepatica.characterize.enhancement import measure_enhancement
from hepatica.characterize.features import NAMES, LesionFeatures, lesion_features
from hepatica.characterize.growth import Growth, assess_growth
from hepatica.characterize.observation import observation_from_features
from hepatica.characterize.register import (
    AlignedPhases,
    PhaseAlignment,
    StudyAlignment,
    align_phases,
    align_prior_study,
)
from hepatica.characterize.size import LesionSize, lesion_size
from hepatica.errors import HepaticaInputError
from hepatica.io.phase import Phase
from hepatica.io.study import Study
from hepatica.io.volume import Volume
from hepatica.lirads import categorize
from hepatica.lirads.response import MeasuredLesion, ResponseAssessment, assess_response
from hepatica.measure.lesions import LiverLesions
from hepatica.measure.matching import match_lesions

ORDER = (Phase.PRE_CONTRAST, Phase.ARTERIAL, Phase.PORTAL_VENOUS, Phase.DELAYED)
UNKNOWN_RISK_NOTE = (
    "Assumes the patient is at high risk for HCC, the only population LI-RADS applies to; not stated for this study."
)


@dataclass(frozen=True)
class PriorStudy:
    """A prior study compared with the current one: each current lesion's growth (by label), how the prior was
    aligned, the interval (days), prior lesions not seen any more, and RECIST 1.1 (None: no measurable target)."""

    growth: dict[int, Growth]
    alignment: StudyAlignment
    interval_days: float | None
    prior_lesion_count: int
    disappeared: list[int]
    recist: ResponseAssessment | None


def compare_with_prior(
    prior: Volume,
    prior_lesions: LiverLesions,
    reference: Volume,
    lesions: LiverLesions,
    interval_days: float | None = None,
) -> PriorStudy:
    """Align the prior study's segmented series (``prior``, with its liver and lesions) to the current one
    (``reference`` and ``lesions``), match the lesions and assess growth. ``interval_days`` defaults to the
    difference of the DICOM study dates."""
    if interval_days is None:
        interval_days = _interval_days(prior, reference)
    if interval_days is not None and interval_days < 0:
        raise HepaticaInputError(
            f"the prior study is dated {-interval_days:.0f} days after the current one; "
            "give the studies in the right order"
        )
    alignment = align_prior_study(prior, prior_lesions.liver, reference, lesions.liver)
    moved = sitk.Resample(
        prior_lesions.labels.to_sitk(),
        reference.to_sitk(),
        alignment.transform,
        sitk.sitkNearestNeighbor,
        0,
        sitk.sitkUInt16,
    )
    now = {m.label: m for m in lesions.measurements}
    before = {m.label: m for m in prior_lesions.measurements}
    matches = match_lesions(
        lesions.labels.array,
        sitk.GetArrayFromImage(moved),
        reference.spacing[::-1],
        {i: m.longest_3d_diameter_mm for i, m in now.items()},
        {j: m.longest_3d_diameter_mm for j, m in before.items()},
    )
    error = float(max(reference.spacing))
    growth = {m.lesion: assess_growth(m, interval_days, error) for m in matches}
    found = {m.matched: m.lesion for m in matches if m.matched is not None}
    recist = None
    baseline = [MeasuredLesion(f"prior lesion {j}", m.longest_axial_diameter_mm) for j, m in before.items()]
    if any(b.diameter_mm >= 10 for b in baseline):
        follow_up = [MeasuredLesion(f"prior lesion {j}", now[i].longest_axial_diameter_mm) for j, i in found.items()]
        new = any(m.matched is None and now[m.lesion].longest_axial_diameter_mm >= 10 for m in matches)
        recist = assess_response(baseline, follow_up, "RECIST 1.1", new_lesions=new)
    return PriorStudy(growth, alignment, interval_days, len(before), sorted(set(before) - set(found)), recist)


def _interval_days(prior: Volume, current: Volume) -> float | None:
    dates = [volume.metadata.get("study_date") for volume in (prior, current)]
    if not all(dates):
        return None
    return float((date.fromisoformat(dates[1]) - date.fromisoformat(dates[0])).days)


@dataclass(frozen=True)
class StudyPhases:
    """The study's phases on the segmented series' grid (HU), aligned to it; how each was aligned (in the order
    of alignment); the phases that could not be aligned, with the reason (they are left out of ``images`` and so
    of LI-RADS); warnings."""

    reference_phase: Phase
    images: dict[Phase, Volume]
    alignments: dict[Phase, PhaseAlignment]
    warnings: list[str]
    failed: dict[Phase, str] = field(default_factory=dict)


def align_study_phases(study: Study, reference: Volume, liver: Volume) -> StudyPhases:
    """Align every known phase of ``study`` to ``reference`` (the segmented series; ``liver`` on its grid)."""
    by_phase = {phase: series.volume for phase, series in study.by_phase.items() if phase is not Phase.UNKNOWN}
    warnings: list[str] = []
    alignments: dict[Phase, PhaseAlignment] = {}
    reference_phase = next((p for p, v in by_phase.items() if v is reference), None)
    if reference_phase is None:
        reference_phase = Phase.PORTAL_VENOUS
        warnings.append("the segmented series' contrast phase is unknown; it is read as portal venous")
    by_phase[reference_phase] = reference
    images: dict[Phase, Volume] = {reference_phase: reference}
    failed: dict[Phase, str] = {}
    if len(by_phase) > 1:
        aligned: AlignedPhases = align_phases(by_phase, liver, reference=reference_phase)
        images = dict(aligned.images)
        alignments = dict(aligned.alignments)
        failed = dict(aligned.failures)
        warnings.extend(
            f"{why}; the {phase.label.lower()} phase was left out of LI-RADS" for phase, why in failed.items()
        )
    return StudyPhases(reference_phase, images, alignments, warnings, failed)


@dataclass(frozen=True)
class LesionLirads:
    """LI-RADS of one lesion (``label`` as in the study's `LiverLesions`): the measured features, the LI-RADS size,
    its change since the prior study (None without one), the category (None where LI-RADS does not apply) and the
    reasons in LI-RADS words."""

    label: int
    features: LesionFeatures
    size: LesionSize
    growth: Growth | None
    category: str | None
    reasons: list[str]


@dataclass(frozen=True)
class StudyLirads:
    """LI-RADS v2018 of every lesion that could be characterized (by label), with the phases it used, the risk
    stated, the prior study's comparison and the warnings (a lesion that could not be characterized is named
    there)."""

    phases: StudyPhases
    high_risk: bool | None
    lesions: dict[int, LesionLirads]
    prior: PriorStudy | None
    warnings: list[str]

    @property
    def phases_used(self) -> list[Phase]:
        return [p for p in ORDER if p in self.phases.images]

    @property
    def missing_phases(self) -> list[str]:
        """Required LI-RADS phases the study lacks, in LI-RADS words."""
        required = (Phase.ARTERIAL, Phase.PORTAL_VENOUS, Phase.DELAYED)
        return [NAMES[p] for p in required if p not in self.phases.images]


def study_lirads(
    study: Study,
    reference: Volume,
    lesions: LiverLesions,
    high_risk: bool | None = None,
    prior: PriorStudy | None = None,
    phases: StudyPhases | None = None,
) -> StudyLirads:
    """LI-RADS features, size (in the phase where the margin is sharpest) and category of every lesion.
    ``reference`` is the segmented series (its phase the alignment target); ``prior`` adds growth; ``phases``
    is ``align_study_phases``' result when the caller already aligned the study."""
    if phases is None:
        phases = align_study_phases(study, reference, lesions.liver)
    warnings = list(phases.warnings)
    images = {p: v.array.astype(np.float32) for p, v in phases.images.items()}
    liver_mask = lesions.liver.array > 0
    entries = {}
    for lesion in lesions.lesions:
        label = lesion.label
        mask, others = lesions.mask(label), lesions.others(label)
        try:
            features = lesion_features(
                measure_enhancement(images, mask, liver_mask, reference.spacing[::-1], other_lesions=others)
            )
        except HepaticaInputError as error:
            warnings.append(f"lesion {label}: not characterized ({error})")
            continue
        size = lesion_size(images, mask, liver_mask, reference, other_lesions=others)
        growth = prior.growth.get(label) if prior is not None else None
        observation = observation_from_features(
            features,
            size.diameter_mm,
            high_risk=high_risk is not False,
            observation_id=f"lesion {label}",
            growth=growth,
            size_evidence=size.evidence,
        )
        result = categorize(observation)
        reasons = ([UNKNOWN_RISK_NOTE] if high_risk is None and result.category is not None else []) + result.reasons
        entries[label] = LesionLirads(label, features, size, growth, result.category, reasons)
    return StudyLirads(phases, high_risk, entries, prior, warnings)
