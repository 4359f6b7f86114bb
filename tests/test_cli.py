"""The command line end to end: the demo, analyze on DICOM and on per-phase NIfTI files, and error exits."""

import json
import re
import subprocess
import sys

import jsonschema
import pytest

from tests.conftest import REPO

SCHEMA = json.loads((REPO / "schemas" / "study_result.schema.json").read_text())


def _hepatica(*args, check=True):
    return subprocess.run([sys.executable, "-m", "hepatica", *args], capture_output=True, text=True, check=check)


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    _hepatica("demo", "--out", str(out), "--quiet")
    return out


def test_demo_writes_a_valid_result_and_a_self_contained_report(demo_dir):
    result = json.loads((demo_dir / "result.json").read_text())
    jsonschema.validate(result, SCHEMA)
    assert result["study"]["phases_present"] == ["pre_contrast", "arterial", "portal_venous", "delayed"]
    assert result["study"]["phases_missing"] == []
    assert [s["phase"]["source"] for s in result["study"]["series"]] == ["description"] + ["bolus-timing"] * 3
    assert len(result["key_images"]) == 8
    assert result["provenance"]["inputs"][0]["kind"] == "dicom-series"
    html = (demo_dir / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 8
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", html), "the report must not load anything from outside"
    for absent in ("LI-RADS", "Lesion table", "Radiomics"):  # stages not built yet are absent, not faked
        assert absent not in html
    assert "Phantom^Hepatica" not in html and "HEPATICA-PHANTOM" not in json.dumps(result)  # no patient identifiers


def test_analyze_per_phase_nifti_files(demo_dir, tmp_path):
    nifti = demo_dir / "phantom" / "nifti"
    out = tmp_path / "out"
    _hepatica("analyze", f"arterial={nifti / 'arterial.nii.gz'}", f"pv={nifti / 'portal_venous.nii.gz'}",
              "--out", str(out), "--quiet")
    result = json.loads((out / "result.json").read_text())
    jsonschema.validate(result, SCHEMA)
    assert result["study"]["phases_present"] == ["arterial", "portal_venous"]
    assert result["study"]["phases_missing"] == ["pre_contrast", "delayed"]
    assert all(s["phase"]["source"] == "user" for s in result["study"]["series"])
    assert all(i["identifier"].startswith("sha256:") for i in result["provenance"]["inputs"])


def test_analyze_with_phase_override_on_dicom(demo_dir, tmp_path):
    out = tmp_path / "out"
    _hepatica("analyze", str(demo_dir / "phantom" / "dicom" / "4_delayed"), "--phase", "S1=pv",
              "--out", str(out), "--quiet")
    [series] = json.loads((out / "result.json").read_text())["study"]["series"]
    assert series["phase"] == {"phase": "portal_venous", "source": "user", "evidence": "set by the user ('S1')",
                               "confidence": 1.0}


def test_bad_input_exits_with_a_message_not_a_traceback(tmp_path):
    (tmp_path / "notes.txt").write_text("no images here")
    run = _hepatica("analyze", str(tmp_path), "--out", str(tmp_path / "out"), check=False)
    assert run.returncode == 2
    assert "error:" in run.stderr and "no DICOM image series found" in run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "out" / "result.json").exists()


def test_unknown_phase_name_is_explained(tmp_path):
    run = _hepatica("analyze", "hepatobiliary=x.nii.gz", "--out", str(tmp_path), check=False)
    assert run.returncode == 2 and "Unknown contrast phase 'hepatobiliary'" in run.stderr
