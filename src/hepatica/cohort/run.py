"""``hepatica cohort run``: the per-study analysis mapped over a manifest of studies on Dask (a local cluster of
worker processes by default, a distributed scheduler when given), resumable, with each case's headline numbers
in the database and in ``cohort.parquet``.

Each case is analysed into a private ``.attempt-*`` folder and renamed to ``cases/<case>`` when complete, so a
case folder with ``result.json`` is always whole; a rerun skips those and retries the rest. A case that fails
(bad input) is recorded with its reason and does not stop the others.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from hepatica.errors import BackendUnavailableError, HepaticaInputError
from hepatica.io.manifest import read_manifest_rows
from hepatica.options import AnalysisOptions
from hepatica.store.cohort import record_case
from hepatica.store.database import open_database

CASES_FOLDER, RESULT_FILE = "cases", "result.json"
SAFE_CASE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


@dataclass(frozen=True)
class CohortStudy:
    """One manifest row: a case name, the study (a DICOM folder or image file; paths relative to the manifest)
    and, optionally, a prior study, the LI-RADS risk and the user's own liver and lesion masks."""

    case: str
    input: str
    prior: str | None = None
    high_risk: bool | None = None
    liver_mask: str | None = None
    lesion_mask: str | None = None


@dataclass(frozen=True)
class CaseOutcome:
    """What one case gave (a row of ``cohort.parquet`` and of the database)."""

    case: str
    state: str
    liver_volume_ml: float | None = None
    lesion_count: int | None = None
    lesion_volume_ml: float | None = None
    tumour_burden_percent: float | None = None
    seconds: float | None = None
    error: str | None = None


def read_cohort_manifest(path: Path) -> list[CohortStudy]:
    """CSV with columns ``case`` and ``input`` (and optionally ``prior``, ``high_risk`` as yes/no, ``liver_mask``,
    ``lesion_mask``); paths relative to the manifest's folder."""
    path = Path(path)
    rows = read_manifest_rows(path, ["case", "input"])
    studies, seen = [], set()
    for line, row in enumerate(rows, start=2):
        case = (row.get("case") or "").strip()
        if not case or not set(case) <= SAFE_CASE or case.startswith("."):
            raise HepaticaInputError(f"{path}, line {line}: case {case!r} must be letters, digits, '.', '_', '-'")
        if case in seen:
            raise HepaticaInputError(f"{path}, line {line}: case {case!r} appears twice")
        seen.add(case)
        risk = (row.get("high_risk") or "").strip().lower()
        if risk not in ("", "yes", "no", "true", "false", "1", "0"):
            raise HepaticaInputError(f"{path}, line {line}: high_risk must be yes or no, not {risk!r}")
        prior = (row.get("prior") or "").strip()
        masks = {name: (row.get(name) or "").strip() for name in ("liver_mask", "lesion_mask")}
        masks = {name: str(path.parent / value) if value else None for name, value in masks.items()}
        studies.append(
            CohortStudy(
                case,
                str(path.parent / row["input"].strip()),
                str(path.parent / prior) if prior else None,
                None if not risk else risk in ("yes", "true", "1"),
                **masks,
            )
        )
    return studies


def analyse_case(study: CohortStudy, out: str, options: AnalysisOptions) -> CaseOutcome:
    """Analyse one case into ``out/cases/<case>`` (on a Dask worker); its outcome, never an exception for bad
    input."""
    from hepatica.pipeline import analyze

    cases = Path(out) / CASES_FOLDER
    attempt = cases / f".attempt-{study.case}-{uuid.uuid4().hex[:8]}"
    started = time.perf_counter()
    try:
        if study.high_risk is not None:
            options = options.with_values(high_risk=study.high_risk)
        analyze(
            study.input,
            attempt,
            options,
            prior=study.prior,
            liver_mask=study.liver_mask,
            lesion_mask=study.lesion_mask,
            command="cohort run",
        )
        final = cases / study.case
        if final.exists():
            shutil.rmtree(final)
        os.replace(attempt, final)
        return _outcome(study.case, final, time.perf_counter() - started)
    except (HepaticaInputError, BackendUnavailableError) as error:
        return CaseOutcome(study.case, "failed", seconds=time.perf_counter() - started, error=str(error))
    finally:
        shutil.rmtree(attempt, ignore_errors=True)


def _outcome(case: str, folder: Path, seconds: float | None) -> CaseOutcome:
    result = json.loads((folder / RESULT_FILE).read_text())
    seg = result.get("segmentation") or {}
    return CaseOutcome(
        case,
        "done",
        seg.get("liver_volume_ml"),
        seg.get("lesion_count"),
        seg.get("lesion_volume_ml"),
        seg.get("tumour_burden_percent"),
        seconds,
    )


def run_cohort(
    manifest: Path,
    out: Path,
    scheduler: str | None = None,
    workers: int = 2,
    database_url: str | None = None,
    options: AnalysisOptions | None = None,
    progress: Callable[[CaseOutcome, int, int], None] | None = None,
) -> list[CaseOutcome]:
    """Analyse every case of ``manifest`` not yet done in ``out``; all cases' outcomes (done before or now).

    ``scheduler``: address of a Dask scheduler (its workers must see ``out`` and the studies at the same paths);
    default a local cluster of ``workers`` processes. ``database_url``: default SQLite ``out/hepatica.db``."""
    from dask.distributed import Client, LocalCluster, as_completed

    out = Path(out).resolve()
    studies = read_cohort_manifest(manifest)
    (out / CASES_FOLDER).mkdir(parents=True, exist_ok=True)
    engine = open_database(database_url or f"sqlite:///{out / 'hepatica.db'}")
    cohort = out.name
    earlier = {
        s.case: _outcome(s.case, out / CASES_FOLDER / s.case, None)
        for s in studies
        if (out / CASES_FOLDER / s.case / RESULT_FILE).is_file()
    }
    todo = [s for s in studies if s.case not in earlier]
    outcomes = dict(earlier)
    if todo:
        cluster = (
            None
            if scheduler
            else LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                env=thread_limits(workers),
            )
        )
        with Client(scheduler or cluster) as client:
            futures = [
                client.submit(
                    analyse_case,
                    s,
                    str(out),
                    options or AnalysisOptions(),
                    key=f"case-{s.case}-{uuid.uuid4().hex[:6]}",
                    pure=False,
                )
                for s in todo
            ]
            for done, future in enumerate(as_completed(futures), start=1):
                outcome = future.result()
                outcomes[outcome.case] = outcome
                record_case(engine, cohort, **asdict(outcome))
                if progress:
                    progress(outcome, done, len(todo))
        if cluster is not None:
            cluster.close()
    ordered = [outcomes[s.case] for s in studies if s.case in outcomes]
    _write_parquet(ordered, out / "cohort.parquet")
    return ordered


def thread_limits(workers: int, cores: int | None = None) -> dict[str, str]:
    """Environment for each of ``workers`` local worker processes: an equal share of the cores for ONNX Runtime
    (HEPATICA_THREADS), ITK and the BLAS/OpenMP libraries, so that the processes do not all compete for every
    core (each library would otherwise start a thread per core in every process)."""
    share = str(max(1, (cores or os.cpu_count() or 1) // workers))
    return {
        name: share
        for name in (
            "HEPATICA_THREADS",
            "ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS",
            "OMP_NUM_THREADS",
            "OPENBLAS_NUM_THREADS",
            "MKL_NUM_THREADS",
        )
    }


def _write_parquet(outcomes: list[CaseOutcome], path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pd.DataFrame([asdict(o) for o in outcomes]).to_parquet(tmp, index=False)
    os.replace(tmp, path)
