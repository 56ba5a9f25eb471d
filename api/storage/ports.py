"""The write side's ports (domain.ports) read on the connection of the command's own transaction
(`current_connection`); here the open tasks; the checklist's, the draw's and the inspectors' are beside their
tables (api/storage/checklist.py, draws.py, inspectors.py)."""
from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.utils import get_topic
from eventsourcing_sqlalchemy.datastore import transactions
from eventsourcing.persistence import IntegrityError as RetryableConflict
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError as SAIntegrityError
from sqlalchemy.engine import Connection

from domain.joint_task import JointTask
from api.storage.tables import task_numbers
from projections.queries import open_task_ids
from projections.tables import projection_tracking
from projections.tasks import TasksProjection

if TYPE_CHECKING:
    from domain.usecases import JointInspect

PAGE = 10_000  # log entries read per query when gathering the tasks opened after the projection's position


class SqlOpenTasks:
    """OpenTasks for JointInspect, consistent without holding the read side to the write side's pace.

    The tasks projection's open tasks as of its position P (P is read first, so the rows are at P or later), plus
    every task with an event after P that can open it (Initiated, or MergeAbsorbed bringing another task's
    responders), read from the log itself in this transaction. Together they cover every task that waits for a
    response now; one that has stopped waiting since is a harmless extra (its aggregate decides). Nothing is
    written on the command path: an index kept by every initiate and last response cost the command bench about
    7 % of its rate (issue 14)."""

    def __init__(self, app: "JointInspect") -> None:
        self.app = app
        self.topics = (get_topic(JointTask.Initiated), get_topic(JointTask.MergeAbsorbed))

    def ids(self) -> list[UUID]:
        conn = current_connection()
        position = conn.execute(select(projection_tracking.c.position)
                                .where(projection_tracking.c.name == TasksProjection.name)).scalar() or 0
        found = {UUID(i) for i in open_task_ids(conn)}
        while True:
            later = self.app.recorder.select_notifications(position, PAGE, topics=self.topics,
                                                           inclusive_of_start=False)
            found.update(n.originator_id for n in later)
            if len(later) < PAGE:
                return sorted(found)
            position = later[-1].id


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


def current_connection() -> Connection:
    """The connection of the unit of work this thread runs in (JointInspect.transaction())."""
    try:
        return transactions.get().session.connection()
    except LookupError:
        raise RuntimeError("the write side's ports are used only inside a command's transaction") from None
