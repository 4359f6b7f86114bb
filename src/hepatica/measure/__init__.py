"""Measurements on masks: liver volume, lesion instances with RECIST-style diameters, tumour burden."""

from hepatica.measure.lesions import (
    LesionMeasurement,
    LiverMeasurement,
    label_lesions,
    measure_lesion,
    measure_liver_and_lesions,
)

__all__ = ["LesionMeasurement", "LiverMeasurement", "label_lesions", "measure_lesion", "measure_liver_and_lesions"]
