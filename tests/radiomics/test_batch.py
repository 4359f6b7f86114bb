"""Batch extraction: tidy table, failures reported without losing the other cases, finished cases skipped."""

import csv

import numpy as np
from click.testing import CliRunner

from hepatica.cli import main
from hepatica.io import Volume, write_image
from hepatica.radiomics import ExtractionSettings
from hepatica.radiomics.batch import Case, read_manifest, run_batch


def _case(tmp_path, name, shift=0.0):
    rng = np.random.default_rng(len(name))
    image = Volume(rng.normal(40 + shift, 20, (12, 20, 20)).round().astype(np.int16), (1.0, 1.0, 2.0), (0, 0, 0))
    mask = np.zeros((12, 20, 20), np.uint8)
    mask[3:9, 5:15, 5:15] = 1
    mask[4:8, 7:12, 7:12] = 2
    write_image(image, tmp_path / f"{name}_image.nii.gz")
    write_image(image.with_array(mask), tmp_path / f"{name}_mask.nii.gz")
    return tmp_path / f"{name}_image.nii.gz", tmp_path / f"{name}_mask.nii.gz"


def test_batch_writes_one_row_per_roi_and_resumes(tmp_path):
    a, b = _case(tmp_path, "a"), _case(tmp_path, "b", shift=30)
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(
        f"case,image,mask,label\na,{a[0].name},{a[1].name},2\nb,{b[0].name},{b[1].name},\n"
        f"broken,{a[0].name},missing.nii.gz,\n"
    )
    cases = read_manifest(manifest)
    out = tmp_path / "features.csv"
    errors = run_batch(cases, ExtractionSettings(), out, jobs=2)
    assert list(errors) == ["broken"] and "missing.nii.gz" in errors["broken"]
    rows = list(csv.DictReader(out.open()))
    assert [r["case"] for r in rows] == ["a", "b"] and rows[0]["label"] == "2"
    assert float(rows[0]["morph_vol_approx"]) == 4 * 5 * 5 * 2.0  # label 2 only: 100 voxels of 2 mm^3
    assert abs(float(rows[1]["stat_mean"]) - float(rows[0]["stat_mean"]) - 30) < 10
    finished = (tmp_path / "features.csv.cases" / "a.json").stat().st_mtime_ns
    assert list(run_batch(cases, ExtractionSettings(), out)) == ["broken"]
    assert (tmp_path / "features.csv.cases" / "a.json").stat().st_mtime_ns == finished  # skipped
    assert (tmp_path / "features.csv.params.yaml").read_text() == ExtractionSettings().to_yaml()


def test_cli_single_roi_with_filters(tmp_path):
    image, mask = _case(tmp_path, "c")
    params = tmp_path / "params.yaml"
    params.write_text("filters:\n  - {kind: log, sigma_mm: 2.0}\n  - {kind: wavelet, wavelet: haar, subband: HHL}\n")
    out = tmp_path / "c.csv"
    result = CliRunner().invoke(
        main,
        [
            "radiomics",
            "--image",
            str(image),
            "--mask",
            str(mask),
            "--label",
            "1",
            "--params",
            str(params),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    assert [r["image_type"] for r in rows] == ["original", "log_2mm", "wavelet_haar_HHL_level1"]
    assert float(rows[0]["morph_vol_approx"]) == (600 - 100) * 2.0
    assert rows[1]["morph_vol_approx"] == "" and float(rows[1]["stat_var"]) > 0  # shape only for the original


def test_cli_refuses_half_given_inputs(tmp_path):
    result = CliRunner().invoke(main, ["radiomics", "--image", "x.nii.gz", "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 2 and "--image and --mask" in result.output


def test_manifest_without_columns_is_refused(tmp_path):
    manifest = tmp_path / "m.csv"
    manifest.write_text("path\nx\n")
    result = CliRunner().invoke(main, ["radiomics", "--batch", str(manifest), "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 2 and "image and mask" in result.output


def test_case_type_holds_paths():
    assert Case("x", "i", "m").label is None
