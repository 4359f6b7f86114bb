"""Jobs, results, API tokens and cohort cases in a real database through SQLAlchemy: SQLite in the data folder by
default (nothing to set up), PostgreSQL (``postgresql+psycopg://user@host/db``) for a shared deployment. The schema
is created and upgraded by Alembic migrations (``hepatica/store/migrations``), run when a database is opened."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    event,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

MIGRATIONS = Path(__file__).parent / "migrations"


class Base(DeclarativeBase):
    pass


class Job(Base):
    """One analysis of one study. A worker owns a running job while its lease lasts; ``lease_token`` changes at
    every claim, so only the worker holding the current token can finish the job."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    study_id: Mapped[str] = mapped_column(String(100), index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)  # queued, running, done, failed
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    lease_owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lease_token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_expires: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    not_before: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    submitted: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    pacs_study_uid: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)


class Result(Base):
    """The headline numbers of a study's published analysis (the files stay in its folder), for lists and search."""

    __tablename__ = "results"

    study_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    job_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    study_instance_uid: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    modality: Mapped[str | None] = mapped_column(String(16), nullable=True)
    phases: Mapped[list] = mapped_column(JSON, default=list)
    liver_volume_ml: Mapped[float | None] = mapped_column(Float, nullable=True)
    lesion_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    lesion_volume_ml: Mapped[float | None] = mapped_column(Float, nullable=True)
    tumour_burden_percent: Mapped[float | None] = mapped_column(Float, nullable=True)
    categories: Mapped[list] = mapped_column(JSON, default=list)
    source_mtime_ns: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # of result.json, when recorded
    quality: Mapped[str | None] = mapped_column(String(16), nullable=True, index=True)  # 'done' or 'needs review'
    quality_flags: Mapped[list | None] = mapped_column(JSON, nullable=True)  # names of the failed checks


class ResultLesion(Base):
    """One lesion of a result: size and LI-RADS category (None where LI-RADS did not run or does not apply)."""

    __tablename__ = "result_lesions"

    study_id: Mapped[str] = mapped_column(
        String(100), ForeignKey("results.study_id", ondelete="CASCADE"), primary_key=True
    )
    lesion: Mapped[int] = mapped_column(Integer, primary_key=True)
    volume_ml: Mapped[float] = mapped_column(Float)
    longest_axial_diameter_mm: Mapped[float] = mapped_column(Float)
    category: Mapped[str | None] = mapped_column(String(16), nullable=True, index=True)


class WatchPosition(Base):
    """How far a watcher has read a PACS' change log (Orthanc ``/changes`` sequence number)."""

    __tablename__ = "watch_positions"

    source: Mapped[str] = mapped_column(String(300), primary_key=True)
    last_change: Mapped[int] = mapped_column(BigInteger)
    updated: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ApiToken(Base):
    """An API token: only its SHA-256 is stored (tokens are 256-bit random, so a fast hash suffices)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))  # read, submit
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class CohortCase(Base):
    """One case of a cohort run (``hepatica cohort run``): its state and headline numbers."""

    __tablename__ = "cohort_cases"

    cohort: Mapped[str] = mapped_column(String(200), primary_key=True)
    case: Mapped[str] = mapped_column(String(200), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))  # done, failed
    liver_volume_ml: Mapped[float | None] = mapped_column(Float, nullable=True)
    lesion_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    lesion_volume_ml: Mapped[float | None] = mapped_column(Float, nullable=True)
    tumour_burden_percent: Mapped[float | None] = mapped_column(Float, nullable=True)
    seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    finished: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def utc_now() -> datetime:
    return datetime.now(UTC)


def default_url(data_dir: Path) -> str:
    """SQLite file ``hepatica.db`` in the data folder."""
    return f"sqlite:///{Path(data_dir).resolve() / 'hepatica.db'}"


def open_database(url: str) -> Engine:
    """An engine for ``url`` with the schema migrated to the latest version."""
    engine = create_engine(url, pool_pre_ping=True, future=True)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection, _record) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
            cursor.execute("PRAGMA busy_timeout=30000")  # wait for another process' write instead of failing
            cursor.execute("PRAGMA foreign_keys=ON")  # a result's lesions go with it
            cursor.close()

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return engine
