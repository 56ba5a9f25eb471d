"""Reads from a PostgreSQL streaming replica (`JOINTINSPECT_READ_DATABASE_URL`, issue 18), read-your-writes kept.

The replica replays the primary's WAL, the read models and their `projection_tracking` rows included, so the replica
knows which log position its read models have applied. A read that may lag (lists, public pages, oversight; the
routes that take `ReadAfter`) goes to the replica when:

- with `min_position` (the client's own last command): the replica has applied that position, waiting at most
  `replica_wait_seconds` for it; otherwise the primary answers (a fallback, never an error);
- without: the replica is streaming and its replay lag is within `replica_max_lag_seconds`.

A replica that cannot be reached is left alone for `RETRY_SECONDS` (the primary answers meanwhile); `/readyz`
reports its state. Writes and the event store never touch it.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Sequence

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from projections.failures import first_line

log = logging.getLogger("jointinspect.replica")

# The engine the current request reads from (set by the ReadAfter dependency); None: the primary
READ_ENGINE: ContextVar[Engine | None] = ContextVar("read_engine", default=None)
RETRY_SECONDS = 2.0  # after a failed check, the primary answers alone for this long
POLL_SECONDS = 0.005


@dataclass(frozen=True)
class ReplicaState:
    status: str  # "ok", "behind" (not streaming, or lagging past the bound) or "unavailable"
    position: int | None = None  # the lowest position every projection has applied on the replica
    lag_seconds: float | None = None  # replay lag (0 when everything received is replayed)
    streaming: bool = False
    error: str | None = None

    def view(self) -> dict:
        return {"status": self.status, "position": self.position, "lag_seconds": self.lag_seconds,
                "streaming": self.streaming, "error": self.error}


class Replica:
    def __init__(self, url: str, projections: Sequence[str], wait_seconds: float, max_lag_seconds: float) -> None:
        self.engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, pool_timeout=2,
                                    connect_args={"connect_timeout": 2,
                                                  "options": "-c statement_timeout=2000"})
        self.wait_seconds, self.max_lag_seconds = wait_seconds, max_lag_seconds
        self._state = text(
            "SELECT (SELECT min(position) FROM projection_tracking WHERE name = ANY(:names)) AS position, "
            "EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') AS streaming, "
            "CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
            "ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END AS lag")
        self._names = list(projections)
        self._down_until = 0.0
        self._lock = threading.Lock()
        self.served = {"replica": 0, "primary": 0}  # reads of this process, by where they were answered

    def state(self) -> ReplicaState:
        """The replica as it is now (one short query); unavailable when it cannot be asked."""
        if time.monotonic() < self._down_until:
            return ReplicaState("unavailable", error="recently unreachable")
        try:
            with self.engine.connect() as conn:
                row = conn.execute(self._state, {"names": self._names}).one()
        except Exception as exc:  # down, unreachable, or not a replica of this store
            with self._lock:
                self._down_until = time.monotonic() + RETRY_SECONDS
            log.warning("read replica unavailable: %s", first_line(exc))
            return ReplicaState("unavailable", error=type(exc).__name__)
        lag = None if row.lag is None else round(float(row.lag), 3)
        ok = bool(row.streaming) and lag is not None and lag <= self.max_lag_seconds and row.position is not None
        return ReplicaState("ok" if ok else "behind", position=None if row.position is None else int(row.position),
                            lag_seconds=lag, streaming=bool(row.streaming))

    async def choose(self, min_position: int | None) -> Engine | None:
        """The replica's engine for this read, or None: the primary answers (see the module's docstring)."""
        deadline = time.monotonic() + self.wait_seconds
        while True:
            state = await asyncio.to_thread(self.state)
            if state.status == "unavailable":
                return self._count(None)
            if min_position is None:
                return self._count(self.engine if state.status == "ok" else None)
            if state.position is not None and state.position >= min_position:
                return self._count(self.engine)
            if time.monotonic() >= deadline:
                return self._count(None)
            await asyncio.sleep(POLL_SECONDS)

    def _count(self, engine: Engine | None) -> Engine | None:
        with self._lock:
            self.served["replica" if engine is not None else "primary"] += 1
        return engine

    def close(self) -> None:
        self.engine.dispose()
