"""Synthetic multi-phase liver CT studies with known ground truth (see `generate`)."""

from hepatica.phantom.generate import (
    DEFAULT_LESIONS,
    LesionSpec,
    PhantomLesion,
    PhantomStudy,
    make_phantom_study,
)
from hepatica.phantom.kinetics import LesionType

__all__ = ["DEFAULT_LESIONS", "LesionSpec", "LesionType", "PhantomLesion", "PhantomStudy", "make_phantom_study"]
