"""De-identification of the DICOM objects Hepatica writes (the SEG and the SR), for research exports.

By default the SEG and SR carry the source images' patient and study modules, as DICOM requires of objects a PACS
files with the images (the README says so). ``--deidentify`` applies the DICOM PS3.15 Annex E **Basic Application
Level Confidentiality Profile** with its **Retain Longitudinal Temporal Information with Modified Dates** option:

* names, IDs, addresses, institution and equipment identifiers replaced by consistent dummy values, and dates and
  times shifted by one offset (so intervals between studies stay true), by dicognito (a maintained implementation
  of these actions on pydicom);
* every instance-specific UID (study, series, SOP instance, frame of reference, and every reference to them)
  replaced by ``2.25.<number>`` derived from a secret and the original UID (`remap_uid`), so the SEG, the SR and
  anything else exported with the same secret (the result's UIDs, another study of the same patient) still refer
  to one another; well-known UIDs (SOP classes, transfer syntaxes, coding schemes) are kept;
* the attributes the profile removes that dicognito keeps (descriptions, patient age, size and weight, comments,
  private attributes) removed, and birth date and sex emptied;
* Patient Identity Removed = YES and the De-identification Method Code Sequence naming the profile and option
  (DCM 113100, 113107).

The secret comes from ``HEPATICA_DEIDENTIFY_SECRET`` (kept by the site: the same secret maps the same patient and
UIDs the same way in every export); without it a random one is drawn per analysis, so nothing links the export
back, nor to another export.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

import pydicom
from dicognito.anonymizer import Anonymizer
from dicognito.element_anonymizer import ElementAnonymizer
from pydicom.dataset import Dataset
from pydicom.uid import UID_dictionary

from hepatica.io.atomic import atomic_path

SECRET_VARIABLE = "HEPATICA_DEIDENTIFY_SECRET"
#: Attributes PS3.15 Table E.1-1 removes (X) that dicognito leaves in place.
REMOVED = (
    "StudyDescription",
    "SeriesDescription",
    "PatientAge",
    "PatientSize",
    "PatientWeight",
    "PatientComments",
    "AdditionalPatientHistory",
    "ImageComments",
    "AdmittingDiagnosesDescription",
    "RequestAttributesSequence",
    "DerivationDescription",
    "ProtocolName",
    "PerformedProcedureStepDescription",
    "EthnicGroup",
    "PatientBirthName",
    "PatientMotherBirthName",
    "OtherPatientNames",
    "OtherPatientIDsSequence",
)
#: Attributes the profile empties (Z) that dicognito shifts or keeps.
EMPTIED = ("PatientBirthDate", "PatientBirthTime", "PatientSex")
#: CID 7050 De-identification Method: the profile and its option.
METHOD_CODES = (
    ("113100", "Basic Application Confidentiality Profile"),
    ("113107", "Retain Longitudinal Temporal Information Modified Dates Option"),
)


def deidentification_secret() -> str:
    """The site's secret (``HEPATICA_DEIDENTIFY_SECRET``), or a random one for this export alone."""
    return os.environ.get(SECRET_VARIABLE) or secrets.token_hex(32)


def remap_uid(uid: str, secret: str) -> str:
    """The UID that replaces ``uid`` under ``secret``: ``2.25.`` and the first 128 bits of SHA-256 over both (with
    a 256-bit secret the original UID can be neither recovered nor tested without it). Well-known UIDs are kept."""
    if not uid or uid in UID_dictionary:
        return uid
    digest = hashlib.sha256(f"hepatica-deidentify\0{secret}\0{uid}".encode()).digest()
    return f"2.25.{int.from_bytes(digest[:16], 'big')}"


class _UidRemapper(ElementAnonymizer):
    """Every UI element but class and transfer-syntax UIDs, mapped with `remap_uid` (before dicognito's own)."""

    def __init__(self, secret: str) -> None:
        self.secret = secret

    def __call__(self, dataset: Dataset, data_element: pydicom.DataElement) -> bool:
        keyword = pydicom.datadict.keyword_for_tag(data_element.tag)
        if data_element.VR != "UI" or not data_element.value or keyword.endswith("ClassUID"):
            return False
        if keyword == "TransferSyntaxUID":
            return False
        values = data_element.value
        if isinstance(values, pydicom.multival.MultiValue):
            data_element.value = [remap_uid(str(v), self.secret) for v in values]
        else:
            data_element.value = remap_uid(str(values), self.secret)
        return True

    def describe_actions(self):
        yield "Replace instance UIDs by 2.25 UIDs derived from the site secret"


def deidentify_files(paths: list[Path], secret: str) -> None:
    """De-identify the DICOM files ``paths`` in place (each rewritten atomically), all with one mapping."""
    anonymizer = Anonymizer(seed=secret)
    anonymizer.add_element_handler(_UidRemapper(secret))
    for path in paths:
        dataset = pydicom.dcmread(path)
        deidentify_dataset(dataset, anonymizer)
        with atomic_path(Path(path)) as tmp:
            dataset.save_as(tmp, enforce_file_format=True)


def deidentify_dataset(dataset: Dataset, anonymizer: Anonymizer) -> None:
    """Apply the profile (see the module docstring) to ``dataset`` in place."""
    dataset.remove_private_tags()
    for keyword in REMOVED:
        if keyword in dataset:
            delattr(dataset, keyword)
    anonymizer.anonymize(dataset)
    for keyword in EMPTIED:
        if keyword in dataset:
            setattr(dataset, keyword, "")
    dataset.PatientIdentityRemoved = "YES"
    dataset.DeidentificationMethod = "Hepatica: PS3.15 Basic Profile, modified dates (dicognito)"
    codes = []
    for value, meaning in METHOD_CODES:
        code = Dataset()
        code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = value, "DCM", meaning
        codes.append(code)
    dataset.DeidentificationMethodCodeSequence = codes
