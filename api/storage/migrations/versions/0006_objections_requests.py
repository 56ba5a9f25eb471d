"""A result's afterlife (issue 17): objections (R-OBJ-1), enterprise requests (R-JOINT-9) and archives (R-ARCH-1)
read models, the write side's visit codes, open clocks and sealed archive files, and a department's objection answer
period.

Revision ID: 0006_objections_requests
Revises: 0005_credit_feedback
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from api.storage.tables import archive_files, open_clocks, visit_codes
from projections.tables import enterprise_requests, objections, task_archives

revision = "0006_objections_requests"
down_revision = "0005_credit_feedback"
branch_labels = None
depends_on = None

TABLES = (visit_codes, open_clocks, archive_files, objections, enterprise_requests, task_archives)


def upgrade() -> None:
    bind = op.get_bind()
    for table in TABLES:  # new tables, created as the table modules declare them (with their indexes)
        table.create(bind, checkfirst=True)
        for index in table.indexes:
            index.create(bind, checkfirst=True)
    # 0004 creates department_settings from the table module as it stands, so a fresh store has the column already
    if "answer_days" not in {c["name"] for c in sa.inspect(bind).get_columns("department_settings")}:
        op.add_column("department_settings",
                      sa.Column("answer_days", sa.Integer(), nullable=False, server_default="7"))


def downgrade() -> None:
    bind = op.get_bind()
    op.drop_column("department_settings", "answer_days")
    for table in reversed(TABLES):
        table.drop(bind, checkfirst=True)
