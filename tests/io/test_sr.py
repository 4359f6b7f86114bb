"""TID 1500 measurement reports: written with highdicom next to a SEG, valid for dicom3tools' dciodvfy, and read
back with highdicom and pydicom with the values written (phantom series and IRCAD patient 1's expert masks)."""

import numpy as np
import pydicom
import pytest

from hepatica.errors import HepaticaInputError
from hepatica.io import load_dicom_series, load_study, scan_dicom_folder
from hepatica.io.phase import Phase
from hepatica.io.seg import write_dicom_seg
from hepatica.io.sr import LesionReport, LiverReport, read_measurement_report, write_measurement_report
from hepatica.measure.lesions import measure_lesion
from tests.conftest import dciodvfy_errors, pydicom_sr_numbers, shared

LIVER = LiverReport("liver", 1512.25, 3.125)


def _lesion_report(mask, label="lesion_1", category="LR-5", features=None) -> LesionReport:
    m = measure_lesion(mask)
    return LesionReport(
        label,
        m.volume_ml,
        m.longest_axial_diameter_mm,
        m.short_axis_mm,
        m.longest_3d_diameter_mm,
        category,
        features or {},
    )


def test_phantom_report_is_valid_and_reads_back_with_the_values_written(small_phantom, small_phantom_files, tmp_path):
    portal = load_study(small_phantom_files.dicom).by_phase[Phase.PORTAL_VENOUS].volume
    liver = portal.with_array(small_phantom.liver.array)
    lesion = portal.with_array((small_phantom.lesion_labels.array == 1).astype(np.uint8))
    seg = write_dicom_seg({"liver": liver, "lesion_1": lesion}, portal, tmp_path / "seg.dcm")
    report = _lesion_report(lesion, features={"nonrim_aphe": True, "nonperipheral_washout": True, "capsule": False})
    sr = write_measurement_report(seg, portal, LIVER, [report], tmp_path / "sr.dcm")

    assert dciodvfy_errors(seg) == [] and dciodvfy_errors(sr) == []
    back = read_measurement_report(sr)
    assert back["liver"]["Volume"] == 1512.25 and back["liver"]["Lesion volume as a share of liver volume"] == 3.125
    entry = back["lesion_1"]
    assert entry["Volume"] == round(report.volume_ml, 3) and entry["Long axis"] == round(
        report.longest_axial_diameter_mm, 3
    )
    assert entry["LI-RADS v2018 category"] == "LR-5"
    assert entry["Nonrim arterial phase hyperenhancement"] == "Present" and entry["Enhancing capsule"] == "Absent"
    numbers = pydicom_sr_numbers(sr)
    assert numbers["Volume"] == [1512.25, round(report.volume_ml, 3)]
    assert numbers["Short axis"] == [round(report.short_axis_mm, 3)]
    ds = pydicom.dcmread(sr)
    assert ds.Modality == "SR" and ds.ContentTemplateSequence[0].TemplateIdentifier == "1500"
    evidence = {
        s.SeriesInstanceUID
        for study in ds.CurrentRequestedProcedureEvidenceSequence
        for s in study.ReferencedSeriesSequence
    }
    assert portal.metadata["series_uid"] in evidence and pydicom.dcmread(seg).SeriesInstanceUID in evidence


def test_ircad_patient_1_seg_and_report_are_valid(ircad_masks, tmp_path):
    ct = load_study(shared("ircad/3Dircadb1.1/PATIENT_DICOM")).series[0].volume
    liver = load_dicom_series(scan_dicom_folder(ircad_masks / "liver").series[0])
    tumour = load_dicom_series(scan_dicom_folder(ircad_masks / "livertumor01").series[0])
    liver = ct.with_array((liver.array > 0).astype(np.uint8))
    tumour = ct.with_array((tumour.array > 0).astype(np.uint8))
    seg = write_dicom_seg({"liver": liver, "lesion_1": tumour}, ct, tmp_path / "seg.dcm")
    report = _lesion_report(tumour, category="LR-NC")
    sr = write_measurement_report(
        seg, ct, LiverReport("liver", liver.array.sum() * ct.voxel_volume_ml, 0.5), [report], tmp_path / "sr.dcm"
    )
    assert dciodvfy_errors(seg) == [] and dciodvfy_errors(sr) == []
    back = read_measurement_report(sr)
    assert back["lesion_1"]["LI-RADS v2018 category"] == "LR-NC"
    assert back["lesion_1"]["Longest 3D diameter"] == pytest.approx(report.longest_3d_diameter_mm, abs=1e-3)
    assert pydicom_sr_numbers(sr)["Long axis"] == [round(report.longest_axial_diameter_mm, 3)]


def test_a_report_needs_the_segments_it_names(small_phantom, small_phantom_files, tmp_path):
    portal = load_study(small_phantom_files.dicom).by_phase[Phase.PORTAL_VENOUS].volume
    seg = write_dicom_seg({"liver": portal.with_array(small_phantom.liver.array)}, portal, tmp_path / "seg.dcm")
    lesion = portal.with_array((small_phantom.lesion_labels.array == 1).astype(np.uint8))
    with pytest.raises(HepaticaInputError, match="has no segment lesion_1"):
        write_measurement_report(seg, portal, LIVER, [_lesion_report(lesion)], tmp_path / "sr.dcm")


def test_a_uid_seed_gives_the_same_seg_and_sr_instances_every_time(small_phantom, small_phantom_files, tmp_path):
    portal = load_study(small_phantom_files.dicom).by_phase[Phase.PORTAL_VENOUS].volume
    liver = portal.with_array(small_phantom.liver.array)
    lesion = portal.with_array((small_phantom.lesion_labels.array == 1).astype(np.uint8))

    def uids(name, seed):
        seg = write_dicom_seg({"liver": liver, "lesion_1": lesion}, portal, tmp_path / f"{name}-seg.dcm", uid_seed=seed)
        sr = write_measurement_report(
            seg, portal, LIVER, [_lesion_report(lesion)], tmp_path / f"{name}-sr.dcm", uid_seed=seed
        )
        return [(d.SeriesInstanceUID, d.SOPInstanceUID) for d in map(pydicom.dcmread, (seg, sr))]

    first, again, other, unseeded = uids("a", "job-1"), uids("b", "job-1"), uids("c", "job-2"), uids("d", None)
    assert first == again
    assert not {u for pair in first for u in pair} & {u for pair in other + unseeded for u in pair}
    assert len({u for pair in first for u in pair}) == 4  # series and instances of SEG and SR all differ


def test_a_liver_without_lesions_gets_a_valid_report(small_phantom, small_phantom_files, tmp_path):
    """A SEG of one segment keeps its segment number in the shared functional groups; the SR must still refer to
    it (highdicom's from_segmentation does not read it from there)."""
    portal = load_study(small_phantom_files.dicom).by_phase[Phase.PORTAL_VENOUS].volume
    seg = write_dicom_seg({"liver": portal.with_array(small_phantom.liver.array)}, portal, tmp_path / "seg.dcm")
    sr = write_measurement_report(seg, portal, LiverReport("liver", 1500.5, 0.0), [], tmp_path / "sr.dcm")
    assert dciodvfy_errors(sr) == []
    assert read_measurement_report(sr) == {"liver": {"Volume": 1500.5, "Lesion volume as a share of liver volume": 0.0}}
