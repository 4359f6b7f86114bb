"""The studies API: the list and its search, a study's status and summary, the viewer's data, uploads (a zip, the
user's own masks optionally among its files) and studies requested from the PACS."""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import anyio
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from hepatica.serve.index import study_summary
from hepatica.serve.library import INPUT_FOLDER, UnknownStudyError, UnreadableResultError
from hepatica.serve.schemas import Category, PacsRequest, State, StudySummary, Submitted, ViewerData
from hepatica.serve.service import Service, service
from hepatica.serve.submit import new_study_id, queue_analysis, submit_pacs_study
from hepatica.serve.uploads import MASK_FOLDER, UploadError, receive_upload, take_masks, unpack_study
from hepatica.serve.viewer import viewer_data
from hepatica.store.results import StudyQuery, search_studies, study_row

router = APIRouter(prefix="/api/studies", tags=["studies"])
ZIP_BODY = {
    "requestBody": {
        "required": True,
        "description": "A zip archive of the study's DICOM files, or of its "
        "image files named by phase (arterial.nii.gz, portal_venous.nii.gz, ...).",
        "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
    }
}
MASK_PATH = r"^[A-Za-z0-9._/ -]{1,300}$"


@router.get(
    "",
    response_model=list[StudySummary],
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
    quality: Literal["done", "needs review", "unreadable"] | None = Query(
        None, description="Quality-control verdict of the analysis ('needs review': a check failed)"
    ),
    q: str | None = Query(
        None,
        max_length=100,
        pattern=r"^[A-Za-z0-9._-]*$",
        description="Part of the study id (letters, digits, '.', '_', '-')",
    ),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=10**9),
    app: Service = Depends(service),
) -> list[StudySummary]:
    app.refresh_index()
    total, rows = search_studies(
        app.queue.engine,
        StudyQuery(
            state=state,
            categories=tuple(category or ()),
            min_diameter_mm=min_diameter_mm,
            min_lesions=min_lesions,
            max_lesions=max_lesions,
            analysed_after=_as_utc(analysed_after),
            analysed_before=_as_utc(analysed_before),
            quality=quality,
            text=q,
            limit=limit,
            offset=offset,
        ),
    )
    response.headers["X-Total-Count"] = str(total)
    return [study_summary(app.library, row) for row in rows]


@router.get(
    "/{study_id}", response_model=StudySummary, summary="A study's status (progress of its analysis) and summary"
)
def get_study(study_id: str, app: Service = Depends(service)) -> StudySummary:
    app.require_study(study_id)
    app.refresh_index()
    return study_summary(app.library, study_row(app.queue.engine, study_id))


@router.get("/{study_id}/viewer", response_model=ViewerData, summary="What the viewer loads: phases, overlays, lesions")
def get_viewer_data(study_id: str, app: Service = Depends(service)) -> ViewerData:
    app.require_study(study_id)
    try:
        result = app.library.result(study_id)
    except (UnknownStudyError, UnreadableResultError) as error:
        raise HTTPException(409, str(error)) from error
    return viewer_data(study_id, result, app.library.folder(study_id))


@router.post(
    "",
    status_code=202,
    response_model=Submitted,
    openapi_extra=ZIP_BODY,
    summary="Upload a study (zip) and start its analysis",
)
async def upload_study(
    request: Request,
    high_risk: bool | None = Query(None, description="Patient at high risk for HCC (LI-RADS); not stated: assumed"),
    liver_mask: str | None = Query(
        None,
        pattern=MASK_PATH,
        description="Path inside the zip of your own liver mask (NIfTI, NRRD or DICOM SEG), used instead of "
        "the segmentation's",
    ),
    lesion_mask: str | None = Query(
        None,
        pattern=MASK_PATH,
        description="Path inside the zip of your own lesion mask (NIfTI, NRRD or DICOM SEG; one value per lesion "
        "kept apart), used instead of the segmentation's",
    ),
    app: Service = Depends(service),
) -> Submitted:
    if not app.library.takes_uploads:
        raise HTTPException(409, "this server shows one analysis folder; serve a folder of studies to upload")
    max_bytes = app.max_upload_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise HTTPException(413, f"the upload is larger than the limit of {app.max_upload_mb:.0f} MiB")
    masks = {kind: name for kind, name in (("liver", liver_mask), ("lesions", lesion_mask)) if name}
    study_id = new_study_id("upload")
    folder = app.library.root / study_id
    with tempfile.TemporaryDirectory(dir=app.library.root, prefix=".upload-") as scratch:
        archive = Path(scratch) / "study.zip"
        try:
            await receive_upload(request.stream(), archive, max_bytes)
            # unpacking is blocking work of seconds to minutes: off the event loop, so other requests are served
            await anyio.to_thread.run_sync(_unpack_into, archive, Path(scratch), masks, folder, max_bytes)
        except UploadError as error:
            raise HTTPException(error.status_code, str(error)) from error
    options = app.options if high_risk is None else app.options.with_values(high_risk=high_risk)
    queue_analysis(app.library, app.queue, study_id, options)
    return Submitted(id=study_id, status_url=f"/api/studies/{study_id}", viewer_url=f"/studies/{study_id}")


@router.post(
    "/pacs",
    status_code=202,
    response_model=Submitted,
    summary="Analyse a study of the PACS (by Study Instance UID) and send its SEG and SR back",
)
def submit_from_pacs(request_body: PacsRequest, app: Service = Depends(service)) -> Submitted:
    if app.pacs is None:
        raise HTTPException(409, "this server has no PACS; start it with --pacs URL (a DICOMweb root)")
    if not app.library.takes_uploads:
        raise HTTPException(409, "this server shows one analysis folder; serve a folder of studies to add studies")
    options = app.options
    if request_body.high_risk is not None:
        options = options.with_values(high_risk=request_body.high_risk)
    study_id = submit_pacs_study(app.library, app.queue, request_body.study_instance_uid, options)
    return Submitted(id=study_id, status_url=f"/api/studies/{study_id}", viewer_url=f"/studies/{study_id}")


def _unpack_into(archive: Path, scratch: Path, masks: dict[str, str], folder: Path, max_bytes: int) -> None:
    """Unpack the uploaded ``archive`` (in ``scratch``) and move its study and masks into the study ``folder``."""
    unpacked = scratch / INPUT_FOLDER
    unpack_study(archive, unpacked, max_unpacked_bytes=4 * max_bytes)
    take_masks(unpacked, masks, scratch)
    folder.mkdir()
    shutil.move(str(unpacked), folder / INPUT_FOLDER)  # the worker finds the study's root again
    if masks:
        shutil.move(str(scratch / MASK_FOLDER), folder / MASK_FOLDER)


def _as_utc(moment: datetime | None) -> datetime | None:
    """The moment in UTC (a moment without offset is taken as UTC), as the database stores it."""
    if moment is None:
        return None
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError as error:  # e.g. 0001-01-01T00:00+05:00
        raise HTTPException(422, f"{moment.isoformat()} is outside the dates this server can compare") from error
