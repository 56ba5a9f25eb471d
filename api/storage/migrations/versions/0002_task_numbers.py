"""The year's last joint task number, so tasks carry a readable number (联检〔2026〕0042号; issue 15).

Revision ID: 0002_task_numbers
Revises: 0001_baseline
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_task_numbers"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(  # a store a development build made between the baseline and this revision has it already
        "task_numbers",
        sa.Column("year", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("last", sa.Integer(), nullable=False),
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_table("task_numbers", if_exists=True)
