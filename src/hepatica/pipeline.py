"""The per-study pipeline: read the study, segment the liver and lesions (or take the user's masks), label the
lesions once, characterize them (LI-RADS), extract their radiomics features, then write everything.

``run_analysis`` runs the stages and returns an `Analysis` (objects only, nothing written); ``analyze`` is
``run_analysis`` followed by the output layer (`hepatica.report.write.write_analysis`). Both take the same
`AnalysisOptions` as the command line, the service and cohorts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from hepatica.analysis import USER_MASK, Analysis, SegmentedSeries, UserMask
from hepatica.characterize.study import (
    PriorStudy,
    StudyPhases,
    align_study_phases,
    compare_with_prior,
    study_lirads,
)
from hepatica.io.deidentify import deidentification_secret, deidentify_files
from hepatica.io.masks import read_lesion_mask, read_liver_mask
from hepatica.io.phase import Phase
from hepatica.io.study import Study, StudyInput, StudySeries, load_study
from hepatica.io.values import require_ct_values
from hepatica.measure.lesions import find_lesions
from hepatica.options import AnalysisOptions, AnalysisOptionsError
from hepatica.quality import assess_quality
from hepatica.radiomics.study import study_radiomics
from hepatica.report.results import lesion_entry, model_infos, segmentation_summary
from hepatica.report.write import AnalysisOutputs, remapped_inputs, write_analysis, write_segmentation
from hepatica.result import InputIdentifier, Provenance, SegmentationResult
from hepatica.segment import segment
from hepatica.segment.enhancing import add_hyperenhancing_lesions
from hepatica.segment.types import Segmentation

#: Called with (step description, step number from 1, number of steps) as the pipeline advances.
ProgressCallback = Callable[[str, int, int], None]

ANALYZE_STEPS = (
    "Reading the study",
    "Taking the inventory",
    "Segmenting liver and lesions",
    "Aligning phases, LI-RADS",
    "Extracting radiomics features",
    "Rendering key images and viewer volumes",
    "Writing result and report",
)


@dataclass(frozen=True)
class SegmentOutputs:
    """What ``segment_study`` wrote."""

    result: SegmentationResult
    result_json: Path


def analyze(
    inputs: StudyInput,
    out_dir: Path | str,
    options: AnalysisOptions | None = None,
    *,
    prior: StudyInput | None = None,
    liver_mask: Path | str | None = None,
    lesion_mask: Path | str | None = None,
    progress: ProgressCallback | None = None,
    command: str = "analyze",
    uid_seed: str | None = None,
) -> AnalysisOutputs:
    """Analyse one study and write ``out_dir/result.json``, ``report.html`` (and ``report.pdf``), ``images/``,
    ``viewer/``, and, as the options ask, the masks, DICOM SEG and SR in ``segmentation/`` and the features in
    ``radiomics/``. ``inputs`` are as for :func:`hepatica.io.load_study`; ``prior`` is an earlier study of the same
    patient (segmented with the same backend, aligned, its lesions matched to this study's for threshold growth
    and RECIST 1.1); ``liver_mask`` and ``lesion_mask`` are the user's own masks (NIfTI, NRRD or DICOM SEG), which
    replace the corresponding segmentation. With ``uid_seed`` the SEG's and SR's UIDs derive from it: the service
    seeds them per job, so a job run again sends the PACS the same instances."""
    step = progress_steps(progress, ANALYZE_STEPS)
    analysis = run_analysis(
        inputs,
        options,
        prior=prior,
        liver_mask=liver_mask,
        lesion_mask=lesion_mask,
        command=command,
        step=step,
    )
    return write_analysis(analysis, out_dir, uid_seed=uid_seed, step=step)


def run_analysis(
    inputs: StudyInput,
    options: AnalysisOptions | None = None,
    *,
    prior: StudyInput | None = None,
    liver_mask: Path | str | None = None,
    lesion_mask: Path | str | None = None,
    command: str = "analyze",
    step: Callable[[], None] | None = None,
) -> Analysis:
    """Run the stages of ``analyze`` (see there) and return their objects; nothing is written. The liver and
    lesions are segmented on the portal-venous series (else the first CT series)."""
    options = options or AnalysisOptions()
    advance = step or (lambda: None)
    advance()
    study = load_study(inputs, phases=options.phases)
    target = segmentation_series(study)
    advance()
    if not options.segment and (liver_mask or lesion_mask):
        raise AnalysisOptionsError("masks were given but segmentation is switched off (segment=False, --no-segment)")
    advance()
    segmented, user_masks = None, ()
    if options.segment:
        segmented, user_masks = _segment(target, options, liver_mask, lesion_mask)
    lirads = phases = None
    advance()
    if segmented is not None and options.lirads:
        require_ct_values(target.volume, _describe(target))
        phases = align_study_phases(study, target.volume, segmented.lesions.liver)
        segmented = _with_hyperenhancing_lesions(segmented, phases)
        # after the hyperenhancing lesions are added, so that each of them is matched to the prior study too
        compared = _compare_with_prior(prior, options, segmented) if prior is not None else None
        lirads = study_lirads(study, target.volume, segmented.lesions, options.high_risk, prior=compared, phases=phases)
    advance()
    radiomics = None
    if segmented is not None and options.radiomics:
        radiomics = study_radiomics(target.volume, segmented.lesions, target.id)
    quality = None
    if segmented is not None:
        quality = assess_quality(target.volume, segmented.segmentation, segmented.lesions, phases)
    warnings = list(study.warnings)
    if phases is not None:
        warnings += [f"{why}; it was left out of LI-RADS" for why in phases.failed.values()]
    if quality is not None:
        partial = [check.detail for check in quality.flags if check.name == "liver coverage"]
        warnings += [f"The field of view does not cover the whole liver: {detail}" for detail in partial]
    return Analysis(
        study=study,
        reference=target,
        options=options,
        command=command,
        segmented=segmented,
        lirads=lirads,
        radiomics=radiomics,
        quality=quality,
        prior_given=prior is not None,
        user_masks=user_masks,
        warnings=warnings,
    )


def _segment(
    target: StudySeries, options: AnalysisOptions, liver_path: Path | str | None, lesion_path: Path | str | None
) -> tuple[SegmentedSeries, tuple[UserMask, ...]]:
    """The series' liver and lesions: the user's masks where given, the backend's for the rest."""
    backend = options.backend
    image = target.volume
    liver = read_liver_mask(liver_path, image) if liver_path else None
    lesions = read_lesion_mask(lesion_path, image) if lesion_path else None
    if liver is not None and lesions is not None:
        segmentation = Segmentation(liver=liver, lesions=lesions, backend=USER_MASK)
        ran = None
    else:
        require_ct_values(image, _describe(target))
        segmentation = segment(
            image, backend=backend, liver=liver, lesions=lesions is None, operating_point=options.operating_point
        )
        ran = backend
    final_liver = liver if liver is not None else segmentation.liver
    final_lesions = lesions if lesions is not None else segmentation.lesions
    given = (("liver", liver_path), ("lesions", lesion_path))
    masks = tuple(UserMask(kind, _sha256(path)) for kind, path in given if path)
    return (
        SegmentedSeries(
            series=target,
            segmentation=segmentation,
            lesions=find_lesions(final_liver, final_lesions),
            liver_from=USER_MASK if liver is not None else backend,
            lesions_from=USER_MASK if lesions is not None else backend,
            backend=ran,
        ),
        masks,
    )


def _with_hyperenhancing_lesions(segmented: SegmentedSeries, phases: StudyPhases) -> SegmentedSeries:
    """The segmented series with the lesions seen only by their arterial-phase hyperenhancement added
    (`hepatica.segment.enhancing`), when the backend's candidates were scored and the arterial phase aligned."""
    arterial = phases.images.get(Phase.ARTERIAL)
    if arterial is None or phases.reference_phase is not Phase.PORTAL_VENOUS or segmented.lesions_from == USER_MASK:
        return segmented
    segmentation = add_hyperenhancing_lesions(segmented.segmentation, arterial, segmented.series.volume)
    if segmentation is segmented.segmentation:
        return segmented
    lesions = find_lesions(segmented.lesions.liver, segmentation.lesions)
    return replace(segmented, segmentation=segmentation, lesions=lesions)


def _compare_with_prior(prior: StudyInput, options: AnalysisOptions, current: SegmentedSeries) -> PriorStudy:
    """Read and segment the prior study's series (chosen as the current study's was) and compare it."""
    prior_study = load_study(prior)
    target = segmentation_series(prior_study)
    prior_segmentation = segment(target.volume, backend=options.backend, operating_point=options.operating_point)
    prior_lesions = find_lesions(prior_segmentation.liver, prior_segmentation.lesions)
    return compare_with_prior(
        target.volume, prior_lesions, current.series.volume, current.lesions, options.interval_days
    )


def segment_study(
    inputs: StudyInput,
    out_dir: Path | str,
    backend: str = "bundled",
    progress: ProgressCallback | None = None,
    deidentify: bool = False,
) -> SegmentOutputs:
    """Segment one study's liver and lesions; write liver.nii.gz, lesions.nii.gz (one label per lesion),
    segmentation.dcm (DICOM SEG, DICOM input only) and segmentation.json into ``out_dir``. ``deidentify``: the SEG
    de-identified and the series UID in segmentation.json remapped as in ``AnalysisOptions.deidentify``."""
    out_dir = Path(out_dir)
    step = progress_steps(progress, ("Reading the study", "Segmenting liver and lesions", "Writing masks"))
    step()
    study = load_study(inputs)
    target = segmentation_series(study)
    step()
    segmented, _ = _segment(target, AnalysisOptions(backend=backend), None, None)
    step()
    files = write_segmentation(segmented, out_dir)
    inputs = [
        InputIdentifier(
            series_id=target.id,
            identifier=target.input_id,
            kind="dicom-series" if study.source == "dicom" else "image-file",
        )
    ]
    if deidentify:
        secret = deidentification_secret()
        if "dicom_seg" in files:
            deidentify_files([out_dir / files["dicom_seg"]], secret)
        inputs = remapped_inputs(inputs, secret)
    result = SegmentationResult(
        provenance=Provenance(
            command="segment",
            parameters={"backend": backend},
            models=model_infos(segmented.segmentation),
            inputs=inputs,
        ),
        segmentation=segmentation_summary(segmented, files),
        lesions=[lesion_entry(lesion.measurement) for lesion in segmented.lesions.lesions],
    )
    return SegmentOutputs(result, result.write_json(out_dir / "segmentation.json"))


def segmentation_series(study: Study) -> StudySeries:
    """The series to segment: portal venous if present, else the first CT series, else the first series."""
    by_phase = study.by_phase
    if Phase.PORTAL_VENOUS in by_phase:
        return by_phase[Phase.PORTAL_VENOUS]
    ct = [s for s in study.series if str(s.volume.metadata.get("modality", "CT")).upper() == "CT"]
    return (ct or study.series)[0]


def _describe(series: StudySeries) -> str:
    return f"Series {series.id} ({series.name})"


def _sha256(path: Path | str) -> str:
    """SHA-256 of a file (of every file under a folder, in name order)."""
    path = Path(path)
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]:
        with open(file, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def progress_steps(progress: ProgressCallback | None, steps: tuple[str, ...]) -> Callable[[], None]:
    """A function that reports the next of ``steps`` to ``progress`` each time it is called."""
    counter = iter(range(1, len(steps) + 1))

    def advance() -> None:
        n = next(counter)
        if progress is not None:
            progress(steps[n - 1], n, len(steps))

    return advance
