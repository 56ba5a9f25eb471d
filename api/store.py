"""The event store: eventsourcing-sqlalchemy's recorder with a shorter hold of the log's insert lock on PostgreSQL.

To number the log without gaps in commit order, the library's recorder takes `LOCK TABLE … IN EXCLUSIVE MODE`
before it inserts a command's events, and every other command's insert waits until that transaction commits.
It spent three round trips under the lock before the commit: the LOCK, the ORM insert, and a `NOTIFY` on a
channel nobody here listens to (`projections.subscription` installs a trigger that notifies at commit). Under
load each round trip also waits for the API process's GIL, and the lock serialised every command behind it.

Here the lock and the insert go in one round trip, with nothing else before the commit. Conflicts surface as
before: a second writer of the same aggregate version violates the unique index and the unit of work is retried
(`api.commands.run_command`). SQLite keeps the library's insert.

Every command loads its aggregate first; the library builds an ORM query and ORM objects for that, a seventh of
the API process's GIL time under load. Here it is one Core select (compiled once, cached) on both stores.
"""
from __future__ import annotations

from typing import Any, Sequence
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing_sqlalchemy.factory import SQLAlchemyFactory
from eventsourcing_sqlalchemy.recorders import SQLAlchemyApplicationRecorder
from sqlalchemy import select
from sqlalchemy.orm import Session


def environment(database_url: str) -> dict[str, str]:
    """The eventsourcing environment of an application on this store at `database_url`."""
    return {"PERSISTENCE_MODULE": "api.store:Factory", "SQLALCHEMY_URL": database_url}


class Recorder(SQLAlchemyApplicationRecorder):
    """The library's application recorder, with the two changes this module's docstring describes."""

    def select_events(self, originator_id: UUID | str, gt: int | None = None, lte: int | None = None,
                      desc: bool = False, limit: int | None = None) -> list[StoredEvent]:
        c = self.events_record_cls.__table__.c  # type: ignore[attr-defined]
        statement = select(c.originator_id, c.originator_version, c.topic, c.state).where(
            c.originator_id == originator_id)
        if gt is not None:
            statement = statement.where(c.originator_version > gt)
        if lte is not None:
            statement = statement.where(c.originator_version <= lte)
        statement = statement.order_by(c.originator_version.desc() if desc else c.originator_version)
        if limit is not None:
            statement = statement.limit(limit)
        with self.transaction(commit=False) as session:
            rows = session.execute(statement).all()
        return [StoredEvent(originator_id=o, originator_version=v, topic=t,
                            state=bytes(state) if isinstance(state, memoryview) else state)
                for o, v, t, state in rows]

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
