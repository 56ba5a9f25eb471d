"""The event store: eventsourcing-sqlalchemy's recorder with a shorter hold of the log's insert lock on PostgreSQL.

To number the log without gaps in commit order, the library's recorder takes `LOCK TABLE … IN EXCLUSIVE MODE`
before it inserts a command's events, and every other command's insert waits until that transaction commits.
It spent three round trips under the lock before the commit: the LOCK, the ORM insert, and a `NOTIFY` on a
channel nobody here listens to (`projections.subscription` installs a trigger that notifies at commit). Under
load each round trip also waits for the API process's GIL, and the lock serialised every command behind it.

Here the lock and the insert go in one round trip, with nothing else before the commit. Conflicts surface as
before: a second writer of the same aggregate version violates the unique index and the unit of work is retried
(`api.http.idempotency.run_command`). SQLite keeps the library's insert.

Reads are Core selects, not the library's ORM queries and objects: a command's load of its aggregate (a seventh
of the API process's GIL time under load), and the log's head and next notifications the projection worker reads
on every wake-up. Outside a unit of work they skip the library's ORM session too (`_read`). On the bench host the
head went from 2.3 to 1.1 ms of CPU per read.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Sequence
from uuid import UUID

from eventsourcing.persistence import Notification, OperationalError, StoredEvent
from eventsourcing_sqlalchemy.datastore import transactions
from eventsourcing_sqlalchemy.factory import SQLAlchemyFactory
from eventsourcing_sqlalchemy.recorders import SQLAlchemyApplicationRecorder
from sqlalchemy import Row, Select, bindparam, select
from sqlalchemy.orm import Session


def environment(database_url: str) -> dict[str, str]:
    """The eventsourcing environment of an application on this store at `database_url`."""
    return {"PERSISTENCE_MODULE": "api.storage.eventstore:Factory", "SQLALCHEMY_URL": database_url}


def ensure_sqlite_directory(database_url: str) -> None:
    """Create the directory of a SQLite file store if it is missing (SQLite creates the file, not its directory)."""
    path = database_url.split("sqlite:///", 1)[-1].split("?", 1)[0]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


class BoundedWriteLock(threading.Semaphore):
    """SQLite: the library serialises a process's writers with a semaphore taken without a bound. Taken here with
    one, so that writers stuck behind each other fail with OperationalError (a 503 to a client) instead of hanging
    a thread for ever (issue 13 item 9)."""

    def __init__(self, seconds: float = 30.0) -> None:
        super().__init__(1)
        self.seconds = seconds

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        if not blocking or timeout is not None:
            return super().acquire(blocking, timeout)
        if not super().acquire(True, self.seconds):
            raise OperationalError(f"the SQLite write lock was not free within {self.seconds:g} s")
        return True


class Recorder(SQLAlchemyApplicationRecorder):
    """The library's application recorder, with the changes this module's docstring describes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.datastore.write_lock is not None:  # a SQLite file
            self.datastore.write_lock = BoundedWriteLock()
        c = self.events_record_cls.__table__.c  # type: ignore[attr-defined]
        # Built once: SQLAlchemy then finds their compiled form without rebuilding them or their cache keys
        self._aggregate_events = select(c.originator_id, c.originator_version, c.topic, c.state).where(
            c.originator_id == bindparam("originator_id"))
        self._whole_aggregate = self._aggregate_events.order_by(c.originator_version)
        self._head = select(c.id).order_by(c.id.desc()).limit(1)

    def select_events(self, originator_id: UUID | str, gt: int | None = None, lte: int | None = None,
                      desc: bool = False, limit: int | None = None) -> list[StoredEvent]:
        if gt is None and lte is None and not desc and limit is None:  # a command loading its aggregate
            statement = self._whole_aggregate
        else:
            c = self.events_record_cls.__table__.c  # type: ignore[attr-defined]
            statement = self._aggregate_events
            if gt is not None:
                statement = statement.where(c.originator_version > gt)
            if lte is not None:
                statement = statement.where(c.originator_version <= lte)
            statement = statement.order_by(c.originator_version.desc() if desc else c.originator_version)
            if limit is not None:
                statement = statement.limit(limit)
        return [StoredEvent(originator_id=o, originator_version=v, topic=t,
                            state=bytes(state) if isinstance(state, memoryview) else state)
                for o, v, t, state in self._read(statement, {"originator_id": originator_id})]

    def originator_ids(self, topic: str) -> list[UUID]:
        """Every aggregate that recorded an event of `topic` (e.g. every task's Initiated), in id order."""
        c = self.events_record_cls.__table__.c  # type: ignore[attr-defined]
        return [UUID(str(i)) for (i,) in self._read(
            select(c.originator_id).where(c.topic == topic).order_by(c.originator_id))]

    def max_notification_id(self) -> int | None:
        rows = self._read(self._head)
        return rows[0][0] if rows else None

    def select_notifications(self, start: int | None, limit: int, stop: int | None = None,
                             topics: Sequence[str] = (), *, inclusive_of_start: bool = True) -> list[Notification]:
        c = self.events_record_cls.__table__.c  # type: ignore[attr-defined]
        statement = select(c.id, c.originator_id, c.originator_version, c.topic, c.state)
        if start is not None:
            statement = statement.where(c.id >= start if inclusive_of_start else c.id > start)
        if stop is not None:
            statement = statement.where(c.id <= stop)
        if topics:
            statement = statement.where(c.topic.in_(topics))
        return [Notification(id=i, originator_id=o, originator_version=v, topic=t,
                             state=bytes(state) if isinstance(state, memoryview) else state)
                for i, o, v, t, state in self._read(statement.order_by(c.id).limit(limit))]

    def _read(self, statement: Select, parameters: dict[str, Any] | None = None) -> Sequence[Row]:
        """Rows of a read: in the caller's unit of work when one is open, else on a pooled connection of its own.

        On PostgreSQL a read outside any unit of work skips the library's ORM session (its begin, rollback and
        close cost about 1 ms of CPU on the bench host, twice the query). SQLite keeps the library's transaction,
        which also serialises access to an in-memory database. Either way the statement runs on the Core
        connection: the ORM session's execute adds its own work for nothing a Core select needs.
        """
        engine = self.datastore.engine
        if engine is not None and engine.dialect.name == "postgresql" and transactions.get(None) is None:
            with engine.connect() as conn:
                return conn.execute(statement, parameters).all()
        with self.transaction(commit=False) as session:
            return session.connection().execute(statement, parameters).all()

    def _insert_stored_events(self, session: Session, stored_events: Sequence[StoredEvent],
                              **kwargs: Any) -> Sequence[int]:
        conn = session.connection()
        if conn.dialect.name != "postgresql" or not stored_events:
            return super()._insert_stored_events(session, stored_events, **kwargs)
        q = conn.dialect.identifier_preparer.quote
        table = q(self.events_table_name) if self.schema_name is None else \
            f"{q(self.schema_name)}.{q(self.events_table_name)}"
        values, parameters = [], {}
        for n, event in enumerate(stored_events):
            values.append(f"(%(o{n})s::uuid, %(v{n})s, %(t{n})s, %(s{n})s)")
            parameters.update({f"o{n}": str(event.originator_id), f"v{n}": event.originator_version,
                               f"t{n}": event.topic, f"s{n}": bytes(event.state)})
        result = conn.exec_driver_sql(
            f"LOCK TABLE {table} IN EXCLUSIVE MODE; "
            f"INSERT INTO {table} (originator_id, originator_version, topic, state) VALUES {', '.join(values)} "
            f"RETURNING id", parameters)
        return sorted(row[0] for row in result)  # one sequence, in insert order: ascending


class Factory(SQLAlchemyFactory):
    application_recorder_class = Recorder
