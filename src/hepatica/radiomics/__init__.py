"""IBSI-compliant radiomics: the ROI, discretisation and every IBSI-1 feature family.

``compute_features(roi, discretised)`` returns {IBSI tag: value}. Still to come (issue 4): the image processing
chain (interpolation, re-segmentation), filters, parameter files, the command line and batch runs.
"""

from hepatica.radiomics.extract import compute_features
from hepatica.radiomics.roi import Discretised, RadiomicsInputError, Roi, discretise

__all__ = ["Discretised", "RadiomicsInputError", "Roi", "compute_features", "discretise"]
