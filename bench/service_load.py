"""A bounded load test of ``hepatica serve``: N concurrent uploads of a phantom study on loopback, every job
followed to its end, and each one accounted for in the database and on disk.

    python bench/service_load.py [--studies 50] [--workers 2] [--full]

The study is the coarse four-phase phantom (2 x 2 x 3 mm, three lesions) as a zip of DICOM files; analyses run
without radiomics and LI-RADS unless ``--full``. Prints the upload (accept) latency p50/p95, the time from upload
to finished analysis p50/p95, the throughput (analyses per minute), the accounting (jobs in the database, done
once each, results on disk and result rows in the database) and one search over the finished studies. There is
no peer service to compare with; the figures are for this machine.
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2 as httpx
import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hepatica.options import AnalysisOptions
from hepatica.phantom.generate import LesionSpec, make_phantom_study
from hepatica.phantom.kinetics import LesionType
from hepatica.phantom.write import write_phantom_study
from hepatica.serve.background import serving
from hepatica.serve.library import RESULT_FILE
from hepatica.store.database import Result, default_url, open_database
from hepatica.store.queue import JobQueue


def _study_zip(folder: Path) -> bytes:
    study = make_phantom_study(
        seed=7,
        spacing_mm=(2.0, 2.0, 3.0),
        lesions=[LesionSpec(LesionType.HCC, 30), LesionSpec(LesionType.CYST, 20), LesionSpec(LesionType.FNH, 24)],
    )
    files = write_phantom_study(study, folder)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(files.dicom.rglob("*")):
            if path.is_file():
                archive.write(path, f"study/{path.relative_to(files.dicom)}")
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--studies", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--full", action="store_true", help="With radiomics and LI-RADS.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        body = _study_zip(Path(scratch) / "phantom")
        data = Path(scratch) / "studies"
        options = AnalysisOptions() if args.full else AnalysisOptions(radiomics=False, lirads=False)
        with (
            serving(data, workers=args.workers, analysis_options=options) as base,
            httpx.Client(base_url=base, timeout=600) as client,
        ):

            def submit(_):
                started = time.perf_counter()
                answer = client.post("/api/studies", content=body, headers={"Content-Type": "application/zip"})
                answer.raise_for_status()
                return answer.json()["id"], started, time.perf_counter() - started

            began = time.perf_counter()
            with ThreadPoolExecutor(args.studies) as pool:
                submitted = list(pool.map(submit, range(args.studies)))
            finished: dict[str, float] = {}
            while len(finished) < len(submitted):
                for study_id, started, _ in submitted:
                    if study_id not in finished:
                        state = client.get(f"/api/studies/{study_id}").json()["status"]["state"]
                        if state in ("done", "failed"):
                            finished[study_id] = time.perf_counter() - started
                time.sleep(1.0)
            elapsed = time.perf_counter() - began
            searched = time.perf_counter()
            found = client.get("/api/studies", params={"state": "done", "min_lesions": 1, "limit": 1000})
            search_seconds = time.perf_counter() - searched
        engine = open_database(default_url(data))
        jobs = JobQueue(engine).jobs()
        with Session(engine) as session:
            result_rows = session.scalar(select(func.count()).select_from(Result))
        accept = np.array([s[2] for s in submitted])
        turnaround = np.array(list(finished.values()))
        done = [j for j in jobs if j.state == "done"]
        kind = "full" if args.full else "no radiomics/LI-RADS"
        print(f"{args.studies} concurrent uploads, {args.workers} workers, {kind}")
        print(f"upload accepted: p50 {np.percentile(accept, 50):.2f} s, p95 {np.percentile(accept, 95):.2f} s")
        print(f"upload to result: p50 {np.percentile(turnaround, 50):.0f} s, p95 {np.percentile(turnaround, 95):.0f} s")
        print(f"throughput: {len(done) / elapsed * 60:.2f} analyses/min over {elapsed:.0f} s")
        print(
            f"accounting: {len(jobs)} jobs in the database for {args.studies} uploads; {len(done)} done, "
            f"{sum(j.state == 'failed' for j in jobs)} failed; attempts {sorted({j.attempts for j in jobs})}; "
            f"results on disk {sum((data / s[0] / RESULT_FILE).is_file() for s in submitted)}, result rows in the "
            f"database {result_rows}"
        )
        print(f"search (done, >= 1 lesion): {found.headers['x-total-count']} found in {search_seconds * 1000:.0f} ms")


if __name__ == "__main__":
    main()
