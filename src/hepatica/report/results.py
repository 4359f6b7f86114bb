"""The typed result (`hepatica.result`) built from an analysis's objects: the stages' numbers rounded for
reading (volumes to 0.001 mL, diameters to 0.1 mm, positions to 0.01 mm), each lesion's measurements, LI-RADS
and radiomics joined in its one entry by label."""

from __future__ import annotations

import numpy as np

from hepatica.analysis import Analysis, SegmentedSeries
from hepatica.characterize.features import Finding
from hepatica.characterize.study import LesionLirads, PriorStudy, StudyLirads
from hepatica.io.study import Study, StudySeries
from hepatica.measure.lesions import LesionMeasurement
from hepatica.quality import QualityVerdict
from hepatica.quality.checks import candidates_of_lesions
from hepatica.radiomics.batch import ID_COLUMNS
from hepatica.radiomics.study import HEADLINE, RoiRadiomics, StudyRadiomics
from hepatica.result import (
    CandidateResult,
    FeatureFinding,
    Geometry,
    InputIdentifier,
    IntensitySummary,
    LesionCharacterization,
    LesionResult,
    LiradsSummary,
    ModelInfo,
    PhaseAlignmentEntry,
    PhaseAssignment,
    PriorComparison,
    PriorLesionChange,
    Provenance,
    QualityCheckResult,
    QualityControl,
    RadiomicsSummary,
    RoiFeatures,
    SegmentationSummary,
    SeriesSummary,
    StudyInventory,
)
from hepatica.segment.candidates import ADJACENT_MASS, LESION
from hepatica.segment.types import LesionCandidate, Segmentation


def provenance(analysis: Analysis) -> Provenance:
    """What produced the result: the command, every option, the inputs (series and the user's masks), models."""
    study = analysis.study
    inputs = [
        InputIdentifier(
            series_id=s.id, identifier=s.input_id, kind="dicom-series" if study.source == "dicom" else "image-file"
        )
        for s in study.series
    ]
    inputs += [
        InputIdentifier(series_id=f"{mask.kind} mask", identifier=f"sha256:{mask.sha256}", kind="mask-file")
        for mask in analysis.user_masks
    ]
    models = model_infos(analysis.segmented.segmentation) if analysis.segmented else []
    parameters = {**analysis.options.to_json(), "prior_study": analysis.prior_given}
    return Provenance(command=analysis.command, models=models, parameters=parameters, inputs=inputs)


def model_infos(segmentation: Segmentation) -> list[ModelInfo]:
    """The models behind a segmentation, for the result's provenance."""
    return [ModelInfo(name=m.name, version=m.source, sha256=m.sha256) for m in segmentation.models]


def study_inventory(study: Study) -> StudyInventory:
    """The study's series with geometry, phase and value range."""
    chosen = {s.id for s in study.by_phase.values()}
    return StudyInventory(
        source=study.source,
        study_uid=study.study_uid,
        series=[_series_summary(s, s.id in chosen) for s in study.series],
        phases_present=[p.value for p in study.by_phase],
        phases_missing=[p.value for p in study.missing_phases()],
        skipped_files=len(study.skipped),
        dicom_seg_files=len(study.segmentations),
    )


def _series_summary(series: StudySeries, used: bool) -> SeriesSummary:
    v = series.volume
    p01, p50, p99 = np.percentile(v.array[::2, ::2, ::2], [1, 50, 99])
    return SeriesSummary(
        id=series.id,
        name=series.name,
        modality=str(v.metadata.get("modality") or "unknown"),
        phase=PhaseAssignment(
            phase=series.phase.phase.value,
            source=series.phase.source,
            evidence=series.phase.evidence,
            confidence=series.phase.confidence,
        ),
        used_for_phase=used,
        geometry=Geometry(
            size=v.size,
            spacing_mm=tuple(round(s, 6) for s in v.spacing),
            origin_mm=tuple(round(o, 4) for o in v.origin),
            direction=tuple(round(float(d), 6) for d in v.direction.flatten()),
            orientation=v.orientation_code(),
            extent_mm=tuple(round(n * s, 2) for n, s in zip(v.size, v.spacing, strict=True)),
        ),
        intensity=IntensitySummary(
            minimum=float(v.array.min()),
            maximum=float(v.array.max()),
            p01=float(p01),
            p50=float(p50),
            p99=float(p99),
        ),
        slice_thickness_mm=v.metadata.get("slice_thickness_mm"),
        n_files=len(v.metadata.get("source_files") or []) or None,
    )


def segmentation_summary(segmented: SegmentedSeries, files: dict[str, str]) -> SegmentationSummary:
    """Volumetry of the segmented series and the files its masks were written to."""
    lesions = segmented.lesions
    return SegmentationSummary(
        series_id=segmented.series.id,
        backend=segmented.backend,
        liver_from=segmented.liver_from,
        lesions_from=segmented.lesions_from,
        liver_volume_ml=round(lesions.liver_volume_ml, 3),
        lesion_count=len(lesions.lesions),
        lesion_volume_ml=round(lesions.lesion_volume_ml, 3),
        tumour_burden_percent=round(lesions.tumour_burden_percent, 3),
        operating_point=segmented.segmentation.operating_point,
        files=files,
    )


def lesion_results(analysis: Analysis) -> list[LesionResult]:
    """Each lesion's entry: measurements, LI-RADS (None where not characterized) and radiomics."""
    if analysis.segmented is None:
        return []
    lirads, radiomics = analysis.lirads, analysis.radiomics
    segmented = analysis.segmented
    candidates = candidates_of_lesions(segmented.segmentation, segmented.lesions)
    return [
        lesion_entry(
            lesion.measurement,
            lirads.lesions.get(lesion.label) if lirads else None,
            roi_features(radiomics.lesions[lesion.label], radiomics.series_id) if radiomics else None,
            candidates.get(lesion.label),
        )
        for lesion in segmented.lesions.lesions
    ]


def candidate_results(segmentation: Segmentation) -> tuple[list[CandidateResult], list[CandidateResult]]:
    """The candidates not reported as lesions: (below threshold, adjacent masses), largest first; specks under
    0.01 mL are left out (they are noise, and the candidate map still holds them)."""
    below, masses = [], []
    for candidate in segmentation.candidates:
        if candidate.decision == LESION or candidate.evidence.volume_ml < 0.01:
            continue
        e = candidate.evidence
        entry = CandidateResult(
            number=candidate.number,
            decision=candidate.decision,
            confidence=round(e.confidence, 3),
            volume_ml=round(e.volume_ml, 3),
            diameter_mm=round(e.diameter_mm, 1),
            mean_probability=round(e.mean_probability, 3) if e.mean_probability is not None else None,
            found_by=e.found_by,
            contrast_hu=round(e.contrast_hu, 1),
            contrast_sd=round(e.contrast_sd, 2),
            outside_liver_fraction=round(e.outside_fraction, 3),
            reasons=list(candidate.reasons),
        )
        (masses if candidate.decision == ADJACENT_MASS else below).append(entry)
    return below, masses


def quality_control(verdict: QualityVerdict) -> QualityControl:
    """The verdict and every check, for the result."""
    return QualityControl(
        status=verdict.status,
        flags=[check.name for check in verdict.flags],
        checks=[QualityCheckResult(name=c.name, passed=c.passed, detail=c.detail) for c in verdict.checks],
    )


def lesion_entry(
    m: LesionMeasurement,
    lirads: LesionLirads | None = None,
    radiomics: RoiFeatures | None = None,
    candidate: LesionCandidate | None = None,
) -> LesionResult:
    return LesionResult(
        id=m.label,
        volume_ml=round(m.volume_ml, 3),
        longest_axial_diameter_mm=round(m.longest_axial_diameter_mm, 1),
        short_axis_mm=round(m.short_axis_mm, 1),
        axial_slice_z_mm=round(m.axial_slice_z_mm, 2),
        longest_3d_diameter_mm=round(m.longest_3d_diameter_mm, 1),
        centroid_mm=tuple(round(c, 2) for c in m.centroid_mm),
        confidence=round(candidate.evidence.confidence, 3) if candidate is not None else None,
        review=list(candidate.reasons) if candidate is not None else [],
        lirads=characterization(lirads) if lirads is not None else None,
        radiomics=radiomics,
    )


def lirads_summary(lirads: StudyLirads) -> LiradsSummary:
    """The study-wide LI-RADS section: phases, alignment, risk, the prior study, warnings."""
    return LiradsSummary(
        reference_phase=lirads.phases.reference_phase.value,
        phases=[p.value for p in lirads.phases_used],
        missing_phases=lirads.missing_phases,
        alignments=[
            PhaseAlignmentEntry(
                phase=p.value,
                translation_mm=round(a.translation_mm, 2),
                rotation_deg=round(a.rotation_deg, 2),
                deformable=a.deformable,
                residual_mm=round(a.residual_mm, 2),
                edge_correlation=round(a.edge_correlation, 3),
            )
            for p, a in lirads.phases.alignments.items()
        ],
        high_risk=lirads.high_risk,
        prior=_prior_comparison(lirads.prior),
        warnings=list(lirads.warnings),
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


def characterization(entry: LesionLirads) -> LesionCharacterization:
    """One lesion's LI-RADS section: size, features with their evidence, category, reasons, change since prior."""

    def finding(value: Finding) -> FeatureFinding:
        return FeatureFinding(value=value.value, evidence=value.evidence, confidence=value.confidence)

    f, size, growth = entry.features, entry.size, entry.growth
    change = None
    if growth is not None:
        m = growth.match
        percent = growth.change_percent
        change = PriorLesionChange(
            prior_lesion=m.matched,
            prior_size_mm=round(m.matched_size_mm, 1) if m.matched_size_mm else None,
            size_change_percent=round(percent, 1) if percent is not None else None,
            overlap_dice=m.overlap,
            centre_distance_mm=m.distance_mm,
        )
    threshold = growth.threshold_growth if growth is not None else Finding(None, "no prior study given", 0.0)
    return LesionCharacterization(
        size_mm=round(size.diameter_mm, 1),
        segmented_size_mm=round(size.segmented_diameter_mm, 1),
        size_evidence=size.evidence,
        sharpest_phase=size.phase.value,
        category=entry.category,
        reasons=entry.reasons,
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


def roi_features(roi: RoiRadiomics, series_id: str) -> RoiFeatures:
    """One ROI's features for the result (a feature that is not finite is None)."""
    return RoiFeatures(
        roi=roi.roi,
        label=roi.label,
        series_id=series_id,
        image_type="original",
        features={k: (float(v) if np.isfinite(v) else None) for k, v in roi.features.items()},
        skipped_reason=roi.skipped_reason,
    )


def radiomics_summary(radiomics: StudyRadiomics, files: dict[str, str]) -> RadiomicsSummary:
    """The study-wide radiomics section: settings, the liver's features, the table's files."""
    return RadiomicsSummary(
        parameters=radiomics.settings.as_dict(),
        liver=roi_features(radiomics.liver, radiomics.series_id),
        headline=list(HEADLINE),
        files=files,
        columns=list(ID_COLUMNS),
    )


def radiomics_rows(radiomics: StudyRadiomics) -> list[dict]:
    """The radiomics table's rows: the liver, then each lesion."""
    rois = [radiomics.liver, *radiomics.lesions.values()]
    return [
        {
            "case": radiomics.series_id,
            "image": radiomics.series_id,
            "mask": roi.roi,
            "label": roi.label or "",
            "image_type": "original",
            **roi.features,
        }
        for roi in rois
    ]
