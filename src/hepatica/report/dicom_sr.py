"""The analysis's measurements as a DICOM SR for PACS: the result's segmentation and LI-RADS sections turned into
the entries of ``hepatica.io.sr``'s TID 1500 report, referencing the SEG written for the same series."""

from __future__ import annotations

from pathlib import Path

from hepatica.io.sr import LesionReport, LiverReport, write_measurement_report
from hepatica.io.volume import Volume
from hepatica.result import LiradsSummary, SegmentationSummary

SR_FILE = "measurements_sr.dcm"


def write_study_sr(
    segmentation: SegmentationSummary,
    lirads: LiradsSummary | None,
    source: Volume,
    seg_path: Path,
    out_dir: Path,
    uid_seed: str | None = None,
) -> Path:
    """Write ``out_dir/measurements_sr.dcm`` from the segmentation summary (volumes, diameters) and, when
    given, the LI-RADS section (category and major features per lesion); ``uid_seed`` as for the SEG."""
    characterized = {entry.id: entry for entry in (lirads.lesions if lirads else [])}
    lesions = []
    for lesion in segmentation.lesions:
        entry = characterized.get(lesion.id)
        lesions.append(
            LesionReport(
                segment_label=f"lesion_{lesion.id}",
                volume_ml=lesion.volume_ml,
                longest_axial_diameter_mm=lesion.longest_axial_diameter_mm,
                short_axis_mm=lesion.short_axis_mm,
                longest_3d_diameter_mm=lesion.longest_3d_diameter_mm,
                lirads_category=entry.category if entry else None,
                features=_features(entry) if entry else {},
            )
        )
    liver = LiverReport("liver", segmentation.liver_volume_ml, segmentation.tumour_burden_percent)
    return write_measurement_report(seg_path, source, liver, lesions, out_dir / SR_FILE, uid_seed)


def _features(entry) -> dict[str, bool]:
    """Major features that were assessed (value not None), as present / absent."""
    values = {name: finding.value for name, finding in entry.features.items()}
    features = {}
    if values.get("aphe") is not None:
        features["nonrim_aphe"] = values["aphe"] == "nonrim"
        features["rim_aphe"] = values["aphe"] == "rim"
    if values.get("washout") is not None:
        features["nonperipheral_washout"] = values["washout"] == "nonperipheral"
        features["peripheral_washout"] = values["washout"] == "peripheral"
    for name in ("capsule", "threshold_growth"):
        if values.get(name) is not None:
            features[name] = bool(values[name])
    return features
