"""A spool of items pickled in batches to a temporary file: memory holds one batch, never the whole import."""
from __future__ import annotations

import pickle
import tempfile
from typing import Any, Iterable, Iterator


class BatchSpool:
    def __init__(self, batch_size: int, prefix: str) -> None:
        self.batch_size = batch_size
        self._file = tempfile.TemporaryFile(prefix=prefix)
        self._pending: list[Any] = []

    def extend(self, items: Iterable[Any]) -> None:
        self._pending.extend(items)
        if len(self._pending) >= self.batch_size:
            self._flush()

    def batches(self) -> Iterator[list[Any]]:
        """Every item added so far, in order, one batch at a time."""
        self._flush()
        self._file.seek(0)
        while True:
            try:
                yield pickle.load(self._file)
            except EOFError:
                return

    def close(self) -> None:
        self._file.close()

    def _flush(self) -> None:
        if self._pending:
            pickle.dump(self._pending, self._file, protocol=pickle.HIGHEST_PROTOCOL)
            self._pending = []
