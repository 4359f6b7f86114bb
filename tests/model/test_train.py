"""`hepatica model train` / `evaluate` end to end on simulated cohorts written as CSV: the fitted pipeline, a
TRIPOD-style report with every figure, JSON metrics; the saved model predicts the same after loading, and
external validation runs on a separate table."""

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from hepatica.cli import main
from hepatica.model.persist import load_model
from hepatica.phantom.cohort import simulate_cohort
from tests.model.cohort_tables import clinical_table, feature_table, outcome_table


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    folder = tmp_path_factory.mktemp("model_tables")
    for name, seed, n in (("dev", 7, 150), ("ext", 8, 80)):
        cohort = simulate_cohort(n, seed=seed, keep_images=False)
        feature_table(cohort).to_csv(folder / f"{name}_features.csv")
        clinical_table(cohort).join(outcome_table(cohort)[["mvi", "rfs_months", "recurrence"]]).to_csv(
            folder / f"{name}_clinical.csv"
        )
    return folder


def _run(args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def _images_in(report):
    return report.count('src="data:image/png;base64,')


def test_binary_nomogram_trains_reports_round_trips_and_validates_externally(tables, tmp_path):
    out = tmp_path / "mvi"
    _run(
        [
            "model",
            "train",
            tables / "dev_features.csv",
            "--clinical",
            tables / "dev_clinical.csv",
            "--outcome",
            "mvi",
            "--ignore",
            "rfs_months",
            "--ignore",
            "recurrence",
            "--out",
            out,
        ]
    )
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["model"] == "radscore_nomogram" and metrics["participants"]["cases"] == 150
    assert metrics["participants"]["clinical_variables"] == ["afp_ng_ml", "bilirubin_umol_l", "bclc", "age_years"]
    assert 0.7 < metrics["auc"]["delong"][0] < 0.95
    report = (out / "report.html").read_text()
    assert _images_in(report) == 5  # ROC, calibration, decision curve, SHAP, nomogram
    for section in (
        "Source of data and participants",
        "Sample size and missing data",
        "Model specification",
        "Model performance",
        "Explanations",
        "Limitations",
    ):
        assert section in report
    assert {p.name for p in (out / "plots").iterdir()} == {
        "roc.png",
        "calibration.png",
        "decision_curve.png",
        "shap.png",
        "nomogram.png",
    }

    pipeline, card = load_model(out / "model")
    table = pd.read_csv(tables / "dev_features.csv", index_col="case").join(
        pd.read_csv(tables / "dev_clinical.csv", index_col="case")
    )
    again = pipeline.predict_proba(table[card.features])[:, 1]
    second, _ = load_model(out / "model")
    assert np.array_equal(again, second.predict_proba(table[card.features])[:, 1])

    external = tmp_path / "external"
    _run(
        [
            "model",
            "evaluate",
            out / "model",
            tables / "ext_features.csv",
            "--clinical",
            tables / "ext_clinical.csv",
            "--out",
            external,
        ]
    )
    ext = json.loads((external / "metrics.json").read_text())
    assert ext["external"] and ext["participants"]["cases"] == 80 and 0.6 < ext["auc"]["delong"][0] <= 1.0
    assert _images_in((external / "report.html").read_text()) == 3
    predictions = pd.read_csv(external / "predictions.csv", index_col="case")["probability"]
    ext_table = pd.read_csv(tables / "ext_features.csv", index_col="case").join(
        pd.read_csv(tables / "ext_clinical.csv", index_col="case")
    )
    assert np.allclose(
        predictions.to_numpy(), pipeline.predict_proba(ext_table.loc[predictions.index, card.features])[:, 1]
    )


def test_survival_model_trains_reports_and_validates(tables, tmp_path):
    out = tmp_path / "rfs"
    _run(
        [
            "model",
            "train",
            tables / "dev_features.csv",
            "--clinical",
            tables / "dev_clinical.csv",
            "--outcome",
            "recurrence",
            "--time",
            "rfs_months",
            "--ignore",
            "mvi",
            "--out",
            out,
        ]
    )
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["kind"] == "survival" and 0.65 < metrics["c_index"][0] < 0.95
    assert metrics["risk_groups"]["log_rank_p"] < 0.01
    assert _images_in((out / "report.html").read_text()) == 3  # Kaplan-Meier, time-dependent AUC, SHAP
    external = tmp_path / "rfs_external"
    _run(
        [
            "model",
            "evaluate",
            out / "model",
            tables / "ext_features.csv",
            "--clinical",
            tables / "ext_clinical.csv",
            "--out",
            external,
        ]
    )
    assert json.loads((external / "metrics.json").read_text())["c_index"][0] > 0.6


def test_bad_tables_get_clear_errors(tables, tmp_path):
    runner = CliRunner()
    result = runner.invoke(
        main, ["model", "train", str(tables / "dev_features.csv"), "--outcome", "nope", "--out", str(tmp_path / "x")]
    )
    assert result.exit_code != 0 and "nope" in result.output and "neither table" in result.output
    missing = tmp_path / "few.csv"
    pd.read_csv(tables / "ext_features.csv").iloc[:, :20].to_csv(missing, index=False)
    result = runner.invoke(
        main, ["model", "evaluate", str(tmp_path / "nomodel"), str(missing), "--out", str(tmp_path / "y")]
    )
    assert result.exit_code != 0 and "no saved model here" in result.output


def test_reliability_from_perturbed_images_filters_the_features_a_model_trains_on(tables, tmp_path):
    import SimpleITK as sitk

    cohort = simulate_cohort(6, seed=11)
    rows = ["case,image,mask"]
    for patient in cohort.patients:
        for kind, array in (("image", patient.image), ("mask", patient.mask.astype(np.uint8))):
            volume = sitk.GetImageFromArray(array)
            volume.SetSpacing(cohort.spacing_mm[::-1])
            sitk.WriteImage(volume, str(tmp_path / f"{patient.case}_{kind}.nii.gz"))
        rows.append(f"{patient.case},{patient.case}_image.nii.gz,{patient.case}_mask.nii.gz")
    (tmp_path / "cases.csv").write_text("\n".join(rows) + "\n")
    result = _run(
        ["model", "reliability", "--batch", tmp_path / "cases.csv", "--copies", "3", "--out", tmp_path / "icc.csv"]
    )
    assert "features have ICC >= 0.75" in result.output
    icc = pd.read_csv(tmp_path / "icc.csv", index_col="feature")
    assert icc.loc["original__stat_mean", "icc"] > 0.9 and (icc["kind"] == "ICC(1,1) perturbation").all()

    out = tmp_path / "filtered"
    _run(
        [
            "model",
            "train",
            tables / "dev_features.csv",
            "--outcome",
            "recurrence",
            "--time",
            "rfs_months",
            "--clinical",
            tables / "dev_clinical.csv",
            "--ignore",
            "mvi",
            "--reliability",
            tmp_path / "icc.csv",
            "--out",
            out,
        ]
    )
    metrics = json.loads((out / "metrics.json").read_text())
    reliable = set(icc.index[icc["icc"] >= 0.75])
    assert (
        metrics["sources"]["reliability"]["features_left_out"]
        == 742 - metrics["participants"]["candidate_radiomics_features"]
    )
    assert (
        set(load_model(out / "model")[1].features) - {"afp_ng_ml", "bilirubin_umol_l", "bclc", "age_years"} <= reliable
    )
