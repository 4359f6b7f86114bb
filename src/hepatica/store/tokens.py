"""API tokens of the service, with two roles: ``read`` (lists, results, files, the viewer) and ``submit`` (also
uploads). Only a token's SHA-256 is stored. Once a database holds a token the service asks every request for one
(`hepatica.serve.auth`); with none it is open (the default, bound to loopback; ``hepatica serve`` refuses other
addresses until a token exists)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hepatica.errors import HepaticaInputError
from hepatica.store.database import ApiToken, utc_now

ROLES = ("read", "submit")


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
