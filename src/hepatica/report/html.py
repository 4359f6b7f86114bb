"""The self-contained HTML report: one file with inline styles and images, nothing fetched from elsewhere."""

from __future__ import annotations

import base64
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from hepatica.io.atomic import write_text_atomic
from hepatica.io.phase import Phase
from hepatica.result import StudyResult

PHASE_LABELS = {p.value: p.label for p in Phase}


def render_report(result: StudyResult, out_dir: Path | str) -> str:
    """The report's HTML for ``result``; key images are read from ``out_dir`` and embedded as data URIs."""
    out_dir = Path(out_dir)
    env = Environment(loader=PackageLoader("hepatica.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), undefined=StrictUndefined)
    env.filters["phase_label"] = lambda p: PHASE_LABELS.get(p, p)
    images = {k.file: "data:image/png;base64," + base64.b64encode((out_dir / k.file).read_bytes()).decode("ascii")
              for k in result.key_images}
    return env.get_template("report.html.j2").render(r=result, images=images, phase_labels=PHASE_LABELS)


def write_report(result: StudyResult, out_dir: Path | str) -> Path:
    """Write ``out_dir/report.html`` atomically and return its path."""
    return write_text_atomic(Path(out_dir) / "report.html", render_report(result, out_dir))
