"""Segmentation quality against a reference: overlap and surface distances, and per-lesion detection."""

from hepatica.evaluate.detection import SIZE_BINS, DetectionResult, detect_lesions, size_bin
from hepatica.evaluate.overlap import OverlapMetrics, overlap_metrics

__all__ = [
    "SIZE_BINS",
    "DetectionResult",
    "OverlapMetrics",
    "detect_lesions",
    "overlap_metrics",
    "size_bin",
]
