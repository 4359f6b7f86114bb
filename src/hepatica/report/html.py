"""The report: one self-contained HTML file (inline styles and images, nothing fetched from elsewhere) and a PDF
of the same page (WeasyPrint, the template's print styles: A4 landscape).

Patient identifiers appear only when the caller passes them (``hepatica analyze --patient-identifiers``); they
are never part of ``result.json``.
"""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from hepatica.io.atomic import atomic_path, write_text_atomic
from hepatica.io.phase import Phase
from hepatica.result import StudyResult

PHASE_LABELS = {p.value: p.label for p in Phase}
REPORT_HTML, REPORT_PDF = "report.html", "report.pdf"


def render_report(result: StudyResult, out_dir: Path | str, identifiers: dict[str, str] | None = None) -> str:
    """The report's HTML for ``result``; key images are read from ``out_dir`` and embedded as data URIs.
    ``identifiers`` (label -> value) go into the header; None: a patient-free header."""
    out_dir = Path(out_dir)
    env = Environment(
        loader=PackageLoader("hepatica.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
    )
    env.filters["phase_label"] = lambda p: PHASE_LABELS.get(p, p)
    images = {
        k.file: "data:image/png;base64," + base64.b64encode((out_dir / k.file).read_bytes()).decode("ascii")
        for k in result.key_images
    }
    return env.get_template("report.html.j2").render(
        r=result,
        images=images,
        phase_labels=PHASE_LABELS,
        identifiers=identifiers or {},
        locations=lesion_locations(result),
    )


def lesion_locations(result: StudyResult) -> dict[int, str]:
    """Where to find each lesion: the segmented series and its slice (1-based, in stored order) holding the
    lesion's long axis, e.g. 'S3 slice 45 of 129'."""
    if result.segmentation is None:
        return {}
    series = next((s for s in result.study.series if s.id == result.segmentation.series_id), None)
    locations = {}
    for lesion in result.lesions:
        if series is None:
            locations[lesion.id] = result.segmentation.series_id
            continue
        g = series.geometry
        axes = np.asarray(g.direction, dtype=float).reshape(3, 3) * np.asarray(g.spacing_mm)
        point = np.array([lesion.centroid_mm[0], lesion.centroid_mm[1], lesion.axial_slice_z_mm])
        index = np.linalg.solve(axes, point - np.asarray(g.origin_mm))
        number = int(np.clip(round(index[2]), 0, g.size[2] - 1)) + 1
        locations[lesion.id] = f"{series.id} slice {number} of {g.size[2]}"
    return locations


def write_report(
    result: StudyResult, out_dir: Path | str, identifiers: dict[str, str] | None = None, pdf: bool = True
) -> tuple[Path, Path | None]:
    """Write ``out_dir/report.html`` and (with ``pdf``) ``out_dir/report.pdf`` atomically; their paths."""
    out_dir = Path(out_dir)
    html = render_report(result, out_dir, identifiers)
    html_path = write_text_atomic(out_dir / REPORT_HTML, html)
    if not pdf:
        return html_path, None
    from weasyprint import HTML

    pdf_path = out_dir / REPORT_PDF
    with atomic_path(pdf_path) as tmp:
        HTML(string=html, base_url=str(out_dir)).write_pdf(tmp)
    return html_path, pdf_path
