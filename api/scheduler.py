"""The deadline watcher: turns a passed, unanswered response deadline into an event without any user action."""
from __future__ import annotations

import logging
import threading
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from api.bootstrap import Services
from domain.usecases import SYSTEM
from domain.errors import DomainError
from domain.working_days import local_date
from projections.locks import SingleInstanceLock
from projections.queries import unmarked_overdue

log = logging.getLogger("jointinspect.scheduler")


class DeadlineWatcher:
    """Every `interval` seconds, marks overdue responses (R-JOINT-4); one active instance per database."""

    def __init__(self, services: Services, interval: float) -> None:
        self.services = services
        self.interval = interval
        self._lock = SingleInstanceLock(services.engine, "deadline-watcher")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="deadline-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._lock.release()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                if self._lock.acquire():
                    self.check()
            except Exception:  # the next tick tries again; nothing is marked twice (the aggregate refuses)
                log.exception("deadline check failed")

    def check(self) -> int:
        """Mark every response whose deadline has passed unanswered; returns how many were marked."""
        services = self.services
        today = local_date(services.clock.now())
        marked = 0
        for task_id, department in unmarked_overdue(services.engine, today=today):
            try:
                with services.app.transaction():
                    services.app.mark_overdue(UUID(task_id), department, SYSTEM)
                marked += 1
            except (DomainError, IntegrityError) as exc:  # answered or marked meanwhile: nothing to do
                log.info("not marking %s/%s overdue: %s", task_id, department, exc)
        if marked:
            services.runner.wake()
        return marked
