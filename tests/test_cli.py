"""The command line end to end: the demo, analyze on DICOM and on per-phase NIfTI files, and error exits."""

import json
import re
import subprocess
import sys

import jsonschema
import pytest

from tests.conftest import REPO, dciodvfy_errors, pydicom_sr_numbers

SCHEMA = json.loads((REPO / "schemas" / "study_result.schema.json").read_text())


def _characterized(result: dict) -> list[dict]:
    """The LI-RADS entry of each characterized lesion, with its id (result.json keeps it in the lesion's entry)."""
    return [{"id": lesion["id"], **lesion["lirads"]} for lesion in result["lesions"] if lesion["lirads"]]


def _rois(result: dict) -> list[dict]:
    """The radiomics of the liver, then of each lesion, as the table lists them."""
    return [result["radiomics"]["liver"]] + [lesion["radiomics"] for lesion in result["lesions"]]


def _hepatica(*args, check=True):
    return subprocess.run([sys.executable, "-m", "hepatica", *args], capture_output=True, text=True, check=check)


def test_demo_writes_a_valid_result_and_a_self_contained_report(demo_dir):
    result = json.loads((demo_dir / "result.json").read_text())
    jsonschema.validate(result, SCHEMA)
    assert result["study"]["phases_present"] == ["pre_contrast", "arterial", "portal_venous", "delayed"]
    assert result["study"]["phases_missing"] == []
    assert [s["phase"]["source"] for s in result["study"]["series"]] == ["description"] + ["bolus-timing"] * 3
    kinds = [k["kind"] for k in result["key_images"]]
    lesions = result["segmentation"]["lesion_count"]
    assert kinds.count("phase") == 8 and kinds.count("overview") == 2  # 4 phases x axial, coronal; the liver
    assert kinds.count("lesion") == 4 * min(lesions, 12)  # each lesion in every phase (the 12 largest)
    assert all(k["overlays"] == ["liver", "lesions"] for k in result["key_images"])
    assert result["provenance"]["inputs"][0]["kind"] == "dicom-series"
    html = (demo_dir / "report.html").read_text()
    assert html.count("data:image/png;base64,") == len(result["key_images"])
    assert (demo_dir / "report.pdf").read_bytes().startswith(b"%PDF-")
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", html), "the report must not load anything from outside"
    assert "Liver and lesions" in html and "Longest axial diameter (mm)" in html
    assert "<h2>LI-RADS v2018</h2>" in html and "Type estimate (decision support)" in html
    assert "<h2>Radiomics</h2>" in html and "radiomics/features.csv" in html
    assert "Phantom^Hepatica" not in html and "HEPATICA-PHANTOM" not in json.dumps(result)  # no patient identifiers


def test_demo_writes_a_valid_seg_and_measurement_report_for_pacs(demo_dir):
    from hepatica.io.sr import read_measurement_report

    result = json.loads((demo_dir / "result.json").read_text())
    files = result["segmentation"]["files"]
    seg, sr = demo_dir / files["dicom_seg"], demo_dir / files["dicom_sr"]
    assert dciodvfy_errors(seg) == [] and dciodvfy_errors(sr) == []
    entries = read_measurement_report(sr)
    lesions = result["lesions"]
    assert set(entries) == {"liver"} | {f"lesion_{lesion['id']}" for lesion in lesions}
    assert entries["liver"]["Volume"] == result["segmentation"]["liver_volume_ml"]
    categories = {f"lesion_{entry['id']}": entry["category"] for entry in _characterized(result)}
    for lesion in lesions:
        entry = entries[f"lesion_{lesion['id']}"]
        assert entry["Long axis"] == lesion["longest_axial_diameter_mm"] and entry["Volume"] == lesion["volume_ml"]
        assert entry.get("LI-RADS v2018 category") == categories.get(f"lesion_{lesion['id']}")
    # The same numbers read with pydicom alone.
    numbers = pydicom_sr_numbers(sr)
    assert numbers["Volume"] == [result["segmentation"]["liver_volume_ml"]] + [x["volume_ml"] for x in lesions]
    assert numbers["Long axis"] == [x["longest_axial_diameter_mm"] for x in lesions]


def test_demo_seg_reads_back_with_the_masks_written(demo_dir):
    import numpy as np
    import pydicom

    from hepatica.io import load_study
    from hepatica.io.files import read_image
    from hepatica.io.phase import Phase
    from hepatica.io.seg import read_dicom_seg

    result = json.loads((demo_dir / "result.json").read_text())
    files = result["segmentation"]["files"]
    portal = load_study(demo_dir / "phantom" / "dicom").by_phase[Phase.PORTAL_VENOUS].volume
    masks = read_dicom_seg(demo_dir / files["dicom_seg"], reference=portal)  # highdicom
    liver, lesions = read_image(demo_dir / files["liver"]), read_image(demo_dir / files["lesions"])
    assert np.array_equal(masks["liver"].array, liver.array > 0)
    for lesion in result["lesions"]:
        assert np.array_equal(masks[f"lesion_{lesion['id']}"].array, lesions.array == lesion["id"])
    ds = pydicom.dcmread(demo_dir / files["dicom_seg"])  # pydicom: segments, frames and their pixels
    assert [s.SegmentLabel for s in ds.SegmentSequence] == list(masks)
    frames = ds.pixel_array.reshape(int(ds.NumberOfFrames), int(ds.Rows), int(ds.Columns))
    segment_of_frame = [
        f.SegmentIdentificationSequence[0].ReferencedSegmentNumber for f in ds.PerFrameFunctionalGroupsSequence
    ]
    for number, label in enumerate(masks, start=1):
        voxels = sum(int(frames[i].sum()) for i, n in enumerate(segment_of_frame) if n == number)
        assert voxels == int(masks[label].array.sum()), label


def test_demo_extracts_radiomics_of_the_liver_and_each_lesion(demo_dir):
    result = json.loads((demo_dir / "result.json").read_text())
    radiomics = result["radiomics"]
    assert [r["roi"] for r in _rois(result)][:2] == ["liver", "lesion 1"]
    assert len(_rois(result)) == 1 + result["segmentation"]["lesion_count"]
    liver = _rois(result)[0]["features"]
    assert len(liver) == 211 and liver["morph_vol_approx"] / 1000 == pytest.approx(
        result["segmentation"]["liver_volume_ml"], rel=0.02
    )  # 1 mm grid vs the CT grid
    assert 40 < liver["stat_mean"] < 160  # enhanced liver parenchyma, HU
    table = (demo_dir / radiomics["files"]["table"]).read_text().splitlines()
    assert table[0].startswith("case,image,mask,label,image_type,") and len(table) == 1 + len(_rois(result))
    assert "resegmentation_range" in (demo_dir / radiomics["files"]["parameters"]).read_text()


def test_demo_aligns_the_phases_and_categorizes_each_lesion(demo_dir):
    """Synthetic data. The demo states a high-risk patient; lesions are the segmentation's, not the truth's."""
    result = json.loads((demo_dir / "result.json").read_text())
    lirads = result["lirads"]
    assert lirads["phases"] == ["pre_contrast", "arterial", "portal_venous", "delayed"]
    assert lirads["missing_phases"] == [] and lirads["high_risk"] is True
    assert sorted(a["phase"] for a in lirads["alignments"]) == ["arterial", "delayed", "pre_contrast"]
    assert all(a["residual_mm"] < 1.0 for a in lirads["alignments"])  # the phantom's phases are not moved
    segmented = {lesion["id"] for lesion in result["lesions"]}
    characterized = {lesion["id"] for lesion in _characterized(result)}
    assert characterized <= segmented and len(characterized) >= len(segmented) - len(lirads["warnings"])
    allowed = {"LR-1", "LR-2", "LR-3", "LR-4", "LR-5", "LR-M", "LR-TIV", "LR-NC"}
    for lesion in _characterized(result):
        assert lesion["category"] in allowed and lesion["reasons"]
        assert set(lesion["features"]) >= {"aphe", "washout", "capsule"}
    assert "LR-5" in {lesion["category"] for lesion in _characterized(result)}  # the 28 mm HCC


def test_demo_segments_the_phantom_liver_and_lesions(demo_dir):
    """Synthetic data: the phantom's truth is exact, but it is not anatomy the models were trained on."""
    result = json.loads((demo_dir / "result.json").read_text())
    truth = json.loads((demo_dir / "phantom" / "truth" / "truth.json").read_text())
    seg = result["segmentation"]
    assert seg["series_id"] == "S3" and seg["backend"] == "bundled"
    assert seg["liver_volume_ml"] == pytest.approx(truth["liver_volume_ml"], rel=0.1)  # measured +7 %
    assert seg["lesion_count"] >= 5
    assert [m["name"] for m in result["provenance"]["models"]] == [
        "pyliverlesionseg-liver-unet",
        "pyliverlesionseg-lesion-unet",
    ]
    for path in seg["files"].values():
        assert (demo_dir / path).is_file()
    from hepatica.io import load_dicom_series, read_dicom_seg, scan_dicom_folder

    pv = load_dicom_series(scan_dicom_folder(demo_dir / "phantom" / "dicom" / "3_portal_venous").series[0])
    segments = read_dicom_seg(demo_dir / seg["files"]["dicom_seg"], reference=pv)
    assert "liver" in segments and len(segments) == 1 + seg["lesion_count"]


def test_segment_command_writes_masks_json_and_dicom_seg(small_phantom, small_phantom_files, tmp_path):
    out = tmp_path / "seg"
    run = _hepatica("segment", str(small_phantom_files.dicom / "3_portal_venous"), "--out", str(out), "--quiet")
    assert "Liver" in run.stderr and "lesion(s)" in run.stderr
    result = json.loads((out / "segmentation.json").read_text())
    assert set(result["segmentation"]["files"]) == {"liver", "lesions", "candidates", "dicom_seg"}
    from hepatica.evaluate import overlap_metrics
    from hepatica.io import read_image

    liver = read_image(out / "liver.nii.gz")
    assert overlap_metrics(liver, small_phantom.liver).dice > 0.85
    lesions = read_image(out / "lesions.nii.gz")
    assert int(lesions.array.max()) == result["segmentation"]["lesion_count"] == len(result["lesions"])


def test_analyze_per_phase_nifti_files(demo_dir, tmp_path):
    nifti = demo_dir / "phantom" / "nifti"
    out = tmp_path / "out"
    _hepatica(
        "analyze",
        f"arterial={nifti / 'arterial.nii.gz'}",
        f"pv={nifti / 'portal_venous.nii.gz'}",
        "--out",
        str(out),
        "--quiet",
        "--no-segment",
    )
    result = json.loads((out / "result.json").read_text())
    jsonschema.validate(result, SCHEMA)
    assert result["segmentation"] is None and not (out / "segmentation").exists()
    assert result["study"]["phases_present"] == ["arterial", "portal_venous"]
    assert result["study"]["phases_missing"] == ["pre_contrast", "delayed"]
    assert all(s["phase"]["source"] == "user" for s in result["study"]["series"])
    assert all(i["identifier"].startswith("sha256:") for i in result["provenance"]["inputs"])


def test_analyze_with_phase_override_on_dicom(demo_dir, tmp_path):
    out = tmp_path / "out"
    _hepatica(
        "analyze",
        str(demo_dir / "phantom" / "dicom" / "4_delayed"),
        "--phase",
        "S1=pv",
        "--out",
        str(out),
        "--quiet",
        "--no-segment",
    )
    [series] = json.loads((out / "result.json").read_text())["study"]["series"]
    assert series["phase"] == {
        "phase": "portal_venous",
        "source": "user",
        "evidence": "set by the user ('S1')",
        "confidence": 1.0,
    }


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


def test_analyze_with_a_prior_study_reads_the_interval_from_the_study_dates(
    small_phantom, small_phantom_files, tmp_path
):
    """Synthetic data; the segmentation's lesions, so only the wiring is asserted here (the comparison itself is
    tested on true masks in tests/characterize/test_prior.py)."""
    from datetime import date

    import numpy as np

    from hepatica.phantom.follow_up import make_prior_study
    from hepatica.phantom.write import write_phantom_study

    prior, _ = make_prior_study(small_phantom, {1: 16.0}, np.random.default_rng(2))
    prior_files = write_phantom_study(prior, tmp_path / "prior", study_date=date(2025, 10, 3))  # 90 days before
    out = tmp_path / "out"
    _hepatica(
        "analyze",
        str(small_phantom_files.dicom),
        "--prior",
        str(prior_files.dicom),
        "--no-radiomics",
        "--high-risk",
        "--out",
        str(out),
        "--quiet",
    )
    result = json.loads((out / "result.json").read_text())
    jsonschema.validate(result, SCHEMA)
    prior_comparison = result["lirads"]["prior"]
    assert prior_comparison["interval_days"] == 90 and prior_comparison["residual_mm"] < 1.5
    assert prior_comparison["prior_lesion_count"] >= 1
    for lesion in _characterized(result):
        assert lesion["features"]["threshold_growth"]["value"] in (True, False)
        assert lesion["change_since_prior"] is not None
    assert "Prior study 90 days earlier" in (out / "report.html").read_text()


def test_patient_identifiers_only_with_the_flag_and_pdf_unless_refused(small_phantom_files, tmp_path):
    plain, named = tmp_path / "plain", tmp_path / "named"
    _hepatica("analyze", str(small_phantom_files.dicom), "--no-segment", "--no-pdf", "--out", str(plain), "--quiet")
    _hepatica(
        "analyze",
        str(small_phantom_files.dicom),
        "--no-segment",
        "--patient-identifiers",
        "--out",
        str(named),
        "--quiet",
    )
    assert "Phantom Hepatica" not in (plain / "report.html").read_text() and not (plain / "report.pdf").exists()
    header = (named / "report.html").read_text().split("</header>")[0]
    assert "Phantom Hepatica" in header and "HEPATICA-PHANTOM" in header
    assert (named / "report.pdf").read_bytes().startswith(b"%PDF-")
    assert "HEPATICA-PHANTOM" not in (named / "result.json").read_text()
