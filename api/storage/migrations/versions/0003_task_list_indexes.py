"""Indexes for the task list's default orders, so a page of a department's tasks is read by walking the order
instead of sorting every task (issue 15: 116 ms → 1 ms for a department with 31,000 of 100,000 tasks).

Revision ID: 0003_task_list_indexes
Revises: 0002_task_numbers
"""
from __future__ import annotations

from alembic import op

revision = "0003_task_list_indexes"
down_revision = "0002_task_numbers"
branch_labels = None
depends_on = None


def upgrade() -> None:  # the baseline creates them on a fresh store (they are in projections/tables.py)
    op.create_index("ix_task_summary_pushed_at", "task_summary", ["pushed_at", "task_id"], if_not_exists=True)
    op.create_index("ix_task_summary_response_deadline", "task_summary", ["response_deadline", "task_id"],
                    if_not_exists=True)


def downgrade() -> None:
    op.drop_index("ix_task_summary_response_deadline", "task_summary", if_exists=True)
    op.drop_index("ix_task_summary_pushed_at", "task_summary", if_exists=True)
