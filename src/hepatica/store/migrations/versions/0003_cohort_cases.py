"""Cohort cases: one row per case of a cohort run, with its state and headline numbers.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cohort_cases",
        sa.Column("cohort", sa.String(200), primary_key=True),
        sa.Column("case", sa.String(200), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("liver_volume_ml", sa.Float),
        sa.Column("lesion_count", sa.Integer),
        sa.Column("lesion_volume_ml", sa.Float),
        sa.Column("tumour_burden_percent", sa.Float),
        sa.Column("seconds", sa.Float),
        sa.Column("error", sa.Text),
        sa.Column("finished", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("cohort_cases")
