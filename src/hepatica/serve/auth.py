"""The HTTP side of API tokens (stored by `hepatica.store.tokens`): once a token exists, every request needs one,
as ``Authorization: Bearer <token>`` or the session cookie ``/login`` sets for the browser pages (an opaque,
expiring value, never the token: `hepatica.store.tokens.new_session`); a request that changes something needs the
``submit`` role.

Every answer carries security headers: pages may not be framed by other sites (``frame-ancestors 'none'``,
``X-Frame-Options``), load scripts, styles and images only from this server (the Content-Security-Policy), and
are not sniffed into another type."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse

from hepatica.store.tokens import role_of, session_role, tokens_exist

COOKIE = "hepatica_session"
SECURITY_HEADERS = {
    "Content-Security-Policy": "; ".join(
        (
            "default-src 'self'",
            "img-src 'self' data: blob:",
            "style-src 'self' 'unsafe-inline'",
            "script-src 'self' 'wasm-unsafe-eval'",
            "worker-src 'self' blob:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
#: Paths served without a token: static files, the sign-in page and the API description.
OPEN_PATHS = ("/static/", "/login", "/openapi.json", "/docs")


async def require_token(request: Request, call_next):
    """With tokens in the database: a valid one for every request, the submit role for uploads; security headers
    on every answer."""
    response = await _authorised(request, call_next)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


async def _authorised(request: Request, call_next):
    path = request.url.path
    engine = request.app.state.service.queue.engine
    if path.startswith(OPEN_PATHS) or not tokens_exist(engine):
        return await call_next(request)
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        role = role_of(engine, header[7:].strip())
    else:
        role = session_role(engine, request.cookies.get(COOKIE))
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
