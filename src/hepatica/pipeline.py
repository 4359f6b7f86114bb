"""The per-study pipeline: read the study, take its inventory, render key images, write result and report.

``analyze`` is what the ``hepatica analyze`` command and the demo run; later stages (segmentation, lesions,
LI-RADS, radiomics) plug in here and add their sections to the `StudyResult`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hepatica.io.atomic import write_bytes_atomic
from hepatica.io.phase import Phase
from hepatica.io.study import Study, StudyInput, StudySeries, load_study
from hepatica.phantom import make_phantom_study
from hepatica.phantom.write import write_phantom_study
from hepatica.report.html import write_report
from hepatica.report.images import render_views, volume_centre
from hepatica.result import (
    Geometry,
    InputIdentifier,
    IntensitySummary,
    KeyImage,
    PhaseAssignment,
    Provenance,
    SeriesSummary,
    StudyInventory,
    StudyResult,
)

#: Called with (step description, step number from 1, number of steps) as the pipeline advances.
ProgressCallback = Callable[[str, int, int], None]

ANALYZE_STEPS = ("Reading the study", "Taking the inventory", "Rendering key images", "Writing result and report")


@dataclass(frozen=True)
class AnalysisOutputs:
    """Where an analysis wrote its outputs."""

    result: StudyResult
    result_json: Path
    report_html: Path


def analyze(
    inputs: StudyInput,
    out_dir: Path | str,
    phases: Mapping[str, str] | None = None,
    progress: ProgressCallback | None = None,
    command: str = "analyze",
) -> AnalysisOutputs:
    """Analyse one study and write ``out_dir/result.json``, ``out_dir/report.html`` and ``out_dir/images/``.

    ``inputs`` and ``phases`` are as for :func:`hepatica.io.load_study`.
    """
    out_dir = Path(out_dir)
    step = _stepper(progress, ANALYZE_STEPS)
    step()
    study = load_study(inputs, phases=phases)
    step()
    inventory = study_inventory(study)
    step()
    key_images = render_key_images(study, out_dir)
    step()
    result = StudyResult(
        provenance=Provenance(
            command=command,
            parameters={"phase_overrides": dict(phases or {})},
            inputs=[InputIdentifier(series_id=s.id, identifier=s.input_id,
                                    kind="dicom-series" if study.source == "dicom" else "image-file")
                    for s in study.series],
        ),
        study=inventory,
        key_images=key_images,
        warnings=list(study.warnings),
    )
    result_json = result.write_json(out_dir / "result.json")
    report = write_report(result, out_dir)
    return AnalysisOutputs(result=result, result_json=result_json, report_html=report)


def demo(out_dir: Path | str, seed: int = 0, progress: ProgressCallback | None = None) -> AnalysisOutputs:
    """Generate the phantom study into ``out_dir/phantom`` and analyse its DICOM series into ``out_dir``."""
    out_dir = Path(out_dir)
    step = _stepper(progress, ("Generating the phantom study", "Writing it as NIfTI and DICOM"))
    step()
    phantom = make_phantom_study(seed=seed)
    step()
    files = write_phantom_study(phantom, out_dir / "phantom")
    return analyze(files.dicom, out_dir, progress=progress, command=f"demo (phantom seed {seed})")


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
        phase=PhaseAssignment(phase=series.phase.phase.value, source=series.phase.source,
                              evidence=series.phase.evidence, confidence=series.phase.confidence),
        used_for_phase=used,
        geometry=Geometry(
            size=v.size,
            spacing_mm=tuple(round(s, 6) for s in v.spacing),
            origin_mm=tuple(round(o, 4) for o in v.origin),
            direction=tuple(round(float(d), 6) for d in v.direction.flatten()),
            orientation=v.orientation_code(),
            extent_mm=tuple(round(n * s, 2) for n, s in zip(v.size, v.spacing, strict=True)),
        ),
        intensity=IntensitySummary(minimum=float(v.array.min()), maximum=float(v.array.max()),
                                   p01=float(p01), p50=float(p50), p99=float(p99)),
        slice_thickness_mm=v.metadata.get("slice_thickness_mm"),
        n_files=len(v.metadata.get("source_files") or []) or None,
    )


def render_key_images(study: Study, out_dir: Path) -> list[KeyImage]:
    """Axial and coronal PNGs of each phase's series (and of unknown-phase series) through one common point."""
    by_phase = study.by_phase
    shown = list(by_phase.values()) + [s for s in study.series if s.phase.phase is Phase.UNKNOWN]
    reference = by_phase.get(Phase.PORTAL_VENOUS) or (shown[0] if shown else study.series[0])
    centre = volume_centre(reference.volume)
    key_images = []
    for series in shown:
        for view in render_views(series.volume, centre):
            name = f"images/{series.id}_{series.phase.phase.value}_{view.plane}.png"
            write_bytes_atomic(out_dir / name, view.png)
            key_images.append(KeyImage(
                series_id=series.id, phase=series.phase.phase.value, plane=view.plane,
                slice_index=view.slice_index, position_mm=round(view.position_mm, 2),
                window_center=view.window[0], window_width=view.window[1], file=name))
    return key_images


def _stepper(progress: ProgressCallback | None, steps: tuple[str, ...]) -> Callable[[], None]:
    counter = iter(range(1, len(steps) + 1))

    def advance() -> None:
        n = next(counter)
        if progress is not None:
            progress(steps[n - 1], n, len(steps))

    return advance
