"""The HTTP side of API tokens (stored by `hepatica.store.tokens`): once a token exists, every request needs one,
as ``Authorization: Bearer <token>`` or the ``hepatica_token`` cookie ``/login`` sets for the browser pages; a
request that changes something needs the ``submit`` role."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse

from hepatica.store.tokens import role_of, tokens_exist

COOKIE = "hepatica_token"
#: Paths served without a token: static files, the sign-in page and the API description.
OPEN_PATHS = ("/static/", "/login", "/openapi.json", "/docs")


async def require_token(request: Request, call_next):
    """With tokens in the database: a valid one for every request, the submit role for uploads."""
    path = request.url.path
    engine = request.app.state.service.queue.engine
    if path.startswith(OPEN_PATHS) or not tokens_exist(engine):
        return await call_next(request)
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else request.cookies.get(COOKIE)
    role = role_of(engine, token)
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
