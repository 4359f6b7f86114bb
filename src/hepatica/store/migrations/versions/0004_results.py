"""Results in the database: one row per analysed study and one per lesion, so results can be searched (by state,
date, lesion count, LI-RADS category, lesion size); jobs name the PACS study they analyse; the Orthanc watcher's
position in Orthanc's change log.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "results",
        sa.Column("study_id", sa.String(100), primary_key=True),
        sa.Column("job_id", sa.Integer),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("study_instance_uid", sa.String(64), index=True),
        sa.Column("modality", sa.String(16)),
        sa.Column("phases", sa.JSON, nullable=False),
        sa.Column("liver_volume_ml", sa.Float),
        sa.Column("lesion_count", sa.Integer),
        sa.Column("lesion_volume_ml", sa.Float),
        sa.Column("tumour_burden_percent", sa.Float),
        sa.Column("categories", sa.JSON, nullable=False),
        sa.Column("source_mtime_ns", sa.BigInteger),
    )
    op.create_table(
        "result_lesions",
        sa.Column("study_id", sa.String(100), sa.ForeignKey("results.study_id", ondelete="CASCADE"), primary_key=True),
        sa.Column("lesion", sa.Integer, primary_key=True),
        sa.Column("volume_ml", sa.Float, nullable=False),
        sa.Column("longest_axial_diameter_mm", sa.Float, nullable=False),
        sa.Column("category", sa.String(16), index=True),
    )
    with op.batch_alter_table("jobs") as jobs:
        jobs.add_column(sa.Column("pacs_study_uid", sa.String(64)))
        jobs.create_index("ix_jobs_pacs_study_uid", ["pacs_study_uid"])
    op.create_table(
        "watch_positions",
        sa.Column("source", sa.String(300), primary_key=True),
        sa.Column("last_change", sa.BigInteger, nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("watch_positions")
    with op.batch_alter_table("jobs") as jobs:
        jobs.drop_index("ix_jobs_pacs_study_uid")
        jobs.drop_column("pacs_study_uid")
    op.drop_table("result_lesions")
    op.drop_table("results")
