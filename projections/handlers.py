"""What the JointTask projections share: one `_on_<Event>(batch, event)` method per event type they read."""
from __future__ import annotations

import functools
import json
from typing import Any, Callable
from uuid import UUID

from eventsourcing.utils import get_topic
from sqlalchemy.engine import Connection

from domain.joint_task import JointTask


to_json = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(value, ensure_ascii=False), minus an encoder a call


@functools.lru_cache(maxsize=1 << 16)
def task_key(originator_id: UUID) -> str:
    """A task's id as the read tables key it: a batch formats each task's UUID once, not once a handler."""
    return str(originator_id)


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
        handlers = self._handlers
        for e, _ in items:
            if type(e) not in handlers:
                handlers[type(e)] = getattr(self, "_on_" + type(e).__name__, None) \
                    if isinstance(e, JointTask.Event) else None
        return [(e, p, h) for e, p in items if (h := handlers[type(e)]) is not None]

    @functools.cached_property
    def _handlers(self) -> dict[type, Callable[[Any, Any], None] | None]:
        return {}  # event class → its bound handler, or None: found once per class
