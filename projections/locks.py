"""One active instance per database: a PostgreSQL session advisory lock (SQLite serves one process)."""
from __future__ import annotations

import zlib

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine


class SingleInstanceLock:
    """Held on a dedicated connection for as long as this instance is the active one."""

    def __init__(self, engine: Engine, name: str) -> None:
        self.engine = engine
        self.key = zlib.crc32(f"jointinspect:{name}".encode())
        self._conn: Connection | None = None

    def acquire(self) -> bool:
        """True if this instance holds (or now takes) the lock; never blocks.

        The lock lives as long as its session: a held one is looked at (one round trip) before it is trusted, for a
        PostgreSQL restart ends the session and the lock with it, and another instance may have taken it since."""
        if self.engine.dialect.name != "postgresql":
            return True
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT 1"))
                self._conn.commit()
                return True
            except Exception:  # the session is gone, and the lock with it
                self._conn.invalidate()
                self._conn.close()
                self._conn = None
        conn = self.engine.connect()
        if conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar():
            conn.commit()
            self._conn = conn
            return True
        conn.close()
        return False

    def release(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            self._conn.commit()
        finally:
            self._conn.close()  # back to the pool, holding no lock
            self._conn = None
