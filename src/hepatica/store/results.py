"""Results in the database, for the study list and its search: one ``results`` row per published analysis and one
``result_lesions`` row per lesion (size, LI-RADS category). The files stay in the study folder; these rows are
written in the same transaction that marks the job done (`JobQueue.complete`), so a study is searchable exactly
when its result is published; the service indexes analyses written by ``hepatica analyze`` the same way
(`hepatica.serve.index`).

Search (`search_studies`) filters by the state of the study's latest job, analysis date, lesion count, the
quality-control verdict, and a lesion of given LI-RADS categories and at least a given size; no patient data is
stored, so none can be searched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import and_, delete, exists, func, or_, select, union
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hepatica.result import StudyResult
from hepatica.store.database import Job, Result, ResultLesion


def record_result(
    session: Session, study_id: str, result: StudyResult, job_id: int | None = None, source_mtime_ns: int | None = None
) -> None:
    """Write (or replace) the study's result rows in ``session``'s transaction; ``source_mtime_ns`` is the
    modification time of the result.json they were read from (so a rewritten one is indexed again)."""
    seg = result.segmentation
    modalities = sorted(
        {s.modality for s in result.study.series if s.used_for_phase} or {s.modality for s in result.study.series}
    )
    session.execute(delete(ResultLesion).where(ResultLesion.study_id == study_id))
    session.execute(delete(Result).where(Result.study_id == study_id))
    session.flush()
    session.add(
        Result(
            study_id=study_id,
            job_id=job_id,
            created=datetime.fromisoformat(result.provenance.created_utc),
            study_instance_uid=result.study.study_uid,
            modality="/".join(modalities)[:16] or None,
            phases=list(result.study.phases_present),
            liver_volume_ml=seg.liver_volume_ml if seg else None,
            lesion_count=seg.lesion_count if seg else None,
            lesion_volume_ml=seg.lesion_volume_ml if seg else None,
            tumour_burden_percent=seg.tumour_burden_percent if seg else None,
            categories=[lesion.lirads.category for lesion in result.lesions if lesion.lirads is not None],
            source_mtime_ns=source_mtime_ns,
            quality=result.quality.status if result.quality else None,
            quality_flags=list(result.quality.flags) if result.quality else None,
        )
    )
    session.flush()  # the result row before its lesions (foreign key)
    for lesion in result.lesions:
        session.add(
            ResultLesion(
                study_id=study_id,
                lesion=lesion.id,
                volume_ml=lesion.volume_ml,
                longest_axial_diameter_mm=lesion.longest_axial_diameter_mm,
                category=lesion.lirads.category if lesion.lirads else None,
            )
        )


#: The quality of a result whose result.json cannot be read: listed so, with no numbers.
UNREADABLE = "unreadable"


def record_unreadable_result(session: Session, study_id: str, source_mtime_ns: int) -> None:
    """Replace the study's result rows by one that marks its result.json (of that mtime) as unreadable."""
    session.execute(delete(ResultLesion).where(ResultLesion.study_id == study_id))
    session.execute(delete(Result).where(Result.study_id == study_id))
    created = datetime.fromtimestamp(source_mtime_ns / 1e9, UTC)
    session.add(Result(study_id=study_id, created=created, source_mtime_ns=source_mtime_ns, quality=UNREADABLE))


@dataclass(frozen=True)
class StudyQuery:
    """What to look for; every given condition must hold. ``categories`` and ``min_diameter_mm`` apply to the
    same lesion (e.g. an LR-5 of 20 mm or more); ``text`` is a part of the study id."""

    state: str | None = None
    categories: tuple[str, ...] = field(default_factory=tuple)
    min_diameter_mm: float | None = None
    min_lesions: int | None = None
    max_lesions: int | None = None
    analysed_after: datetime | None = None
    analysed_before: datetime | None = None
    quality: str | None = None
    text: str | None = None
    limit: int = 100
    offset: int = 0


@dataclass(frozen=True)
class StudyRow:
    """A study found: its latest job's state (None for an analysis without a job) and its result (None if none)."""

    study_id: str
    job_state: str | None
    result: Result | None


def search_studies(engine: Engine, query: StudyQuery) -> tuple[int, list[StudyRow]]:
    """(how many studies match, the page ``offset``..``offset + limit`` of them), newest first."""
    ids = union(select(Result.study_id.label("study_id")), select(Job.study_id.label("study_id"))).subquery("ids")
    latest = select(Job.study_id, func.max(Job.id).label("job_id")).group_by(Job.study_id).subquery("latest")
    conditions = []
    if query.state is not None:
        conditions.append(
            or_(Job.state == query.state, and_(Job.id.is_(None), Result.study_id.is_not(None)))
            if query.state == "done"
            else Job.state == query.state
        )
    if query.text:
        escaped = query.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(ids.c.study_id.like(f"%{escaped}%", escape="\\"))
    if query.min_lesions is not None:
        conditions.append(Result.lesion_count >= query.min_lesions)
    if query.max_lesions is not None:
        conditions.append(Result.lesion_count <= query.max_lesions)
    if query.quality is not None:
        conditions.append(Result.quality == query.quality)
    if query.analysed_after is not None:
        conditions.append(Result.created >= query.analysed_after)
    if query.analysed_before is not None:
        conditions.append(Result.created <= query.analysed_before)
    if query.categories or query.min_diameter_mm is not None:
        lesion = [ResultLesion.study_id == ids.c.study_id]
        if query.categories:
            lesion.append(ResultLesion.category.in_(query.categories))
        if query.min_diameter_mm is not None:
            lesion.append(ResultLesion.longest_axial_diameter_mm >= query.min_diameter_mm)
        conditions.append(exists().where(*lesion))
    joined = (
        select(ids.c.study_id, Job.state, Result)
        .select_from(ids)
        .outerjoin(latest, latest.c.study_id == ids.c.study_id)
        .outerjoin(Job, Job.id == latest.c.job_id)
        .outerjoin(Result, Result.study_id == ids.c.study_id)
        .where(*conditions)
    )
    with Session(engine) as session:
        total = session.scalar(select(func.count()).select_from(joined.subquery()))
        newest = func.coalesce(Job.submitted, Result.created)
        rows = session.execute(
            joined.order_by(newest.desc(), ids.c.study_id.desc()).limit(query.limit).offset(query.offset)
        ).all()
        session.expunge_all()
    return total, [StudyRow(study_id, state, result) for study_id, state, result in rows]


def study_row(engine: Engine, study_id: str) -> StudyRow:
    """One study's latest job state and result row (either may be None)."""
    with Session(engine) as session:
        result = session.get(Result, study_id)
        state = session.scalars(
            select(Job.state).where(Job.study_id == study_id).order_by(Job.id.desc()).limit(1)
        ).first()
        session.expunge_all()
    return StudyRow(study_id, state, result)
