"""Read models as they stood at a past instant (R-OVER-1 "can look at any past date").

The notification log is replayed, from the start up to the last event recorded at or before the instant, into a
throwaway in-memory SQLite read store by the same projection code; the same queries then run on it. The cost is
O(events up to the instant) per distinct instant, so a few recent stores are kept (LRU), keyed by the last
position they hold: every instant between two events shares one store.

The instant of an event is its business time (`at`, or `pushed_at` for JointTask.Initiated), the clock the
application read when it recorded it. Appends are serialized by the store, so the log is in that order; the last
position at or before an instant is found by bisecting the log (O(log n) single-event reads), and the replay also
stops at the first event after the instant, should two writers' clocks ever disagree.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool

from domain.usecases import JointInspect
from domain.working_calendar import CALENDAR_ID, WorkingCalendar
from domain.working_days import Calendar
from projections import tables as read_tables
from projections import failures
from projections.applying import apply_events

REPLAY_BATCH = 1000


def apply_tolerantly(projection: Any, conn: Any, items: list[tuple[Any, int]]) -> None:
    """Apply the batch; if it fails, event by event, sanitised where that helps, skipping what still fails (the
    live projections park those: projections/failures.py). A throwaway SQLite store: no transaction to save."""
    try:
        apply_events(projection, conn, items)
        return
    except Exception:
        pass
    for event, position in items:
        try:
            apply_events(projection, conn, [(failures.sanitised(event), position)])
        except Exception:
            continue


def recorded_at(event: Any) -> datetime:
    """When the application recorded the event, by its own clock (the library's timestamp as a fallback)."""
    return getattr(event, "at", None) or getattr(event, "pushed_at", None) or event.timestamp


@dataclass
class PastStore:
    """The read tables as they stood after `position`, and the working calendar then in force."""

    engine: Engine
    position: int
    events: int
    calendar: Calendar
    lock: threading.Lock = field(default_factory=threading.Lock)  # one in-memory connection: one query at a time


class PastStores:
    """Builds (and keeps the `size` most recently used) read stores replayed up to an instant."""

    def __init__(self, app: JointInspect, projections: Sequence[Any], tables: Sequence[Any], size: int = 4) -> None:
        wanted = set(tables)
        self.app = app
        self.projections = [p for p in projections if wanted & set(p.tables)]  # only what the queries read
        self.size = size
        self._stores: OrderedDict[int, PastStore] = OrderedDict()
        self._guard = threading.Lock()
        self.builds = 0

    def at(self, instant: datetime) -> PastStore:
        """The read store as of `instant` (built by replay, or reused from the cache)."""
        position = self.last_position_at(instant)
        with self._guard:
            store = self._stores.get(position)
            if store is not None:
                self._stores.move_to_end(position)
                return store
        store = self._build(position, instant)
        with self._guard:
            self._stores[position] = store
            while len(self._stores) > self.size:
                self._stores.popitem(last=False)[1].engine.dispose()
        return store

    def last_position_at(self, instant: datetime) -> int:
        """The position of the last event recorded at or before `instant` (0: none), by bisection."""
        recorder = self.app.recorder
        low, high = 0, recorder.max_notification_id() or 0  # invariant: the answer lies in [low, high]
        while low < high:
            middle = (low + high + 1) // 2
            found = recorder.select_notifications(middle, 1, stop=high, inclusive_of_start=True)
            if found and self._recorded_by(found[0], instant):
                low = found[0].id
            else:  # nothing in [middle, high], or it is already after the instant
                high = middle - 1
        return low

    def _recorded_by(self, notification: Any, instant: datetime) -> bool:
        try:
            return recorded_at(self.app.mapper.to_domain_event(notification)) <= instant
        except Exception:  # undecodable (parked by the projections): its neighbours decide where the instant falls
            return True

    def _build(self, position: int, instant: datetime) -> PastStore:
        engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
        read_tables.metadata.create_all(engine)
        applied, last, calendar_version = 0, 0, None
        with engine.begin() as conn:
            while last < position:
                notifications = self.app.recorder.select_notifications(
                    last, REPLAY_BATCH, stop=position, inclusive_of_start=False)
                if not notifications:
                    break
                items = []
                for notification in notifications:
                    try:
                        event = self.app.mapper.to_domain_event(notification)
                    except Exception:  # undecodable: parked by the live projections too (projections/failures.py)
                        last = notification.id
                        continue
                    if recorded_at(event) > instant:  # a writer whose clock ran behind: stop here all the same
                        position = last
                        break
                    items.append((event, notification.id))
                    last = notification.id
                    if isinstance(event, WorkingCalendar.Event):
                        calendar_version = event.originator_version
                for projection in self.projections:
                    apply_tolerantly(projection, conn, items)
                applied += len(items)
        self.builds += 1
        return PastStore(engine=engine, position=last, events=applied, calendar=self._calendar(calendar_version))

    def _calendar(self, version: int | None) -> Calendar:
        """The working calendar as the office had entered it then (the official schedule is the current code)."""
        if version is None:
            return Calendar(official=self.app.official)
        aggregate = self.app.read_aggregate(CALENDAR_ID, version=version)
        return aggregate.calendar(self.app.official)

