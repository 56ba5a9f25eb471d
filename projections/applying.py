"""Applying events to projections: in log order, with the tracking row moved in the same transaction, and — when
a batch fails — by bisection down to the one event that fails, which is then sanitised or parked
(projections/failures.py says the policy)."""
from __future__ import annotations

import logging
from typing import Any, Protocol, Sequence

from sqlalchemy import func, update
from sqlalchemy.engine import Connection

from domain.usecases import JointInspect
from projections import failures
from projections.tables import projection_tracking

log = logging.getLogger("jointinspect.projections")
Failure = tuple[int, str, str, str]  # position, topic, action, error: a row of projection_failures


class Projection(Protocol):
    """A read model fed from the log. Optional members make it cheaper to run (see `apply_events`):

    - `apply_batch(conn, items: list[tuple[event, position]])` applies many events with a few statements;
    - `topics: tuple[str, ...]` names the only event topics it reads; the runner skips the rest in SQL;
    - `rebuild_weight: int` (default 1), its share of a rebuild's work, by which `rebuild_all` shares out processes.
    """

    name: str
    tables: tuple  # the read tables it owns: emptied by a rebuild

    def apply(self, conn: Connection, event: Any, position: int) -> None: ...


class BatchProjection(Projection, Protocol):
    def apply_batch(self, conn: Connection, items: list[tuple[Any, int]]) -> None: ...


def apply_events(projection: Projection, conn: Connection, items: list[tuple[Any, int]]) -> None:
    """Apply decoded events in log order: one `apply_batch` call when the projection has one, else `apply` each."""
    apply_batch = getattr(projection, "apply_batch", None)
    if apply_batch is not None:
        apply_batch(conn, items)
        return
    for event, position in items:
        projection.apply(conn, event, position)


class ConcurrentProjectionError(RuntimeError):
    """Another instance advanced the same projection first; this batch was rolled back."""


def advance(conn: Connection, group: Sequence[Projection], start: int, end: int) -> None:
    """Move the group's tracking rows from `start` to `end` in the batch's transaction (one statement), or fail if
    another instance moved any of them."""
    names = [projection.name for projection in group]
    advanced = conn.execute(
        update(projection_tracking)
        .where(projection_tracking.c.name.in_(names), projection_tracking.c.position == start)
        .values(position=end, updated_at=func.now()))
    if advanced.rowcount != len(names):
        raise ConcurrentProjectionError(f"projections {', '.join(names)} were advanced by another instance")


def retried(exc: BaseException) -> bool:
    """Whether a failed batch is left to be retried as it is (a race with another instance, the database away),
    rather than isolated to the event that fails."""
    return isinstance(exc, ConcurrentProjectionError) or failures.is_transient(exc)


MAX_PARKED_PER_BATCH = 10  # more failing events than this in one batch is a fault of the code, not of events


class ProjectionHalted(RuntimeError):
    """So many events of one batch failed that the projection itself must be at fault: it stops, loudly (status,
    /readyz, /metrics), instead of parking the whole log."""


def isolate(app: JointInspect, projection: Projection, items: list[tuple[Any, int]], start: int, end: int,
            parked: list[Failure], budget: list[int]) -> None:
    """Apply `items` = the events in (start, end] by bisection: each part that works is committed with its
    tracking position; a lone event that fails is applied sanitised, or parked while `budget[0]` allows."""
    try:
        _commit(app, projection, items, start, end, parked)
        return
    except Exception as exc:
        if retried(exc):
            raise
        if len(items) <= 1:
            _apply_alone(app, projection, items, start, end, parked, exc, budget)
            return
    middle = len(items) // 2
    split = items[middle - 1][1]
    isolate(app, projection, items[:middle], start, split, parked, budget)
    isolate(app, projection, items[middle:], split, end, parked, budget)


def _apply_alone(app: JointInspect, projection: Projection, items: list[tuple[Any, int]], start: int, end: int,
                 parked: list[Failure], error: Exception, budget: list[int]) -> None:
    if not items:  # nothing of the projection's failed: the failure rows themselves did; let it be retried
        raise error
    event, position = items[0]
    topic = failures.topic_of(event)
    cleaned = failures.sanitised(event)
    if cleaned is not event:
        try:
            note = (position, topic, failures.SANITISED, failures.describe(error))
            _commit(app, projection, [(cleaned, position)], start, end, parked + [note])
            log.error("projection %s applied the event at position %s sanitised (%s)", projection.name,
                      position, failures.describe(error))
            return
        except Exception as exc:
            if retried(exc):
                raise
            error = exc
    if budget[0] <= 0:
        raise ProjectionHalted(f"projection {projection.name} stopped at position {start}: more than "
                               f"{MAX_PARKED_PER_BATCH} events of one batch failed, the last with "
                               f"{failures.describe(error)}") from error
    budget[0] -= 1
    log.error("projection %s parked the event at position %s (%s)", projection.name, position,
              failures.describe(error))
    _commit(app, projection, [], start, end, parked + [(position, topic, failures.PARKED,
                                                        failures.describe(error))])


def _commit(app: JointInspect, projection: Projection, items: list[tuple[Any, int]], start: int, end: int,
            parked: list[Failure]) -> None:
    """One transaction: the events, the failure rows of positions in (start, end], the tracking row."""
    with app.transaction() as session:
        conn = session.connection()
        if items:
            apply_events(projection, conn, items)
        failures.record(conn, projection.name, [f for f in parked if start < f[0] <= end], app.clock.now())
        advance(conn, [projection], start, end)
