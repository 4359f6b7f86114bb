"""The output layer: every file an analysis leaves, written from its objects in one place.

``write_analysis`` writes, into the analysis folder: ``segmentation/`` (``liver.nii.gz``, ``lesions.nii.gz`` with
one label per lesion, ``candidates.nii.gz`` with every lesion candidate (n as in the result), further structures,
``segmentation.dcm`` (DICOM SEG) and ``measurements_sr.dcm`` (DICOM SR) for DICOM input), ``radiomics/``
(``features.csv``, ``params.yaml``), ``images/`` (key images), ``viewer/`` (the phases for the web viewer),
``result.json`` and the report (``report.html``, ``report.pdf``). Each file is written atomically;
``result.json`` comes after everything it names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hepatica.analysis import Analysis, SegmentedSeries
from hepatica.io.atomic import write_text_atomic
from hepatica.io.deidentify import deidentification_secret, deidentify_files, remap_uid
from hepatica.io.files import write_image
from hepatica.io.seg import write_dicom_seg
from hepatica.radiomics.batch import write_table
from hepatica.report.dicom_sr import write_study_sr
from hepatica.report.html import write_report
from hepatica.report.identifiers import patient_identifiers
from hepatica.report.key_images import write_key_images
from hepatica.report.results import (
    candidate_results,
    lesion_results,
    lirads_summary,
    provenance,
    quality_control,
    radiomics_rows,
    radiomics_summary,
    segmentation_summary,
    study_inventory,
)
from hepatica.report.viewer_volumes import write_viewer_volumes
from hepatica.result import InputIdentifier, StudyResult


@dataclass(frozen=True)
class AnalysisOutputs:
    """Where an analysis wrote its outputs, and the result it wrote."""

    result: StudyResult
    result_json: Path
    report_html: Path
    report_pdf: Path | None


def write_analysis(
    analysis: Analysis,
    out_dir: Path | str,
    uid_seed: str | None = None,
    step: Callable[[], None] | None = None,
) -> AnalysisOutputs:
    """Write every output of ``analysis`` into ``out_dir``; ``uid_seed`` fixes the SEG's and SR's UIDs (the
    service seeds them per job); ``step`` is called before the key images and before the result and report."""
    out_dir = Path(out_dir)
    advance = step or (lambda: None)
    segmented, segmentation = analysis.segmented, None
    secret = deidentification_secret() if analysis.options.deidentify else None
    lesions = lesion_results(analysis)
    if segmented is not None:
        seg_dir = out_dir / "segmentation"
        files = write_segmentation(segmented, seg_dir, out_dir, uid_seed)
        segmentation = segmentation_summary(segmented, files)
        if "dicom_seg" in files:
            sr = write_study_sr(
                segmentation, lesions, segmented.series.volume, out_dir / files["dicom_seg"], seg_dir, uid_seed
            )
            files["dicom_sr"] = sr.relative_to(out_dir).as_posix()
            segmentation = segmentation.model_copy(update={"files": files})
            if analysis.options.deidentify:
                deidentify_files([out_dir / files["dicom_seg"], sr], secret)
    radiomics = None
    if analysis.radiomics is not None:
        folder = out_dir / "radiomics"
        folder.mkdir(parents=True, exist_ok=True)
        table = write_table(radiomics_rows(analysis.radiomics), folder / "features.csv")
        params = write_text_atomic(folder / "params.yaml", analysis.radiomics.settings.to_yaml())
        files = {"table": str(table.relative_to(out_dir)), "parameters": str(params.relative_to(out_dir))}
        radiomics = radiomics_summary(analysis.radiomics, files)
    advance()
    key_images = write_key_images(analysis.study, out_dir, segmented)
    reference = segmented.series.volume if segmented else analysis.reference.volume
    aligned = analysis.lirads.phases.images if analysis.lirads else {}
    viewer_volumes = write_viewer_volumes(analysis.study, reference, out_dir, aligned=aligned)
    advance()
    below, masses = candidate_results(segmented.segmentation) if segmented is not None else ([], [])
    result = StudyResult(
        provenance=provenance(analysis),
        study=study_inventory(analysis.study),
        quality=quality_control(analysis.quality) if analysis.quality is not None else None,
        segmentation=segmentation,
        lesions=lesions,
        candidates_below_threshold=below,
        adjacent_masses=masses,
        radiomics=radiomics,
        lirads=lirads_summary(analysis.lirads) if analysis.lirads else None,
        key_images=key_images,
        viewer_volumes=viewer_volumes,
        warnings=list(analysis.warnings),
    )
    if secret is not None:
        result = _with_remapped_uids(result, secret)
    result_json = result.write_json(out_dir / "result.json")
    identifiers = patient_identifiers(analysis.study) if analysis.options.patient_identifiers else None
    report_html, report_pdf = write_report(result, out_dir, identifiers=identifiers, pdf=analysis.options.pdf)
    return AnalysisOutputs(result=result, result_json=result_json, report_html=report_html, report_pdf=report_pdf)


def remapped_inputs(inputs: list[InputIdentifier], secret: str) -> list[InputIdentifier]:
    """``inputs`` with each DICOM series UID replaced as a de-identified SEG or SR replaces it (file hashes kept)."""
    return [
        entry.model_copy(update={"identifier": remap_uid(entry.identifier, secret)})
        if entry.kind == "dicom-series"
        else entry
        for entry in inputs
    ]


def _with_remapped_uids(result: StudyResult, secret: str) -> StudyResult:
    """The result with its study and series UIDs replaced as the de-identified SEG and SR replace them."""
    inputs = remapped_inputs(result.provenance.inputs, secret)
    study = result.study.model_copy(
        update={"study_uid": remap_uid(result.study.study_uid, secret) if result.study.study_uid else None}
    )
    return result.model_copy(
        update={"provenance": result.provenance.model_copy(update={"inputs": inputs}), "study": study}
    )


def write_segmentation(
    segmented: SegmentedSeries, out_dir: Path, relative_to: Path | None = None, uid_seed: str | None = None
) -> dict[str, str]:
    """Write ``liver.nii.gz``, ``lesions.nii.gz`` (one label per lesion, 1 = largest), any further structures and,
    when the series came from DICOM, ``segmentation.dcm`` (DICOM SEG: the liver and one segment per lesion) into
    ``out_dir``; the files by name, relative to ``relative_to`` (default ``out_dir``)."""
    base = relative_to if relative_to is not None else out_dir
    liver, labels = segmented.lesions.liver, segmented.lesions.labels
    files = {
        "liver": write_image(liver, out_dir / "liver.nii.gz"),
        "lesions": write_image(labels, out_dir / "lesions.nii.gz"),
    }
    for name, structure in segmented.segmentation.structures.items():
        files[name] = write_image(structure, out_dir / f"{name}.nii.gz")
    if segmented.segmentation.candidate_labels is not None:
        files["candidates"] = write_image(segmented.segmentation.candidate_labels, out_dir / "candidates.nii.gz")
    image = segmented.series.volume
    if image.metadata.get("source") == "dicom" and liver.array.any():
        segments = {"liver": liver}
        for lesion in segmented.lesions.lesions:
            segments[f"lesion_{lesion.label}"] = labels.with_array(segmented.lesions.mask(lesion.label).astype("uint8"))
        files["dicom_seg"] = write_dicom_seg(segments, image, out_dir / "segmentation.dcm", uid_seed=uid_seed)
    return {name: path.relative_to(base).as_posix() for name, path in files.items()}
