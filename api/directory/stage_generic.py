"""The portable path (SQLite, and inspectors everywhere): validated rows wait in a temporary file, then are applied
in batches inside the import's one transaction: read the stored rows, diff in Python, upsert with executemany
(INSERT … ON CONFLICT DO UPDATE), and log one change-log row per updated record (全程留痕); see api.directory.importer
for how created records are logged."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from api.storage.audit import record_changes
from domain.usecases.base import diff
from api.directory.specs import Context, Spec
from api.directory.spool import BatchSpool
from domain.usecases import Actor

Reject = Callable[[int, str, str], None]  # (line, key, reason)
BATCH_ROWS = 2_000


@dataclass(frozen=True)
class Applying:
    """Who imports, into what, and how to tell the time and the progress."""

    import_id: str
    actor: Actor
    ctx: Context
    now: Callable[[], datetime]
    on_batch: Callable[[int, int, int], None]  # (rows applied, created, updated)
    log_each_created: bool = False  # else a created record's "created" change is its import (created_by_import)
    keep: tuple[str, ...] = ()  # fields the file does not give: an existing record keeps its value (Spec.create_only)


class SpoolStage:
    """Validated rows, pickled in batches to a temporary file: memory holds one batch, never the whole import."""

    def __init__(self, spec: Spec, present: tuple[str, ...], applying: Applying, batch_rows: int = BATCH_ROWS) -> None:
        self.spec, self.present, self.applying = spec, present, applying
        self._spool = BatchSpool(batch_rows, "jointinspect-import-")
        self.count = 0

    def add_many(self, lines: list[int], rows: list[tuple]) -> None:
        """Rows whose values are in `present` order."""
        self._spool.extend(zip(lines, rows))
        self.count += len(rows)

    def finish(self) -> None:
        """Nothing to do: the spool flushes its last batch when read."""

    def apply(self, conn: Connection, reject: Reject) -> None:
        """Upsert every batch and log its changes; rows refused here (another department's staff) go to reject."""
        if conn.dialect.name == "postgresql":  # imports of one kind take turns (SQLite: one writer anyway)
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock(hashtext('jointinspect.import.{self.spec.kind}'))")
        for batch in self._spool.batches():
            created, updated = _apply_batch(conn, self.spec, self.present, batch, self.applying, reject)
            self.applying.on_batch(len(batch), created, updated)

    def close(self) -> None:
        self._spool.close()


def _apply_batch(conn: Connection, spec: Spec, present: tuple[str, ...], batch: list[tuple[int, tuple]],
                 applying: Applying, reject: Reject) -> tuple[int, int]:
    latest: dict[str, tuple[int, dict]] = {}
    for line, values in batch:  # a later row with the same key wins: upserts in file order
        latest[values[0]] = (line, dict(zip(present, values)))
    table, key = spec.table, spec.table.c[spec.key]
    existing = {r[0]: r._asdict() for r in conn.execute(
        select(*(table.c[f] for f in present)).where(key.in_(list(latest))))}
    writes: list[dict] = []
    log: list[dict] = []
    now = applying.now()
    created = 0
    for code, (line, row) in latest.items():
        before = existing.get(code)
        if before is not None and applying.keep:
            row.update({f: before[f] for f in applying.keep})
        if spec.check_existing is not None and (reason := spec.check_existing(before, row, applying.ctx)):
            reject(line, code, reason)
            continue
        changes = diff(before, row, present[1:])
        if not changes:
            continue
        created += before is None
        writes.append(row | {"created_at": now, "updated_at": now, "created_by_import": applying.import_id})
        if before is not None or applying.log_each_created:
            log.append({"entity": spec.entity, "entity_key": code,
                        "action": "created" if before is None else "updated", "changes": changes})
    if writes:
        conn.execute(upsert(conn, spec, present), writes)  # the update leaves created_at and created_by_import
        record_changes(conn, log, applying.actor, now, batch=applying.import_id)
    return created, len(writes) - created


def upsert(conn: Connection, spec: Spec, present: tuple[str, ...]) -> Any:
    """INSERT … ON CONFLICT (key) DO UPDATE of the present fields, in the connection's dialect."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = insert(spec.table)
    updates = {f: statement.excluded[f] for f in present[1:]} | {"updated_at": statement.excluded.updated_at}
    return statement.on_conflict_do_update(index_elements=[spec.key], set_=updates)
