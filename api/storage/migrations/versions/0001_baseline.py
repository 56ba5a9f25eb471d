"""Baseline: every table and index of the app's four table modules when migrations began (issue 14).

It creates only what is missing (`create_all` checks first, and so does each index), which makes it the adoption
of a store created before migrations as well: such a store keeps every row and gains only what its version
lacked (e.g. `projection_failures`, indexes added later), exactly as those versions' start-ups did.

The events table is not here: eventsourcing-sqlalchemy creates it when the application's recorder is built.

This revision reads the table modules as they are, less the tables later revisions create (`LATER`: add each
new table's name there when its revision is written). Before the first later revision that alters a table created
here, freeze it: replace the body of `upgrade` by the `op.create_table`/`op.create_index` calls of the schema as
it stands at this revision, each with `if_not_exists=True` (on a checkout of this revision, with this file moved
aside, `alembic -c api/storage/migrations/alembic.ini revision --autogenerate` against an empty PostgreSQL store renders
them), then run tests/api/test_migrations.py on both stores. Else a fresh store would get that change twice.

Revision ID: 0001_baseline
Revises:
"""
from __future__ import annotations

from alembic import op

from api.storage.migrations import models

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None


# Tables of the table modules that a later revision creates (their revision names them)
LATER = {"task_numbers",  # 0002_task_numbers
         "result_index", "department_settings", "inspection_results", "result_versions",  # 0004_results
         "credit_feedback",  # 0005_credit_feedback
         "visit_codes", "open_clocks", "archive_files", "objections", "enterprise_requests",  # 0006_objections_requests
         "task_archives"}


def _baseline_tables(metadata):  # type: ignore[no-untyped-def]
    return [table for table in metadata.sorted_tables if table.name not in LATER]


def upgrade() -> None:
    bind = op.get_bind()
    for metadata in models():
        tables = _baseline_tables(metadata)
        metadata.create_all(bind, tables=tables)  # the tables that are missing, with their indexes
        for table in tables:  # indexes added to tables that already existed
            for index in table.indexes:
                index.create(bind, checkfirst=True)


def downgrade() -> None:
    bind = op.get_bind()
    for metadata in reversed(models()):
        metadata.drop_all(bind, tables=_baseline_tables(metadata))
