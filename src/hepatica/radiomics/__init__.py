"""IBSI-compliant radiomics: the ROI, discretisation and every IBSI-1 feature family.

``extract(image, mask, spacing, settings)`` runs the IBSI processing chain and returns {IBSI tag: value}; still to
come (issue 4): filters, parameter files, the command line and batch runs.
"""

from hepatica.radiomics.extract import compute_features, extract
from hepatica.radiomics.roi import Discretised, RadiomicsInputError, Roi, discretise
from hepatica.radiomics.settings import Discretisation, ExtractionSettings

__all__ = ["Discretisation", "Discretised", "ExtractionSettings", "RadiomicsInputError", "Roi", "compute_features",
           "discretise", "extract"]
