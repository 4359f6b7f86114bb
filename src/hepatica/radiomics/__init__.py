"""IBSI-compliant radiomics: the ROI, discretisation and every IBSI-1 feature family.

``extract(image, mask, spacing, settings)`` runs the IBSI processing chain and returns {IBSI tag: value};
``extract_all`` adds one entry per filter (mean, LoG, wavelets: ``filters.FilterSpec``). ``hepatica radiomics``
(``batch.py``) runs it on files, one ROI or a manifest, with parameter files (``settings.py``).
"""

from hepatica.radiomics.extract import compute_features, extract, extract_all
from hepatica.radiomics.filters import FilterSpec
from hepatica.radiomics.roi import Discretised, RadiomicsInputError, Roi, discretise
from hepatica.radiomics.settings import Discretisation, ExtractionSettings

__all__ = [
    "Discretisation",
    "Discretised",
    "ExtractionSettings",
    "FilterSpec",
    "RadiomicsInputError",
    "Roi",
    "compute_features",
    "discretise",
    "extract",
    "extract_all",
]
