"""The FastAPI application of ``hepatica serve``: study list, viewer, files, uploads.

Pages: ``/`` (studies, upload with progress) and ``/studies/{id}`` (the viewer: NiiVue with every phase, window
presets, liver and lesion overlays, the lesion list with measurements and LI-RADS, the report linked). API under
``/api`` (OpenAPI at ``/openapi.json``). Uploads are a zip archive sent as the request body, PACS studies are
named by Study Instance UID; the analysis is a job in the database (`hepatica.serve.queue`) run by worker threads
of this server or by ``hepatica worker`` processes, and ``/api/studies/{id}`` reports its progress. Results are
indexed in the database (`hepatica.serve.results`) and ``/api/studies`` searches them. Requests need an API token
once one exists (`hepatica.serve.auth`); the server binds to loopback unless told otherwise.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, get_args

from fastapi import FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import BaseModel, Field

from hepatica import __version__
from hepatica.errors import HepaticaInputError
from hepatica.io.phase import Phase
from hepatica.serve.auth import COOKIE, role_of, tokens_exist
from hepatica.serve.database import default_url, open_database
from hepatica.serve.library import INPUT_FOLDER, StudyLibrary, UnknownStudyError
from hepatica.serve.pacs import Pacs
from hepatica.serve.queue import JobQueue
from hepatica.serve.results import StudyQuery, index_folders, search_studies, study_row, summary
from hepatica.serve.submit import new_study_id, queue_analysis, submit_pacs_study
from hepatica.serve.uploads import UploadError, receive_upload, unpack_study
from hepatica.serve.watch import OrthancWatcher
from hepatica.serve.worker import Worker

STATIC = Path(__file__).parent / "static"
INDEX_SECONDS = 5.0
PHASE_LABELS = {p.value: p.label for p in Phase}
#: Overlay colours (RGB 0-255) shared by the viewer and the key images.
OVERLAYS = {"liver": {"colour": [60, 220, 90], "opacity": 0.3}, "lesions": {"colour": [255, 40, 40], "opacity": 0.7}}
ZIP_BODY = {
    "requestBody": {
        "required": True,
        "description": "A zip archive of the study's DICOM files, or of its "
        "image files named by phase (arterial.nii.gz, portal_venous.nii.gz, ...).",
        "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
    }
}


def create_app(
    data_dir: Path | str,
    max_upload_mb: float = 2048,
    analysis_options: dict | None = None,
    database_url: str | None = None,
    workers: int = 1,
    pacs_url: str | None = None,
    pacs_retry_seconds: float = 30.0,
    watch_orthanc: str | None = None,
    watch_seconds: float = 10.0,
) -> FastAPI:
    """The application serving the studies in ``data_dir`` (created if needed). Jobs are kept in
    ``database_url`` (default: SQLite ``hepatica.db`` in ``data_dir``) and run by ``workers`` threads of this
    process (0: only by separate ``hepatica worker`` processes). With ``pacs_url`` (a DICOMweb root) studies can
    be submitted by Study Instance UID: pulled, analysed, and their SEG and SR pushed back; with ``watch_orthanc``
    (that PACS' Orthanc REST root) each new study Orthanc receives is queued so, checked every ``watch_seconds``.
    ``analysis_options`` are passed to ``hepatica.pipeline.analyze`` (e.g. ``{"radiomics": False}``)."""
    library = StudyLibrary(Path(data_dir))
    library.root.mkdir(parents=True, exist_ok=True)
    queue = JobQueue(open_database(database_url or default_url(library.root)))
    stop = threading.Event()
    pacs = Pacs(pacs_url) if pacs_url else None
    if watch_orthanc and pacs is None:
        raise HepaticaInputError("watching Orthanc needs its DICOMweb root too (--pacs URL), to pull the studies")
    watcher = OrthancWatcher(watch_orthanc, library, queue) if watch_orthanc else None
    max_bytes = int(max_upload_mb * 2**20)
    pages = Environment(loader=PackageLoader("hepatica.serve", "templates"), autoescape=select_autoescape(["j2"]))

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        threads = [
            threading.Thread(
                target=Worker(
                    library, queue, analysis_options, pacs=pacs, pacs_retry_seconds=pacs_retry_seconds
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

    app = FastAPI(
        title="Hepatica",
        version=__version__,
        lifespan=lifespan,
        description="Liver imaging analyses: study list, viewer data, files and uploads.",
    )
    app.state.library, app.state.queue = library, queue
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    open_paths = ("/static/", "/login", "/openapi.json", "/docs")

    @app.middleware("http")
    async def require_token(request: Request, call_next):
        """With tokens in the database: a valid one for every request, the submit role for uploads."""
        path = request.url.path
        if path.startswith(open_paths) or not tokens_exist(queue.engine):
            return await call_next(request)
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else request.cookies.get(COOKIE)
        role = role_of(queue.engine, token)
        if role is None:
            if not path.startswith("/api/") and request.method == "GET":
                return RedirectResponse("/login", status_code=303)
            return JSONResponse(
                {"detail": "a valid API token is required (Authorization: Bearer <token>)"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        if request.method not in ("GET", "HEAD") and role != "submit":
            return JSONResponse({"detail": "this token may read but not submit studies"}, status_code=403)
        return await call_next(request)

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_page() -> str:
        return pages.get_template("login.html.j2").render(version=__version__, failed=False)

    @app.post("/login", include_in_schema=False)
    async def login(request: Request):
        from urllib.parse import parse_qs

        body = (await request.body())[:4096].decode("utf-8", "replace")
        token = (parse_qs(body).get("token") or [""])[0].strip()
        if role_of(queue.engine, token) is None:
            return HTMLResponse(
                pages.get_template("login.html.j2").render(version=__version__, failed=True), status_code=401
            )
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https")
        return response

    def known(study_id: str) -> None:
        try:
            library.status(study_id)
        except UnknownStudyError as error:
            raise HTTPException(404, str(error)) from error

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def study_list_page() -> str:
        return pages.get_template("studies.html.j2").render(
            version=__version__, max_upload_mb=max_upload_mb, categories=get_args(Category)
        )

    @app.get("/studies/{study_id}", response_class=HTMLResponse, include_in_schema=False)
    def viewer_page(study_id: str) -> str:
        known(study_id)
        return pages.get_template("viewer.html.j2").render(study_id=study_id, version=__version__)

    indexed = {"mtime_ns": None, "at": float("-inf")}
    index_lock = threading.Lock()

    def refresh_index() -> None:
        """Index analyses written into the data folder by ``hepatica analyze``: at once when a folder was added
        (the data folder's mtime changes), else at most every ``INDEX_SECONDS`` (a result rewritten in place)."""
        with index_lock:
            mtime = library.root.stat().st_mtime_ns
            if mtime != indexed["mtime_ns"] or time.monotonic() - indexed["at"] > INDEX_SECONDS:
                # set before the scan, so that a change during it triggers the next one
                indexed["mtime_ns"], indexed["at"] = mtime, time.monotonic()
                index_folders(queue.engine, library)

    @app.get(
        "/api/studies",
        summary="Studies, newest first, with their status and, when analysed, a summary; "
        "filtered by the conditions given (all must hold). The number found is in X-Total-Count.",
    )
    def list_studies(
        response: Response,
        state: State | None = Query(None, description="State of the study's latest analysis"),
        category: list[Category] | None = Query(
            None, description="Has a lesion of one of these LI-RADS categories (repeat the parameter for several)"
        ),
        min_diameter_mm: float | None = Query(
            None,
            ge=0,
            le=1000,
            description="Has a lesion at least this long (axial long axis, mm); with category: the same lesion",
        ),
        min_lesions: int | None = Query(None, ge=0, le=100000),
        max_lesions: int | None = Query(None, ge=0, le=100000),
        analysed_after: datetime | None = Query(None, description="Analysed at or after (ISO 8601; UTC if no offset)"),
        analysed_before: datetime | None = Query(None, description="Analysed at or before (ISO 8601)"),
        q: str | None = Query(
            None,
            max_length=100,
            pattern=r"^[A-Za-z0-9._-]*$",
            description="Part of the study id (letters, digits, '.', '_', '-')",
        ),
        limit: int = Query(100, ge=1, le=1000),
        offset: int = Query(0, ge=0, le=10**9),
    ) -> list[dict]:
        refresh_index()
        total, rows = search_studies(
            queue.engine,
            StudyQuery(
                state=state,
                categories=tuple(category or ()),
                min_diameter_mm=min_diameter_mm,
                min_lesions=min_lesions,
                max_lesions=max_lesions,
                analysed_after=_as_utc(analysed_after),
                analysed_before=_as_utc(analysed_before),
                text=q,
                limit=limit,
                offset=offset,
            ),
        )
        response.headers["X-Total-Count"] = str(total)
        return [summary(library, row) for row in rows]

    @app.get("/api/studies/{study_id}", summary="A study's status (progress of its analysis) and summary")
    def get_study(study_id: str) -> dict:
        known(study_id)
        refresh_index()
        return summary(library, study_row(queue.engine, study_id))

    @app.get("/api/studies/{study_id}/viewer", summary="What the viewer loads: phases, overlays, lesions")
    def viewer_data(study_id: str) -> dict:
        known(study_id)
        try:
            result = library.result(study_id)
        except UnknownStudyError as error:
            raise HTTPException(409, str(error)) from error
        return _viewer_data(study_id, result, library.folder(study_id))

    @app.get("/studies/{study_id}/files/{relative:path}", include_in_schema=False)
    def study_file(study_id: str, relative: str) -> FileResponse:
        try:
            path = library.file(study_id, relative)
        except UnknownStudyError as error:
            raise HTTPException(404, str(error)) from error
        media = {
            ".html": "text/html",
            ".pdf": "application/pdf",
            ".json": "application/json",
            ".png": "image/png",
            ".dcm": "application/dicom",
        }.get(path.suffix, "application/octet-stream")
        return FileResponse(path, media_type=media)

    @app.post(
        "/api/studies", status_code=202, openapi_extra=ZIP_BODY, summary="Upload a study (zip) and start its analysis"
    )
    async def upload_study(
        request: Request,
        high_risk: bool | None = Query(None, description="Patient at high risk for HCC (LI-RADS); not stated: assumed"),
    ) -> JSONResponse:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            raise HTTPException(413, f"the upload is larger than the limit of {max_upload_mb:.0f} MiB")
        study_id = new_study_id("upload")
        folder = library.root / study_id
        with tempfile.TemporaryDirectory(dir=library.root, prefix=".upload-") as scratch:
            archive = Path(scratch) / "study.zip"
            try:
                await receive_upload(request.stream(), archive, max_bytes)
                unpack_study(archive, Path(scratch) / INPUT_FOLDER, max_unpacked_bytes=4 * max_bytes)
            except UploadError as error:
                raise HTTPException(error.status_code, str(error)) from error
            folder.mkdir()
            shutil.move(str(Path(scratch) / INPUT_FOLDER), folder / INPUT_FOLDER)  # the worker finds root again
        queue_analysis(library, queue, study_id, {} if high_risk is None else {"high_risk": high_risk})
        return JSONResponse(
            {"id": study_id, "status_url": f"/api/studies/{study_id}", "viewer_url": f"/studies/{study_id}"},
            status_code=202,
        )

    @app.post(
        "/api/studies/pacs",
        status_code=202,
        summary="Analyse a study of the PACS (by Study Instance UID) and send its SEG and SR back",
    )
    def submit_from_pacs(request_body: PacsRequest) -> JSONResponse:
        if pacs is None:
            raise HTTPException(409, "this server has no PACS; start it with --pacs URL (a DICOMweb root)")
        study_id = submit_pacs_study(library, queue, request_body.study_instance_uid, request_body.high_risk)
        return JSONResponse(
            {"id": study_id, "status_url": f"/api/studies/{study_id}", "viewer_url": f"/studies/{study_id}"},
            status_code=202,
        )

    return app


State = Literal["queued", "running", "done", "failed"]
Category = Literal[
    "LR-1",
    "LR-2",
    "LR-3",
    "LR-4",
    "LR-5",
    "LR-M",
    "LR-TIV",
    "LR-NC",
    "LR-TR Viable",
    "LR-TR Nonviable",
    "LR-TR Equivocal",
    "LR-TR Nonevaluable",
]


def _as_utc(moment: datetime | None) -> datetime | None:
    """The moment in UTC (a moment without offset is taken as UTC), as the database stores it."""
    if moment is None:
        return None
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError as error:  # e.g. 0001-01-01T00:00+05:00
        raise HTTPException(422, f"{moment.isoformat()} is outside the dates this server can compare") from error


class PacsRequest(BaseModel):
    """A study in the PACS to analyse."""

    study_instance_uid: str = Field(
        pattern=r"^[0-9]+(\.[0-9]+)*$", max_length=64, description="The study's Study Instance UID (0020,000D)"
    )
    high_risk: bool | None = Field(None, description="Patient at high risk for HCC (LI-RADS); not stated: assumed")


def _viewer_data(study_id: str, result, folder: Path) -> dict:
    """The viewer's JSON: phase volumes and overlays (URLs), lesions with measurements and LI-RADS."""
    base = f"/studies/{study_id}/files/"
    seg = result.segmentation
    overlays = []
    if seg:
        for name in ("liver", "lesions"):
            if seg.files.get(name):
                overlays.append({"name": name, "url": base + seg.files[name], **OVERLAYS[name]})
    characterized = {entry.id: entry for entry in (result.lirads.lesions if result.lirads else [])}
    lesions = []
    for lesion in seg.lesions if seg else []:
        entry = characterized.get(lesion.id)
        x, y, _ = lesion.centroid_mm
        lesions.append(
            {
                "id": lesion.id,
                "volume_ml": lesion.volume_ml,
                "longest_axial_diameter_mm": lesion.longest_axial_diameter_mm,
                "short_axis_mm": lesion.short_axis_mm,
                "longest_3d_diameter_mm": lesion.longest_3d_diameter_mm,
                # The long axis' slice, as the report shows; NiiVue works in RAS millimetres.
                "position_lps_mm": [x, y, lesion.axial_slice_z_mm],
                "position_ras_mm": [-x, -y, lesion.axial_slice_z_mm],
                "lirads": None
                if entry is None
                else {
                    "category": entry.category,
                    "size_mm": entry.size_mm,
                    "reasons": entry.reasons,
                    "type_estimate": entry.lesion_type_estimate,
                    "features": {name: f.value for name, f in entry.features.items()},
                },
            }
        )
    # A button per phase; series of unknown phase get one each, keyed by series id.
    phases = [
        {
            "key": v.phase if v.phase != "unknown" else v.series_id,
            "phase": v.phase,
            "label": PHASE_LABELS[v.phase] if v.phase != "unknown" else f"{v.series_id} (phase unknown)",
            "series_id": v.series_id,
            "url": base + v.file,
            "aligned": v.aligned,
        }
        for v in result.viewer_volumes
    ]
    segmented = seg.series_id if seg else None
    first = phases[0]["key"] if phases else None
    default = next(
        (p["key"] for p in phases if p["phase"] == "portal_venous"),
        next((p["key"] for p in phases if p["series_id"] == segmented), first),
    )
    return {
        "id": study_id,
        "phases": phases,
        "default_phase": default,
        "overlays": overlays,
        "lesions": lesions,
        "liver_volume_ml": seg.liver_volume_ml if seg else None,
        "tumour_burden_percent": seg.tumour_burden_percent if seg else None,
        "report_url": base + "report.html" if (folder / "report.html").is_file() else None,
        "report_pdf_url": base + "report.pdf" if (folder / "report.pdf").is_file() else None,
        "warnings": result.warnings + (result.lirads.warnings if result.lirads else []),
    }
