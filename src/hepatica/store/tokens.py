"""API tokens of the service, with two roles: ``read`` (lists, results, files, the viewer) and ``submit`` (also
uploads). Only a token's SHA-256 is stored. Once a database holds a token the service asks every request for one
(`hepatica.serve.auth`); with none it is open (the default, bound to loopback; ``hepatica serve`` refuses other
addresses until a token exists).

The browser pages sign in once with a token and then carry a **session** (`new_session`, `session_role`): an opaque
value ``<token id>.<expiry>.<signature>`` whose signature is an HMAC-SHA256 keyed by the token's stored hash,
which never leaves the server. The raw token is never put in a cookie; a session ends at its expiry
(``SESSION_SECONDS``) or when its token is revoked."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hepatica.errors import HepaticaInputError
from hepatica.store.database import ApiToken, utc_now

ROLES = ("read", "submit")
#: How long a browser session lasts (s): a working day.
SESSION_SECONDS = 12 * 3600


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    role: str
    revoked: bool


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(engine: Engine, name: str, role: str) -> str:
    """A new token (shown once: only its hash is kept)."""
    if role not in ROLES:
        raise HepaticaInputError(f"role must be one of {ROLES}, not {role!r}")
    token = "hep_" + secrets.token_urlsafe(32)
    with Session(engine) as session, session.begin():
        session.add(ApiToken(name=name[:100], role=role, token_sha256=_digest(token), created=utc_now(), revoked=False))
    return token


def revoke_token(engine: Engine, token_id: int) -> bool:
    with Session(engine) as session, session.begin():
        return session.execute(update(ApiToken).where(ApiToken.id == token_id).values(revoked=True)).rowcount == 1


def list_tokens(engine: Engine) -> list[TokenInfo]:
    with Session(engine) as session:
        return [
            TokenInfo(t.id, t.name, t.role, t.revoked) for t in session.scalars(select(ApiToken).order_by(ApiToken.id))
        ]


def tokens_exist(engine: Engine) -> bool:
    with Session(engine) as session:
        return session.scalars(select(ApiToken.id).limit(1)).first() is not None


def role_of(engine: Engine, token: str | None) -> str | None:
    """The role of a valid, unrevoked token; None otherwise."""
    if not token:
        return None
    digest = _digest(token)
    with Session(engine) as session:
        row = session.scalars(select(ApiToken).where(ApiToken.token_sha256 == digest)).first()
        if row is None or row.revoked or not hmac.compare_digest(row.token_sha256, digest):
            return None
        return row.role


def new_session(engine: Engine, token: str, seconds: float = SESSION_SECONDS) -> str | None:
    """A session value for a valid token (None for an invalid one), valid for ``seconds``."""
    digest = _digest(token)
    with Session(engine) as session:
        row = session.scalars(select(ApiToken).where(ApiToken.token_sha256 == digest)).first()
        if row is None or row.revoked:
            return None
        expires = int(time.time() + seconds)
        return f"{row.id}.{expires}.{_sign(row.token_sha256, row.id, expires)}"


def session_role(engine: Engine, value: str | None) -> str | None:
    """The role of the token behind a session value; None when it is malformed, expired, forged or revoked."""
    parts = (value or "").split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    token_id, expires = int(parts[0]), int(parts[1])
    if expires < time.time():
        return None
    with Session(engine) as session:
        row = session.get(ApiToken, token_id)
        if row is None or row.revoked:
            return None
        if not hmac.compare_digest(parts[2], _sign(row.token_sha256, token_id, expires)):
            return None
        return row.role


def _sign(key: str, token_id: int, expires: int) -> str:
    return hmac.new(key.encode(), f"session:{token_id}:{expires}".encode(), hashlib.sha256).hexdigest()
