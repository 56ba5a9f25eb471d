"""The PostgreSQL fast path for subjects: validated rows are COPYed into a temporary staging table and applied in
large batches by one set-based statement each, inside the import's one transaction:

  changed  = staged rows (the last per code) that are new or differ from the stored row in a field the file gives
  logged   = INSERT INTO change_log SELECT …changed…  (one row per updated subject, {field: [before, after]};
             per created subject too when the job asks for it, see api.directory.importer)
  upserted = INSERT INTO subjects SELECT …changed… ON CONFLICT (code) DO UPDATE

Both data-modifying CTEs see the table as it was before the statement, so the log holds the true "before".
A worker thread owns the connection while reading goes on: PostgreSQL copies and applies batch k while Python
parses batch k+1 (psycopg2 lets go of the GIL while the server works). Rows applied before a later row turns out
invalid are rolled back with the transaction, so the directory is still left as it was.
"""
from __future__ import annotations

import csv
import io
import queue
import threading
import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from api.directory.specs import Spec
from api.directory.stage_generic import Applying, Reject

COPY_ROWS = 25_000
APPLY_ROWS = 100_000
QUEUE_CHUNKS = 8  # at most this many COPY chunks (~5 MB each) wait in memory


class PgStage:
    """Rows COPYed into a temporary table a chunk at a time and applied every APPLY_ROWS, by a worker thread."""

    def __init__(self, conn: Connection, spec: Spec, present: tuple[str, ...], applying: Applying) -> None:
        self.conn, self.spec, self.present, self.applying = conn, spec, present, applying
        self.name = f"import_stage_{uuid.uuid4().hex[:12]}"
        columns = ", ".join(f"{f} {spec.table.c[f].type.compile(dialect=conn.dialect)}" for f in present)
        conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {self.name} (seq bigint GENERATED ALWAYS AS IDENTITY, "
                             f"{columns}) ON COMMIT DROP")  # seq: file order, numbered by COPY itself
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock(hashtext('jointinspect.import.{spec.kind}'))")
        # Sort a batch in memory rather than spill it; compiling the statement (JIT) costs more than it saves;
        # probe the primary key per staged row instead of hashing the whole directory for every batch.
        for setting in ("work_mem = '64MB'", "jit = off", "enable_hashjoin = off", "enable_mergejoin = off"):
            conn.exec_driver_sql(f"SET LOCAL {setting}")
        self._copy_sql = f"COPY {self.name} ({', '.join(present)}) FROM STDIN WITH (FORMAT csv)"
        self._apply_sql = text(apply_statement(spec, present, self.name, applying.log_each_created, applying.keep))
        self._new_buffer()
        self._in_batch = self._in_chunk = 0
        self.count = 0
        self._tasks: queue.Queue[tuple[str, Any]] = queue.Queue(QUEUE_CHUNKS)
        self._error: BaseException | None = None
        self._closing = False
        self._worker = threading.Thread(target=self._work, name=f"{self.name}-worker", daemon=True)
        self._worker.start()

    def add_many(self, lines: list[int], rows: list[tuple]) -> None:
        """Rows whose values are in `present` order; written as COPY CSV by the C csv writer."""
        self._writer.writerows(rows)
        self.count += len(rows)
        self._in_batch += len(rows)
        self._in_chunk += len(rows)
        if self._in_batch >= APPLY_ROWS:
            self._send("apply")
        elif self._in_chunk >= COPY_ROWS:
            self._send("copy")

    def finish(self) -> None:
        """The last rows are in: copy and apply them."""
        if self._in_batch:
            self._send("apply")

    def apply(self, conn: Connection, reject: Reject) -> None:
        """Wait until every batch is applied (subjects have no owner: no row is refused here)."""
        self._stop()

    def close(self) -> None:
        """Stop the worker, skipping what is still queued (idempotent); the staging table goes with the transaction."""
        self._closing = True
        self._stop(raise_error=False)

    # ---- the worker ---------------------------------------------------------------------------------
    def _send(self, task: str) -> None:
        if self._error is not None:
            self._stop()  # raises the worker's error
        data = self._buffer.getvalue()
        self._new_buffer()
        self._tasks.put(("copy", data))
        if task == "apply":
            self._tasks.put(("apply", self._in_batch))
            self._in_batch = 0

    def _new_buffer(self) -> None:
        # strings quoted ("" is an empty string, not NULL), numbers and booleans bare: PostgreSQL reads True/False
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
        self._in_chunk = 0

    def _stop(self, raise_error: bool = True) -> None:
        if self._worker.is_alive():
            self._tasks.put(("stop", None))
            self._worker.join()
        if raise_error and self._error is not None:
            error, self._error = self._error, None
            raise error  # ImportFailed (cancelled) and database errors keep their own type

    def _work(self) -> None:
        cursor = self.conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            while True:
                task, arg = self._tasks.get()
                if task == "stop":
                    return
                if self._error is not None or self._closing:
                    continue  # drain: the main thread sees the error, or no longer wants the rest
                try:
                    if task == "copy" and arg:
                        # one read of the whole chunk: each read needs the GIL, which the parsing thread holds
                        cursor.copy_expert(self._copy_sql, io.StringIO(arg), size=len(arg) + 1)
                    elif task == "apply":
                        self._apply_batch(arg)
                except Exception as exc:  # handed to the main thread, which fails the import with it
                    self._error = exc
        finally:
            cursor.close()

    def _apply_batch(self, rows: int) -> None:
        actor, applying = self.applying.actor, self.applying
        created, updated = self.conn.execute(self._apply_sql, {
            "entity": self.spec.entity, "user": actor.user, "department": actor.department, "at": applying.now(),
            "batch": applying.import_id}).one()
        self.conn.exec_driver_sql(f"TRUNCATE {self.name}")
        applying.on_batch(rows, created, updated)


def _json_pair(field: str, created_only: bool = False) -> str:
    """'"field": [before, after]' as text when the field is new or changed, else NULL (skipped by concat_ws).
    Concatenating to_json() pieces is about 5× cheaper than jsonb_build_object over a million rows."""
    before, after = f"coalesce(to_json(old_{field})::text, 'null')", f"coalesce(to_json({field})::text, 'null')"
    changed = "" if created_only else f" OR old_{field} IS DISTINCT FROM {field}"
    return f"CASE WHEN is_new{changed} THEN '\"{field}\": [' || {before} || ', ' || {after} || ']' END"


def apply_statement(spec: Spec, present: tuple[str, ...], stage: str, log_each_created: bool,
                    keep: tuple[str, ...] = ()) -> str:
    """The one statement that logs and upserts a staged batch; returns (created, updated). Fields in `keep` are
    written on new records only: an existing record keeps its value (Spec.create_only)."""
    key, table = spec.key, spec.table.name
    fields = [f for f in present if f != key]
    updated = [f for f in fields if f not in keep]
    old = ", ".join(f"t.{f} AS old_{f}" for f in fields)
    differs = f"({', '.join('t.' + f for f in updated)}) IS DISTINCT FROM ({', '.join('s.' + f for f in updated)})"
    pairs = ", ".join(_json_pair(f, f in keep) for f in fields)
    columns = ", ".join(present)
    sets = ", ".join(f"{f} = EXCLUDED.{f}" for f in updated)
    return f"""
        WITH src AS (
            SELECT DISTINCT ON ({key}) {columns} FROM {stage} ORDER BY {key}, seq DESC
        ), changed AS MATERIALIZED (
            SELECT s.*, t.{key} IS NULL AS is_new, {old}
            FROM src s LEFT JOIN {table} t ON t.{key} = s.{key}
            WHERE t.{key} IS NULL OR {differs}
        ), logged AS (
            INSERT INTO change_log (entity, entity_key, action, changes, actor_user, actor_department, at, batch)
            SELECT :entity, {key}, CASE WHEN is_new THEN 'created' ELSE 'updated' END,
                   '{{' || concat_ws(', ', {pairs}) || '}}', :user, :department, :at, :batch
            FROM changed {"" if log_each_created else "WHERE NOT is_new"}
        ), upserted AS (
            INSERT INTO {table} ({columns}, created_at, updated_at, created_by_import)
            SELECT {columns}, :at, :at, :batch FROM changed
            ON CONFLICT ({key}) DO UPDATE SET {sets}, updated_at = EXCLUDED.updated_at
        )
        SELECT count(*) FILTER (WHERE is_new), count(*) FILTER (WHERE NOT is_new) FROM changed
    """
