"""Radiomics on image files: one ROI, or a batch from a manifest, with tidy tables and resumable runs.

A batch keeps one JSON file per finished case beside the output table (``<out>.cases/``), written atomically,
so an interrupted run skips what it already did; the table is rebuilt from those files at the end. Cases run
in parallel worker processes. Rows are one per ROI and image type, features in IBSI tags as columns."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from hepatica.errors import HepaticaInputError
from hepatica.io import load_dicom_series, read_image, read_mask, require_same_grid, scan_dicom_folder
from hepatica.io.atomic import write_text_atomic
from hepatica.io.manifest import read_manifest_rows
from hepatica.radiomics.extract import extract_all
from hepatica.radiomics.roi import RadiomicsInputError
from hepatica.radiomics.settings import ExtractionSettings

ID_COLUMNS = ("case", "image", "mask", "label", "image_type")


@dataclass(frozen=True)
class Case:
    """One row of a manifest: an image, its mask and the label of the ROI (None: every voxel > 0)."""

    case: str
    image: Path
    mask: Path
    label: int | None = None


def read_volume(path: Path):
    """An image file, or a folder holding one DICOM series."""
    if Path(path).is_dir():
        scan = scan_dicom_folder(path)
        if len(scan.series) != 1:
            raise HepaticaInputError(f"{path}: holds {len(scan.series)} DICOM series; give a folder with one")
        return load_dicom_series(scan.series[0])
    return read_image(path)


def read_case(case: Case):
    """(image array, ROI mask, spacing in mm as (z, y, x)) of one case, the mask checked against the image."""
    image = read_volume(case.image)
    mask = read_volume(case.mask) if Path(case.mask).is_dir() else read_mask(case.mask)
    require_same_grid(image, mask, what=f"mask {Path(case.mask).name}")
    roi = mask.array == case.label if case.label is not None else mask.array > 0
    if not roi.any():
        raise RadiomicsInputError(
            f"{case.mask}: no voxel has label {case.label}" if case.label is not None else f"{case.mask}: empty mask"
        )
    return image.array, roi, tuple(image.spacing[::-1])


def extract_case(case: Case, settings: ExtractionSettings, threads: int | None = None) -> list[dict]:
    """Feature rows of one case, one per image type (the original image, then each filter); ``threads`` as for
    `extract_all`."""
    image, roi, spacing = read_case(case)
    rows = []
    for image_type, features in extract_all(image, roi, spacing, settings, threads=threads).items():
        row = {
            "case": case.case,
            "image": str(case.image),
            "mask": str(case.mask),
            "label": case.label if case.label is not None else "",
            "image_type": image_type,
        }
        row.update({k: float(v) for k, v in features.items()})
        rows.append(row)
    return rows


def read_manifest(path: Path) -> list[Case]:
    """CSV with columns image, mask and optionally label and case (paths relative to the manifest's folder)."""
    path = Path(path)
    rows = read_manifest_rows(path, ["image", "mask"])
    cases, seen = [], set()
    for number, row in enumerate(rows, start=2):
        label = row.get("label", "").strip()
        name = (row.get("case") or "").strip() or f"row{number - 1}"
        if name in seen:
            raise HepaticaInputError(f"{path}, line {number}: case {name!r} appears twice; case names must be unique")
        seen.add(name)
        try:
            parsed_label = int(label) if label else None
        except ValueError:
            raise HepaticaInputError(f"{path}, line {number}: label {label!r} is not an integer") from None
        cases.append(Case(name, path.parent / row["image"].strip(), path.parent / row["mask"].strip(), parsed_label))
    return cases


def settings_fingerprint(settings: ExtractionSettings) -> str:
    return hashlib.sha256(settings.to_yaml().encode()).hexdigest()[:16]


def _run_case(
    case: Case, settings: ExtractionSettings, folder: Path, fingerprint: str, threads: int | None = None
) -> tuple[str, str | None]:
    try:
        rows = extract_case(case, settings, threads)
    except (HepaticaInputError, ValueError) as error:
        return case.case, str(error)
    write_text_atomic(
        folder / f"{_safe(case.case)}.json", json.dumps({"settings": fingerprint, "rows": rows}, allow_nan=True)
    )
    return case.case, None


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def run_batch(
    cases: list[Case],
    settings: ExtractionSettings,
    out: Path,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, str]:
    """Extract every case into ``out`` (.csv or .parquet); returns {case: error} for the cases that failed.

    Finished cases (same settings) are skipped; their rows are kept."""
    out = Path(out)
    folder = out.with_name(out.name + ".cases")
    folder.mkdir(parents=True, exist_ok=True)
    fingerprint = settings_fingerprint(settings)
    write_text_atomic(out.with_name(out.name + ".params.yaml"), settings.to_yaml())
    todo = [c for c in cases if not _finished(folder / f"{_safe(c.case)}.json", fingerprint)]
    done, errors = len(cases) - len(todo), {}
    if progress:
        progress(done, len(cases))
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        threads = 1 if jobs > 1 else None  # parallel cases already use the CPUs
        futures = [pool.submit(_run_case, c, settings, folder, fingerprint, threads) for c in todo]
        for future in as_completed(futures):
            name, error = future.result()
            if error:
                errors[name] = error
            done += 1
            if progress:
                progress(done, len(cases))
    rows = []
    for case in cases:
        part = folder / f"{_safe(case.case)}.json"
        if _finished(part, fingerprint):
            rows.extend(json.loads(part.read_text())["rows"])
    write_table(rows, out)
    return errors


def _finished(part: Path, fingerprint: str) -> bool:
    try:
        return json.loads(part.read_text())["settings"] == fingerprint
    except (OSError, ValueError, KeyError):
        return False


def write_table(rows: list[dict], out: Path) -> Path:
    """Rows to CSV or Parquet (by suffix), identifier columns first, written atomically."""
    columns = list(ID_COLUMNS) + sorted({k for r in rows for k in r} - set(ID_COLUMNS))
    out = Path(out)
    if out.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.table({c: [r.get(c) for r in rows] for c in columns})
        tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        pq.write_table(table, tmp)
        os.replace(tmp, out)
        return out
    if out.suffix != ".csv":
        raise HepaticaInputError(f"{out}: the output must end in .csv or .parquet")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([["" if r.get(c) is None else r.get(c) for c in columns] for r in rows])
    return write_text_atomic(out, buffer.getvalue())
