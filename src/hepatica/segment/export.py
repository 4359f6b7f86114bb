"""Turn a `Segmentation` into files (NIfTI masks, DICOM SEG) and the result's lesion table."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hepatica.io.files import write_image
from hepatica.io.seg import write_dicom_seg
from hepatica.io.volume import Volume
from hepatica.measure import LiverMeasurement, label_lesions, measure_liver_and_lesions
from hepatica.result import LesionEntry, ModelInfo, SegmentationSummary
from hepatica.segment.types import Segmentation


@dataclass(frozen=True)
class SegmentationOutputs:
    """The summary for the result, the lesion instance labels and the measurements behind the summary."""

    summary: SegmentationSummary
    lesion_labels: Volume
    measurement: LiverMeasurement


def export_segmentation(
    segmentation: Segmentation,
    image: Volume,
    out_dir: Path | str,
    series_id: str,
    relative_to: Path | str | None = None,
    uid_seed: str | None = None,
) -> SegmentationOutputs:
    """Write ``liver.nii.gz``, ``lesions.nii.gz`` (one label per lesion, 1 = largest) and, when ``image`` came
    from DICOM, ``segmentation.dcm`` (DICOM SEG: the liver and one segment per lesion) into ``out_dir``.

    File paths in the summary are relative to ``relative_to`` (default ``out_dir``); ``uid_seed`` fixes the SEG's
    UIDs (`hepatica.io.seg.new_uid`)."""
    out_dir = Path(out_dir)
    base = Path(relative_to) if relative_to is not None else out_dir
    labels = label_lesions(segmentation.lesions)
    measurement = measure_liver_and_lesions(segmentation.liver, labels)
    files = {
        "liver": write_image(segmentation.liver, out_dir / "liver.nii.gz").name,
        "lesions": write_image(labels, out_dir / "lesions.nii.gz").name,
    }
    for name, structure in segmentation.structures.items():
        files[name] = write_image(structure, out_dir / f"{name}.nii.gz").name
    if image.metadata.get("source") == "dicom" and segmentation.liver.array.any():
        segments = {"liver": segmentation.liver}
        for lesion in measurement.lesions:
            segments[f"lesion_{lesion.label}"] = labels.with_array((labels.array == lesion.label).astype("uint8"))
        files["dicom_seg"] = write_dicom_seg(segments, image, out_dir / "segmentation.dcm", uid_seed=uid_seed).name
    summary = SegmentationSummary(
        series_id=series_id,
        backend=segmentation.backend,
        liver_volume_ml=round(measurement.liver_volume_ml, 3),
        lesion_count=len(measurement.lesions),
        lesion_volume_ml=round(measurement.lesion_volume_ml, 3),
        tumour_burden_percent=round(measurement.tumour_burden_percent, 3),
        lesions=[
            LesionEntry(
                id=m.label,
                volume_ml=round(m.volume_ml, 3),
                longest_axial_diameter_mm=round(m.longest_axial_diameter_mm, 1),
                short_axis_mm=round(m.short_axis_mm, 1),
                axial_slice_z_mm=round(m.axial_slice_z_mm, 2),
                longest_3d_diameter_mm=round(m.longest_3d_diameter_mm, 1),
                centroid_mm=tuple(round(c, 2) for c in m.centroid_mm),
            )
            for m in measurement.lesions
        ],
        files={k: (out_dir / v).relative_to(base).as_posix() for k, v in files.items()},
    )
    return SegmentationOutputs(summary, labels, measurement)


def model_infos(segmentation: Segmentation) -> list[ModelInfo]:
    """The models behind a segmentation, for the result's provenance."""
    return [ModelInfo(name=m.name, version=m.source, sha256=m.sha256) for m in segmentation.models]
