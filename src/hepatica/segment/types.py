"""Data passed out of the segmentation stage."""

from __future__ import annotations

from dataclasses import dataclass, field

from hepatica.io.volume import Volume
from hepatica.segment.candidates import CandidateEvidence
from hepatica.segment.refine import ExcludedTissue, Parenchyma


@dataclass(frozen=True)
class ModelCard:
    """Which network produced a mask: a name, its weights file and their SHA-256, and where they came from."""

    name: str
    file: str
    sha256: str
    source: str


@dataclass(frozen=True)
class LesionCandidate:
    """One lesion candidate of the backend: ``number`` is its value in `Segmentation.candidate_labels`; its
    evidence, what was decided (``lesion``, ``below threshold`` or ``adjacent mass``, see
    `hepatica.segment.candidates`) and why."""

    number: int
    evidence: CandidateEvidence
    decision: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class LiverCheck:
    """What the check of the liver mask found (`hepatica.segment.refine`): the parenchyma's attenuation, the
    network's liver volume before the check, the tissue it took out and the parenchyma it took in (mL)."""

    parenchyma: Parenchyma
    network_liver_ml: float
    excluded: tuple[ExcludedTissue, ...]
    added_ml: float

    @property
    def excluded_ml(self) -> float:
        return float(sum(piece.volume_ml for piece in self.excluded))


@dataclass(frozen=True)
class Segmentation:
    """Masks on the grid of the segmented image.

    ``liver`` and ``lesions`` are uint8 0/1 (lesions lie inside the liver). ``structures`` holds further
    masks a backend provides (``hepatic_vessels``, ``couinaud``: 1..8 for segments I..VIII). A backend that scores
    its lesion candidates lists them in ``candidates`` (``candidate_labels``: candidate n has value n; ``lesions``
    holds only those reported as lesions) with the operating point it used; ``liver_check`` says how its liver
    mask was checked (None: not checked, e.g. the user's mask).
    """

    liver: Volume
    lesions: Volume
    backend: str
    models: tuple[ModelCard, ...] = ()
    structures: dict[str, Volume] = field(default_factory=dict)
    candidates: tuple[LesionCandidate, ...] = ()
    candidate_labels: Volume | None = None
    operating_point: float | None = None
    liver_check: LiverCheck | None = None
