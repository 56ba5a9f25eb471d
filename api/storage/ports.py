"""The write side's ports (domain.ports) read on the connection of the command's own transaction
(`current_connection`); here the open tasks; the checklist's, the draw's and the inspectors' are beside their
tables (api/storage/checklist.py, draws.py, inspectors.py)."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.utils import get_topic
from eventsourcing_sqlalchemy.datastore import transactions
from eventsourcing.persistence import IntegrityError as RetryableConflict
import hashlib

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError as SAIntegrityError
from sqlalchemy.engine import Connection

from domain.joint_task import JointTask
from api.storage.tables import (archive_files, department_settings, departments, open_clocks, result_index,
                                task_numbers, users, visit_codes)
from domain.result_rules import DEFAULT_SETTINGS
from projections.queries import open_task_ids
from projections.tables import projection_tracking
from projections.afterlife import ArchivesProjection, tasks_awaiting_archive
from projections.results import ResultsProjection, tasks_awaiting_publication
from projections.tasks import TasksProjection

if TYPE_CHECKING:
    from domain.usecases import JointInspect

PAGE = 10_000  # log entries read per query when gathering the tasks opened after the projection's position


class SqlOpenTasks:
    """OpenTasks for JointInspect, consistent without holding the read side to the write side's pace.

    Three sources, each a read model as of its position P plus the log after P: the tasks projection's tasks that
    wait for a response (and every task Initiated or MergeAbsorbed after P), the results projection's tasks
    with a result not yet published (and every task with a ResultRecorded after P), and the archives projection's
    completed tasks with a file not yet sealed (and every task with an ArchiveDue after P). Each P is read first, so the
    rows are at P or later. Together they cover every task with a deadline that moves with the calendar; one that
    no longer has one is a harmless extra (its aggregate decides). Nothing is written on the command path: an
    index kept by every initiate and last response cost the command bench about 7 % of its rate (issue 14)."""

    def __init__(self, app: "JointInspect") -> None:
        self.app = app
        self.sources = (
            (TasksProjection.name, open_task_ids,
             (get_topic(JointTask.Initiated), get_topic(JointTask.MergeAbsorbed))),
            (ResultsProjection.name, tasks_awaiting_publication, (get_topic(JointTask.ResultRecorded),)),
            (ArchivesProjection.name, tasks_awaiting_archive, (get_topic(JointTask.ArchiveDue),)),
        )

    def ids(self) -> list[UUID]:
        conn = current_connection()
        found: set[UUID] = set()
        for name, rows, topics in self.sources:
            position = conn.execute(select(projection_tracking.c.position)
                                    .where(projection_tracking.c.name == name)).scalar() or 0
            found.update(UUID(i) for i in rows(conn))
            while True:
                later = self.app.recorder.select_notifications(position, PAGE, topics=topics,
                                                               inclusive_of_start=False)
                found.update(n.originator_id for n in later)
                if len(later) < PAGE:
                    break
                position = later[-1].id
        return sorted(found)


class SqlTaskNumbers:
    """TaskNumbers on `task_numbers`: the UPDATE holds the year's row until the initiation commits, so two
    initiations never share a number; the year's first insert racing another is retried as a whole (run_command)."""

    def next(self, year: int) -> int:
        conn = current_connection()
        last = conn.execute(update(task_numbers).where(task_numbers.c.year == year)
                            .values(last=task_numbers.c.last + 1).returning(task_numbers.c.last)).scalar()
        if last is not None:
            return int(last)
        try:
            conn.execute(insert(task_numbers).values(year=year, last=1))
        except SAIntegrityError as exc:
            raise RetryableConflict(exc) from exc
        return 1


class SqlResultIndex:
    """ResultIndex on `result_index`, written in the transaction that records the result."""

    def note(self, result_id: UUID, task_id: UUID) -> None:
        try:  # a concurrent recording of the same result: retried as a whole, when the aggregate refuses it (409)
            current_connection().execute(insert(result_index).values(result_id=str(result_id),
                                                                     task_id=str(task_id)))
        except SAIntegrityError as exc:
            raise RetryableConflict(exc) from exc

    def task_of(self, result_id: UUID) -> UUID | None:
        found = current_connection().execute(select(result_index.c.task_id)
                                             .where(result_index.c.result_id == str(result_id))).scalar()
        return UUID(found) if found else None


class SqlStaff:
    """Staff on the accounts tables: an active user of the department holding the role."""

    def holds_role(self, username: str, department: str, role: str) -> bool:
        row = current_connection().execute(
            select(users.c.roles).select_from(users.join(departments, departments.c.id == users.c.department_id))
            .where(users.c.username == username, departments.c.code == department, users.c.active.is_(True))).first()
        return row is not None and role in row.roles.split(",")


class SqlDepartmentSettings:
    """DepartmentSettings on `department_settings` (a department without a row has the defaults)."""

    def get(self, department: str) -> dict:
        return department_settings_of(current_connection(), department)

    def put(self, department: str, settings: dict, user: str, now: datetime) -> dict:
        conn = current_connection()
        before = department_settings_of(conn, department)
        values = dict(settings, updated_at=now, updated_by=user)
        done = conn.execute(update(department_settings)
                            .where(department_settings.c.department_code == department).values(**values))
        if done.rowcount == 0:
            try:
                conn.execute(insert(department_settings).values(department_code=department, **values))
            except SAIntegrityError as exc:  # a concurrent first setting: retried as a whole
                raise RetryableConflict(exc) from exc
        return before


class SqlVisitCodes:
    """VisitCodes on `visit_codes`: only each code's SHA-256 is kept, written with the notices."""

    def note(self, code: str, task_id: UUID, subject: str) -> None:
        current_connection().execute(insert(visit_codes).values(code_hash=code_hash(code), task_id=str(task_id),
                                                                subject_code=subject))

    def find(self, code: str) -> tuple[UUID, str] | None:
        return find_visit_code(current_connection(), code)


def code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode("utf-8")).hexdigest()


def find_visit_code(conn: Connection, code: str) -> tuple[UUID, str] | None:
    row = conn.execute(select(visit_codes.c.task_id, visit_codes.c.subject_code)
                       .where(visit_codes.c.code_hash == code_hash(code))).first()
    return (UUID(row.task_id), row.subject_code) if row else None


class SqlArchiveStore:
    """ArchiveStore on `archive_files` (a second seal of the same file is a conflict, retried as a whole)."""

    def put(self, task_id: UUID, subject: str, content: bytes, sha256: str, at: datetime) -> None:
        try:
            current_connection().execute(insert(archive_files).values(
                task_id=str(task_id), subject_code=subject, sha256=sha256, size=len(content), content=content,
                created_at=at))
        except SAIntegrityError as exc:
            raise RetryableConflict(exc) from exc


def archive_file(conn: Connection, task_id: str, subject: str) -> tuple[bytes, str] | None:
    row = conn.execute(select(archive_files.c.content, archive_files.c.sha256).where(
        archive_files.c.task_id == task_id, archive_files.c.subject_code == subject)).first()
    return (bytes(row.content), row.sha256) if row else None


class SqlOpenClocks:
    """OpenClocks on `open_clocks`, opened and closed in the transaction that records the objection or request."""

    def open(self, aggregate_id: UUID, kind: str, key: str) -> None:
        current_connection().execute(insert(open_clocks).values(aggregate_id=str(aggregate_id), kind=kind, key=key))

    def close(self, aggregate_id: UUID) -> None:
        current_connection().execute(delete(open_clocks).where(open_clocks.c.aggregate_id == str(aggregate_id)))

    def open_for(self, kind: str, key: str) -> list[UUID]:
        rows = current_connection().execute(select(open_clocks.c.aggregate_id)
                                            .where(open_clocks.c.kind == kind, open_clocks.c.key == key))
        return [UUID(r.aggregate_id) for r in rows]

    def ids(self) -> list[tuple[UUID, str]]:
        rows = current_connection().execute(select(open_clocks.c.aggregate_id, open_clocks.c.kind)
                                            .order_by(open_clocks.c.aggregate_id))
        return [(UUID(r.aggregate_id), r.kind) for r in rows]


def department_settings_of(conn: Connection, department: str) -> dict:
    row = conn.execute(select(department_settings.c.review_required, department_settings.c.report_days,
                              department_settings.c.publish_days, department_settings.c.answer_days)
                       .where(department_settings.c.department_code == department)).first()
    return dict(row._mapping) if row else dict(DEFAULT_SETTINGS)


def current_connection() -> Connection:
    """The connection of the unit of work this thread runs in (JointInspect.transaction())."""
    try:
        return transactions.get().session.connection()
    except LookupError:
        raise RuntimeError("the write side's ports are used only inside a command's transaction") from None
