"""Import a CSV or XLSX file into a directory: stream, validate every row, upsert by code in ONE transaction.

Phases: reading (every row validated; valid rows staged — PostgreSQL subjects: COPY into a temporary table and
applied batch by batch while reading goes on; otherwise a temporary file), applying (upsert + change log in
batches), finishing (rejections and the import record). By default ANY rejected row fails the whole import and the
directory is left exactly as it was (the transaction is rolled back); with allow_partial the valid rows are
imported. Either way every rejected row is stored with its line number and reason. A later row with the same code
overrides an earlier one (upserts in file order). Columns the file leaves out are left as they were on update.

Change log (全程留痕), decided by measurement (bench/import.py, 1,000,000 new subjects, PostgreSQL, 2 CPUs):
- every UPDATED record gets its own change_log row {field: [before, after]}, batch = the import's id;
- a CREATED record gets none by default: its creation is the import record (who, when, file, counts) named by its
  `created_by_import`, and its initial values are derived on read by undoing the later changes (GET …/changes);
  one row per created record doubled PostgreSQL's work (backend CPU 11.8 s → 24.0 s) and halved the rate
  (55.6k → 29.2k rows/s) and adds ~0.5 GB per million; `log_each_created=True` still writes them.
Records written one by one (PUT) always log their creation row by row.
"""
from __future__ import annotations

import logging
import threading
from contextlib import closing, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ContextManager

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from api.directory.limits import Limits, TooLarge
from api.directory.rejections import RejectionSpool, write_rejections
from api.directory.parsing import ChunkParser
from api.directory.sources import Source, Unreadable, detect_format, open_source
from api.directory.specs import SPECS, Context, Spec, map_header
from api.directory.stage_generic import Applying, SpoolStage
from api.directory.stage_pg import PgStage
from api.storage.tables import imports
from api.storage.tables import departments
from domain.usecases import Actor, Clock
from domain.clock import SHANGHAI

log = logging.getLogger("jointinspect.directory")

CHUNK_ROWS = 5_000
FIRST_REJECTIONS = 100  # kept in memory for the running view; all of them are stored at the end


class ImportFailed(Exception):
    """The import as a whole is refused; nothing of it is applied. The message is Chinese and actionable."""


@dataclass(frozen=True)
class ImportJob:
    id: str
    kind: str  # subjects / inspectors
    path: Path
    filename: str
    actor: Actor
    scope_department: str | None  # None: the office, which may write any department's inspectors
    allow_partial: bool = False
    log_each_created: bool = False  # one change-log row per created record too (see the module doc)
    limits: Limits = Limits()  # rows, cells per row, unpacked XLSX size; none unless given (the HTTP path does)


@dataclass
class Progress:
    """How far an import has come: written by its thread, read by requests (single attribute reads only)."""

    id: str
    kind: str
    filename: str
    allow_partial: bool
    actor_user: str
    actor_department: str
    started_at: datetime
    status: str = "running"
    phase: str = "queued"  # queued, reading, applying, finishing, done
    file_format: str = ""
    fraction_read: float = 0.0
    rows_total: int = 0
    rows_ok: int = 0
    rows_rejected: int = 0
    rows_applied: int = 0
    rows_created: int = 0
    rows_updated: int = 0
    error: str = ""
    ignored_columns: list[str] = field(default_factory=list)
    first_rejections: list[dict] = field(default_factory=list)
    finished_at: datetime | None = None

    @classmethod
    def for_job(cls, job: ImportJob, now: datetime) -> "Progress":
        return cls(id=job.id, kind=job.kind, filename=job.filename, allow_partial=job.allow_partial,
                   actor_user=job.actor.user, actor_department=job.actor.department, started_at=now)

    @property
    def rows_unchanged(self) -> int:
        return max(self.rows_applied - self.rows_created - self.rows_updated, 0)

    @property
    def percent(self) -> float:
        """Reading counts for the first half, applying for the second."""
        if self.status != "running":
            return 100.0
        applied = self.rows_applied / self.rows_ok if self.rows_ok else 0.0
        return round(50 * self.fraction_read + (50 * applied if self.phase != "reading" else 0), 1)


def run_import(engine: Engine, job: ImportJob, clock: Clock, progress: Progress | None = None,
               write_lock: Any = None, cancelled: threading.Event | None = None) -> Progress:
    """Run one import to its end (succeeded or failed) and return its final progress; never raises ImportFailed.

    write_lock (SQLite): the event store's in-process writer lock, held while this import writes, so the store's
    own writers wait instead of failing on SQLite's single writer.
    """
    progress = progress or Progress.for_job(job, clock.now())
    writing: ContextManager[Any] = write_lock if write_lock is not None else nullcontext()
    with writing, engine.begin() as conn:
        conn.execute(insert(imports).values(
            id=job.id, kind=job.kind, filename=job.filename[:255], file_format="", allow_partial=job.allow_partial,
            status="running", actor_user=job.actor.user, actor_department=job.actor.department,
            started_at=progress.started_at))
    rejections = RejectionSpool(FIRST_REJECTIONS)
    progress.first_rejections = rejections.first
    try:
        _import(engine, job, clock, progress, rejections, writing, cancelled or threading.Event())
    except ImportFailed as exc:
        fail(engine, progress, str(exc), clock.now(), write_lock, rejections)
    except (SQLAlchemyError, OSError) as exc:
        log.exception("import %s failed", job.id)
        fail(engine, progress, f"导入时数据库或文件出错（{exc.__class__.__name__}），导入未生效，请稍后重试",
             clock.now(), write_lock, rejections)
    finally:
        rejections.close()
    return progress


def fail(engine: Engine, progress: Progress, message: str, now: datetime, write_lock: Any = None,
         rejections: RejectionSpool | None = None) -> None:
    """Record the import as failed (its own transaction: the import's was rolled back), with its rejections."""
    progress.error = message
    progress.rows_applied = progress.rows_created = progress.rows_updated = 0
    with write_lock if write_lock is not None else nullcontext(), engine.begin() as conn:
        if rejections is not None:
            write_rejections(conn, progress.id, rejections)
        _finish(conn, progress, "failed", now)
    progress.status = "failed"


def _import(engine: Engine, job: ImportJob, clock: Clock, progress: Progress, rejections: RejectionSpool,
            writing: ContextManager[Any], cancelled: threading.Event) -> None:
    spec = SPECS[job.kind]
    try:
        progress.file_format = detect_format(job.path, job.filename)
        source = open_source(job.path, progress.file_format, job.limits)
    except (Unreadable, TooLarge) as exc:
        raise ImportFailed(str(exc)) from None
    with closing(source), engine.connect() as conn:
        ctx = Context(today=clock.now().astimezone(SHANGHAI).date(), departments=department_lookup(conn),
                      scope_department=job.scope_department)
        columns = map_header(spec, list(source.header))
        progress.ignored_columns = columns.ignored
        if columns.problems:
            raise ImportFailed("表头不符合要求：" + "；".join(columns.problems) + "。可用的列名见导入说明")
        present = tuple(f for f in spec.names if f in columns.indexes or f in spec.always)
        parser = ChunkParser(spec, columns, present, ctx, all_text=progress.file_format == "csv")
        keep = tuple(f for f in spec.create_only if f not in columns.indexes)  # set on new records only
        applying = Applying(job.id, job.actor, ctx, clock.now, _counter(progress, cancelled), job.log_each_created,
                            keep)
        stage = _stage(conn, spec, present, applying)
        try:
            progress.phase = "reading"
            try:
                _read(source, parser, stage, rejections, progress, job.allow_partial, cancelled)
            except (Unreadable, TooLarge) as exc:
                raise ImportFailed(str(exc)) from None
            _check_read(progress, job.allow_partial, cancelled)
            with writing:
                try:
                    _apply(conn, job, clock, stage, progress, rejections)
                except BaseException:
                    conn.rollback()  # before the writer lock is let go
                    raise
            progress.status = "succeeded"  # only now: a reader that sees it finds the directory committed
        finally:
            stage.close()


def _apply(conn: Connection, job: ImportJob, clock: Clock, stage: SpoolStage | PgStage, progress: Progress,
           rejections: RejectionSpool) -> None:
    """Upsert and log every staged row, then store the rejections and the record, and commit."""
    progress.phase = "applying"
    stage.apply(conn, rejections.add)
    progress.rows_ok -= rejections.count - progress.rows_rejected  # refused while applying
    progress.rows_rejected = rejections.count
    if rejections.count and not job.allow_partial:
        raise ImportFailed(_rejected_message(rejections.count))
    progress.phase = "finishing"
    write_rejections(conn, job.id, rejections)
    _finish(conn, progress, "succeeded", clock.now())
    conn.commit()


def _stage(conn: Connection, spec: Spec, present: tuple[str, ...], applying: Applying) -> SpoolStage | PgStage:
    """PostgreSQL subjects take the COPY path; everything else the portable one."""
    if conn.dialect.name == "postgresql" and spec.kind == "subjects":
        return PgStage(conn, spec, present, applying)
    return SpoolStage(spec, present, applying)


def _read(source: Source, parser: ChunkParser, stage: SpoolStage | PgStage, rejections: RejectionSpool,
          progress: Progress, allow_partial: bool, cancelled: threading.Event) -> None:
    """Validate every row; stage the valid ones (after a rejection without allow_partial: only validate)."""
    staging, total, ok = True, 0, 0
    for lines, cells in source.chunks(CHUNK_ROWS):
        chunk = parser.parse(lines, cells)
        total, ok = total + len(lines), ok + len(chunk.rows)
        for rejected in chunk.rejected:
            rejections.add(*rejected)
        staging = staging and (allow_partial or not rejections.count)
        if staging:
            stage.add_many(chunk.lines, chunk.rows)
        progress.rows_total, progress.rows_ok, progress.rows_rejected = total, ok, rejections.count
        progress.fraction_read = source.fraction
        if cancelled.is_set():
            raise ImportFailed("服务正在停止，导入已中止且未生效，请稍后重新导入")
    if staging:
        stage.finish()
    progress.fraction_read = 1.0


def _check_read(progress: Progress, allow_partial: bool, cancelled: threading.Event) -> None:
    if cancelled.is_set():
        raise ImportFailed("服务正在停止，导入已中止且未生效，请稍后重新导入")
    if progress.rows_total == 0:
        raise ImportFailed("文件中除表头外没有数据行")
    if progress.rows_rejected and not allow_partial:
        raise ImportFailed(_rejected_message(progress.rows_rejected))


def _rejected_message(count: int) -> str:
    return (f"有 {count} 行未通过校验，整个导入未生效、名录未作任何改动；请按被拒行清单（行号和原因）修改后重新导入，"
            "或选择仅导入有效行（allow_partial=true）")


def _counter(progress: Progress, cancelled: threading.Event) -> Any:
    def on_batch(rows: int, created: int, updated: int) -> None:
        progress.rows_applied += rows
        progress.rows_created += created
        progress.rows_updated += updated
        if cancelled.is_set():
            raise ImportFailed("服务正在停止，导入已中止且未生效，请稍后重新导入")
    return on_batch


def department_lookup(conn: Connection) -> dict[str, str]:
    """Department code or name (and the code in lower case) → code."""
    lookup: dict[str, str] = {}
    for row in conn.execute(select(departments.c.code, departments.c.name)):
        lookup.update({row.code: row.code, row.code.lower(): row.code, row.name: row.code})
    return lookup


def _finish(conn: Connection, progress: Progress, status: str, now: datetime) -> None:
    """The import record's final state; the caller sets progress.status once this is committed."""
    progress.phase, progress.finished_at = "done", now
    conn.execute(update(imports).where(imports.c.id == progress.id).values(
        status=status, file_format=progress.file_format, rows_total=progress.rows_total, rows_ok=progress.rows_ok,
        rows_rejected=progress.rows_rejected, rows_created=progress.rows_created, rows_updated=progress.rows_updated,
        rows_unchanged=progress.rows_unchanged, error=progress.error,
        ignored_columns=",".join(progress.ignored_columns)[:2000], finished_at=now))
