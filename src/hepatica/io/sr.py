"""DICOM Structured Reports: a TID 1500 measurement report of the liver and its lesions, written and read with
highdicom.

The report references the SEG written for the same series (each measurement group points at its segment, and
the SEG and the source images are listed as evidence). Per structure: volume (mL); per lesion also the longest
axial diameter and its short axis (mm, RECIST), the longest 3D diameter (mm) and, when LI-RADS was assessed,
its category and major features as coded qualitative evaluations; the liver's group carries the tumour burden
(%). LI-RADS has no codes in SNOMED CT, LOINC or DCM for its categories, so they use the private coding scheme
``99HEPATICA`` (DICOM PS3.16 8.1 allows "99"-prefixed schemes), documented in ``LIRADS_CODES``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import highdicom as hd
from pydicom.sr.codedict import codes

from hepatica import __version__
from hepatica.errors import HepaticaInputError, UnreadableFileError
from hepatica.io.atomic import atomic_path
from hepatica.io.seg import new_uid, source_headers
from hepatica.io.volume import Volume

PRIVATE_SCHEME = "99HEPATICA"


def _private(value: str, meaning: str) -> hd.sr.CodedConcept:
    return hd.sr.CodedConcept(value=value, scheme_designator=PRIVATE_SCHEME, meaning=meaning)


LIRADS_CATEGORY = _private("LIRADS-CAT", "LI-RADS v2018 category")
TUMOUR_BURDEN = _private("TUMOUR-BURDEN", "Lesion volume as a share of liver volume")
LONGEST_3D_DIAMETER = _private("DIAM-3D", "Longest 3D diameter")
#: LI-RADS categories and major features (result.json names) as codes of the private scheme.
LIRADS_CODES = {
    category: _private(category, category)
    for category in ("LR-NC", "LR-1", "LR-2", "LR-3", "LR-4", "LR-5", "LR-M", "LR-TIV", "LR-TR")
}
FEATURE_CODES = {
    "nonrim_aphe": _private("APHE-NONRIM", "Nonrim arterial phase hyperenhancement"),
    "rim_aphe": _private("APHE-RIM", "Rim arterial phase hyperenhancement"),
    "nonperipheral_washout": _private("WASHOUT-NONPERIPH", "Nonperipheral washout"),
    "peripheral_washout": _private("WASHOUT-PERIPH", "Peripheral washout"),
    "capsule": _private("CAPSULE", "Enhancing capsule"),
    "threshold_growth": _private("THRESHOLD-GROWTH", "Threshold growth"),
}
PRESENT, ABSENT = codes.SCT.Present, codes.SCT.Absent
MILLILITER = hd.sr.CodedConcept(value="mL", scheme_designator="UCUM", meaning="milliliter")


@dataclass(frozen=True)
class LesionReport:
    """One lesion's entries: its SEG segment label, sizes (mL, mm), and the LI-RADS category and features
    (names of ``FEATURE_CODES`` -> present; features not assessed are left out)."""

    segment_label: str
    volume_ml: float
    longest_axial_diameter_mm: float
    short_axis_mm: float
    longest_3d_diameter_mm: float
    lirads_category: str | None = None
    features: dict[str, bool] = field(default_factory=dict)


@dataclass(frozen=True)
class LiverReport:
    """The liver's entries: its SEG segment label, volume (mL) and tumour burden (%)."""

    segment_label: str
    volume_ml: float
    tumour_burden_percent: float


def write_measurement_report(
    seg_path: Path | str,
    source: Volume,
    liver: LiverReport,
    lesions: list[LesionReport],
    path: Path | str,
    uid_seed: str | None = None,
) -> Path:
    """Write a TID 1500 Comprehensive 3D SR with the liver's and each lesion's measurements, referencing the SEG
    at ``seg_path`` (written for ``source``, a series read from DICOM); UIDs derive from ``uid_seed`` when given
    (as for the SEG)."""
    files = source.metadata.get("source_files")
    if source.metadata.get("source") != "dicom" or not files:
        raise HepaticaInputError("A DICOM SR must reference DICOM source images; this image was not read from DICOM.")
    seg = hd.seg.segread(seg_path)
    segments = {seg.get_segment_description(n).segment_label: n for n in seg.get_segment_numbers()}
    missing = [label for label in [liver.segment_label] + [x.segment_label for x in lesions] if label not in segments]
    if missing:
        raise HepaticaInputError(f"the SEG {Path(seg_path).name} has no segment {', '.join(missing)}")
    source_images = source_headers(files)

    def group(label: str, finding, measurements, evaluations):
        return hd.sr.VolumetricROIMeasurementsAndQualitativeEvaluations(
            tracking_identifier=hd.sr.TrackingIdentifier(uid=new_uid(uid_seed, f"tracking-{label}"), identifier=label),
            referenced_segment=_referenced_segment(seg, segments[label]),
            finding_type=finding,
            finding_sites=[hd.sr.FindingSite(codes.SCT.Liver)],
            measurements=measurements,
            qualitative_evaluations=evaluations or None,
        )

    groups = [
        group(
            liver.segment_label,
            codes.SCT.Liver,
            [
                _measurement(codes.SCT.Volume, liver.volume_ml, MILLILITER),
                _measurement(TUMOUR_BURDEN, liver.tumour_burden_percent, codes.UCUM.Percent),
            ],
            [],
        )
    ]
    for lesion in lesions:
        measurements = [
            _measurement(codes.SCT.Volume, lesion.volume_ml, MILLILITER),
            _measurement(codes.SCT.LongAxis, lesion.longest_axial_diameter_mm, codes.UCUM.Millimeter),
            _measurement(codes.SCT.ShortAxis, lesion.short_axis_mm, codes.UCUM.Millimeter),
            _measurement(LONGEST_3D_DIAMETER, lesion.longest_3d_diameter_mm, codes.UCUM.Millimeter),
        ]
        evaluations = []
        if lesion.lirads_category is not None:
            evaluations.append(hd.sr.QualitativeEvaluation(LIRADS_CATEGORY, LIRADS_CODES[lesion.lirads_category]))
        evaluations += [
            hd.sr.QualitativeEvaluation(FEATURE_CODES[name], PRESENT if present else ABSENT)
            for name, present in lesion.features.items()
        ]
        groups.append(group(lesion.segment_label, codes.SCT.Lesion, measurements, evaluations))

    observer = hd.sr.ObserverContext(
        observer_type=codes.DCM.Device,
        observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(
            uid=new_uid(uid_seed, "observer"), name="Hepatica", manufacturer_name="Hepatica", model_name="Hepatica"
        ),
    )
    report = hd.sr.MeasurementReport(
        observation_context=hd.sr.ObservationContext(observer_device_context=observer),
        procedure_reported=codes.LN.CTUnspecifiedBodyRegion,
        imaging_measurements=groups,
        title=codes.DCM.ImagingMeasurementReport,
    )
    sr = hd.sr.Comprehensive3DSR(
        evidence=source_images + [seg],
        content=report,
        series_instance_uid=new_uid(uid_seed, "sr-series"),
        series_number=int(source.metadata.get("series_number") or 0) + 2000,
        sop_instance_uid=new_uid(uid_seed, "sr-instance"),
        instance_number=1,
        manufacturer="Hepatica",
        series_description="Hepatica measurements",
        is_complete=True,
        is_final=False,
        is_verified=False,
        institution_name=None,
        software_versions=__version__,
    )
    path = Path(path)
    with atomic_path(path) as tmp:
        sr.save_as(tmp)
    return path


def _measurement(name, value: float, unit) -> hd.sr.Measurement:
    return hd.sr.Measurement(name=name, value=round(float(value), 3), unit=unit)


def _referenced_segment(seg: hd.seg.Segmentation, number: int) -> hd.sr.ReferencedSegment:
    """The reference to segment ``number`` of ``seg``. highdicom's ``from_segmentation`` reads the segment of each
    frame from the per-frame groups, but a SEG of one segment (a liver without lesions) keeps it in the shared
    group (highdicom 0.28 writes it so); then the segment is referred to by its number and the source images."""
    shared = seg.SharedFunctionalGroupsSequence[0]
    if "SegmentIdentificationSequence" not in shared:
        return hd.sr.ReferencedSegment.from_segmentation(seg, number)
    sources = [
        hd.sr.SourceImageForSegmentation(item.ReferencedSOPClassUID, item.ReferencedSOPInstanceUID)
        for series in seg.ReferencedSeriesSequence
        for item in series.ReferencedInstanceSequence
    ]
    return hd.sr.ReferencedSegment(seg.SOPClassUID, seg.SOPInstanceUID, number, source_images=sources)


def read_measurement_report(path: Path | str) -> dict[str, dict[str, float | str]]:
    """The report's entries by tracking identifier (segment label): measurement meanings -> values (mL, mm,
    %), qualitative evaluation meanings -> the value's meaning."""
    path = Path(path)
    try:
        sr = hd.sr.srread(path)
        groups = sr.content.get_volumetric_roi_measurement_groups()
    except Exception as exc:  # noqa: BLE001 - highdicom/pydicom raise many types for bad files
        raise UnreadableFileError(
            path,
            f"is not a readable TID 1500 measurement report ({exc})",
            "Give a DICOM Comprehensive 3D SR written by Hepatica.",
        ) from exc
    entries = {}
    for g in groups:
        values: dict[str, float | str] = {m.name.meaning: float(m.value) for m in g.get_measurements()}
        values.update({e.name.meaning: e.value.meaning for e in g.get_qualitative_evaluations()})
        entries[g.tracking_identifier] = values
    return entries
