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
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError as SAIntegrityError
from sqlalchemy.engine import Connection

from domain.joint_task import JointTask
from api.storage.tables import department_settings, departments, result_index, task_numbers, users
from domain.result_rules import DEFAULT_SETTINGS
from projections.queries import open_task_ids
from projections.tables import projection_tracking
from projections.results import ResultsProjection, tasks_awaiting_publication
from projections.tasks import TasksProjection

if TYPE_CHECKING:
    from domain.usecases import JointInspect

PAGE = 10_000  # log entries read per query when gathering the tasks opened after the projection's position


class SqlOpenTasks:
    """OpenTasks for JointInspect, consistent without holding the read side to the write side's pace.

    Two sources, each a read model as of its position P plus the log after P: the tasks projection's tasks that
    wait for a response (and every task Initiated or MergeAbsorbed after P), and the results projection's tasks
    with a result not yet published (and every task with a ResultRecorded after P). Each P is read first, so the
    rows are at P or later. Together they cover every task with a deadline that moves with the calendar; one that
    no longer has one is a harmless extra (its aggregate decides). Nothing is written on the command path: an
    index kept by every initiate and last response cost the command bench about 7 % of its rate (issue 14)."""

    def __init__(self, app: "JointInspect") -> None:
        self.app = app
        self.sources = (
            (TasksProjection.name, open_task_ids,
             (get_topic(JointTask.Initiated), get_topic(JointTask.MergeAbsorbed))),
            (ResultsProjection.name, tasks_awaiting_publication, (get_topic(JointTask.ResultRecorded),)),
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


def department_settings_of(conn: Connection, department: str) -> dict:
    row = conn.execute(select(department_settings.c.review_required, department_settings.c.report_days,
                              department_settings.c.publish_days)
                       .where(department_settings.c.department_code == department)).first()
    return dict(row._mapping) if row else dict(DEFAULT_SETTINGS)


def current_connection() -> Connection:
    """The connection of the unit of work this thread runs in (JointInspect.transaction())."""
    try:
        return transactions.get().session.connection()
    except LookupError:
        raise RuntimeError("the write side's ports are used only inside a command's transaction") from None
