"""The LI-RADS stage of ``analyze``: align the phases, measure each segmented lesion, categorize it.

Lesions are the segmentation's (labels as in lesions.nii.gz, 1 = largest) on the segmented series' grid; the
other phases are aligned to it. A study with one phase (or whose phases cannot be aligned) still gets a lesion
entry per lesion, with the missing phases named and LR-NC: Hepatica does not guess features it cannot see.
"""

from __future__ import annotations

import numpy as np

from hepatica.characterize.enhancement import measure_enhancement
from hepatica.characterize.features import NAMES, Finding, LesionFeatures, lesion_features
from hepatica.characterize.observation import observation_from_features
from hepatica.characterize.register import AlignedPhases, PhaseAlignmentError, align_phases
from hepatica.errors import HepaticaInputError
from hepatica.io.phase import Phase
from hepatica.io.study import Study
from hepatica.io.volume import Volume
from hepatica.lirads import categorize
from hepatica.measure.lesions import label_lesions
from hepatica.result import FeatureFinding, LesionCharacterization, LiradsSummary, PhaseAlignmentEntry

ORDER = (Phase.PRE_CONTRAST, Phase.ARTERIAL, Phase.PORTAL_VENOUS, Phase.DELAYED)
UNKNOWN_RISK_NOTE = ("Assumes the patient is at high risk for HCC, the only population LI-RADS applies to; "
                     "not stated for this study.")


def study_lirads(study: Study, reference: Volume, liver: Volume, lesions: Volume, lesion_sizes_mm: dict[int, float],
                 high_risk: bool | None = None) -> LiradsSummary:
    """LI-RADS features and category of every lesion. ``reference`` is the segmented series (its phase the
    alignment target), ``lesion_sizes_mm`` the longest diameter of each lesion label."""
    by_phase = {phase: series.volume for phase, series in study.by_phase.items() if phase is not Phase.UNKNOWN}
    warnings, alignments = [], []
    reference_phase = next((p for p, v in by_phase.items() if v is reference), None)
    if reference_phase is None:
        reference_phase = Phase.PORTAL_VENOUS
        warnings.append("the segmented series' contrast phase is unknown; it is read as portal venous")
    by_phase[reference_phase] = reference
    images: dict[Phase, np.ndarray] = {}
    if len(by_phase) > 1:
        try:
            aligned: AlignedPhases = align_phases(by_phase, liver, reference=reference_phase)
            images = {p: v.array.astype(np.float32) for p, v in aligned.images.items()}
            alignments = [PhaseAlignmentEntry(phase=p.value, translation_mm=round(a.translation_mm, 2),
                                              rotation_deg=round(a.rotation_deg, 2), deformable=a.deformable,
                                              residual_mm=round(a.residual_mm, 2),
                                              edge_correlation=round(a.edge_correlation, 3))
                          for p, a in aligned.alignments.items()]
        except PhaseAlignmentError as error:
            warnings.append(f"{error}; only the {reference_phase.label.lower()} phase was used for LI-RADS")
    if not images:
        images = {reference_phase: reference.array.astype(np.float32)}
    labels = label_lesions(lesions).array
    liver_mask = liver.array > 0
    entries = []
    for label in range(1, int(labels.max()) + 1):
        mask = labels == label
        try:
            features = lesion_features(measure_enhancement(images, mask, liver_mask, reference.spacing[::-1],
                                                           other_lesions=(labels > 0) & ~mask))
        except HepaticaInputError as error:
            warnings.append(f"lesion {label}: not characterized ({error})")
            continue
        observation = observation_from_features(features, lesion_sizes_mm[label], high_risk=high_risk is not False,
                                                observation_id=f"lesion {label}")
        result = categorize(observation)
        reasons = ([UNKNOWN_RISK_NOTE] if high_risk is None and result.category is not None else []) + result.reasons
        entries.append(_entry(label, features, result.category, reasons, lesion_sizes_mm[label]))
    return LiradsSummary(
        reference_phase=reference_phase.value, phases=[p.value for p in ORDER if p in images],
        missing_phases=[NAMES[p] for p in (Phase.ARTERIAL, Phase.PORTAL_VENOUS, Phase.DELAYED) if p not in images],
        alignments=alignments, high_risk=high_risk, lesions=entries, warnings=warnings)


def _entry(label: int, f: LesionFeatures, category: str | None, reasons: list[str], size_mm: float
           ) -> LesionCharacterization:
    def finding(value: Finding) -> FeatureFinding:
        return FeatureFinding(value=value.value, evidence=value.evidence, confidence=value.confidence)

    return LesionCharacterization(
        id=label, size_mm=round(size_mm, 1), sharpest_phase=f.sharpest_phase.value, category=category,
        reasons=reasons,
        features={"aphe": finding(f.aphe), "washout": finding(f.washout), "capsule": finding(f.capsule),
                  "delayed_central_enhancement": finding(f.delayed_central_enhancement),
                  "water_density": finding(f.water_density), "simple_cyst": finding(f.simple_cyst),
                  "typical_hemangioma": finding(f.typical_hemangioma)},
        lesion_type_estimate=f.lesion_type, lesion_type_pattern=f.lesion_type_pattern)
