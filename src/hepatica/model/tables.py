"""Reading the tables a radiomics study models: a feature table (``hepatica radiomics --batch`` output, long with
one row per case and image type, or already one row per case), an optional clinical table, joined by case."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hepatica.errors import HepaticaInputError
from hepatica.radiomics.batch import ID_COLUMNS


@dataclass(frozen=True)
class ModelTable:
    """One row per case (index): radiomics feature columns, clinical columns, and the outcome columns."""

    data: pd.DataFrame
    radiomics: list[str]
    clinical: list[str]
    dropped: list[str]  # feature columns left out because some case lacks them


def read_table(path: Path | str, id_column: str = "case") -> pd.DataFrame:
    """A CSV or Parquet table indexed by ``id_column``."""
    path = Path(path)
    if not path.is_file():
        raise HepaticaInputError(f"{path}: no such table")
    try:
        table = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    except (ValueError, OSError, ImportError) as error:
        raise HepaticaInputError(f"{path}: cannot be read as a {path.suffix or 'CSV'} table ({error})") from error
    if id_column not in table.columns:
        raise HepaticaInputError(
            f"{path}: no {id_column!r} column to join cases on; columns start "
            f"{list(table.columns[:6])} (give --id COLUMN)"
        )
    table[id_column] = table[id_column].astype(str)
    return table


def wide_features(table: pd.DataFrame, id_column: str = "case") -> pd.DataFrame:
    """Radiomics features one row per case: a ``hepatica radiomics`` table (one row per image type) is widened
    to ``<image type>__<tag>`` columns; other identifier and text columns are dropped."""
    if "image_type" in table.columns:
        if table.duplicated([id_column, "image_type"]).any():
            raise HepaticaInputError(
                "the feature table has several rows for one case and image type (several "
                "ROIs?); keep one ROI per case before modelling"
            )
        values = table.drop(columns=[c for c in ID_COLUMNS if c not in (id_column, "image_type")], errors="ignore")
        wide = values.pivot(index=id_column, columns="image_type")
        wide.columns = [f"{image_type}__{tag}" for tag, image_type in wide.columns]
    else:
        if table[id_column].duplicated().any():
            raise HepaticaInputError(f"the feature table has repeated {id_column!r} values; one row per case")
        wide = table.set_index(id_column).drop(columns=[c for c in ID_COLUMNS if c != id_column], errors="ignore")
    numeric = wide.apply(pd.to_numeric, errors="coerce")
    return numeric.loc[:, numeric.notna().any()].rename_axis(id_column)


def model_table(
    features_path: Path | str,
    outcome_columns: list[str],
    clinical_path: Path | str | None = None,
    id_column: str = "case",
    clinical_columns: list[str] | None = None,
) -> ModelTable:
    """Features (and clinical variables) of the cases that have them and the outcome. Outcome columns may be in
    either table. ``clinical_columns`` restricts the clinical variables (default: every column but the
    outcomes); missing clinical values are imputed in the model. Feature columns missing for some case are left
    out (``dropped``) rather than imputed."""
    features = wide_features(read_table(features_path, id_column), id_column)
    clinical = (
        read_table(clinical_path, id_column).set_index(id_column)
        if clinical_path is not None
        else pd.DataFrame(index=features.index)
    )
    outcomes_in_features = [c for c in outcome_columns if c in features.columns]
    radiomics = [c for c in features.columns if c not in outcome_columns]
    missing = [c for c in outcome_columns if c not in features.columns and c not in clinical.columns]
    if missing:
        raise HepaticaInputError(f"outcome column(s) {missing} are in neither table")
    wanted = (
        clinical_columns if clinical_columns is not None else [c for c in clinical.columns if c not in outcome_columns]
    )
    unknown = [c for c in wanted if c not in clinical.columns]
    if unknown:
        raise HepaticaInputError(f"clinical column(s) {unknown} are not in the clinical table")
    outcome_frame = pd.concat(
        [features[outcomes_in_features], clinical[[c for c in outcome_columns if c not in outcomes_in_features]]],
        axis=1,
    )
    data = features[radiomics].join(clinical[wanted], how="inner").join(outcome_frame, how="inner", rsuffix="_outcome")
    data = data.loc[data[outcome_columns].notna().all(axis=1)]
    if len(data) < 20:
        raise HepaticaInputError(
            f"only {len(data)} cases have features and the outcome; check that the tables share {id_column!r} values"
        )
    incomplete = data[radiomics].columns[data[radiomics].isna().any()]
    if len(incomplete):
        data = data.drop(columns=incomplete)
        radiomics = [c for c in radiomics if c not in set(incomplete)]
    if not radiomics and not wanted:
        raise HepaticaInputError("no feature column is complete for every case")
    return ModelTable(data, radiomics, list(wanted), [str(c) for c in incomplete])


def binary_outcome(values: pd.Series) -> np.ndarray:
    """0/1 from a two-valued column (numbers, booleans or two labels: the later-sorting label is 1)."""
    levels = sorted(values.dropna().unique().tolist(), key=str)
    if len(levels) != 2:
        raise HepaticaInputError(
            f"outcome {values.name!r} has {len(levels)} distinct values ({levels[:5]}); a binary "
            "model needs exactly two"
        )
    return (values == levels[1]).to_numpy().astype(int)
