"""The model report: one self-contained HTML page laid out after the TRIPOD checklist (source of data,
participants, outcome, predictors, sample size, missing data, analysis methods, model specification,
performance, explanations, limitations), with the figures embedded."""

from __future__ import annotations

import base64
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from hepatica.io.atomic import write_text_atomic

_ENVIRONMENT = Environment(
    loader=PackageLoader("hepatica.model", "templates"),
    autoescape=select_autoescape(),
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENVIRONMENT.filters["zip"] = lambda first, *others: list(zip(first, *others))

FIGURE_TITLES = {
    "roc": "ROC curve",
    "calibration": "Calibration",
    "decision_curve": "Decision curve",
    "kaplan_meier": "Kaplan-Meier curves by risk group",
    "time_dependent_auc": "Time-dependent AUC",
    "shap": "SHAP values of the final model",
    "nomogram": "Nomogram",
}


def render_model_report(metrics: dict, figures: dict[str, bytes]) -> str:
    images = [(FIGURE_TITLES.get(name, name), base64.b64encode(png).decode("ascii")) for name, png in figures.items()]
    return _ENVIRONMENT.get_template("model_report.html.j2").render(m=metrics, images=images)


def write_model_report(metrics: dict, figures: dict[str, bytes], path: Path) -> Path:
    return write_text_atomic(Path(path), render_model_report(metrics, figures))
