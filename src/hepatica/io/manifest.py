"""Manifests: CSV tables naming one case per row (``hepatica radiomics --batch``, ``hepatica cohort run``)."""

from __future__ import annotations

import csv
from pathlib import Path

from hepatica.errors import HepaticaInputError


def read_manifest_rows(path: Path | str, required: list[str]) -> list[dict[str, str]]:
    """The rows of a CSV manifest (a BOM is tolerated), refused unless its header has the ``required`` columns."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as error:
        raise HepaticaInputError(f"cannot read the manifest {path}: {error}") from error
    if not rows or not set(required) <= set(rows[0]):
        raise HepaticaInputError(f"{path}: needs a header with at least the columns {' and '.join(required)}")
    return rows
