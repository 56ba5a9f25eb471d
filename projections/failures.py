"""What the read side does with an event it cannot apply: it never stops (ARCHITECTURE.md, "Hostile input").

The log is for ever, and an event may hold what a read table cannot store (a NUL, which PostgreSQL text refuses;
a lone surrogate, which no UTF-8 encoder takes) or fail a projection for a reason of its own (an event of an older
version, a bug). The policy, applied by `ProjectionRunner` when a batch fails for a reason other than the database
being unavailable or another instance racing it:

1. The batch is bisected, each half in its own transaction, until the failing event stands alone; every other
   event is applied as usual (O(log n) transactions for one bad event in a batch of n).
2. The lone event is applied once more with its text cleaned (`sanitised`: NUL and lone surrogates become U+FFFD,
   the replacement character). If that works, its rows are there, cleaned, and the event is listed as `sanitised`.
3. Otherwise it is `parked`: the projection moves past it without its rows.
An event the mapper cannot even decode is parked for every projection that reads its topic.
Either way a row in `projection_failures` keeps the projection, the position, the topic and the error; it shows in
`jointinspect projections status`, in `/readyz`'s body and in `/metrics`. A rebuild empties the projection's
failure rows with its tables and meets the same events again, so it reproduces the live rows (tested).
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Connection
from eventsourcing import persistence
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from projections.tables import projection_failures

SANITISED, PARKED = "sanitised", "parked"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def is_transient(exc: BaseException) -> bool:
    """Errors of the database's availability, not of the event: the batch is retried, nothing is parked."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        return True
    if isinstance(exc, (persistence.OperationalError, persistence.InterfaceError)):  # the same, as the event
        return True  # store's transaction re-raises them
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def first_line(exc: BaseException) -> str:
    """An error in one log line: its message's first line, else its class's name."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def clean(value: Any) -> Any:
    """`value` with NUL and lone surrogates replaced by U+FFFD, at any depth (the same object when clean)."""
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value) if _UNSTORABLE.search(value) else value
    if isinstance(value, (list, tuple)):
        cleaned = [clean(v) for v in value]
        return value if all(a is b for a, b in zip(cleaned, value)) else type(value)(cleaned)
    if isinstance(value, dict):
        pairs = [(clean(k), clean(v)) for k, v in value.items()]
        return value if all(a is k and b is v for (a, b), (k, v) in zip(pairs, value.items())) else dict(pairs)
    return value


def sanitised(event: Any) -> Any:
    """A copy of the (frozen) event with its text cleaned, or the event itself when nothing needed cleaning."""
    fields = vars(event)
    cleaned = {name: clean(value) for name, value in fields.items()}
    if all(cleaned[name] is value for name, value in fields.items()):
        return event
    copy = object.__new__(type(event))
    for name, value in cleaned.items():
        object.__setattr__(copy, name, value)
    return copy


def topic_of(event: Any) -> str:
    return f"{type(event).__module__}:{type(event).__qualname__}"


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def record(conn: Connection, projection: str, failures: Iterable[tuple[int, str, str, str]], now: datetime) -> None:
    """Keep (position, topic, action, error) rows for `projection`, replacing any earlier row of the same position."""
    rows = [{"projection": projection, "position": position, "topic": topic[:255], "action": action,
             "error": _UNSTORABLE.sub("\ufffd", error), "recorded_at": now}
            for position, topic, action, error in failures]
    if not rows:
        return
    conn.execute(delete(projection_failures).where(
        projection_failures.c.projection == projection,
        projection_failures.c.position.in_([row["position"] for row in rows])))
    conn.execute(insert(projection_failures), rows)


def forget(conn: Connection, projections: Iterable[str]) -> None:
    """Empty the failure rows of projections being rebuilt."""
    conn.execute(delete(projection_failures).where(projection_failures.c.projection.in_(list(projections))))


def counts(conn: Connection) -> dict[tuple[str, str], int]:
    """(projection, action) → how many events."""
    query = (select(projection_failures.c.projection, projection_failures.c.action, func.count())
             .group_by(projection_failures.c.projection, projection_failures.c.action))
    return {(name, action): int(n) for name, action, n in conn.execute(query)}


def latest(conn: Connection, limit: int = 20) -> list[dict]:
    """The most recent failures, newest first, for `projections status` and `/readyz`."""
    query = select(projection_failures).order_by(projection_failures.c.position.desc()).limit(limit)
    return [dict(row) for row in conn.execute(query).mappings()]
