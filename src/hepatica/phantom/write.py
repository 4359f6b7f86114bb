"""Saving a phantom study: NIfTI per phase, a four-series DICOM study with phase metadata, and the ground truth.

Layout under the output folder::

    nifti/<phase>.nii.gz                 one file per phase (HU, int16)
    dicom/<n>_<phase>/IMxxxx.dcm         one CT series per phase, one study, one frame of reference
    truth/liver.nii.gz, lesions.nii.gz   masks (lesion n has label n), tissue.nii.gz (phantom tissue labels)
    truth/truth_seg.dcm                  the same liver and lesion masks as a DICOM SEG on the portal-venous series
    truth/truth.json                     lesion types, sizes, positions, expected LI-RADS features, tissue legend
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pydicom

from hepatica import __version__
from hepatica.io.atomic import write_text_atomic
from hepatica.io.dicom import load_dicom_series, scan_dicom_folder
from hepatica.io.dicom_write import SeriesHeader, write_ct_series
from hepatica.io.files import write_image
from hepatica.io.phase import Phase
from hepatica.io.seg import write_dicom_seg
from hepatica.phantom.generate import PhantomStudy
from hepatica.phantom.kinetics import PHASE_DELAY_S, PHASES, Tissue

STUDY_START = time(9, 0, 0)
BOLUS_START = time(9, 2, 0)
CONTRAST_AGENT = "Iohexol 350 mgI/mL"


@dataclass(frozen=True)
class PhantomFiles:
    """Where a written phantom study lies."""

    root: Path
    nifti: dict[Phase, Path]
    dicom: Path
    truth_json: Path


def write_phantom_study(study: PhantomStudy, out_dir: Path | str, study_date: date = date(2026, 1, 1)) -> PhantomFiles:
    """Write ``study`` under ``out_dir`` (see the module docstring) and return the paths; ``study_date`` is the
    DICOM StudyDate (a prior study of the same phantom gets an earlier one, and its own UIDs)."""
    root = Path(out_dir)
    nifti = {phase: write_image(study.phases[phase], root / "nifti" / f"{phase.value}.nii.gz") for phase in PHASES}
    dicom_root = root / "dicom"
    uid = _uid_maker(study.seed, study_date)
    study_uid, frame_uid = uid("study"), uid("frame-of-reference")
    for number, phase in enumerate(PHASES, start=1):
        delay = PHASE_DELAY_S[phase]
        header = SeriesHeader(
            study_uid=study_uid,
            series_uid=uid(f"series-{phase.value}"),
            frame_of_reference_uid=frame_uid,
            series_number=number,
            series_description=f"Liver {phase.label.lower()} {study.phases[phase].spacing[2]:g}mm",
            patient_name="Phantom^Hepatica",
            patient_id=f"HEPATICA-PHANTOM-{study.seed}",
            study_date=study_date,
            study_time=STUDY_START,
            acquisition_time=STUDY_START if delay is None else _add_seconds(BOLUS_START, delay),
            contrast_agent=None if delay is None else CONTRAST_AGENT,
            bolus_start_time=None if delay is None else BOLUS_START,
        )
        write_ct_series(study.phases[phase], dicom_root / f"{number}_{phase.value}", header)

    truth = root / "truth"
    write_image(study.liver, truth / "liver.nii.gz")
    write_image(study.lesion_labels, truth / "lesions.nii.gz")
    write_image(study.tissue, truth / "tissue.nii.gz")
    portal_folder = dicom_root / f"{PHASES.index(Phase.PORTAL_VENOUS) + 1}_{Phase.PORTAL_VENOUS.value}"
    portal = load_dicom_series(scan_dicom_folder(portal_folder).series[0])
    # The SEG must reference the written files, so the masks go onto the series as read back from disk.
    segments = {"liver": portal.with_array(study.liver.array)}
    for lesion in study.lesions:
        segments[f"lesion_{lesion.label}"] = portal.with_array(
            (study.lesion_labels.array == lesion.label).astype("uint8")
        )
    write_dicom_seg(segments, portal, truth / "truth_seg.dcm", series_description="Phantom ground truth", manual=True)
    truth_json = write_text_atomic(truth / "truth.json", json.dumps(truth_document(study), indent=2))
    return PhantomFiles(root=root, nifti=nifti, dicom=dicom_root, truth_json=truth_json)


def truth_document(study: PhantomStudy) -> dict:
    """The ground truth of ``study`` as a JSON-ready dictionary."""
    return {
        "generator": f"hepatica {__version__} phantom",
        "seed": study.seed,
        "dose": study.dose,
        "noise_sd_hu": round(study.noise_sd_hu, 2),
        "liver_volume_ml": round(study.liver_volume_ml, 2),
        "phases": {p.value: {"delay_after_bolus_s": PHASE_DELAY_S[p]} for p in PHASES},
        "lesions": [
            {
                "label": lesion.label,
                "type": lesion.type.value,
                "diameter_mm": lesion.diameter_mm,
                "radii_mm": [round(r, 3) for r in lesion.radii_mm],
                "centre_lps_mm": [round(c, 3) for c in lesion.centre_mm],
                "volume_ml": round(lesion.volume_ml, 3),
                "expected_lirads_features": lesion.expected_features,
                "exophytic": lesion.exophytic,
                "outside_liver_fraction": round(lesion.outside_liver_fraction, 3),
            }
            for lesion in study.lesions
        ],
        "adjacent_mass": None
        if study.adjacent_mass is None
        else {
            "what": "solid extrahepatic mass touching the liver (not a liver lesion)",
            "diameter_mm": study.adjacent_mass.diameter_mm,
            "centre_lps_mm": [round(c, 3) for c in study.adjacent_mass.centre_mm],
            "volume_ml": round(study.adjacent_mass.volume_ml, 2),
            "contact_area_fraction": round(study.adjacent_mass.contact_area_fraction, 3),
        },
        "tissue_labels": {t.name.lower(): int(t) for t in Tissue},
    }


def _uid_maker(seed: int, study_date: date):
    """Deterministic DICOM UIDs for one phantom seed and study date."""

    def make(name: str) -> str:
        return str(pydicom.uid.generate_uid(entropy_srcs=["hepatica-phantom", str(seed), study_date.isoformat(), name]))

    return make


def _add_seconds(t: time, seconds: float) -> time:
    return (datetime.combine(datetime(2026, 1, 1), t) + timedelta(seconds=seconds)).time()
