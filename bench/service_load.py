"""A bounded load test of ``hepatica serve``: N concurrent uploads of a phantom study on loopback, every job
followed to its end, and each one accounted for in the database and on disk.

    python bench/service_load.py [--studies 50] [--workers 2] [--full] [--zeros-gb 2.6]

The study is the coarse four-phase phantom (2 x 2 x 3 mm, three lesions) as a zip of DICOM files; analyses run
without radiomics and LI-RADS unless ``--full``. Prints the upload (accept) latency p50/p95, the time from upload
to finished analysis p50/p95, the throughput (analyses per minute), the accounting (jobs in the database, done
once each, results on disk and result rows in the database) and one search over the finished studies. While the uploads
are sent, a client lists the studies (``GET /api/studies``) every 0.1 s: its p95 latency says whether uploads hold
up the server. With ``--zeros-gb`` a small zip holding one file of that many GB of zeros (a zip bomb) is sent
first, listed over in the same way: the answer, its status and its seconds are printed. There is no peer service
to compare with; the figures are for this machine.
"""

from __future__ import annotations

import argparse
import io
import tempfile
import threading
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


def _zeros_zip(path: Path, gigabytes: float) -> Path:
    """A zip of one file of ``gigabytes`` GB of zeros (deflated to about 1/1000 of it)."""
    chunk = bytes(1 << 24)
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("study/zeros.dcm", "w", force_zip64=True) as out,
    ):
        for _ in range(int(gigabytes * 1e9) // len(chunk)):
            out.write(chunk)
    return path


class ListLatency:
    """``GET /api/studies`` every 0.1 s in a thread while a block runs; the latencies (s)."""

    def __init__(self, base: str) -> None:
        self.base, self.seconds, self._stop = base, [], threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        with httpx.Client(base_url=self.base, timeout=600) as client:
            while not self._stop.is_set():
                started = time.perf_counter()
                client.get("/api/studies", params={"limit": 20}).raise_for_status()
                self.seconds.append(time.perf_counter() - started)
                self._stop.wait(0.1)

    def __enter__(self) -> ListLatency:
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        self._thread.join()

    def summary(self) -> str:
        values = np.array(self.seconds)
        p50, p95 = np.percentile(values, [50, 95])
        return f"{len(values)} list requests: p50 {p50:.3f} s, p95 {p95:.3f} s, max {values.max():.3f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--studies", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--full", action="store_true", help="With radiomics and LI-RADS.")
    parser.add_argument("--zeros-gb", type=float, default=0.0, help="First send a zip of this many GB of zeros.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        body = _study_zip(Path(scratch) / "phantom")
        bomb = _zeros_zip(Path(scratch) / "zeros.zip", args.zeros_gb) if args.zeros_gb else None
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

            if bomb is not None:
                with ListLatency(base) as listing:
                    started = time.perf_counter()
                    answer = client.post(
                        "/api/studies", content=bomb.read_bytes(), headers={"Content-Type": "application/zip"}
                    )
                    bomb_seconds = time.perf_counter() - started
                    time.sleep(1.0)
                print(
                    f"zip of {args.zeros_gb:g} GB of zeros ({bomb.stat().st_size / 2**20:.1f} MiB): HTTP "
                    f"{answer.status_code} in {bomb_seconds:.2f} s ({answer.json().get('detail', answer.json())}); "
                    f"meanwhile {listing.summary()}"
                )
            began = time.perf_counter()
            with ListLatency(base) as uploading, ThreadPoolExecutor(args.studies) as pool:
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
        print(f"while the uploads were sent: {uploading.summary()}")
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
