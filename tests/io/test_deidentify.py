"""De-identification of the SEG and SR for research exports: by default they carry the patient module (a PACS
files them with the images); de-identified, no name, ID or birth date is left, every instance UID is replaced
consistently (the SR still references the SEG and both the same series, which result.json names the same way),
and both files stay valid DICOM."""

import shutil

import pydicom
import pytest

from hepatica.io.deidentify import deidentify_files, remap_uid
from hepatica.report.write import _with_remapped_uids
from tests.conftest import dciodvfy_errors

SECRET = "a site secret"


def _uids(dataset) -> set[str]:
    found = set()

    def visit(ds, element):
        if element.VR == "UI" and element.value and not element.keyword.endswith("ClassUID"):
            found.add(str(element.value))

    dataset.walk(visit)
    return found


@pytest.fixture()
def exported(small_analysis, tmp_path):
    files = small_analysis.result.segmentation.files
    root = small_analysis.result_json.parent
    seg, sr = (shutil.copy(root / files[key], tmp_path / f"{key}.dcm") for key in ("dicom_seg", "dicom_sr"))
    return root / files["dicom_seg"], root / files["dicom_sr"], tmp_path / "dicom_seg.dcm", tmp_path / "dicom_sr.dcm"


def test_by_default_the_seg_and_sr_carry_the_patient_module_for_the_pacs(exported):
    seg, sr, _, _ = exported
    for path in (seg, sr):
        header = pydicom.dcmread(path, stop_before_pixels=True)
        assert str(header.PatientName) == "Phantom^Hepatica" and header.PatientID.startswith("HEPATICA-PHANTOM")


def test_deidentified_seg_and_sr_hold_no_identifiers_and_still_reference_each_other(exported, small_analysis):
    original_seg, original_sr, seg, sr = exported
    before = {p: pydicom.dcmread(p) for p in (original_seg, original_sr)}
    deidentify_files([seg, sr], SECRET)
    after_seg, after_sr = pydicom.dcmread(seg), pydicom.dcmread(sr)
    for dataset in (after_seg, after_sr):
        text = str(dataset)
        assert "Phantom^Hepatica" not in text and "HEPATICA-PHANTOM" not in text
        assert dataset.PatientIdentityRemoved == "YES"
        assert [c.CodeValue for c in dataset.DeidentificationMethodCodeSequence] == ["113100", "113107"]
        assert "StudyDescription" not in dataset and dataset.PatientBirthDate == ""
    original_uids = _uids(before[original_seg]) | _uids(before[original_sr])
    assert not (_uids(after_seg) | _uids(after_sr)) & original_uids  # every instance UID replaced
    assert after_seg.SOPInstanceUID == remap_uid(before[original_seg].SOPInstanceUID, SECRET)
    assert after_seg.file_meta.MediaStorageSOPInstanceUID == after_seg.SOPInstanceUID
    assert after_seg.SOPClassUID == before[original_seg].SOPClassUID  # classes kept
    referenced = {
        str(item.ReferencedSOPInstanceUID)
        for study in after_sr.CurrentRequestedProcedureEvidenceSequence
        for series in study.ReferencedSeriesSequence
        for item in series.ReferencedSOPSequence
    }
    assert after_seg.SOPInstanceUID in referenced  # the SR still points at the SEG
    series_uid = str(after_seg.ReferencedSeriesSequence[0].SeriesInstanceUID)
    remapped = _with_remapped_uids(small_analysis.result, SECRET)
    assert series_uid in {i.identifier for i in remapped.provenance.inputs}  # result.json names the same series
    assert remapped.study.study_uid == str(after_seg.StudyInstanceUID)
    assert dciodvfy_errors(seg) == [] and dciodvfy_errors(sr) == []


def test_the_same_secret_maps_the_same_uid_the_same_way_and_keeps_well_known_uids():
    uid = "1.2.826.0.1.3680043.8.498.12345"
    assert remap_uid(uid, SECRET) == remap_uid(uid, SECRET) != remap_uid(uid, "another secret")
    assert remap_uid(uid, SECRET).startswith("2.25.") and len(remap_uid(uid, SECRET)) <= 64
    assert remap_uid(pydicom.uid.CTImageStorage, SECRET) == pydicom.uid.CTImageStorage


def test_hepatica_segment_deidentify_exports_a_seg_without_identifiers(small_phantom_files, tmp_path):
    """The `segment` command (a research export of masks) de-identifies its SEG and the series UID in
    segmentation.json with the site's secret, as analyze --deidentify does."""
    import json
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "hepatica", "segment", str(small_phantom_files.dicom), "--out", str(tmp_path)]
        + ["--deidentify", "--quiet"],
        capture_output=True,
        text=True,
        env={**os.environ, "HEPATICA_DEIDENTIFY_SECRET": SECRET},
    )
    assert done.returncode == 0, done.stderr
    seg = pydicom.dcmread(tmp_path / "segmentation.dcm")
    assert "Phantom^Hepatica" not in str(seg) and "HEPATICA-PHANTOM" not in str(seg)
    assert seg.PatientIdentityRemoved == "YES"
    source_series = {
        str(pydicom.dcmread(path, stop_before_pixels=True).SeriesInstanceUID)
        for path in small_phantom_files.dicom.rglob("*.dcm")
    }
    written = json.loads((tmp_path / "segmentation.json").read_text())
    identifiers = {entry["identifier"] for entry in written["provenance"]["inputs"]}
    series = {str(s.SeriesInstanceUID) for s in seg.ReferencedSeriesSequence}
    assert series == identifiers  # segmentation.json names the series as the SEG does
    assert len(source_series) >= 2 and not any(uid in json.dumps(written) for uid in source_series)
    assert dciodvfy_errors(tmp_path / "segmentation.dcm") == []
