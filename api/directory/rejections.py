"""Rejected rows of an import: spooled to a temporary file as they come (a file may be all errors), then stored."""
from __future__ import annotations

from typing import Iterator

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from api.directory.spool import BatchSpool
from api.storage.tables import import_rejections

SPOOL_ROWS = 5_000


class RejectionSpool:
    """(line, key, reason) of every rejected row; the first few also in memory for the running import's view."""

    def __init__(self, keep_first: int) -> None:
        self.keep_first, self.first = keep_first, []  # type: ignore[var-annotated]
        self.count = 0
        self._spool = BatchSpool(SPOOL_ROWS, "jointinspect-rejections-")

    def add(self, line: int, key: str, reason: str) -> None:
        self.count += 1
        if len(self.first) < self.keep_first:
            self.first.append({"line": line, "key": key, "reason": reason})
        self._spool.extend([(line, key, reason)])

    def batches(self) -> Iterator[list[tuple[int, str, str]]]:
        return self._spool.batches()

    def close(self) -> None:
        self._spool.close()


def write_rejections(conn: Connection, import_id: str, spool: RejectionSpool) -> None:
    """Store every rejected row of the import, in batches."""
    for batch in spool.batches():
        conn.execute(insert(import_rejections), [
            {"import_id": import_id, "line": line, "key": key, "reason": reason} for line, key, reason in batch])
