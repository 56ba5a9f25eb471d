"""Schema migrations (Alembic, configured in code): bring a store to the schema this code expects.

The revisions live in `versions/`. `upgrade(engine)` runs at every start (`build_services`) and from
`jointinspect migrate`. The events table is not here: eventsourcing-sqlalchemy creates it when the recorder is built.
"""
from __future__ import annotations

import logging
import threading
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import MetaData, inspect, text
from sqlalchemy.engine import Connection, Engine

if TYPE_CHECKING:
    from alembic.config import Config

BASELINE = "0001_baseline"
# Made by every start-up before migrations existed (issue 14): with it and no alembic_version, the store is adopted
LEGACY_MARKER = "departments"
_LOCK_KEY = zlib.crc32(b"jointinspect:migrations")
# Alembic's `context` and `op` are module-level proxies, set for the run in progress: one run at a time per process
_IN_PROCESS = threading.Lock()

log = logging.getLogger(__name__)
# Alembic logs at INFO when imported and at every start (plugins, DDL mode): `upgrade` logs what changed instead.
# Alembic is imported in the functions below, after this; a level the operator set is kept.
if logging.getLogger("alembic").level == logging.NOTSET:
    logging.getLogger("alembic").setLevel(logging.WARNING)


def models() -> list[MetaData]:
    """The metadata of every table the code declares, in creation order (the event store's is the library's)."""
    from api.storage import tables
    from projections import tables as read_tables

    return [tables.metadata, read_tables.metadata]


def config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, without an ini file; migrations run on `connection` (env.py reads it)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent))
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    """The newest revision this code knows."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(config()).get_current_head()  # type: ignore[return-value]


def current(conn: Connection) -> str | None:
    """The store's revision; None for an empty store or one created before migrations."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> tuple[str | None, str | None]:
    """Apply every pending revision in one transaction; returns the revisions before and after.

    A store created before migrations (its tables, no alembic_version) is adopted: the baseline only creates what
    is missing, so it keeps every row and gains what older versions lacked, then later revisions apply as usual.
    """
    from alembic import command

    with _IN_PROCESS, engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # API processes start together: one upgrades, the others wait here and then find nothing to do
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        before = current(conn)
        if before is None and inspect(conn).has_table(LEGACY_MARKER):
            log.info("store created before migrations: adopting it at %s", BASELINE)
        command.upgrade(config(conn), "head")
        after = current(conn)
    if after != before:
        log.info("schema migrated from %s to %s", before or "nothing", after)
    return before, after

