"""``hepatica model train`` and ``hepatica model evaluate``: a model fitted on a feature table (with clinical
variables when given) under nested cross-validation, saved with its card, and reported TRIPOD-style (HTML with
the figures, and JSON); a saved model validated on a separate (external) table.

Binary outcomes: with clinical variables, the rad-score + clinical logistic model behind a nomogram; without,
any model of `hepatica.model.models.MODELS`. Survival outcomes (an event column and a time column, months):
Cox regression with a LASSO penalty or a random survival forest, radiomics and encoded clinical variables
together."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline

from hepatica import __version__
from hepatica.errors import HepaticaInputError
from hepatica.io.atomic import write_text_atomic
from hepatica.model import plots
from hepatica.model.calibration import calibration, net_benefit, net_benefit_treat_all
from hepatica.model.clinical import clinical_columns, combined_pipeline, nomogram
from hepatica.model.explain import explain
from hepatica.model.models import MODELS
from hepatica.model.persist import ModelCard, load_model, save_model
from hepatica.model.report import write_model_report
from hepatica.model.survival import (
    SURVIVAL_MODELS,
    concordance_interval,
    evaluation_times,
    nested_survival_cross_validation,
    risk_group_curves,
    survival_outcome,
    time_dependent_auc,
)
from hepatica.model.tables import ModelTable, binary_outcome, model_table, read_table
from hepatica.model.validation import bootstrap_interval, delong_interval, nested_cross_validation

NOMOGRAM = "radscore_nomogram"
BINARY_CHOICES = (NOMOGRAM, *MODELS)
SURVIVAL_CHOICES = tuple(SURVIVAL_MODELS)


def train(
    features_path: Path,
    outcome: str,
    out: Path,
    clinical_path: Path | None = None,
    time_column: str | None = None,
    model_name: str | None = None,
    id_column: str = "case",
    seed: int = 0,
    ignore: list[str] = (),
    reliability: pd.Series | None = None,
    min_icc: float = 0.75,
) -> dict:
    """Fit, validate, save and report a model; the metrics (also in ``out/metrics.json``). Clinical columns
    named in ``ignore`` (other outcomes, dates) are not predictors. With ``reliability`` (ICC by feature, from
    `hepatica model reliability`), features whose ICC is below ``min_icc`` or unknown are left out first: the
    filter does not look at the outcome, so it may precede the cross-validation."""
    out = Path(out)
    sources = {"features": str(features_path), "clinical": str(clinical_path) if clinical_path else None}
    columns = [outcome] + ([time_column] if time_column else [])
    clinical = None
    if clinical_path is not None:
        header = read_table(clinical_path, id_column).columns
        unknown = [c for c in ignore if c not in header]
        if unknown:
            raise HepaticaInputError(f"--ignore column(s) {unknown} are not in the clinical table")
        clinical = [c for c in header if c != id_column and c not in columns and c not in set(ignore)]
    table = model_table(features_path, columns, clinical_path, id_column, clinical)
    unreliable: list[str] = []
    if reliability is not None:
        icc = reliability.reindex(table.radiomics)
        unreliable = [c for c, v in icc.items() if not v >= min_icc]
        if len(unreliable) == len(table.radiomics):
            raise HepaticaInputError(
                f"no feature has ICC >= {min_icc} in the reliability table; are the feature "
                "names the same (<image type>__<tag>)?"
            )
        table = ModelTable(
            table.data.drop(columns=unreliable),
            [c for c in table.radiomics if c not in set(unreliable)],
            table.clinical,
            table.dropped,
        )
    sources["reliability"] = (
        {"min_icc": min_icc, "features_left_out": len(unreliable)} if reliability is not None else None
    )
    if time_column:
        return _train_survival(table, outcome, time_column, model_name or "cox_lasso", out, seed, sources)
    return _train_binary(
        table, outcome, model_name or (NOMOGRAM if table.clinical else "lasso_then_logistic"), out, seed, sources
    )


def _binary_pipeline(name: str, table: ModelTable, seed: int) -> tuple[Pipeline, dict, list[str]]:
    """(pipeline, grid, input columns)."""
    if name == NOMOGRAM:
        numeric, categorical = clinical_columns(table.data[table.clinical])
        return (
            combined_pipeline(table.radiomics, numeric, categorical, seed),
            {"features__radscore__C": [0.03, 0.1, 0.3]} if table.radiomics else {"model__C": [1.0, 10.0]},
            table.radiomics + table.clinical,
        )
    if name not in MODELS:
        raise HepaticaInputError(f"unknown model {name!r}; choose one of {', '.join(BINARY_CHOICES)}")
    if table.clinical:
        raise HepaticaInputError(f"model {name} takes radiomics features only; with --clinical use {NOMOGRAM}")
    spec = MODELS[name]
    return spec.build(seed), spec.grid, table.radiomics


def _train_binary(table: ModelTable, outcome: str, name: str, out: Path, seed: int, sources: dict) -> dict:
    pipeline, grid, columns = _binary_pipeline(name, table, seed)
    X, y = table.data[columns], binary_outcome(table.data[outcome])
    if min(y.sum(), len(y) - y.sum()) < 10:
        raise HepaticaInputError(
            f"outcome {outcome!r} has {min(y.sum(), len(y) - y.sum())} cases in its smaller "
            "class; a validated model needs at least 10 of each"
        )
    validated = nested_cross_validation(X, y, pipeline, grid, seed=seed)
    final = (
        GridSearchCV(pipeline, grid, scoring="roc_auc", cv=StratifiedKFold(5, shuffle=True, random_state=seed + 1))
        .fit(X, y)
        .best_estimator_
    )
    figures = _binary_figures(y, validated.probabilities, "nested cross-validation")
    explanation = explain(final, X, seed=seed)
    figures["shap"] = plots.shap_plot(explanation)
    metrics = _binary_metrics(y, validated.probabilities, seed)
    metrics.update(
        kind="binary",
        model=name,
        outcome=outcome,
        chosen_hyperparameters=validated.chosen,
        final_hyperparameters={k: final.get_params()[k] for k in grid},
        specification=_specification(final, columns),
        shap_importance=explanation.importance()[:20],
    )
    if name == NOMOGRAM:
        scales = nomogram(final, X)
        figures["nomogram"] = plots.nomogram_plot(scales)
        metrics["nomogram"] = {
            "scales": [vars(s) for s in scales.scales],
            "intercept": scales.intercept,
            "per_point": scales.per_point,
        }
    metrics.update(_participants(table, columns, y, sources))
    card = ModelCard(
        name,
        outcome,
        columns,
        notes={
            "kind": "binary",
            "classes": _classes(table.data[outcome]),
            "clinical": table.clinical,
            "trained_on": len(y),
            "nested_cv_auc": metrics["auc"]["delong"],
        },
    )
    return _finish(final, card, metrics, figures, validated.probabilities, table.data.index, out)


def _survival_pipeline(name: str, table: ModelTable, seed: int) -> tuple[Pipeline, dict, list[str]]:
    if name not in SURVIVAL_MODELS:
        raise HepaticaInputError(f"unknown survival model {name!r}; choose one of {', '.join(SURVIVAL_CHOICES)}")
    build, grid = SURVIVAL_MODELS[name]
    model = build()
    if not table.clinical:
        return model, grid, table.radiomics
    numeric, categorical = clinical_columns(table.data[table.clinical])
    encode = combined_pipeline([], numeric, categorical).named_steps["features"]
    branches = [("radiomics", "passthrough", table.radiomics)] + list(encode.transformers)
    return (
        Pipeline([("encode", ColumnTransformer(branches, sparse_threshold=0.0))] + model.steps),
        grid,
        table.radiomics + table.clinical,
    )


def _train_survival(
    table: ModelTable, event: str, time_column: str, name: str, out: Path, seed: int, sources: dict
) -> dict:
    pipeline, grid, columns = _survival_pipeline(name, table, seed)
    X = table.data[columns]
    y = survival_outcome(binary_outcome(table.data[event]), table.data[time_column])
    validated = nested_survival_cross_validation(X, y, pipeline, grid, seed=seed)
    folds = list(StratifiedKFold(4, shuffle=True, random_state=seed + 1).split(np.zeros(len(y)), y[y.dtype.names[0]]))
    final = GridSearchCV(pipeline, grid, cv=folds).fit(X, y).best_estimator_
    training_risk = final.predict(X)
    metrics = _survival_metrics(y, validated.risk, float(np.median(training_risk)), seed)
    figures = _survival_figures(metrics, y, validated.risk, float(np.median(training_risk)))
    explanation = explain(final, X, seed=seed)
    figures["shap"] = plots.shap_plot(explanation)
    metrics.update(
        kind="survival",
        model=name,
        outcome=event,
        time_column=time_column,
        chosen_hyperparameters=validated.chosen,
        final_hyperparameters={k: final.get_params()[k] for k in grid},
        specification=_specification(final, columns),
        shap_importance=explanation.importance()[:20],
    )
    metrics.update(_participants(table, columns, y[y.dtype.names[0]].astype(int), sources))
    card = ModelCard(
        name,
        event,
        columns,
        notes={
            "kind": "survival",
            "time_column": time_column,
            "classes": _classes(table.data[event]),
            "clinical": table.clinical,
            "risk_cutoff": float(np.median(training_risk)),
            "trained_on": len(y),
            "nested_cv_c_index": metrics["c_index"],
        },
    )
    return _finish(final, card, metrics, figures, validated.risk, table.data.index, out)


def evaluate(
    model_dir: Path,
    features_path: Path,
    out: Path,
    clinical_path: Path | None = None,
    id_column: str = "case",
    seed: int = 0,
) -> dict:
    """A saved model on a separate table: its predictions, discrimination and calibration there."""
    pipeline, card = load_model(model_dir)
    notes = card.notes
    columns = [card.outcome] + ([notes["time_column"]] if notes.get("kind") == "survival" else [])
    table = model_table(features_path, columns, clinical_path, id_column, clinical_columns=notes["clinical"])
    missing = [c for c in card.features if c not in table.data.columns]
    if missing:
        raise HepaticaInputError(
            f"the table lacks {len(missing)} column(s) the model needs, e.g. {missing[:5]}; "
            "extract features with the model's settings and give the same clinical variables"
        )
    X = table.data[card.features]
    labels = table.data[card.outcome]
    unknown = sorted(set(labels.astype(str)) - set(map(str, notes["classes"])))
    if unknown:
        raise HepaticaInputError(
            f"outcome {card.outcome!r} has values {unknown} the model was not trained on ({notes['classes']})"
        )
    events = (labels.astype(str) == str(notes["classes"][1])).to_numpy().astype(int)
    sources = {
        "features": str(features_path),
        "clinical": str(clinical_path) if clinical_path else None,
        "model": str(model_dir),
    }
    if notes.get("kind") == "survival":
        y = survival_outcome(events, table.data[notes["time_column"]])
        risk = pipeline.predict(X)
        metrics = _survival_metrics(y, risk, notes["risk_cutoff"], seed)
        figures = _survival_figures(metrics, y, risk, notes["risk_cutoff"])
        scores = risk
    else:
        scores = pipeline.predict_proba(X)[:, 1]
        metrics = _binary_metrics(events, scores, seed)
        figures = _binary_figures(events, scores, "external validation")
    metrics.update(
        kind=notes.get("kind", "binary"),
        model=card.name,
        outcome=card.outcome,
        external=True,
        trained_on=notes.get("trained_on"),
    )
    metrics.update(_participants(table, card.features, events, sources))
    return _finish(None, card, metrics, figures, scores, table.data.index, Path(out))


def _binary_metrics(y: np.ndarray, probabilities: np.ndarray, seed: int) -> dict:
    delong, boot = delong_interval(y, probabilities), bootstrap_interval(y, probabilities, seed=seed)
    cal = calibration(y, probabilities)
    thresholds = np.array([0.1, 0.2, 0.3, 0.4, 0.5])
    return {
        "auc": {"delong": [delong.auc, delong.low, delong.high], "bootstrap": [boot.auc, boot.low, boot.high]},
        "calibration": {
            "slope": cal.slope,
            "intercept": cal.intercept,
            "brier": cal.brier,
            "curve_predicted": cal.predicted.tolist(),
            "curve_observed": cal.observed.tolist(),
        },
        "decision_curve": {
            "thresholds": thresholds.tolist(),
            "model": net_benefit(y, probabilities, thresholds).tolist(),
            "treat_all": net_benefit_treat_all(y, thresholds).tolist(),
        },
    }


def _binary_figures(y, probabilities, label: str) -> dict[str, bytes]:
    return {
        "roc": plots.roc_plot(y, probabilities, label),
        "calibration": plots.calibration_plot(calibration(y, probabilities)),
        "decision_curve": plots.decision_curve_plot(y, probabilities),
    }


def _survival_metrics(y: np.ndarray, risk: np.ndarray, cutoff: float, seed: int) -> dict:
    c = concordance_interval(y, risk, seed=seed)
    times = evaluation_times(y)
    auc, mean_auc = time_dependent_auc(y, risk, times)
    groups = risk_group_curves(y, risk, cutoffs=[cutoff])
    return {
        "c_index": [c.c_index, c.low, c.high],
        "time_dependent_auc": {"months": times.tolist(), "auc": auc.tolist(), "mean": mean_auc},
        "risk_groups": {
            "cutoff": cutoff,
            "counts": groups.counts,
            "log_rank_chi2": groups.log_rank_chi2,
            "log_rank_p": groups.log_rank_p,
        },
    }


def _survival_figures(metrics: dict, y, risk, cutoff: float) -> dict[str, bytes]:
    tdauc = metrics["time_dependent_auc"]
    return {
        "kaplan_meier": plots.kaplan_meier_plot(risk_group_curves(y, risk, cutoffs=[cutoff])),
        "time_dependent_auc": plots.time_auc_plot(tdauc["months"], tdauc["auc"]),
    }


def _specification(final: Pipeline, columns: list[str]) -> dict:
    """The fitted model's inputs and coefficients (linear models) or input count (others)."""
    model = final[-1]
    names = [str(n) for n in final[:-1].get_feature_names_out(np.asarray(columns, dtype=object))]
    coefficients = getattr(model, "coef_", None)
    spec = {"inputs": names, "final_step": type(model).__name__}
    if coefficients is not None:
        weights = np.asarray(coefficients)
        weights = weights[:, -1] if weights.ndim == 2 and weights.shape[0] == len(names) else weights.ravel()
        spec["coefficients"] = {n: float(w) for n, w in zip(names, weights) if abs(w) > 1e-10}
        if hasattr(model, "intercept_"):
            spec["intercept"] = float(np.ravel(model.intercept_)[0])
    radscore = getattr(final[0], "named_transformers_", {}).get("radscore")
    if radscore is not None:
        spec["radscore_features"] = radscore.selected_features()
    return spec


def _participants(table: ModelTable, columns: list[str], events: np.ndarray, sources: dict) -> dict:
    return {
        "participants": {
            "cases": len(events),
            "events": int(np.sum(events)),
            "candidate_radiomics_features": len([c for c in columns if c in table.radiomics]),
            "clinical_variables": [c for c in columns if c in table.clinical],
            "features_left_out_incomplete": table.dropped,
            "events_per_candidate_variable": float(np.sum(events)) / max(len(columns), 1),
        },
        "sources": sources,
        "hepatica_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _classes(values: pd.Series) -> list:
    return [v.item() if hasattr(v, "item") else v for v in sorted(values.dropna().unique().tolist(), key=str)]


def _finish(final, card: ModelCard, metrics: dict, figures: dict[str, bytes], scores, index, out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    if final is not None:
        save_model(final, card, out / "model")
    (out / "plots").mkdir(exist_ok=True)
    for name, png in figures.items():
        (out / "plots" / f"{name}.png").write_bytes(png)
    column = "risk" if metrics["kind"] == "survival" else "probability"
    write_text_atomic(out / "predictions.csv", pd.DataFrame({column: scores}, index=index).to_csv())
    write_text_atomic(out / "metrics.json", json.dumps(metrics, indent=2, default=_json_default) + "\n")
    write_model_report(metrics, figures, out / "report.html")
    return metrics


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")
