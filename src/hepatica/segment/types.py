"""Data passed out of the segmentation stage."""

from __future__ import annotations

from dataclasses import dataclass, field

from hepatica.io.volume import Volume


@dataclass(frozen=True)
class ModelCard:
    """Which network produced a mask: a name, its weights file and their SHA-256, and where they came from."""

    name: str
    file: str
    sha256: str
    source: str


@dataclass(frozen=True)
class Segmentation:
    """Masks on the grid of the segmented image.

    ``liver`` and ``lesions`` are uint8 0/1 (lesions lie inside the liver). ``structures`` holds further
    masks a backend provides (``hepatic_vessels``, ``couinaud``: 1..8 for segments I..VIII).
    """

    liver: Volume
    lesions: Volume
    backend: str
    models: tuple[ModelCard, ...] = ()
    structures: dict[str, Volume] = field(default_factory=dict)
