"""Credit feedback (issue 17, R-OVER-2, R-SUBJ-2): the table in which the credit-feedback projection keeps each
result's outcome and the effect its publication had on the subject directory.

Revision ID: 0005_credit_feedback
Revises: 0004_results
"""
from __future__ import annotations

from alembic import op

from projections.tables import credit_feedback

revision = "0005_credit_feedback"
down_revision = "0004_results"
branch_labels = None
depends_on = None

TABLES = (credit_feedback,)


def upgrade() -> None:
    # A new table only, created as projections/tables.py declares it (with its indexes); a later change to it gets
    # a revision of its own with explicit operations.
    bind = op.get_bind()
    for table in TABLES:
        table.create(bind, checkfirst=True)
        for index in table.indexes:
            index.create(bind, checkfirst=True)


def downgrade() -> None:
    bind = op.get_bind()
    for table in reversed(TABLES):
        table.drop(bind, checkfirst=True)
