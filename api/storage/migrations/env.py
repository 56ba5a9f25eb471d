"""Alembic's environment: migrate the connection `api.storage.migrations.upgrade` passes, or (a developer's `alembic -c
api/storage/migrations/alembic.ini …`) the store JOINTINSPECT_DATABASE_URL names."""
from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection
from sqlalchemy.types import TypeDecorator

from api.storage.migrations import models

TARGET_METADATA = models()  # what autogenerate compares the store with


def _include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    # A table the code does not declare is the event store's (eventsourcing-sqlalchemy) or Alembic's: never drop it
    return not (type_ == "table" and reflected and compare_to is None)


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    # Autogenerate writes a column type of the app (UTCDateTime) as the SQL type under it: a revision stays
    # readable on its own and does not break when that Python class changes
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=TARGET_METADATA, include_object=_include_object,
                      render_item=_render_item, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def _database_url() -> str:
    from api.settings import Settings

    return Settings.from_env().database_url


if context.is_offline_mode():
    raise SystemExit("alembic --sql is not supported: the baseline looks at the store to create what it lacks")
if (given := context.config.attributes.get("connection")) is not None:
    _run(given)  # inside the caller's transaction, which commits it
else:
    engine = create_engine(_database_url())
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()
