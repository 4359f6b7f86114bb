"""The HTML pages: the study list (with search and upload), a study's viewer, and sign-in with a token."""

from __future__ import annotations

from typing import get_args
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from hepatica import __version__
from hepatica.serve.auth import COOKIE
from hepatica.serve.schemas import Category
from hepatica.serve.service import Service, service
from hepatica.store.tokens import SESSION_SECONDS, new_session

router = APIRouter(include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_page(app: Service = Depends(service)) -> str:
    return app.pages.get_template("login.html.j2").render(version=__version__, failed=False)


@router.post("/login")
async def login(request: Request, app: Service = Depends(service)):
    body = (await request.body())[:4096].decode("utf-8", "replace")
    token = (parse_qs(body).get("token") or [""])[0].strip()
    session = new_session(app.queue.engine, token) if token else None
    if session is None:
        page = app.pages.get_template("login.html.j2").render(version=__version__, failed=True)
        return HTMLResponse(page, status_code=401)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        COOKIE,
        session,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.get("/", response_class=HTMLResponse)
def study_list_page(app: Service = Depends(service)) -> str:
    return app.pages.get_template("studies.html.j2").render(
        version=__version__,
        max_upload_mb=app.max_upload_mb,
        categories=get_args(Category),
        uploads=app.library.takes_uploads,
    )


@router.get("/studies/{study_id}", response_class=HTMLResponse)
def viewer_page(study_id: str, app: Service = Depends(service)) -> str:
    app.require_study(study_id)
    return app.pages.get_template("viewer.html.j2").render(study_id=study_id, version=__version__)
