"""Test helpers: feature, clinical and outcome tables of a simulated cohort (`hepatica.phantom.cohort`), as a
radiomics study would have them (IBSI features of each lesion from `hepatica.radiomics`, one row per patient), and
the simulator's true features, to check that a model found the signals."""

from __future__ import annotations

import pandas as pd

from hepatica.phantom.cohort import Cohort, patient_images
from hepatica.radiomics.extract import extract_all
from hepatica.radiomics.filters import FilterSpec
from hepatica.radiomics.settings import Discretisation, ExtractionSettings

#: Extraction for simulated cohorts: 1 mm isotropic, 10 HU bins, two LoG scales and a mean filter.
COHORT_SETTINGS = ExtractionSettings(
    voxel_size_mm=(1.0, 1.0, 1.0),
    discretisation=Discretisation("fixed_bin_size", None, 10.0),
    filters=(FilterSpec("log", sigma_mm=1.0), FilterSpec("log", sigma_mm=3.0), FilterSpec("mean", support=5)),
)


def feature_table(cohort: Cohort, settings: ExtractionSettings = COHORT_SETTINGS) -> pd.DataFrame:
    """One row per patient (index ``case``), columns ``<image type>__<IBSI tag>``."""
    rows = {}
    for index, patient in enumerate(cohort.patients):
        image, mask = patient_images(cohort, index)
        row = {}
        for image_type, features in extract_all(image, mask, cohort.spacing_mm, settings, threads=1).items():
            row.update({f"{image_type}__{tag}": value for tag, value in features.items()})
        rows[patient.case] = row
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("case")


def clinical_table(cohort: Cohort) -> pd.DataFrame:
    """AFP, bilirubin, BCLC stage and age per patient (index ``case``)."""
    return pd.DataFrame({p.case: p.clinical for p in cohort.patients}).T.rename_axis("case").infer_objects()


def outcome_table(cohort: Cohort) -> pd.DataFrame:
    """The binary outcome (``mvi``), the survival outcome (``rfs_months``, ``recurrence``) and the true models'
    linear predictors (``true_logit``, ``true_log_hazard``), per patient."""
    return pd.DataFrame(
        {
            "mvi": [p.event for p in cohort.patients],
            "rfs_months": [p.time_months for p in cohort.patients],
            "recurrence": [int(p.died_or_recurred) for p in cohort.patients],
            "true_logit": cohort.linear_predictor,
            "true_log_hazard": cohort.log_hazard_ratio,
        },
        index=pd.Index([p.case for p in cohort.patients], name="case"),
    )


def hidden_table(cohort: Cohort) -> pd.DataFrame:
    """The hidden biological variables per patient (index ``case``): what a real study never sees."""
    return pd.DataFrame({p.case: p.hidden for p in cohort.patients}).T.rename_axis("case")


def true_features(
    features: pd.DataFrame, hidden: pd.DataFrame, signals: list[str], margin: float = 0.1, floor: float = 0.7
) -> dict[str, list[str]]:
    """For each signal-carrying hidden variable, the features that measure it: absolute Spearman correlation with
    it within ``margin`` of the best-measuring feature's, and at least ``floor``. They are redundant measurements
    of one signal, so a model has found the signal when it selects any of them."""
    ranks = features.rank()
    out = {}
    for name in signals:
        rho = ranks.corrwith(hidden.loc[features.index, name].rank()).abs().dropna()
        out[name] = sorted(rho.index[rho >= max(rho.max() - margin, floor)])
    return out


def recovered_signals(selected: list[str], truth: dict[str, list[str]]) -> dict[str, list[str]]:
    """For each signal, the selected features among its true features (empty: the signal was missed)."""
    chosen = set(selected)
    return {name: sorted(chosen.intersection(columns)) for name, columns in truth.items()}
