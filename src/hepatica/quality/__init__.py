"""Quality control of one analysis: checks with their reasons, and a verdict (`assess_quality`)."""

from hepatica.quality.checks import DONE, NEEDS_REVIEW, QualityCheck, QualityVerdict, assess_quality

__all__ = ["DONE", "NEEDS_REVIEW", "QualityCheck", "QualityVerdict", "assess_quality"]
