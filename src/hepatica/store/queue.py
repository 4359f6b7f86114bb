"""The job queue on the database: submit, claim with a lease, keep the lease alive, finish exactly once.

A claim is one conditional UPDATE (the job must still be queued, or running with an expired lease), so two workers
never both win a job, on SQLite or PostgreSQL alike. Each claim draws a new lease token; heartbeats and the
final ``complete``/``fail`` only succeed with the current token, so a worker that was presumed dead (its lease
ran out and another worker took the job) cannot finish it a second time. A job whose worker dies is claimed again
after its lease expires, up to ``max_attempts`` claims; a job that fails for a passing reason (the PACS is down)
is put back with a delay.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hepatica.options import AnalysisOptions, read_options
from hepatica.result import StudyResult
from hepatica.store.database import Job, utc_now
from hepatica.store.results import record_result


class LeaseLostError(RuntimeError):
    """The job's lease passed to another worker (or the job was finished): this worker must drop its work."""


@dataclass(frozen=True)
class Claim:
    """A job a worker holds: its id, study, options as stored (JSON), which attempt this is (of how many), the
    lease token, and the PACS study it analyses (None: an upload)."""

    job_id: int
    study_id: str
    options: dict
    attempt: int
    max_attempts: int
    token: str
    pacs_study_uid: str | None = None

    @property
    def last_attempt(self) -> bool:
        return self.attempt >= self.max_attempts

    def analysis_options(self) -> AnalysisOptions:
        """The job's options read back through `AnalysisOptions`; `AnalysisOptionsError` names an option that is
        unknown (renamed since the job was queued?) or of the wrong kind."""
        return read_options(self.options, f"job {self.job_id}'s options")


class JobQueue:
    def __init__(self, engine: Engine, lease_seconds: float = 120.0) -> None:
        self.engine = engine
        self.lease = timedelta(seconds=lease_seconds)

    def submit(
        self,
        study_id: str,
        options: AnalysisOptions | None = None,
        pacs_study_uid: str | None = None,
        max_attempts: int = 3,
    ) -> int:
        """Queue an analysis of ``study_id`` with ``options`` (stored whole, defaults included) and, for a study
        to pull from the PACS, its Study Instance UID; the job id."""
        with Session(self.engine) as session, session.begin():
            job = Job(
                study_id=study_id,
                state="queued",
                options=(options or AnalysisOptions()).to_json(),
                attempts=0,
                max_attempts=max_attempts,
                submitted=utc_now(),
                pacs_study_uid=pacs_study_uid,
            )
            session.add(job)
            session.flush()
            return job.id

    def claim(self, worker: str) -> Claim | None:
        """The oldest claimable job, now leased to ``worker``; None when there is none."""
        now = utc_now()
        claimable = or_(
            and_(Job.state == "queued", or_(Job.not_before.is_(None), Job.not_before <= now)),
            and_(Job.state == "running", Job.lease_expires < now),
        )
        with self.engine.connect() as connection:
            candidates = connection.execute(select(Job.id).where(claimable).order_by(Job.id).limit(20)).scalars().all()
        for job_id in candidates:
            token = secrets.token_hex(16)
            with self.engine.begin() as connection:
                won = (
                    connection.execute(
                        update(Job)
                        .where(Job.id == job_id, claimable)
                        .values(
                            state="running",
                            lease_owner=worker[:200],
                            lease_token=token,
                            lease_expires=now + self.lease,
                            attempts=Job.attempts + 1,
                        )
                    ).rowcount
                    == 1
                )
            if not won:
                continue  # another worker was faster
            with Session(self.engine) as session:
                job = session.get(Job, job_id)
                attempts, limit, study, options = job.attempts, job.max_attempts, job.study_id, dict(job.options or {})
                pacs_study_uid = job.pacs_study_uid
            if attempts > limit:
                self._end(
                    job_id,
                    token,
                    "failed",
                    f"gave up after {limit} attempts (the worker stopped each time: out of memory or killed?)",
                )
                continue
            return Claim(job_id, study, options, attempts, limit, token, pacs_study_uid)
        return None

    def heartbeat(self, claim: Claim) -> None:
        """Extend the lease; LeaseLostError if the job is no longer this claim's."""
        with Session(self.engine) as session, session.begin():
            held = (
                session.execute(
                    update(Job)
                    .where(Job.id == claim.job_id, Job.lease_token == claim.token, Job.state == "running")
                    .values(lease_expires=utc_now() + self.lease)
                ).rowcount
                == 1
            )
        if not held:
            raise LeaseLostError(f"job {claim.job_id} is no longer held by this worker")

    def complete(self, claim: Claim, result: StudyResult | None = None, result_mtime_ns: int | None = None) -> None:
        """Mark the job done and record its ``result`` (read from a result.json of ``result_mtime_ns``) for search,
        in one transaction; LeaseLostError if another worker holds the job now (then neither happens and this
        one's result is dropped)."""
        with Session(self.engine) as session, session.begin():
            if not self._end_in(session, claim.job_id, claim.token, "done", None):
                raise LeaseLostError(f"job {claim.job_id} is no longer held by this worker")
            if result is not None:
                record_result(session, claim.study_id, result, job_id=claim.job_id, source_mtime_ns=result_mtime_ns)

    def fail(self, claim: Claim, error: str) -> None:
        """Mark the job failed for good (bad input)."""
        self._end(claim.job_id, claim.token, "failed", error)

    def retry_later(self, claim: Claim, error: str, delay_seconds: float = 60.0) -> None:
        """Put the job back in the queue after a passing failure, to be claimed again in ``delay_seconds``; failed
        for good once its attempts are used up."""
        with Session(self.engine) as session, session.begin():
            job = session.get(Job, claim.job_id)
            if job is None or job.lease_token != claim.token:
                return
            if job.attempts >= job.max_attempts:
                job.state, job.error, job.finished = "failed", f"{error} (after {job.attempts} attempts)", utc_now()
            else:
                job.state, job.error = "queued", error
                job.not_before = utc_now() + timedelta(seconds=delay_seconds)
            job.lease_token = job.lease_owner = None

    def jobs(self, study_id: str | None = None) -> list[Job]:
        with Session(self.engine) as session:
            query = select(Job).order_by(Job.id)
            if study_id is not None:
                query = query.where(Job.study_id == study_id)
            jobs = session.scalars(query).all()
            session.expunge_all()
            return list(jobs)

    def has_pacs_study(self, study_uid: str) -> bool:
        """Whether any job (in whatever state) was submitted for this PACS study."""
        with Session(self.engine) as session:
            return session.scalars(select(Job.id).where(Job.pacs_study_uid == study_uid).limit(1)).first() is not None

    def _end(self, job_id: int, token: str, state: str, error: str | None) -> bool:
        with Session(self.engine) as session, session.begin():
            return self._end_in(session, job_id, token, state, error)

    @staticmethod
    def _end_in(session: Session, job_id: int, token: str, state: str, error: str | None) -> bool:
        return (
            session.execute(
                update(Job)
                .where(Job.id == job_id, Job.lease_token == token, Job.state == "running")
                .values(state=state, error=error, finished=utc_now(), lease_token=None, lease_expires=None)
            ).rowcount
            == 1
        )
