"""Runs projections over the notification log: rows and tracking in one transaction, exactly once."""
from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.engine import Engine

from domain.usecases import JointInspect
from projections import failures
from projections.applying import (
    MAX_PARKED_PER_BATCH, Failure, Projection, ProjectionHalted, advance, apply_events, isolate, retried,
)
from projections.locks import SingleInstanceLock
from projections.subscription import notify_wanted
from projections.tables import projection_tracking

log = logging.getLogger("jointinspect.projections")

REBUILD_BATCH_SIZE = 20000  # a rebuild has the whole log to read: bigger batches, fewer round trips
TOPIC_WINDOW = 4  # a projection reading some topics looks at most batch size × this many positions per batch


def share_out(projections: Sequence[Projection], processes: int) -> list[list[Projection]]:
    """At most `processes` groups of about equal `rebuild_weight` (default 1), heaviest placed first."""
    shares: list[list[Projection]] = [[] for _ in range(max(1, min(processes, len(projections))))]
    weight = lambda p: getattr(p, "rebuild_weight", 1)  # noqa: E731
    for projection in sorted(projections, key=weight, reverse=True):
        min(shares, key=lambda share: sum(map(weight, share))).append(projection)
    return [share for share in shares if share]


class ProjectionRunner:
    """Follows the notification log and applies each projection once.

    It looks at the log when woken (`wake()`: after a local command, or on PostgreSQL by the LISTEN/NOTIFY
    listener of `projections.subscription`) and otherwise every `poll_seconds` (SQLite cannot be subscribed to,
    so there the poll is what drives it; on PostgreSQL the poll is a slow safety net).

    Exactly once: the tracking row is advanced with a compare-and-set in the same transaction as the rows,
    so a second instance racing on the same database rolls back instead of applying twice. On PostgreSQL an
    advisory lock also keeps all but one instance idle (hot standby).
    """

    def __init__(self, app: JointInspect, engine: Engine, projections: Sequence[Projection],
                 poll_seconds: float = 0.05, batch_size: int = 500, coalesce_seconds: float = 0.0) -> None:
        self.app = app
        self.engine = engine
        self.projections = list(projections)
        self.poll_seconds = poll_seconds
        self.coalesce_seconds = coalesce_seconds  # when woken, let a burst of commits land: one batch for all
        self._last_batch = float("-inf")  # when the last catch-up began (monotonic)
        self.batch_size = batch_size
        self._wake = threading.Event()
        self._hurry = threading.Event()  # a reader waits for the read models: no coalescing for this batch
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = SingleInstanceLock(engine, "projections")
        self.halted: dict[str, str] = {}  # projection → why it stopped (applying.ProjectionHalted), until restarted
        self.ensure_tracking_rows()

    # ---- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="projections", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._hurry.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._lock.release()

    def wake(self) -> None:
        """Look at the log now instead of at the next poll (called after a local command commits)."""
        self._wake.set()

    def hurry(self) -> None:
        """Look at the log now, without waiting out the coalescing interval: a reader waits for the result."""
        self._hurry.set()
        self._wake.set()

    def hurry_everywhere(self) -> None:
        """A reader waits: hurry the runner of this process (if it runs here) and, on PostgreSQL, the one that runs
        in another process."""
        self.hurry()
        notify_wanted(self.engine)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self._lock.acquire():
                    self._hurry.clear()  # this catch-up serves every reader waiting so far
                    self._last_batch = time.monotonic()
                    self.catch_up()
            except Exception as exc:  # a failing batch is retried; its position stays put and shows as lag
                if failures.is_transient(exc):  # the database is away: one line a try, not a traceback a second
                    log.warning("projection batch failed, database unavailable (%s); retrying",
                                failures.first_line(exc))
                else:
                    log.exception("projection batch failed; retrying")
                self._stop.wait(1.0)
            woken = self._wake.wait(self.poll_seconds)
            self._wake.clear()
            if woken and self.coalesce_seconds:  # at most one batch per coalesce_seconds when woken: under load a
                # burst of commits shares one batch; a command after a quiet spell is applied at once, and so is
                # one a reader waits for (`hurry`, from `wait_for` in this or another process)
                self._hurry.wait(max(0.0, self._last_batch + self.coalesce_seconds - time.monotonic()))

    # ---- the work ------------------------------------------------------------------------------------
    def catch_up(self, batch_size: int | None = None) -> int:
        """Apply every notification not yet applied; returns how many log positions were passed.

        Projections standing at the same position share one read and one decode of each batch, and one
        transaction (each still advances its own tracking row by compare-and-set). A projection behind the others
        (after a rebuild of it alone) catches up on its own, up to the next one's position, then joins them.
        """
        limit = batch_size or self.batch_size
        applied = 0
        head = self.app.recorder.max_notification_id() or 0  # one look at the log's head for every projection
        positions = self.positions()  # then kept here: each step advances its tracking rows by compare-and-set
        while True:
            start = min(positions.values(), default=head)
            if start >= head:
                return applied
            group = [p for p in self.projections if positions[p.name] == start]
            stop = min([head] + [q for q in positions.values() if q > start])
            passed = self._step_together(group, start, limit, stop)
            positions.update({p.name: start + passed for p in group})
            applied += passed

    def _step_together(self, group: list[Projection], start: int, limit: int, stop: int) -> int:
        """Apply the notifications in (start, stop], at most `limit`, to every projection of the group; returns the
        log positions passed. Each batch is read and decoded once for the whole group.

        When every projection of the group names its `topics`, only those are read, in a bounded window of the log:
        asked for "the next `limit` of these topics", PostgreSQL fetched the whole rest of the log and sorted it
        (300 ms a batch at a million events). Positions still advance past events nobody reads, so `wait_for` never
        stalls behind them.
        """
        halted = [self.halted[p.name] for p in group if p.name in self.halted]
        if halted:
            raise ProjectionHalted(halted[0])
        wanted = {p.name: frozenset(getattr(p, "topics", ()) or ()) for p in group}
        topics: tuple[str, ...] = ()
        if all(wanted.values()):
            topics = tuple(sorted(frozenset().union(*wanted.values())))
            stop = min(stop, start + limit * TOPIC_WINDOW)
        notifications = self.app.recorder.select_notifications(
            start, limit, stop=stop, topics=topics, inclusive_of_start=False)
        end = notifications[-1].id if len(notifications) == limit else stop
        items, undecodable = self._decode(notifications, wanted)
        try:
            with self.app.transaction() as session:
                conn = session.connection()
                for projection in group:
                    if items[projection.name]:
                        apply_events(projection, conn, items[projection.name])
                    failures.record(conn, projection.name, undecodable[projection.name], self.app.clock.now())
                advance(conn, group, start, end)
        except Exception as exc:
            if retried(exc):
                raise
            log.error("projection batch (%s, %s] failed (%s); isolating the event that fails", start, end,
                      failures.describe(exc))
            budget = [MAX_PARKED_PER_BATCH]
            for projection in group:
                try:
                    isolate(self.app, projection, items[projection.name], start, end,
                            undecodable[projection.name], budget)
                except ProjectionHalted as halt:
                    self.halted[projection.name] = str(halt)  # until restarted: no more parking
                    raise
        return end - start

    def _decode(self, notifications: list[Any], wanted: dict[str, frozenset[str]]
                ) -> tuple[dict[str, list[tuple[Any, int]]], dict[str, list[Failure]]]:
        """Each projection's (event, position) pairs, and the events it reads that cannot be decoded (parked)."""
        items: dict[str, list[tuple[Any, int]]] = {name: [] for name in wanted}
        undecodable: dict[str, list[Failure]] = {name: [] for name in wanted}
        for notification in notifications:
            readers = [name for name, reads in wanted.items() if not reads or notification.topic in reads]
            if not readers:
                continue
            try:
                event = self.app.mapper.to_domain_event(notification)
            except Exception as exc:  # an event of another version, a damaged row: parked, never a stop
                log.error("cannot decode the event at position %s (%s): parked", notification.id, exc)
                for name in readers:
                    undecodable[name].append((notification.id, notification.topic, failures.PARKED,
                                              failures.describe(exc)))
                continue
            for name in readers:
                items[name].append((event, notification.id))
        return items, undecodable

    def rebuild(self, name: str) -> int:
        """Empty a projection's tables and replay the whole log into them; returns the log positions passed."""
        return self._rebuild([self._named(name)])

    def rebuild_all(self, processes: int = 1) -> int:
        """Empty every projection's tables and replay the log into all of them; returns the log positions passed.

        With one process each batch is read and decoded once for all of them. With more, the projections are
        shared out by `rebuild_weight` among that many forked processes, each reading the log for its own share:
        the log is read more than once, but the applying, most of a rebuild, runs on that many cores.
        """
        return self._rebuild(self.projections, processes)

    def _rebuild(self, projections: Sequence[Projection], processes: int = 1) -> int:
        with self.app.transaction() as session:
            conn = session.connection()
            for projection in projections:
                for table in reversed(projection.tables):
                    conn.execute(table.delete())
            failures.forget(conn, [p.name for p in projections])
            conn.execute(update(projection_tracking)
                         .where(projection_tracking.c.name.in_([p.name for p in projections]))
                         .values(position=0, updated_at=func.now()))
        for projection in projections:
            self.halted.pop(projection.name, None)
        batch_size = max(self.batch_size, REBUILD_BATCH_SIZE)
        shares = share_out(projections, processes)
        if len(shares) > 1:
            self._catch_up_in_processes(shares, batch_size)
        self.catch_up(batch_size)  # all of it with one process; else what came in meanwhile
        self._analyze(projections)
        return min(self.positions()[p.name] for p in projections)

    def _analyze(self, projections: Sequence[Projection]) -> None:
        """Refresh the planner's statistics of the rebuilt tables on PostgreSQL at once, as autovacuum would some
        time later: an emptied-and-refilled table planned on its old statistics can take a nested loop that turns
        a 20 ms query (the inbox's) into seconds."""
        if self.engine.dialect.name != "postgresql":
            return
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for projection in projections:
                for table in projection.tables:
                    conn.execute(text(f'ANALYZE "{table.name}"'))

    def _catch_up_in_processes(self, shares: list[list[Projection]], batch_size: int) -> None:
        """Fork one process per share to catch its projections up; fails if any of them did (what they applied
        stays, with its tracking position: the next catch-up goes on from there)."""
        context = multiprocessing.get_context("fork")  # the child gets these projections, not a rebuilt wiring
        children = [context.Process(target=self._catch_up_share, args=([p.name for p in share], batch_size),
                                    name=f"rebuild-{'+'.join(p.name for p in share)}") for share in shares]
        for child in children:
            child.start()
        for child in children:
            child.join()
        failed = [child.name for child in children if child.exitcode != 0]
        if failed:
            raise RuntimeError(f"projection rebuild failed in {', '.join(failed)}; run it again to go on")

    def _catch_up_share(self, names: list[str], batch_size: int) -> None:
        self.engine.dispose(close=False)  # the parent's pooled connections stay the parent's
        self.projections = [self._named(name) for name in names]
        self.catch_up(batch_size)

    def status(self, now: datetime) -> list[dict]:
        """Per projection: position, events behind the log head, and seconds since the oldest unapplied event."""
        head = self.app.recorder.max_notification_id() or 0
        with self.engine.connect() as conn:
            failed = failures.counts(conn)
        rows = []
        for projection in self.projections:
            position = self.position(projection.name)
            rows.append({"name": projection.name, "position": position, "head": head,
                         "lag_events": head - position, "lag_seconds": self._lag_seconds(position, head, now),
                         "parked": failed.get((projection.name, failures.PARKED), 0),
                         "sanitised": failed.get((projection.name, failures.SANITISED), 0),
                         "halted": self.halted.get(projection.name)})
        return rows

    def _lag_seconds(self, position: int, head: int, now: datetime) -> float:
        """Seconds since the oldest event the projection has not applied (0 when at the head)."""
        if position >= head:
            return 0.0
        first = self.app.recorder.select_notifications(position, 1, inclusive_of_start=False)
        if not first:
            return 0.0
        try:
            recorded = self.app.mapper.to_domain_event(first[0]).timestamp
        except Exception:  # an undecodable event is parked when the runner meets it; its age is unknown here
            return 0.0
        return round(max(0.0, (now - recorded).total_seconds()), 3)

    def _named(self, name: str) -> Projection:
        for projection in self.projections:
            if projection.name == name:
                return projection
        raise KeyError(f"no projection named {name!r}; known: {', '.join(p.name for p in self.projections)}")

    # ---- tracking ------------------------------------------------------------------------------------
    def ensure_tracking_rows(self) -> None:
        with self.engine.begin() as conn:
            known = set(conn.execute(select(projection_tracking.c.name)).scalars())
            for projection in self.projections:
                if projection.name not in known:
                    conn.execute(insert(projection_tracking).values(name=projection.name, position=0))

    def positions(self) -> dict[str, int]:
        names = [p.name for p in self.projections]
        with self.engine.connect() as conn:
            return {r.name: int(r.position) for r in conn.execute(
                select(projection_tracking.c.name, projection_tracking.c.position)
                .where(projection_tracking.c.name.in_(names)))}

    def position(self, name: str) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(projection_tracking.c.position)
                                    .where(projection_tracking.c.name == name)).scalar_one())

    def lowest_position(self) -> int:
        names = [p.name for p in self.projections]
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.min(projection_tracking.c.position))
                                    .where(projection_tracking.c.name.in_(names))).scalar_one())

    def wait_for(self, position: int | None, timeout: float = 5.0, name: str | None = None) -> bool:
        """Block until every projection (or the one named) has applied `position` (read-your-writes); False on
        timeout."""
        if not position:
            return True
        applied = self.lowest_position if name is None else (lambda: self.position(name))
        deadline = time.monotonic() + timeout
        if applied() >= position:
            return True
        self.hurry_everywhere()
        while applied() < position:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True
