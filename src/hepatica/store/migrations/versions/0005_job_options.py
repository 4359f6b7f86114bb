"""Job options are `AnalysisOptions` JSON: the PACS study a job analyses moves out of its options into the
``pacs_study_uid`` column (written there since 0004), so that every options object reads back as analysis options.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

jobs = sa.table(
    "jobs",
    sa.column("id", sa.Integer),
    sa.column("options", sa.JSON),
    sa.column("pacs_study_uid", sa.String(64)),
)


def upgrade() -> None:
    connection = op.get_bind()
    for job_id, options, uid in connection.execute(sa.select(jobs.c.id, jobs.c.options, jobs.c.pacs_study_uid)):
        if isinstance(options, dict) and "pacs_study" in options:
            kept = {k: v for k, v in options.items() if k != "pacs_study"}
            connection.execute(
                jobs.update()
                .where(jobs.c.id == job_id)
                .values(options=kept, pacs_study_uid=uid or options["pacs_study"])
            )


def downgrade() -> None:
    connection = op.get_bind()
    for job_id, options, uid in connection.execute(sa.select(jobs.c.id, jobs.c.options, jobs.c.pacs_study_uid)):
        if uid:
            connection.execute(
                jobs.update().where(jobs.c.id == job_id).values(options={**(options or {}), "pacs_study": uid})
            )
