"""Radiomics for a segmented study: IBSI features of the liver and of each lesion (labels as the study's
`LiverLesions` numbers them) on the segmented series, returned as objects; the report stage writes the table and
the parameter file."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hepatica.io.volume import Volume
from hepatica.measure.lesions import LiverLesions
from hepatica.radiomics.extract import extract
from hepatica.radiomics.settings import Discretisation, ExtractionSettings

#: Liver CT defaults: isotropic 1 mm grid (IBSI's advice for 3D texture), soft-tissue range, 25 HU bins.
LIVER_CT_SETTINGS = ExtractionSettings(
    voxel_size_mm=(1.0, 1.0, 1.0),
    resegmentation_range=(-200.0, 300.0),
    discretisation=Discretisation("fixed_bin_size", None, 25.0),
)
#: A few features shown in the report; all of them are in the table and result.json.
HEADLINE = (
    "morph_volume",
    "morph_sphericity",
    "stat_mean",
    "stat_var",
    "ih_entropy",
    "cm_contrast_3D_comb",
    "szm_zs_entr_3D",
)
#: ROIs with fewer voxels than this on the segmented grid get no features.
MIN_ROI_VOXELS = 8


@dataclass(frozen=True)
class RoiRadiomics:
    """IBSI features of one ROI ('liver' or 'lesion N'; ``label`` N, None for the liver) of the original image,
    by IBSI tag; empty with ``skipped_reason`` when the ROI is too small."""

    roi: str
    label: int | None
    features: dict[str, float]
    skipped_reason: str | None = None


@dataclass(frozen=True)
class StudyRadiomics:
    """The settings used, the liver's features and each lesion's (by label)."""

    settings: ExtractionSettings
    series_id: str
    liver: RoiRadiomics
    lesions: dict[int, RoiRadiomics]


def study_radiomics(
    image: Volume, lesions: LiverLesions, series_id: str, settings: ExtractionSettings = LIVER_CT_SETTINGS
) -> StudyRadiomics:
    """Features of the liver and of each lesion on ``image`` (the segmented series ``series_id``). ROIs of fewer
    than ``MIN_ROI_VOXELS`` voxels are kept without features, with the reason."""
    spacing = image.spacing[::-1]

    def roi(name: str, label: int | None, mask: np.ndarray) -> RoiRadiomics:
        voxels = int(np.count_nonzero(mask))
        if voxels < MIN_ROI_VOXELS:
            reason = f"{voxels} voxel(s), fewer than the {MIN_ROI_VOXELS} radiomics needs"
            return RoiRadiomics(name, label, {}, reason)
        return RoiRadiomics(name, label, extract(image.array, mask, spacing, settings))

    return StudyRadiomics(
        settings=settings,
        series_id=series_id,
        liver=roi("liver", None, lesions.liver.array > 0),
        lesions={n.label: roi(f"lesion {n.label}", n.label, lesions.mask(n.label)) for n in lesions.lesions},
    )
