"""Patient identifiers for the report header, read only when the user asks for them (they never enter
``result.json``, logs or messages)."""

from __future__ import annotations

import pydicom

from hepatica.io.study import Study

#: Report label -> DICOM keyword, in header order.
HEADER_ATTRIBUTES = {
    "Patient": "PatientName",
    "Patient ID": "PatientID",
    "Birth date": "PatientBirthDate",
    "Sex": "PatientSex",
    "Accession number": "AccessionNumber",
    "Study date": "StudyDate",
}


def patient_identifiers(study: Study) -> dict[str, str]:
    """The identifiers present in the study's first DICOM file (label -> value); empty for image files, which
    carry none."""
    files = [
        f
        for s in study.series
        for f in (s.volume.metadata.get("source_files") or [])
        if s.volume.metadata.get("source") == "dicom"
    ]
    if not files:
        return {}
    header = pydicom.dcmread(files[0], stop_before_pixels=True, specific_tags=list(HEADER_ATTRIBUTES.values()))
    found = {}
    for label, keyword in HEADER_ATTRIBUTES.items():
        value = str(header.get(keyword, "") or "").strip()
        if value:
            found[label] = _format_date(value) if keyword.endswith("Date") else value.replace("^", " ").strip()
    return found


def _format_date(value: str) -> str:
    """DICOM DA 'YYYYMMDD' as 'YYYY-MM-DD' (other text unchanged)."""
    return f"{value[:4]}-{value[4:6]}-{value[6:8]}" if len(value) == 8 and value.isdigit() else value
