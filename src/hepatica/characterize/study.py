"""The LI-RADS stage of ``analyze``: align the phases, measure each segmented lesion, categorize it; with a prior
study, match its lesions to this study's and assess growth and RECIST 1.1 response.

Lesions are the segmentation's (labels as in lesions.nii.gz, 1 = largest) on the segmented series' grid; the
other phases (and the prior study) are aligned to it. A study with one phase (or whose phases cannot be aligned)
still gets a lesion entry per lesion, with the missing phases named and LR-NC: Hepatica does not guess features
it cannot see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import SimpleITK as sitk

from hepatica.characterize.enhancement import measure_enhancement
from hepatica.characterize.features import NAMES, Finding, LesionFeatures, lesion_features
from hepatica.characterize.growth import Growth, assess_growth, match_lesions
from hepatica.characterize.observation import observation_from_features
from hepatica.characterize.register import (
    AlignedPhases,
    PhaseAlignmentError,
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
from hepatica.measure.lesions import label_lesions, measure_liver_and_lesions
from hepatica.result import (
    FeatureFinding,
    LesionCharacterization,
    LiradsSummary,
    PhaseAlignmentEntry,
    PriorComparison,
    PriorLesionChange,
)

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
    prior_liver: Volume,
    prior_lesions: Volume,
    reference: Volume,
    liver: Volume,
    lesions: Volume,
    interval_days: float | None = None,
) -> PriorStudy:
    """Align the prior study's segmented series (with its liver and lesion masks) to the current one, match the
    lesions and assess growth. ``interval_days`` defaults to the difference of the DICOM study dates."""
    if interval_days is None:
        interval_days = _interval_days(prior, reference)
    if interval_days is not None and interval_days < 0:
        raise HepaticaInputError(
            f"the prior study is dated {-interval_days:.0f} days after the current one; "
            "give the studies in the right order"
        )
    alignment = align_prior_study(prior, prior_liver, reference, liver)
    prior_labels = label_lesions(prior_lesions)
    moved = sitk.Resample(
        prior_labels.to_sitk(), reference.to_sitk(), alignment.transform, sitk.sitkNearestNeighbor, 0, sitk.sitkUInt16
    )
    labels = label_lesions(lesions)
    now = {m.label: m for m in measure_liver_and_lesions(liver, labels).lesions}
    before = {m.label: m for m in measure_liver_and_lesions(prior_liver, prior_labels).lesions}
    matches = match_lesions(
        labels.array,
        sitk.GetArrayFromImage(moved),
        reference.spacing[::-1],
        {i: m.longest_3d_diameter_mm for i, m in now.items()},
        {j: m.longest_3d_diameter_mm for j, m in before.items()},
    )
    error = float(max(reference.spacing))
    growth = {m.lesion: assess_growth(m, interval_days, error) for m in matches}
    found = {m.prior_lesion: m.lesion for m in matches if m.prior_lesion is not None}
    recist = None
    baseline = [MeasuredLesion(f"prior lesion {j}", m.longest_axial_diameter_mm) for j, m in before.items()]
    if any(b.diameter_mm >= 10 for b in baseline):
        follow_up = [MeasuredLesion(f"prior lesion {j}", now[i].longest_axial_diameter_mm) for j, i in found.items()]
        new = any(m.prior_lesion is None and now[m.lesion].longest_axial_diameter_mm >= 10 for m in matches)
        recist = assess_response(baseline, follow_up, "RECIST 1.1", new_lesions=new)
    return PriorStudy(growth, alignment, interval_days, len(before), sorted(set(before) - set(found)), recist)


def _interval_days(prior: Volume, current: Volume) -> float | None:
    dates = [volume.metadata.get("study_date") for volume in (prior, current)]
    if not all(dates):
        return None
    return float((date.fromisoformat(dates[1]) - date.fromisoformat(dates[0])).days)


@dataclass(frozen=True)
class StudyPhases:
    """The study's phases on the segmented series' grid (HU), aligned to it; how each was aligned; warnings
    (a phase that could not be aligned leaves only the reference phase)."""

    reference_phase: Phase
    images: dict[Phase, Volume]
    alignments: list[PhaseAlignmentEntry]
    warnings: list[str]


def align_study_phases(study: Study, reference: Volume, liver: Volume) -> StudyPhases:
    """Align every known phase of ``study`` to ``reference`` (the segmented series; ``liver`` on its grid)."""
    by_phase = {phase: series.volume for phase, series in study.by_phase.items() if phase is not Phase.UNKNOWN}
    warnings, alignments = [], []
    reference_phase = next((p for p, v in by_phase.items() if v is reference), None)
    if reference_phase is None:
        reference_phase = Phase.PORTAL_VENOUS
        warnings.append("the segmented series' contrast phase is unknown; it is read as portal venous")
    by_phase[reference_phase] = reference
    images: dict[Phase, Volume] = {}
    if len(by_phase) > 1:
        try:
            aligned: AlignedPhases = align_phases(by_phase, liver, reference=reference_phase)
            images = dict(aligned.images)
            alignments = [
                PhaseAlignmentEntry(
                    phase=p.value,
                    translation_mm=round(a.translation_mm, 2),
                    rotation_deg=round(a.rotation_deg, 2),
                    deformable=a.deformable,
                    residual_mm=round(a.residual_mm, 2),
                    edge_correlation=round(a.edge_correlation, 3),
                )
                for p, a in aligned.alignments.items()
            ]
        except PhaseAlignmentError as error:
            warnings.append(f"{error}; only the {reference_phase.label.lower()} phase was used for LI-RADS")
    if not images:
        images = {reference_phase: reference}
    return StudyPhases(reference_phase, images, alignments, warnings)


def study_lirads(
    study: Study,
    reference: Volume,
    liver: Volume,
    lesions: Volume,
    high_risk: bool | None = None,
    prior: PriorStudy | None = None,
    phases: StudyPhases | None = None,
) -> LiradsSummary:
    """LI-RADS features, size (in the phase where the margin is sharpest) and category of every lesion.
    ``reference`` is the segmented series (its phase the alignment target); ``prior`` adds growth; ``phases``
    is ``align_study_phases``' result when the caller already aligned the study."""
    if phases is None:
        phases = align_study_phases(study, reference, liver)
    reference_phase, alignments, warnings = phases.reference_phase, phases.alignments, list(phases.warnings)
    images = {p: v.array.astype(np.float32) for p, v in phases.images.items()}
    labels = label_lesions(lesions).array
    liver_mask = liver.array > 0
    entries = []
    for label in range(1, int(labels.max()) + 1):
        mask, others = labels == label, (labels > 0) & ~(labels == label)
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
        entries.append(_entry(label, features, result.category, reasons, size, growth))
    return LiradsSummary(
        reference_phase=reference_phase.value,
        phases=[p.value for p in ORDER if p in images],
        missing_phases=[NAMES[p] for p in (Phase.ARTERIAL, Phase.PORTAL_VENOUS, Phase.DELAYED) if p not in images],
        alignments=alignments,
        high_risk=high_risk,
        lesions=entries,
        prior=_prior_comparison(prior),
        warnings=warnings,
    )


def _prior_comparison(prior: PriorStudy | None) -> PriorComparison | None:
    if prior is None:
        return None
    a = prior.alignment
    return PriorComparison(
        interval_days=prior.interval_days,
        translation_mm=round(a.translation_mm, 2),
        rotation_deg=round(a.rotation_deg, 2),
        residual_mm=round(a.residual_mm, 2),
        edge_correlation=round(a.edge_correlation, 3),
        prior_lesion_count=prior.prior_lesion_count,
        disappeared_prior_lesions=prior.disappeared,
        recist=prior.recist.to_json() if prior.recist else None,
    )


def _entry(
    label: int, f: LesionFeatures, category: str | None, reasons: list[str], size: LesionSize, growth: Growth | None
) -> LesionCharacterization:
    def finding(value: Finding) -> FeatureFinding:
        return FeatureFinding(value=value.value, evidence=value.evidence, confidence=value.confidence)

    change = None
    if growth is not None:
        m = growth.match
        percent = growth.change_percent
        change = PriorLesionChange(
            prior_lesion=m.prior_lesion,
            prior_size_mm=round(m.prior_size_mm, 1) if m.prior_size_mm else None,
            size_change_percent=round(percent, 1) if percent is not None else None,
            overlap_dice=m.overlap,
            centre_distance_mm=m.distance_mm,
        )
    threshold = growth.threshold_growth if growth is not None else Finding(None, "no prior study given", 0.0)

    return LesionCharacterization(
        id=label,
        size_mm=round(size.diameter_mm, 1),
        segmented_size_mm=round(size.segmented_diameter_mm, 1),
        size_evidence=size.evidence,
        sharpest_phase=size.phase.value,
        category=category,
        reasons=reasons,
        features={
            "aphe": finding(f.aphe),
            "washout": finding(f.washout),
            "capsule": finding(f.capsule),
            "delayed_central_enhancement": finding(f.delayed_central_enhancement),
            "water_density": finding(f.water_density),
            "simple_cyst": finding(f.simple_cyst),
            "typical_hemangioma": finding(f.typical_hemangioma),
            "threshold_growth": finding(threshold),
        },
        lesion_type_estimate=f.lesion_type,
        lesion_type_pattern=f.lesion_type_pattern,
        change_since_prior=change,
    )
