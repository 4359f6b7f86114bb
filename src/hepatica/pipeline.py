"""The per-study pipeline: read the study, take its inventory, segment the liver and lesions, extract their
radiomics features, render key images with the masks outlined, write result and report.

``analyze`` is what the ``hepatica analyze`` command and the demo run; later stages (LI-RADS) plug in here and
add their sections to the `StudyResult`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hepatica.characterize.study import PriorStudy, align_study_phases, compare_with_prior, study_lirads
from hepatica.io.atomic import write_bytes_atomic
from hepatica.io.phase import Phase
from hepatica.io.study import Study, StudyInput, StudySeries, load_study
from hepatica.io.volume import Volume, resample_to_grid
from hepatica.phantom import make_phantom_study
from hepatica.phantom.write import write_phantom_study
from hepatica.radiomics.study import study_radiomics
from hepatica.report.dicom_sr import write_study_sr
from hepatica.report.html import write_report
from hepatica.report.identifiers import patient_identifiers
from hepatica.report.images import render_lesion_views, render_overview, render_views, volume_centre
from hepatica.report.viewer_volumes import write_viewer_volumes
from hepatica.result import (
    Geometry,
    InputIdentifier,
    IntensitySummary,
    KeyImage,
    PhaseAssignment,
    Provenance,
    SegmentationResult,
    SeriesSummary,
    StudyInventory,
    StudyResult,
)
from hepatica.segment import segment
from hepatica.segment.export import export_segmentation, model_infos

#: Called with (step description, step number from 1, number of steps) as the pipeline advances.
ProgressCallback = Callable[[str, int, int], None]

#: Lesions with close views in the report (the largest first); the lesion table lists them all.
MAX_LESION_VIEWS = 12

ANALYZE_STEPS = (
    "Reading the study",
    "Taking the inventory",
    "Segmenting liver and lesions",
    "Aligning phases, LI-RADS",
    "Extracting radiomics features",
    "Rendering key images and viewer volumes",
    "Writing result and report",
)


@dataclass(frozen=True)
class AnalysisOutputs:
    """Where an analysis wrote its outputs."""

    result: StudyResult
    result_json: Path
    report_html: Path
    report_pdf: Path | None


def analyze(
    inputs: StudyInput,
    out_dir: Path | str,
    phases: Mapping[str, str] | None = None,
    progress: ProgressCallback | None = None,
    command: str = "analyze",
    backend: str | None = "bundled",
    radiomics: bool = True,
    lirads: bool = True,
    high_risk: bool | None = None,
    prior: StudyInput | None = None,
    interval_days: float | None = None,
    identifiers_in_report: bool = False,
    pdf: bool = True,
    uid_seed: str | None = None,
) -> AnalysisOutputs:
    """Analyse one study and write ``out_dir/result.json``, ``out_dir/report.html``, ``out_dir/images/`` and,
    unless ``backend`` is None, the masks in ``out_dir/segmentation/``, (with ``lirads``) the LI-RADS features
    and category of each lesion, and (with ``radiomics``) the features of the liver and each lesion in
    ``out_dir/radiomics/``. ``high_risk`` says whether the patient is at high risk for HCC (None: not stated;
    LI-RADS is then computed as if, and each lesion's reasons say so). ``prior`` is an earlier study of the same
    patient (read like ``inputs``): it is segmented with the same backend and aligned to this one, its lesions
    matched to this study's for threshold growth and RECIST 1.1; ``interval_days`` between the two studies
    defaults to the difference of their DICOM study dates. The report (``report.html`` and, with ``pdf``,
    ``report.pdf``) names the patient only with ``identifiers_in_report``. With ``uid_seed`` the DICOM SEG's and
    SR's UIDs derive from it: the service seeds them per job, so a job run again sends the PACS the same instances.

    ``inputs`` and ``phases`` are as for :func:`hepatica.io.load_study`. The liver and lesions are segmented on
    the portal-venous series (else the first CT series) with the named segmentation backend.
    """
    out_dir = Path(out_dir)
    step = _stepper(progress, ANALYZE_STEPS)
    step()
    study = load_study(inputs, phases=phases)
    step()
    inventory = study_inventory(study)
    step()
    segmented = None
    models = []
    if backend is not None:
        target = segmentation_series(study)
        segmentation = segment(target.volume, backend=backend)
        outputs = export_segmentation(
            segmentation, target.volume, out_dir / "segmentation", target.id, relative_to=out_dir, uid_seed=uid_seed
        )
        segmented = (target, segmentation, outputs)
        models = model_infos(segmentation)
    step()
    lirads_summary = None
    aligned_phases = {}
    if segmented and lirads:
        compared = (
            _compare_with_prior(prior, backend, segmented[0].volume, segmentation, interval_days)
            if prior is not None
            else None
        )
        study_phases = align_study_phases(study, segmented[0].volume, segmentation.liver)
        aligned_phases = study_phases.images
        lirads_summary = study_lirads(
            study,
            segmented[0].volume,
            segmentation.liver,
            segmentation.lesions,
            high_risk,
            prior=compared,
            phases=study_phases,
        )
    if segmented and "dicom_seg" in segmented[2].summary.files:
        seg_dir = out_dir / "segmentation"
        files = segmented[2].summary.files
        sr = write_study_sr(
            segmented[2].summary,
            lirads_summary,
            segmented[0].volume,
            out_dir / files["dicom_seg"],
            seg_dir,
            uid_seed=uid_seed,
        )
        files["dicom_sr"] = sr.relative_to(out_dir).as_posix()
    step()
    radiomics_summary = None
    if segmented and radiomics:
        radiomics_summary = study_radiomics(
            segmented[0].volume,
            segmentation.liver,
            segmentation.lesions,
            segmented[0].id,
            out_dir / "radiomics",
            relative_to=out_dir,
        )
    step()
    key_images = render_key_images(study, out_dir, segmented)
    reference = segmented[0].volume if segmented else segmentation_series(study).volume
    viewer_volumes = write_viewer_volumes(study, reference, out_dir, aligned=aligned_phases)
    step()
    result = StudyResult(
        provenance=Provenance(
            command=command,
            models=models,
            parameters={
                "phase_overrides": dict(phases or {}),
                "segmentation_backend": backend,
                "radiomics": bool(radiomics_summary),
                "lirads": bool(lirads_summary),
                "high_risk": high_risk,
                "prior_study": prior is not None,
                "interval_days": interval_days,
            },
            inputs=[
                InputIdentifier(
                    series_id=s.id,
                    identifier=s.input_id,
                    kind="dicom-series" if study.source == "dicom" else "image-file",
                )
                for s in study.series
            ],
        ),
        study=inventory,
        segmentation=segmented[2].summary if segmented else None,
        radiomics=radiomics_summary,
        lirads=lirads_summary,
        key_images=key_images,
        viewer_volumes=viewer_volumes,
        warnings=list(study.warnings),
    )
    result_json = result.write_json(out_dir / "result.json")
    identifiers = patient_identifiers(study) if identifiers_in_report else None
    report_html, report_pdf = write_report(result, out_dir, identifiers=identifiers, pdf=pdf)
    return AnalysisOutputs(result=result, result_json=result_json, report_html=report_html, report_pdf=report_pdf)


def _compare_with_prior(
    prior: StudyInput, backend: str, reference: Volume, segmentation, interval_days: float | None
) -> PriorStudy:
    """Read and segment the prior study's series (chosen as the current study's was) and compare it."""
    prior_study = load_study(prior)
    target = segmentation_series(prior_study)
    prior_segmentation = segment(target.volume, backend=backend)
    return compare_with_prior(
        target.volume,
        prior_segmentation.liver,
        prior_segmentation.lesions,
        reference,
        segmentation.liver,
        segmentation.lesions,
        interval_days,
    )


@dataclass(frozen=True)
class SegmentOutputs:
    """What ``segment_study`` wrote."""

    result: SegmentationResult
    result_json: Path


def segment_study(
    inputs: StudyInput, out_dir: Path | str, backend: str = "bundled", progress: ProgressCallback | None = None
) -> SegmentOutputs:
    """Segment one study's liver and lesions; write liver.nii.gz, lesions.nii.gz (one label per lesion),
    segmentation.dcm (DICOM SEG, DICOM input only) and segmentation.json into ``out_dir``."""
    out_dir = Path(out_dir)
    step = _stepper(progress, ("Reading the study", "Segmenting liver and lesions", "Writing masks"))
    step()
    study = load_study(inputs)
    target = segmentation_series(study)
    step()
    segmentation = segment(target.volume, backend=backend)
    step()
    outputs = export_segmentation(segmentation, target.volume, out_dir, target.id)
    result = SegmentationResult(
        provenance=Provenance(
            command="segment",
            parameters={"backend": backend},
            models=model_infos(segmentation),
            inputs=[
                InputIdentifier(
                    series_id=target.id,
                    identifier=target.input_id,
                    kind="dicom-series" if study.source == "dicom" else "image-file",
                )
            ],
        ),
        segmentation=outputs.summary,
    )
    return SegmentOutputs(result, result.write_json(out_dir / "segmentation.json"))


def demo(out_dir: Path | str, seed: int = 0, progress: ProgressCallback | None = None) -> AnalysisOutputs:
    """Generate the phantom study into ``out_dir/phantom`` and analyse its DICOM series into ``out_dir``."""
    out_dir = Path(out_dir)
    step = _stepper(progress, ("Generating the phantom study", "Writing it as NIfTI and DICOM"))
    step()
    phantom = make_phantom_study(seed=seed)
    step()
    files = write_phantom_study(phantom, out_dir / "phantom")
    return analyze(
        files.dicom, out_dir, progress=progress, command=f"demo (phantom seed {seed})", high_risk=True
    )  # the phantom patient has cirrhosis


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
            minimum=float(v.array.min()), maximum=float(v.array.max()), p01=float(p01), p50=float(p50), p99=float(p99)
        ),
        slice_thickness_mm=v.metadata.get("slice_thickness_mm"),
        n_files=len(v.metadata.get("source_files") or []) or None,
    )


def segmentation_series(study: Study) -> StudySeries:
    """The series to segment: portal venous if present, else the first CT series, else the first series."""
    by_phase = study.by_phase
    if Phase.PORTAL_VENOUS in by_phase:
        return by_phase[Phase.PORTAL_VENOUS]
    ct = [s for s in study.series if str(s.volume.metadata.get("modality", "CT")).upper() == "CT"]
    return (ct or study.series)[0]


def render_key_images(study: Study, out_dir: Path, segmented=None) -> list[KeyImage]:
    """Key images: axial and coronal PNGs of each phase's series (and of unknown-phase series) through one
    common point; with a segmentation also an axial and a coronal overview of the liver with every lesion
    numbered, and a close view of each lesion (up to ``MAX_LESION_VIEWS``, largest first) in every phase.

    The common point is the centre of the largest lesion (else of the liver); the liver and lesion outlines are
    drawn on every series (masks placed on each series by position)."""
    shown = study.shown_series
    reference = study.by_phase.get(Phase.PORTAL_VENOUS) or (shown[0] if shown else study.series[0])
    centre = volume_centre(reference.volume)
    overlays: list[tuple[str, Volume]] = []
    lesions = []
    if segmented is not None:
        target, segmentation, outputs = segmented
        lesions = outputs.measurement.lesions
        if lesions:
            centre = np.asarray(lesions[0].centroid_mm)
        elif segmentation.liver.array.any():
            centre = segmentation.liver.index_to_physical(np.argwhere(segmentation.liver.array).mean(0)[::-1])
        overlays = [("liver", segmentation.liver), ("lesions", outputs.lesion_labels)]
    key_images = []

    def keep(
        series: StudySeries, view, kind: str, names: list[str], lesion_id: int | None = None, fov: float | None = None
    ) -> None:
        stem = {"phase": "", "overview": "overview_", "lesion": f"lesion{lesion_id}_"}[kind]
        name = f"images/{stem}{series.id}_{series.phase.phase.value}_{view.plane}.png"
        write_bytes_atomic(out_dir / name, view.png)
        key_images.append(
            KeyImage(
                kind=kind,
                lesion_id=lesion_id,
                series_id=series.id,
                overlays=names,
                phase=series.phase.phase.value,
                plane=view.plane,
                slice_index=view.slice_index,
                position_mm=round(view.position_mm, 2),
                field_of_view_mm=round(fov, 1) if fov else None,
                window_center=view.window[0],
                window_width=view.window[1],
                file=name,
            )
        )

    for series in shown:
        on_grid = [(name, resample_to_grid(mask, series.volume, "nearest")) for name, mask in overlays]
        for view in render_views(series.volume, centre, overlays=on_grid):
            keep(series, view, "phase", [n for n, _ in on_grid])
    if segmented is None or not segmentation.liver.array.any():
        return key_images
    for plane in ("axial", "coronal"):
        view = render_overview(target.volume, segmentation.liver, outputs.lesion_labels, plane=plane)
        keep(target, view, "overview", ["liver", "lesions"])
    close = [
        (
            lesion.label,
            (lesion.centroid_mm[0], lesion.centroid_mm[1], lesion.axial_slice_z_mm),
            float(np.clip(2.5 * lesion.longest_3d_diameter_mm, 40.0, 200.0)),
        )
        for lesion in lesions[:MAX_LESION_VIEWS]
    ]
    by_series = {
        series.id: render_lesion_views(series.volume, segmentation.liver, outputs.lesion_labels, close)
        for series in shown
    }
    for n, (label, _, fov) in enumerate(close):
        for series in shown:
            keep(series, by_series[series.id][n], "lesion", ["liver", "lesions"], lesion_id=label, fov=fov)
    return key_images


def _stepper(progress: ProgressCallback | None, steps: tuple[str, ...]) -> Callable[[], None]:
    counter = iter(range(1, len(steps) + 1))

    def advance() -> None:
        n = next(counter)
        if progress is not None:
            progress(steps[n - 1], n, len(steps))

    return advance
