"""Accounts administered by the office (issue 18): a department's parent, and a password a user must change.

Revision ID: 0007_account_administration
Revises: 0006_objections_requests
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_account_administration"
down_revision = "0006_objections_requests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # 0001 creates both tables from the table module as it stands: a fresh store has the columns already
    inspector = sa.inspect(op.get_bind())
    if "parent_code" not in {c["name"] for c in inspector.get_columns("departments")}:
        op.add_column("departments", sa.Column("parent_code", sa.String(32), nullable=True))
    if "must_change_password" not in {c["name"] for c in inspector.get_columns("users")}:
        op.add_column("users", sa.Column("must_change_password", sa.Boolean(), nullable=False,
                                         server_default=sa.false()))


def downgrade() -> None:
    op.drop_column("users", "must_change_password")
    op.drop_column("departments", "parent_code")
