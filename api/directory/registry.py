"""Imports running in this process: one thread each, their live progress, and a clean stop at shutdown.

An import runs in ONE transaction, so its progress cannot be read from the database while it runs: requests read
it here (GET /imports/{id}); once it ends, the persisted record is the answer. On several replicas only the one
running an import sees its live figures; the others see the stored record ("running" until it ends).
"""
from __future__ import annotations

import logging
import threading
from typing import Any

from api.directory.importer import ImportJob, Progress, fail, run_import
from api.bootstrap import Services

log = logging.getLogger("jointinspect.directory")


class ImportRegistry:
    def __init__(self, services: Services) -> None:
        self.services = services
        self._running: dict[str, tuple[Progress, threading.Thread]] = {}
        self._lock = threading.Lock()
        self._cancelled = threading.Event()

    @property
    def write_lock(self) -> Any:
        """SQLite has one writer: hold the event store's own writer lock while an import writes."""
        if not self.services.settings.is_sqlite:
            return None
        return getattr(self.services.app.recorder.datastore, "write_lock", None)  # type: ignore[attr-defined]

    def start(self, job: ImportJob) -> Progress:
        progress = Progress.for_job(job, self.services.clock.now())
        thread = threading.Thread(target=self._run, args=(job, progress), name=f"import-{job.id}", daemon=True)
        with self._lock:
            self._running[job.id] = (progress, thread)
        try:
            thread.start()
        except RuntimeError:  # no thread to be had: the caller still owns (and removes) the upload copy
            with self._lock:
                self._running.pop(job.id, None)
            raise
        return progress

    def get(self, import_id: str) -> Progress | None:
        with self._lock:
            entry = self._running.get(import_id)
        return entry[0] if entry else None

    def shutdown(self, timeout: float = 30.0) -> None:
        """Ask running imports to stop (each rolls back and is recorded as failed) and wait for them."""
        self._cancelled.set()
        with self._lock:
            threads = [thread for _, thread in self._running.values()]
        for thread in threads:
            thread.join(timeout)

    def _run(self, job: ImportJob, progress: Progress) -> None:
        services = self.services
        try:
            run_import(services.engine, job, services.clock, progress, self.write_lock, self._cancelled)
        except Exception:  # the thread's boundary: a bug must still end as a failed record, not "running" forever
            log.exception("import %s crashed", job.id)
            try:
                fail(services.engine, progress, "导入时发生内部错误，导入未生效；请稍后重试或联系管理员",
                     services.clock.now(), self.write_lock)
            except Exception:  # the database itself is gone (shutdown): nothing more can be recorded
                log.exception("import %s: could not record the failure", job.id)
        finally:
            job.path.unlink(missing_ok=True)
            with self._lock:
                self._running.pop(job.id, None)
