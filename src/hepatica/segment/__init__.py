"""Liver and lesion segmentation, by backends chosen by name.

``bundled`` (default) runs the ONNX U-Nets shipped with Hepatica on ONNX Runtime; ``totalsegmentator`` uses
an installed TotalSegmentator and its own weights (liver, hepatic vessels, Couinaud segments).
"""

from __future__ import annotations

from hepatica.errors import BackendUnavailableError
from hepatica.io.volume import Volume
from hepatica.segment.candidates import DEFAULT_OPERATING_POINT
from hepatica.segment.types import ModelCard, Segmentation

BACKENDS = ("bundled", "totalsegmentator")


def get_backend(name: str = "bundled"):
    """The backend object called ``name``; BackendUnavailableError says what to install when it is missing."""
    if name == "bundled":
        from hepatica.segment.bundled import BundledBackend

        return BundledBackend()
    if name == "totalsegmentator":
        from hepatica.segment.totalsegmentator import TotalSegmentatorBackend

        return TotalSegmentatorBackend()
    raise BackendUnavailableError(f"unknown segmentation backend {name!r}; choose one of {', '.join(BACKENDS)}")


def segment(
    image: Volume,
    backend: str = "bundled",
    liver: Volume | None = None,
    lesions: bool = True,
    operating_point: float = DEFAULT_OPERATING_POINT,
) -> Segmentation:
    """Segment the liver (unless ``liver`` is given) and its lesions on a CT ``image`` (HU); lesion candidates
    whose confidence is under ``operating_point`` are listed but not reported (backends that score them)."""
    return get_backend(backend).segment(image, liver=liver, lesions=lesions, operating_point=operating_point)


__all__ = ["BACKENDS", "ModelCard", "Segmentation", "get_backend", "segment"]
