"""Queueing a study for analysis, the same way for every source: a new study folder with its status, then a job
in the database carrying the complete `AnalysisOptions`. Uploads bring their files first; PACS studies are pulled
by the worker."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from hepatica.options import AnalysisOptions
from hepatica.serve.library import StudyLibrary, StudyStatus, utc_now
from hepatica.store.queue import JobQueue


def new_study_id(kind: str) -> str:
    """A fresh study id such as ``upload-20261202-101500-3fa9c1``: the source, the UTC time, random hex."""
    return f"{kind}-{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def queue_analysis(
    library: StudyLibrary,
    queue: JobQueue,
    study_id: str,
    options: AnalysisOptions,
    pacs_study_uid: str | None = None,
) -> int:
    """Record the study as queued (its folder exists) and submit its job; the job id."""
    library.write_status(
        study_id,
        StudyStatus(
            state="queued",
            step="Waiting for the analyses before it",
            submitted_utc=utc_now(),
            options=options.to_json(),
        ),
    )
    return queue.submit(study_id, options, pacs_study_uid=pacs_study_uid)


def submit_pacs_study(library: StudyLibrary, queue: JobQueue, study_uid: str, options: AnalysisOptions) -> str:
    """Queue the analysis of the PACS study ``study_uid`` (pulled by the worker); the new study id."""
    study_id = new_study_id("pacs")
    (library.root / study_id).mkdir(parents=True)
    queue_analysis(library, queue, study_id, options, pacs_study_uid=study_uid)
    return study_id
