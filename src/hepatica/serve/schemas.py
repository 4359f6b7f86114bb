"""What the service's API answers, as typed models: FastAPI validates every response against them and the OpenAPI
spec (``/openapi.json``) describes each response with them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from hepatica.serve.library import StudyStatus

State = Literal["queued", "running", "done", "failed"]
Category = Literal[
    "LR-1",
    "LR-2",
    "LR-3",
    "LR-4",
    "LR-5",
    "LR-M",
    "LR-TIV",
    "LR-NC",
    "LR-TR Viable",
    "LR-TR Nonviable",
    "LR-TR Equivocal",
    "LR-TR Nonevaluable",
]


class StudySummary(BaseModel):
    """A study in the list: its status (progress while it is analysed) and, once analysed, its headline numbers."""

    id: str
    status: StudyStatus
    phases: list[str] | None = None
    modality: str | None = None
    liver_volume_ml: float | None = None
    lesion_count: int | None = None
    tumour_burden_percent: float | None = None
    categories: list[str | None] | None = Field(None, description="LI-RADS category of each characterized lesion.")
    quality: Literal["done", "needs review", "unreadable"] | None = Field(
        None,
        description="Quality-control verdict: 'needs review' when a check failed (quality_flags names them); "
        "'unreadable' when the study's result.json cannot be read (analyse it again).",
    )
    quality_flags: list[str] | None = None
    created_utc: str | None = Field(None, description="When the analysis was made (UTC, ISO 8601).")


class Submitted(BaseModel):
    """A study accepted for analysis: its id and where to follow it."""

    id: str
    status_url: str
    viewer_url: str


class PacsRequest(BaseModel):
    """A study in the PACS to analyse."""

    study_instance_uid: str = Field(
        pattern=r"^[0-9]+(\.[0-9]+)*$", max_length=64, description="The study's Study Instance UID (0020,000D)"
    )
    high_risk: bool | None = Field(None, description="Patient at high risk for HCC (LI-RADS); not stated: assumed")


class ViewerPhase(BaseModel):
    """One phase volume the viewer loads (a button each; series of unknown phase are keyed by series id)."""

    key: str
    phase: str
    label: str
    series_id: str
    url: str
    aligned: bool = Field(description="Aligned to the segmented series as LI-RADS measured it.")


class ViewerOverlay(BaseModel):
    """A mask drawn over every phase, with its colour (RGB 0-255) and opacity."""

    name: str
    url: str
    colour: list[int]
    opacity: float


class ViewerLirads(BaseModel):
    """A lesion's LI-RADS as the viewer shows it."""

    category: str | None
    size_mm: float = Field(description="LI-RADS size (mm): the longest diameter where the margin is sharpest.")
    reasons: list[str]
    type_estimate: str
    features: dict[str, str | bool | None]


class ViewerLesion(BaseModel):
    """A lesion in the viewer's list: its size on the segmented outline, where to put the crosshair, LI-RADS."""

    id: int
    volume_ml: float
    longest_axial_diameter_mm: float = Field(description="Segmented outline, axial long axis (RECIST), mm.")
    short_axis_mm: float
    longest_3d_diameter_mm: float
    position_lps_mm: list[float] = Field(description="The long axis' slice at the lesion's centre (LPS mm).")
    position_ras_mm: list[float] = Field(description="The same point in NiiVue's RAS mm.")
    lirads: ViewerLirads | None


class ViewerCandidate(BaseModel):
    """A lesion candidate that is not a reported lesion: below threshold, or a mass beside the liver."""

    number: int = Field(description="Its value in the candidates overlay.")
    decision: str
    diameter_mm: float
    confidence: float
    reasons: list[str]


class ViewerData(BaseModel):
    """Everything the viewer page loads for a study."""

    id: str
    phases: list[ViewerPhase]
    default_phase: str | None
    overlays: list[ViewerOverlay]
    lesions: list[ViewerLesion]
    liver_volume_ml: float | None
    tumour_burden_percent: float | None
    report_url: str | None
    report_pdf_url: str | None
    warnings: list[str]
    quality: Literal["done", "needs review"] | None = None
    quality_flags: list[str] = Field(default_factory=list, description="Each failed check: 'name: why'.")
    candidates: list[ViewerCandidate] = Field(
        default_factory=list, description="Adjacent masses first, then candidates below threshold."
    )
