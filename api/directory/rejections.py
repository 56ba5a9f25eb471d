"""Rejected rows of an import: spooled to a temporary file as they come (a file may be all errors), then stored."""
from __future__ import annotations

import pickle
import tempfile
from typing import Iterator

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from api.directory.tables import import_rejections

SPOOL_ROWS = 5_000


class RejectionSpool:
    """(line, key, reason) of every rejected row; the first few also in memory for the running import's view."""

    def __init__(self, keep_first: int) -> None:
        self.keep_first, self.first = keep_first, []  # type: ignore[var-annotated]
        self.count = 0
        self._pending: list[tuple[int, str, str]] = []
        self._file = tempfile.TemporaryFile(prefix="jointinspect-rejections-")

    def add(self, line: int, key: str, reason: str) -> None:
        self.count += 1
        if len(self.first) < self.keep_first:
            self.first.append({"line": line, "key": key, "reason": reason})
        self._pending.append((line, key, reason))
        if len(self._pending) >= SPOOL_ROWS:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            pickle.dump(self._pending, self._file, protocol=pickle.HIGHEST_PROTOCOL)
            self._pending = []

    def batches(self) -> Iterator[list[tuple[int, str, str]]]:
        self._flush()
        self._file.seek(0)
        while True:
            try:
                yield pickle.load(self._file)
            except EOFError:
                return

    def close(self) -> None:
        self._file.close()


def write_rejections(conn: Connection, import_id: str, spool: RejectionSpool) -> None:
    """Store every rejected row of the import, in batches."""
    for batch in spool.batches():
        conn.execute(insert(import_rejections), [
            {"import_id": import_id, "line": line, "key": key, "reason": reason} for line, key, reason in batch])
