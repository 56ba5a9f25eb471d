"""The write side's ports on the store's own tables (domain.ports): the open-task index and check item names, read
and written on the connection of the command's transaction, so that they commit and roll back with its events."""
from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.utils import get_topic
from eventsourcing_sqlalchemy.datastore import transactions
from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from api.checklist_tables import item_labels
from api.store import ride_with_next_insert
from api.tables import open_tasks, write_indexes
from domain.joint_task import JointTask

if TYPE_CHECKING:
    from domain.application import JointInspect

INDEX = "open_tasks"
# The table holds the tasks that wait for a response, no others: a task enters when initiated (or when it absorbs
# another's responders), leaves at its last response, cancellation or merge. Small, and insert or delete only.
_PG_OPEN = "INSERT INTO open_tasks (task_id) VALUES (%(task_id)s) ON CONFLICT (task_id) DO NOTHING"
_PG_CLOSE = "DELETE FROM open_tasks WHERE task_id = %(task_id)s"


class SqlOpenTasks:
    """OpenTasks for JointInspect: a row per task awaiting a response, built from the log once."""

    def __init__(self, app: "JointInspect") -> None:
        self.app = app

    def keep(self, task_id: UUID, awaiting: bool) -> None:
        """Called just before the task's events are saved: on PostgreSQL the row rides in their insert's round
        trip (api/store.py), elsewhere it is written at once; either way in the same transaction."""
        row = {"task_id": str(task_id)}
        conn = _connection()
        if conn.dialect.name == "postgresql" and ride_with_next_insert(_PG_OPEN if awaiting else _PG_CLOSE, row):
            return
        if awaiting:
            _insert_missing(conn, [row])
        else:
            conn.execute(delete(open_tasks).where(open_tasks.c.task_id == row["task_id"]))

    def ids(self) -> list[UUID]:
        conn = _connection()
        if conn.execute(select(write_indexes.c.name).where(write_indexes.c.name == INDEX)).first() is None:
            self._build(conn)
        return [UUID(i) for i in conn.execute(select(open_tasks.c.task_id).order_by(open_tasks.c.task_id)).scalars()]

    def _build(self, conn: Connection) -> None:
        """Index every task the log holds (a store that had tasks before the index existed): once, at the first
        calendar change after an upgrade; O(tasks) aggregates loaded, in this transaction."""
        ids = self.app.recorder.originator_ids(get_topic(JointTask.Initiated))  # type: ignore[attr-defined]
        rows = [{"task_id": str(i)} for i in ids if self.app.get_task(i).awaits_responses]
        for start in range(0, len(rows), 1000):
            _insert_missing(conn, rows[start:start + 1000])
        conn.execute(insert(write_indexes).values(name=INDEX, built_at=self.app.clock.now()))


def _insert_missing(conn: Connection, rows: list[dict]) -> None:
    """INSERT … ON CONFLICT DO NOTHING, on either store."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    conn.execute(dialect_insert(open_tasks).on_conflict_do_nothing(), rows)


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
