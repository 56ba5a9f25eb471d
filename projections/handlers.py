"""What the JointTask projections share: one `_on_<Event>(batch, event)` method per event type they read."""
from __future__ import annotations

import functools
from typing import Any, Callable

from eventsourcing.utils import get_topic
from sqlalchemy.engine import Connection

from domain.joint_task import JointTask


class JointTaskHandlers:
    """A projection of JointTask events whose handlers say what it reads; subclasses define `apply_batch`."""

    @functools.cached_property
    def topics(self) -> tuple[str, ...]:
        """The events it has a handler for: the runner need not read (or decode) any other."""
        return tuple(sorted(get_topic(getattr(JointTask, name[4:])) for name in dir(self) if name.startswith("_on_")))

    def apply(self, conn: Connection, event: Any, position: int) -> None:
        self.apply_batch(conn, [(event, position)])

    def apply_batch(self, conn: Connection, items: list[tuple[Any, int]]) -> None:
        raise NotImplementedError

    def handled(self, items: list[tuple[Any, int]]) -> list[tuple[Any, int, Callable[[Any, Any], None]]]:
        """The batch's events this projection has a handler for, each with its position and handler, in order."""
        return [(e, p, h) for e, p in items if isinstance(e, JointTask.Event)
                and (h := getattr(self, "_on_" + type(e).__name__, None)) is not None]
