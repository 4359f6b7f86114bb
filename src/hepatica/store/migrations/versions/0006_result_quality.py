"""Results carry their quality-control verdict ('done' or 'needs review') and the names of the failed checks, so
that the study list shows it and the search can find the studies that need review.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("results") as results:
        results.add_column(sa.Column("quality", sa.String(16)))
        results.add_column(sa.Column("quality_flags", sa.JSON))
        results.create_index("ix_results_quality", ["quality"])


def downgrade() -> None:
    with op.batch_alter_table("results") as results:
        results.drop_index("ix_results_quality")
        results.drop_column("quality_flags")
        results.drop_column("quality")
