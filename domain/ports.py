"""The narrow interfaces through which the write side reads what its rules need, inside the command's own
transaction (ARCHITECTURE.md "Use cases"). The composition root supplies them (api/ports.py). Where one is backed by
a projection, it reads the projection's position and the log after it too, so no unprojected event is missed."""
from __future__ import annotations

from typing import Protocol
from uuid import UUID


class OpenTasks(Protocol):
    """Which joint tasks may still wait for a response: their deadlines move with the calendar (R-CAL-2).

    A superset read in the current transaction, so that a calendar change sees a task initiated a moment before,
    projected or not (issue 14); each task's aggregate then decides (JointTask.recompute_deadline)."""

    def ids(self) -> list[UUID]:
        """The tasks that may wait for a response, as of the current transaction."""


class CheckItemNames(Protocol):
    """The names of check items, read from the checklist (reference data) in the current transaction."""

    def names(self, item_ids: list[str]) -> dict[str, str]:
        """Item id → name, for those of `item_ids` that are items."""
