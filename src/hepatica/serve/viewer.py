"""What the viewer page loads for a study (`ViewerData`): each phase volume, the liver, lesion and candidate
overlays, the lesions with their measurements and LI-RADS, the candidates not reported and the quality-control
verdict, from the study's result."""

from __future__ import annotations

from pathlib import Path

from hepatica.io.phase import Phase
from hepatica.result import StudyResult
from hepatica.serve.schemas import (
    ViewerCandidate,
    ViewerData,
    ViewerLesion,
    ViewerLirads,
    ViewerOverlay,
    ViewerPhase,
)

PHASE_LABELS = {p.value: p.label for p in Phase}
#: Overlay colours (RGB 0-255) shared by the viewer and the key images.
OVERLAYS = {
    "liver": {"colour": [60, 220, 90], "opacity": 0.3},
    "lesions": {"colour": [255, 40, 40], "opacity": 0.7},
    "candidates": {"colour": [250, 200, 20], "opacity": 0.5},  # every candidate, reported or not
}


def viewer_data(study_id: str, result: StudyResult, folder: Path) -> ViewerData:
    """The viewer's data: phase volumes and overlays (URLs), lesions with measurements and LI-RADS."""
    base = f"/studies/{study_id}/files/"
    seg = result.segmentation
    overlays = [
        ViewerOverlay(name=name, url=base + seg.files[name], **OVERLAYS[name])
        for name in ("liver", "lesions", "candidates")
        if seg and seg.files.get(name)
    ]
    lesions = []
    for lesion in result.lesions:
        entry = lesion.lirads
        x, y, _ = lesion.centroid_mm
        lesions.append(
            ViewerLesion(
                id=lesion.id,
                volume_ml=lesion.volume_ml,
                longest_axial_diameter_mm=lesion.longest_axial_diameter_mm,
                short_axis_mm=lesion.short_axis_mm,
                longest_3d_diameter_mm=lesion.longest_3d_diameter_mm,
                # The long axis' slice, as the report shows; NiiVue works in RAS millimetres.
                position_lps_mm=[x, y, lesion.axial_slice_z_mm],
                position_ras_mm=[-x, -y, lesion.axial_slice_z_mm],
                lirads=None
                if entry is None
                else ViewerLirads(
                    category=entry.category,
                    size_mm=entry.size_mm,
                    reasons=entry.reasons,
                    type_estimate=entry.lesion_type_estimate,
                    features={name: f.value for name, f in entry.features.items()},
                ),
            )
        )
    # A button per phase; series of unknown phase get one each, keyed by series id.
    phases = [
        ViewerPhase(
            key=v.phase if v.phase != "unknown" else v.series_id,
            phase=v.phase,
            label=PHASE_LABELS[v.phase] if v.phase != "unknown" else f"{v.series_id} (phase unknown)",
            series_id=v.series_id,
            url=base + v.file,
            aligned=v.aligned,
        )
        for v in result.viewer_volumes
    ]
    segmented = seg.series_id if seg else None
    first = phases[0].key if phases else None
    default = next(
        (p.key for p in phases if p.phase == "portal_venous"),
        next((p.key for p in phases if p.series_id == segmented), first),
    )
    return ViewerData(
        id=study_id,
        phases=phases,
        default_phase=default,
        overlays=overlays,
        lesions=lesions,
        liver_volume_ml=seg.liver_volume_ml if seg else None,
        tumour_burden_percent=seg.tumour_burden_percent if seg else None,
        report_url=base + "report.html" if (folder / "report.html").is_file() else None,
        report_pdf_url=base + "report.pdf" if (folder / "report.pdf").is_file() else None,
        warnings=result.warnings + (result.lirads.warnings if result.lirads else []),
        quality=result.quality.status if result.quality else None,
        quality_flags=[f"{c.name}: {c.detail}" for c in result.quality.checks if not c.passed]
        if result.quality
        else [],
        candidates=[
            ViewerCandidate(
                number=c.number,
                decision=c.decision,
                diameter_mm=c.diameter_mm,
                confidence=c.confidence,
                reasons=c.reasons,
            )
            for c in [*result.adjacent_masses, *result.candidates_below_threshold]
        ],
    )
