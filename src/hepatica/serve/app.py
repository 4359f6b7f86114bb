"""The FastAPI application of ``hepatica serve``: study list, viewer, files, uploads, PACS requests.

Pages: ``/`` (studies, search, upload with progress) and ``/studies/{id}`` (the viewer: NiiVue with every phase,
window presets, liver and lesion overlays, the lesion list with measurements and LI-RADS, the report linked). API
under ``/api`` (OpenAPI at ``/openapi.json``, every response described by its model in `schemas`). Uploads are a
zip archive sent as the request body, PACS studies are named by Study Instance UID; the analysis is a job in the
database (`hepatica.store.queue`) with the server's `AnalysisOptions`, run by worker threads of this server or by
``hepatica worker`` processes. Results are indexed in the database (`hepatica.store.results`) and
``/api/studies`` searches them. Requests need an API token once one exists (`auth`); the server binds to loopback
unless told otherwise. The routes live in `routes`; `create_app` assembles them.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from hepatica import __version__
from hepatica.errors import HepaticaInputError
from hepatica.options import AnalysisOptions
from hepatica.serve.auth import require_token
from hepatica.serve.library import open_library
from hepatica.serve.pacs import Pacs
from hepatica.serve.routes import files, pages, studies
from hepatica.serve.service import Service
from hepatica.serve.watch import OrthancWatcher
from hepatica.serve.worker import DEFAULT_TIME_LIMIT_S, Worker
from hepatica.store.database import default_url, open_database
from hepatica.store.queue import JobQueue

STATIC = Path(__file__).parent / "static"


def create_app(
    data_dir: Path | str,
    max_upload_mb: float = 2048,
    analysis_options: AnalysisOptions | None = None,
    database_url: str | None = None,
    workers: int = 1,
    pacs_url: str | None = None,
    pacs_retry_seconds: float = 30.0,
    watch_orthanc: str | None = None,
    watch_seconds: float = 10.0,
    keep_input: bool = False,
    job_time_limit_s: float = DEFAULT_TIME_LIMIT_S,
) -> FastAPI:
    """The application serving the studies in ``data_dir`` (created if needed; or one analysis folder, shown
    alone and without uploads). Jobs are kept in ``database_url`` (default: SQLite ``hepatica.db`` in
    ``data_dir``; a temporary one for a single analysis folder, which is never written into) and run by
    ``workers`` threads of this process (0: only by separate ``hepatica worker`` processes). Studies submitted here
    are analysed with ``analysis_options`` (default `AnalysisOptions()`). With ``pacs_url`` (a DICOMweb root)
    studies can be submitted by Study Instance UID: pulled, analysed, and their SEG and SR pushed back; with
    ``watch_orthanc`` (that PACS' Orthanc REST root) each new study Orthanc receives is queued so, checked every
    ``watch_seconds``. Each upload's raw input is deleted once analysed unless ``keep_input``; an analysis running
    past ``job_time_limit_s`` is stopped and failed (`hepatica.serve.worker`)."""
    library = open_library(data_dir)
    scratch = None
    if library.single is None:
        library.root.mkdir(parents=True, exist_ok=True)
    elif database_url is None:
        scratch = tempfile.mkdtemp(prefix="hepatica-serve-")  # the index of one folder: rebuilt at every start
        database_url = default_url(Path(scratch))
        workers = 0
    queue = JobQueue(open_database(database_url or default_url(library.root)))
    pacs = Pacs(pacs_url) if pacs_url else None
    options = analysis_options or AnalysisOptions()
    if watch_orthanc and pacs is None:
        raise HepaticaInputError("watching Orthanc needs its DICOMweb root too (--pacs URL), to pull the studies")
    if watch_orthanc and library.single is not None:
        raise HepaticaInputError("watching Orthanc needs a folder of studies to analyse into, not one analysis")
    watcher = OrthancWatcher(watch_orthanc, library, queue, options) if watch_orthanc else None
    stop = threading.Event()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        threads = [
            threading.Thread(
                target=Worker(
                    library,
                    queue,
                    pacs=pacs,
                    pacs_retry_seconds=pacs_retry_seconds,
                    keep_input=keep_input,
                    time_limit_s=job_time_limit_s,
                ).run_until,
                args=(stop,),
                daemon=True,
                name=f"hepatica-worker-{n}",
            )
            for n in range(workers)
        ]
        if watcher is not None:
            threads.append(
                threading.Thread(
                    target=watcher.run_until, args=(stop, watch_seconds), daemon=True, name="hepatica-orthanc-watcher"
                )
            )
        for thread in threads:
            thread.start()
        yield
        stop.set()  # a job still running is left to its lease: the next worker takes it over
        if scratch is not None:
            queue.engine.dispose()
            shutil.rmtree(scratch, ignore_errors=True)

    app = FastAPI(
        title="Hepatica",
        version=__version__,
        lifespan=lifespan,
        description="Liver imaging analyses: study list and search, viewer data, files, uploads, PACS requests.",
    )
    app.state.service = Service(library=library, queue=queue, options=options, max_upload_mb=max_upload_mb, pacs=pacs)
    app.state.library, app.state.queue = library, queue
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.middleware("http")(require_token)
    for router in (pages.router, studies.router, files.router):
        app.include_router(router)
    return app
