"""The analysis's measurements as a DICOM SR for PACS: the result's segmentation section and lesion entries turned
into the entries of ``hepatica.io.sr``'s TID 1500 report, referencing the SEG written for the same series."""

from __future__ import annotations

from pathlib import Path

from hepatica.io.sr import LesionReport, LiverReport, write_measurement_report
from hepatica.io.volume import Volume
from hepatica.result import LesionCharacterization, LesionResult, SegmentationSummary

SR_FILE = "measurements_sr.dcm"


def write_study_sr(
    segmentation: SegmentationSummary,
    lesions: list[LesionResult],
    source: Volume,
    seg_path: Path,
    out_dir: Path,
    uid_seed: str | None = None,
) -> Path:
    """Write ``out_dir/measurements_sr.dcm`` from the segmentation summary (volumes) and the lesion entries
    (diameters and, when LI-RADS ran, category and major features), the numbers as result.json holds them;
    ``uid_seed`` as for the SEG."""
    reports = [
        LesionReport(
            segment_label=f"lesion_{lesion.id}",
            volume_ml=lesion.volume_ml,
            longest_axial_diameter_mm=lesion.longest_axial_diameter_mm,
            short_axis_mm=lesion.short_axis_mm,
            longest_3d_diameter_mm=lesion.longest_3d_diameter_mm,
            lirads_category=lesion.lirads.category if lesion.lirads else None,
            features=_features(lesion.lirads) if lesion.lirads else {},
        )
        for lesion in lesions
    ]
    liver = LiverReport("liver", segmentation.liver_volume_ml, segmentation.tumour_burden_percent)
    return write_measurement_report(seg_path, source, liver, reports, out_dir / SR_FILE, uid_seed)


def _features(entry: LesionCharacterization) -> dict[str, bool]:
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
