"""The files of a study that its result names (and the report), nothing else."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import FileResponse

from hepatica.serve.library import UnknownStudyError
from hepatica.serve.service import Service, service

router = APIRouter(include_in_schema=False)
MEDIA_TYPES = {
    ".html": "text/html",
    ".pdf": "application/pdf",
    ".json": "application/json",
    ".png": "image/png",
    ".dcm": "application/dicom",
}


@router.get("/studies/{study_id}/files/{relative:path}")
def study_file(study_id: str, relative: str, app: Service = Depends(service)) -> FileResponse:
    try:
        path = app.library.file(study_id, relative)
    except UnknownStudyError as error:
        raise HTTPException(404, str(error)) from error
    return FileResponse(path, media_type=MEDIA_TYPES.get(path.suffix, "application/octet-stream"))
