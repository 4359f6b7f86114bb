"""`StudyResult`: the one typed result of an analysis, with its JSON schema and provenance.

The report stage (`hepatica.report.results`) builds it from the stages' objects. Each lesion is one entry of
``lesions`` carrying its measurements, its LI-RADS and its radiomics; the study-wide parts of each stage
(segmentation volumes and files, LI-RADS phases and alignment, radiomics settings and the liver's features) have
sections of their own. The schema is exported to ``schemas/study_result.schema.json`` (``hepatica schema``); a
test keeps the file in step with the models. Stages not run are absent from a result, never filled with
placeholders. Results hold no patient identifiers (names, IDs, birth dates); inputs are identified by DICOM UIDs
or file checksums. Results of schema 1.0 (lesions in three parallel lists) and 2.0 (before candidates and quality
control) are read and upgraded.
"""

from __future__ import annotations

import json
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hepatica import __version__
from hepatica.io.atomic import write_text_atomic

SCHEMA_VERSION = "2.1"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class InputIdentifier(_Model):
    """An input: a series (DICOM SeriesInstanceUID, or 'sha256:<hex>' of an image file) or a mask the user gave
    ('sha256:<hex>' of its file)."""

    series_id: str = Field(description="Study-local series id, e.g. 'S1'; 'liver mask' or 'lesions mask'.")
    identifier: str
    kind: Literal["dicom-series", "image-file", "mask-file"]


class ModelInfo(_Model):
    """A model used by a stage, identified by name and the SHA-256 of its weights."""

    name: str
    version: str
    sha256: str


class Provenance(_Model):
    """What produced the result: software, parameters, inputs and models."""

    hepatica_version: str = __version__
    created_utc: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    python_version: str = Field(default_factory=platform.python_version)
    platform: str = Field(default_factory=platform.platform)
    command: str = Field(description="The API call or CLI command that ran, e.g. 'analyze'.")
    parameters: dict[str, Any] = Field(default_factory=dict)
    inputs: list[InputIdentifier] = Field(default_factory=list)
    models: list[ModelInfo] = Field(default_factory=list, description="Empty while no stage uses a model.")


class Geometry(_Model):
    """The voxel grid of a series in the DICOM patient frame (LPS)."""

    size: tuple[int, int, int] = Field(description="Voxels along (columns, rows, slices).")
    spacing_mm: tuple[float, float, float]
    origin_mm: tuple[float, float, float] = Field(description="LPS position of the first voxel's centre.")
    direction: tuple[float, ...] = Field(description="Row-major 3x3 direction cosines (columns are index axes).")
    orientation: str = Field(description="Where increasing column, row and slice indices point, e.g. 'LPS'.")
    extent_mm: tuple[float, float, float]


class PhaseAssignment(_Model):
    """The contrast phase of a series and how it was decided."""

    phase: Literal["pre_contrast", "arterial", "portal_venous", "delayed", "unknown"]
    source: Literal["user", "bolus-timing", "description", "file-name", "acquisition-order", "none"]
    evidence: str
    confidence: float = Field(ge=0, le=1)


class IntensitySummary(_Model):
    """Voxel values of a series (HU for CT)."""

    minimum: float
    maximum: float
    p01: float
    p50: float
    p99: float


class SeriesSummary(_Model):
    """One series of the study inventory."""

    id: str
    name: str = Field(description="Identifier-free description: series number and description.")
    modality: str
    phase: PhaseAssignment
    used_for_phase: bool = Field(description="Whether this series is the one analysed for its phase.")
    geometry: Geometry
    intensity: IntensitySummary
    slice_thickness_mm: float | None = None
    n_files: int | None = None


class StudyInventory(_Model):
    """What the study holds."""

    source: Literal["dicom", "files"]
    study_uid: str | None = None
    series: list[SeriesSummary]
    phases_present: list[str]
    phases_missing: list[str]
    skipped_files: int = 0
    dicom_seg_files: int = 0


class KeyImage(_Model):
    """A rendered image of one series: what it shows, plane, slice, window and the PNG's path relative to the
    result. ``kind``: 'phase' (the whole field of view through the largest lesion, one per phase and plane),
    'overview' (the liver with every lesion's outline projected onto the plane, numbered) or 'lesion' (one
    lesion's neighbourhood through its long axis, one per phase)."""

    kind: Literal["phase", "overview", "lesion"] = "phase"
    lesion_id: int | None = Field(None, description="The lesion shown ('lesion' images), as in lesions.nii.gz.")
    series_id: str
    overlays: list[str] = Field(default_factory=list, description="Mask outlines drawn: 'liver', 'lesions'.")
    phase: str
    plane: Literal["axial", "coronal", "sagittal"]
    slice_index: int = Field(description="Index of the series' slice nearest the image plane (LPS-reoriented).")
    position_mm: float = Field(description="LPS coordinate of the slice along its normal axis.")
    field_of_view_mm: float | None = Field(None, description="Width shown ('lesion' images), mm.")
    window_center: float
    window_width: float
    file: str


class ViewerVolume(_Model):
    """One phase as the web viewer loads it: int16 HU NIfTI on the segmented series' grid."""

    phase: str
    series_id: str
    file: str = Field(description="Path relative to the result.")
    aligned: bool = Field(
        description="True: aligned to the segmented series as LI-RADS measured it (or that "
        "series itself); False: placed by physical position only."
    )


class CandidateResult(_Model):
    """A lesion candidate that is not reported as a liver lesion: below the operating point or the minimum
    reportable size, outside the liver, or a mass adjacent to the liver (for review)."""

    number: int = Field(description="Its value in candidates.nii.gz.")
    decision: Literal["below threshold", "adjacent mass"]
    confidence: float = Field(ge=0, le=1, description="Network probability x conspicuity x share inside the liver.")
    volume_ml: float
    diameter_mm: float = Field(description="Largest extent along an image axis.")
    mean_probability: float | None = Field(
        description="The lesion network's mean probability inside it; None: found by another rule (found_by)."
    )
    found_by: str = Field(description="What found it: the lesion network, or arterial-phase hyperenhancement.")
    contrast_hu: float = Field(description="Mean HU minus the parenchyma's median 2-6 mm around it.")
    contrast_sd: float = Field(description="The contrast in units of the parenchyma's voxel SD.")
    outside_liver_fraction: float = Field(description="Share of it outside the liver mask.")
    reasons: list[str] = Field(description="Why it is not reported as a lesion, in words.")


class QualityCheckResult(_Model):
    """One quality-control check: whether it passed, and what it measured and why."""

    name: str
    passed: bool
    detail: str


class QualityControl(_Model):
    """The quality-control verdict: 'done' when every check passed, else 'needs review' (``flags`` names the
    failed checks; their details say why)."""

    status: Literal["done", "needs review"]
    flags: list[str] = Field(description="Names of the checks that failed.")
    checks: list[QualityCheckResult]


class SegmentationSummary(_Model):
    """Liver and lesion segmentation of one series: volumetry and the mask files (each lesion is in ``lesions``)."""

    series_id: str
    backend: str | None = Field(description="Segmentation backend that ran; None when the user gave both masks.")
    liver_from: str = Field(description="Where the liver mask came from: the backend's name, or 'user mask'.")
    lesions_from: str = Field(description="Where the lesion mask came from: the backend's name, or 'user mask'.")
    liver_volume_ml: float = Field(description="Liver volume, lesions included.")
    lesion_count: int
    lesion_volume_ml: float
    tumour_burden_percent: float = Field(description="Lesion volume as % of liver volume.")
    operating_point: float | None = Field(
        None, description="Confidence at which candidates are reported as lesions; None: the backend does not score."
    )
    files: dict[str, str] = Field(
        description="Files relative to the result: liver, lesions (NIfTI), dicom_seg (DICOM "
        "SEG), dicom_sr (TID 1500 measurement report; analyze)."
    )


class RoiFeatures(_Model):
    """IBSI radiomics features of one ROI and image type."""

    roi: str = Field(description='"liver" or "lesion N" (N as in lesions.nii.gz).')
    label: int | None = None
    series_id: str
    image_type: str = Field(description='"original" or a filter, e.g. "log_2mm".')
    features: dict[str, float | None] = Field(description="By IBSI tag; None where a feature is undefined.")
    skipped_reason: str | None = Field(None, description="Why the ROI has no features (too few voxels).")


class RadiomicsSummary(_Model):
    """Radiomics of the study: the settings, the liver's features and the table file (each lesion's features are
    in its entry of ``lesions``)."""

    parameters: dict = Field(description="The extraction settings (also written as params.yaml).")
    liver: RoiFeatures
    headline: list[str] = Field(description="Features the report shows.")
    columns: list[str] = Field(description="Identifier columns of the table; feature columns follow.")
    files: dict[str, str] = Field(description="table (features.csv) and parameters, relative to the result.")


class FeatureFinding(_Model):
    """One measured LI-RADS feature: its value (None: not assessable), the numbers behind it, a confidence."""

    value: str | bool | None
    evidence: str
    confidence: float = Field(description="0.5 = undecided, 1 = certain; 0 when not assessable.")


class PriorLesionChange(_Model):
    """A lesion compared with the prior study."""

    prior_lesion: int | None = Field(
        description="Label of the matched lesion in the prior study's segmentation; None: new since the prior study."
    )
    prior_size_mm: float | None
    size_change_percent: float | None
    overlap_dice: float = Field(
        description="Overlap with the prior lesion after alignment (0 when matched by distance only)."
    )
    centre_distance_mm: float | None


class PriorComparison(_Model):
    """The prior study, aligned to this one, and the response of its target lesions."""

    interval_days: float | None = Field(description="Days between the studies; None when unknown.")
    translation_mm: float
    rotation_deg: float
    residual_mm: float
    edge_correlation: float
    prior_lesion_count: int
    disappeared_prior_lesions: list[int] = Field(description="Prior lesions with no lesion here.")
    recist: dict | None = Field(
        None,
        description="RECIST 1.1 with the prior study as baseline: category, targets, "
        "sums (mm), reasons; None without a measurable target.",
    )


class LesionCharacterization(_Model):
    """LI-RADS of one lesion: measured features, category and the reasons in LI-RADS words."""

    size_mm: float = Field(
        description="LI-RADS size: longest diameter (3D, mm) in the phase where the margin is sharpest, the "
        "outline re-drawn there; the segmented outline's when the margin is too faint."
    )
    segmented_size_mm: float = Field(description="Longest diameter (3D, mm) of the segmented outline.")
    size_evidence: str = Field(description="How the size was measured, in words.")
    sharpest_phase: str = Field(description="Phase where the lesion's margin is sharpest.")
    features: dict[str, FeatureFinding]
    category: str | None = Field(description='e.g. "LR-5", "LR-M", "LR-NC"; None where LI-RADS does not apply.')
    reasons: list[str]
    lesion_type_estimate: str = Field(
        description="Decision support only: cyst, hemangioma, fnh, hcc, metastasis or indeterminate."
    )
    lesion_type_pattern: str
    change_since_prior: PriorLesionChange | None = None


class LesionResult(_Model):
    """One lesion (a connected component of the lesion mask): its size on the segmented outline and, where those
    stages ran, its LI-RADS and its radiomics."""

    id: int = Field(description="Label in lesions.nii.gz and the DICOM SEG ('lesion_N'); 1 is the largest lesion.")
    volume_ml: float
    longest_axial_diameter_mm: float = Field(
        description="Longest diameter of the segmented outline in an axial slice (RECIST long axis)."
    )
    short_axis_mm: float = Field(description="Width perpendicular to the long axis in that slice.")
    axial_slice_z_mm: float = Field(description="LPS z of the slice holding the long axis.")
    longest_3d_diameter_mm: float = Field(description="Longest 3D diameter of the segmented outline.")
    centroid_mm: tuple[float, float, float] = Field(description="LPS position of the lesion's centre of mass.")
    confidence: float | None = Field(
        None, description="The candidate's confidence (see CandidateResult); None: the backend does not score."
    )
    review: list[str] = Field(default_factory=list, description="Reasons to look at this lesion (e.g. exophytic).")
    lirads: LesionCharacterization | None = Field(
        None, description="None: LI-RADS did not run, or this lesion could not be characterized (lirads.warnings)."
    )
    radiomics: RoiFeatures | None = Field(None, description="None: radiomics did not run.")


class PhaseAlignmentEntry(_Model):
    """How one phase was aligned to the reference phase."""

    phase: str
    translation_mm: float
    rotation_deg: float
    deformable: bool
    residual_mm: float = Field(description="Estimated misalignment left after alignment (mean over the liver).")
    edge_correlation: float = Field(
        description="Correlation of the two phases' edges in and around the liver "
        "after alignment (1 = identical structure)."
    )


class LiradsSummary(_Model):
    """LI-RADS v2018 of the study: phases, alignment, risk, the prior study (each lesion's category is in its
    entry of ``lesions``)."""

    reference_phase: str
    phases: list[str] = Field(description="Phases used, aligned to the reference phase.")
    missing_phases: list[str] = Field(description="Required LI-RADS phases that the study lacks.")
    alignments: list[PhaseAlignmentEntry]
    high_risk: bool | None = Field(description="Patient at high risk for HCC; None when not stated (assumed).")
    prior: PriorComparison | None = None
    warnings: list[str] = Field(default_factory=list)


class StudyResult(_Model):
    """Everything Hepatica computed for one study."""

    schema_version: Literal["2.1"] = SCHEMA_VERSION
    provenance: Provenance
    study: StudyInventory
    quality: QualityControl | None = Field(None, description="None: the study was not segmented.")
    segmentation: SegmentationSummary | None = None
    lesions: list[LesionResult] = Field(default_factory=list, description="Every lesion, largest first.")
    candidates_below_threshold: list[CandidateResult] = Field(
        default_factory=list,
        description="Candidates not reported: not in the lesion count, tumour burden, LI-RADS or SR.",
    )
    adjacent_masses: list[CandidateResult] = Field(
        default_factory=list, description="Masses beside the liver, possibly extrahepatic: not liver lesions; review."
    )
    radiomics: RadiomicsSummary | None = None
    lirads: LiradsSummary | None = None
    key_images: list[KeyImage] = Field(default_factory=list)
    viewer_volumes: list[ViewerVolume] = Field(default_factory=list, description="Each phase for the web viewer.")
    warnings: list[str] = Field(default_factory=list)

    def write_json(self, path: Path | str) -> Path:
        """Write the result as indented JSON, atomically."""
        return write_text_atomic(path, self.model_dump_json(indent=2) + "\n")

    @classmethod
    def read_json(cls, path: Path | str) -> StudyResult:
        """Read and validate a result written by :meth:`write_json` (a schema 1.0 result is upgraded)."""
        return cls.model_validate(upgrade_result(json.loads(Path(path).read_text(encoding="utf-8"))))

    def lesion(self, lesion_id: int) -> LesionResult:
        """The lesion of label ``lesion_id``."""
        return next(lesion for lesion in self.lesions if lesion.id == lesion_id)


class SegmentationResult(_Model):
    """What ``hepatica segment`` writes to segmentation.json."""

    schema_version: Literal["2.1"] = SCHEMA_VERSION
    provenance: Provenance
    segmentation: SegmentationSummary
    lesions: list[LesionResult]

    def write_json(self, path: Path | str) -> Path:
        """Write as indented JSON, atomically."""
        return write_text_atomic(path, self.model_dump_json(indent=2) + "\n")


def upgrade_result(data: Any) -> Any:
    """A result of schema 1.0 (lesions listed in ``segmentation.lesions``, ``lirads.lesions`` and
    ``radiomics.rois``, joined by id) or 2.0 in the layout of 2.1 (2.0 lacks only what 2.1 added, which has
    defaults: candidates, adjacent masses, quality control); anything else as it is."""
    if isinstance(data, dict) and data.get("schema_version") == "2.0":
        return {**data, "schema_version": SCHEMA_VERSION}
    if not isinstance(data, dict) or data.get("schema_version") != "1.0":
        return data
    data = json.loads(json.dumps(data))  # a deep copy
    segmentation, lirads, radiomics = data.get("segmentation"), data.get("lirads"), data.get("radiomics")
    lesions = segmentation.pop("lesions", []) if segmentation else []
    if segmentation:
        segmentation["liver_from"] = segmentation["lesions_from"] = segmentation.get("backend")
    characterized = {entry.pop("id"): entry for entry in (lirads.pop("lesions", []) if lirads else [])}
    rois = radiomics.pop("rois", []) if radiomics else []
    if radiomics:
        radiomics["liver"] = next(roi for roi in rois if roi["roi"] == "liver")
    features = {roi["label"]: roi for roi in rois if roi.get("label") is not None}
    for lesion in lesions:
        lesion["lirads"] = characterized.get(lesion["id"])
        lesion["radiomics"] = features.get(lesion["id"])
    data["lesions"] = lesions
    data["schema_version"] = SCHEMA_VERSION
    return data


def result_json_schema() -> dict:
    """The JSON schema (draft 2020-12) of `StudyResult`."""
    schema = StudyResult.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://hepatica.dev/schemas/study_result/{SCHEMA_VERSION}.json"
    return schema


def result_json_schema_text() -> str:
    """The schema as the text stored in ``schemas/study_result.schema.json``."""
    return json.dumps(result_json_schema(), indent=2, sort_keys=True) + "\n"


#: Keys of result.json meant to differ between two runs of the same analysis (the UIDs each run creates for its
#: SEG and SR are in those files only).
RUN_SPECIFIC_KEYS = ("created_utc",)


def reproducible_result_text(result_json: Path) -> str:
    """``result_json`` as canonical JSON (sorted keys, one item a line) without `RUN_SPECIFIC_KEYS`: two runs of
    the same input and options give the same text (bench/determinism.py, tests/hostile/test_determinism.py)."""

    def clean(value):
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if k not in RUN_SPECIFIC_KEYS}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    return json.dumps(clean(json.loads(Path(result_json).read_text())), indent=1, sort_keys=True)
