"""Radiomics for a segmented study: the liver and each lesion on the segmented series, written as a tidy
table beside the result, with the parameters used."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hepatica.io.atomic import write_text_atomic
from hepatica.io.volume import Volume
from hepatica.measure import label_lesions
from hepatica.radiomics.batch import ID_COLUMNS, write_table
from hepatica.radiomics.extract import extract
from hepatica.radiomics.settings import Discretisation, ExtractionSettings
from hepatica.result import RadiomicsSummary, RoiFeatures

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


def study_radiomics(
    image: Volume,
    liver: Volume,
    lesions: Volume,
    series_id: str,
    out_dir: Path,
    relative_to: Path,
    settings: ExtractionSettings = LIVER_CT_SETTINGS,
) -> RadiomicsSummary:
    """Features of the liver and of each lesion (labels as in lesions.nii.gz, 1 = largest) on ``image``.

    ROIs too small for the settings (a lesion that vanishes on the 1 mm grid) are listed without features."""
    spacing = image.spacing[::-1]
    rois = [("liver", None, liver.array > 0)]
    labels = label_lesions(lesions).array
    rois += [(f"lesion {n}", n, labels == n) for n in range(1, int(labels.max()) + 1)]
    entries, rows = [], []
    for name, label, mask in rois:
        features = extract(image.array, mask, spacing, settings) if np.count_nonzero(mask) >= 8 else {}
        entries.append(
            RoiFeatures(
                roi=name,
                label=label,
                series_id=series_id,
                image_type="original",
                features={k: (float(v) if np.isfinite(v) else None) for k, v in features.items()},
            )
        )
        rows.append(
            {
                "case": series_id,
                "image": series_id,
                "mask": name,
                "label": label or "",
                "image_type": "original",
                **features,
            }
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    table = write_table(rows, out_dir / "features.csv")
    params = write_text_atomic(out_dir / "params.yaml", settings.to_yaml())
    return RadiomicsSummary(
        parameters=settings.as_dict(),
        rois=entries,
        headline=list(HEADLINE),
        files={"table": str(table.relative_to(relative_to)), "parameters": str(params.relative_to(relative_to))},
        columns=list(ID_COLUMNS),
    )
