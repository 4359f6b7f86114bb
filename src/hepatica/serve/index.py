"""The service's view of its data folder in the database: analyses written there by ``hepatica analyze`` (new or
rewritten) recorded for search (`index_folders`), and a study's entry in the list (`study_summary`)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hepatica.serve.library import RESULT_FILE, StudyLibrary, StudyStatus, UnreadableResultError
from hepatica.serve.schemas import StudySummary
from hepatica.store.database import Job, Result
from hepatica.store.results import StudyRow, record_result, record_unreadable_result

log = logging.getLogger("hepatica.serve")


def index_folders(engine: Engine, library: StudyLibrary) -> int:
    """Record the results of study folders that the database does not know, or knows from an older result.json
    (analyses written or rewritten by ``hepatica analyze``); the number recorded. Studies with a queued or running
    job are left to their worker; a result that does not parse is recorded as unreadable (quality 'unreadable', no
    numbers: the list stops showing the stale ones) and logged once."""
    with Session(engine) as session:
        recorded = dict(session.execute(select(Result.study_id, Result.source_mtime_ns)).all())
        busy = set(session.scalars(select(Job.study_id).where(Job.state.in_(("queued", "running")))))
    added = 0
    for study_id in library.study_ids():
        try:
            mtime = (library.folder(study_id) / RESULT_FILE).stat().st_mtime_ns
        except (OSError, LookupError):
            continue  # no result yet (an upload being analysed), or the folder went away
        if study_id in busy or recorded.get(study_id) == mtime:
            continue
        try:
            result = library.result(study_id)
        except LookupError:
            continue
        except UnreadableResultError as error:
            # recorded with this mtime, so the next rescan skips it: logged once per damaged version of the file
            log.warning("study %s: result.json is unreadable (%s); marked in the list", study_id, error.__cause__)
            result = None
        try:
            with Session(engine) as session, session.begin():
                if result is None:
                    record_unreadable_result(session, study_id, source_mtime_ns=mtime)
                else:
                    record_result(session, study_id, result, source_mtime_ns=mtime)
        except IntegrityError:
            continue  # another server process indexed it meanwhile
        added += 1
    return added


def study_summary(library: StudyLibrary, row: StudyRow) -> StudySummary:
    """What the study list shows of a study: its status (progress while analysed) and, once it has a result,
    phases, liver volume, lesions and their categories."""
    try:
        status = library.status(row.study_id)
    except LookupError:  # a job whose folder is not written yet, or was removed
        status = StudyStatus(state=row.job_state or "done")
    summary = StudySummary(id=row.study_id, status=status)
    result = row.result
    if result is not None:
        summary = summary.model_copy(
            update={
                "phases": result.phases,
                "modality": result.modality,
                "liver_volume_ml": result.liver_volume_ml,
                "lesion_count": result.lesion_count,
                "tumour_burden_percent": result.tumour_burden_percent,
                "categories": result.categories,
                "quality": result.quality,
                "quality_flags": result.quality_flags,
                "created_utc": _utc(result.created).isoformat(timespec="seconds"),
            }
        )
    return summary


def _utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
