"""Results (issue 16): the departments' result settings, the write side's result → task index, and the results
read model with every version.

Revision ID: 0004_results
Revises: 0003_task_list_indexes
"""
from __future__ import annotations

from alembic import op

from api.storage.tables import department_settings, result_index
from projections.tables import inspection_results, result_versions

revision = "0004_results"
down_revision = "0003_task_list_indexes"
branch_labels = None
depends_on = None

TABLES = (department_settings, result_index, inspection_results, result_versions)


def upgrade() -> None:
    # New tables only, created as the table modules declare them (with their indexes); a later change to one of
    # them gets a revision of its own with explicit operations.
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":  # the name search's trigram index (a trusted extension since PG 13)
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table in TABLES:
        table.create(bind, checkfirst=True)
        for index in table.indexes:
            index.create(bind, checkfirst=True)


def downgrade() -> None:
    bind = op.get_bind()
    for table in reversed(TABLES):
        table.drop(bind, checkfirst=True)
