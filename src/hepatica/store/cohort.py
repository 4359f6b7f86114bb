"""Cohort cases in the database (``hepatica cohort run``): one row per case of a cohort, inserted or replaced as
each case ends, so a rerun's outcome replaces the earlier one."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hepatica.store.database import CohortCase, utc_now


def record_case(engine: Engine, cohort: str, case: str, state: str, **numbers: Any) -> None:
    """Insert or replace the row of ``case`` in ``cohort``: its state ('done', 'failed') and ``numbers`` (the
    columns of `CohortCase`: liver_volume_ml, lesion_count, lesion_volume_ml, tumour_burden_percent, seconds,
    error)."""
    values = {"cohort": cohort, "case": case, "state": state, **numbers, "finished": utc_now()}
    insert = (postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert)(CohortCase).values(values)
    statement = insert.on_conflict_do_update(
        index_elements=["cohort", "case"], set_={k: v for k, v in values.items() if k not in ("cohort", "case")}
    )
    with Session(engine) as session, session.begin():
        session.execute(statement)
