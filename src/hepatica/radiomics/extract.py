"""All implemented feature families on one ROI."""

from __future__ import annotations

from hepatica.radiomics.features.glcm import glcm_features
from hepatica.radiomics.features.glrlm import glrlm_features
from hepatica.radiomics.features.histogram import histogram_features
from hepatica.radiomics.features.ivh import ivh_features
from hepatica.radiomics.features.local_intensity import local_intensity_features
from hepatica.radiomics.features.morphology import morphology_features
from hepatica.radiomics.features.neighbourhoods import ngldm_features, ngtdm_features
from hepatica.radiomics.features.statistics import statistics_features
from hepatica.radiomics.features.zones import gldzm_features, glszm_features
from hepatica.radiomics.roi import Discretised, Roi


def compute_features(roi: Roi, discretised: Discretised) -> dict[str, float]:
    """Every IBSI-1 feature, by tag (texture tags carry their aggregation, e.g. ``cm_energy_3D_comb``).

    ``discretised`` holds the grey levels of the histogram, texture and intensity-volume histogram families;
    the IVH runs over grey levels 1..Ng in steps of 1 (IBSI's case for discretised or arbitrary intensities)."""
    features = morphology_features(roi.image, roi.intensity_mask, roi.morphological_mask, roi.spacing_mm)
    features.update(local_intensity_features(roi.image, roi.intensity_mask, roi.spacing_mm))
    features.update(statistics_features(roi.values))
    features.update(histogram_features(discretised.values, discretised.n_levels))
    features.update(ivh_features(discretised.values, 1, discretised.n_levels, 1))
    levels, n = discretised.levels, discretised.n_levels
    features.update(glcm_features(levels, n))
    features.update(glrlm_features(levels, n))
    features.update(glszm_features(levels, n))
    features.update(gldzm_features(levels, n, roi.morphological_mask))
    features.update(ngtdm_features(levels, n))
    features.update(ngldm_features(levels, n))
    return features
