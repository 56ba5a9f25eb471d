"""The write side's ports on the store's own tables (domain.ports): the open-task index and check item names, read
and written on the connection of the command's transaction, so that they commit and roll back with its events."""
from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.utils import get_topic
from eventsourcing_sqlalchemy.datastore import transactions
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from api.checklist_tables import item_labels
from api.store import ride_with_next_insert
from api.tables import open_tasks, write_indexes
from domain.joint_task import JointTask
from projections.bulk import upsert

if TYPE_CHECKING:
    from domain.application import JointInspect

INDEX = "open_tasks"
_PG_UPSERT = ("INSERT INTO open_tasks (task_id, awaiting) VALUES (%(task_id)s, %(awaiting)s) "
              "ON CONFLICT (task_id) DO UPDATE SET awaiting = EXCLUDED.awaiting")


class SqlOpenTasks:
    """OpenTasks for JointInspect: one row per task (`awaiting` true or false), built from the log once."""

    def __init__(self, app: "JointInspect") -> None:
        self.app = app

    def keep(self, task_id: UUID, awaiting: bool) -> None:
        """Called just before the task's events are saved: on PostgreSQL the row rides in their insert's round
        trip (api/store.py), elsewhere it is written at once; either way in the same transaction."""
        row = {"task_id": str(task_id), "awaiting": awaiting}
        conn = _connection()
        if conn.dialect.name == "postgresql" and ride_with_next_insert(_PG_UPSERT, row):
            return
        upsert(conn, open_tasks, [row])

    def ids(self) -> list[UUID]:
        conn = _connection()
        if conn.execute(select(write_indexes.c.name).where(write_indexes.c.name == INDEX)).first() is None:
            self._build(conn)
        return [UUID(i) for i in conn.execute(select(open_tasks.c.task_id).where(open_tasks.c.awaiting)
                                               .order_by(open_tasks.c.task_id)).scalars()]

    def _build(self, conn: Connection) -> None:
        """Index every task the log holds (a store that had tasks before the index existed): once, at the first
        calendar change after an upgrade; O(tasks) aggregates loaded, in this transaction."""
        ids = self.app.recorder.originator_ids(get_topic(JointTask.Initiated))  # type: ignore[attr-defined]
        rows = [{"task_id": str(i), "awaiting": self.app.get_task(i).awaits_responses} for i in ids]
        for start in range(0, len(rows), 1000):
            upsert(conn, open_tasks, rows[start:start + 1000])
        conn.execute(insert(write_indexes).values(name=INDEX, built_at=self.app.clock.now()))


class SqlCheckItemNames:
    """CheckItemNames on the checklist tables, in the command's transaction."""

    def names(self, item_ids: list[str]) -> dict[str, str]:
        return {i["id"]: i["name"] for i in item_labels(_connection(), item_ids)}


def _connection() -> Connection:
    """The connection of the unit of work this thread runs in (JointInspect.transaction())."""
    try:
        return transactions.get().session.connection()
    except LookupError:
        raise RuntimeError("the open-task index is used only inside a command's transaction") from None
