"""Projection handlers registered by event class (`@handles(JointTask.Initiated)`), checked when the class is made."""
from __future__ import annotations

import functools
import json
from types import MappingProxyType
from typing import Any, Callable, ClassVar, Mapping
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from domain.enterprise_request import EnterpriseRequest
from domain.joint_task import JointTask
from domain.objection import Objection

to_json = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(value, ensure_ascii=False), minus an encoder a call
Handler = Callable[..., None]
AFTERLIFE = (Objection, EnterpriseRequest)  # aggregates only the afterlife projections read (projections/afterlife.py)


@functools.lru_cache(maxsize=1 << 16)
def task_key(originator_id: UUID) -> str:
    """A task's id as the read tables key it: a batch formats each task's UUID once, not once a handler."""
    return str(originator_id)


def handles(*event_classes: type) -> Callable[[Handler], Handler]:
    """Register the decorated method as its projection's handler of these event classes."""
    # The classes themselves, not names: a misspelt or renamed one fails at import instead of projecting nothing.
    if not event_classes:
        raise TypeError("@handles needs at least one event class")

    def register(method: Handler) -> Handler:
        method.__handles__ = getattr(method, "__handles__", ()) + event_classes  # type: ignore[attr-defined]
        return method

    return register


def is_event_of(aggregate: type[Aggregate], event_class: Any) -> bool:
    """Whether `event_class` is an event class declared on `aggregate` (its Event base itself is not)."""
    return (isinstance(event_class, type) and issubclass(event_class, aggregate.Event)
            and event_class is not aggregate.Event and vars(aggregate).get(event_class.__name__) is event_class)


def _check(cls: type[EventHandlers]) -> None:
    """Refuse a handler or an ignore that names no event of the projection's aggregate (or no other aggregate)."""
    aggregate = getattr(cls, "aggregate", None)
    if aggregate is None:
        if cls.handlers or cls.ignores:
            raise TypeError(f"{cls.__name__} registers handlers or ignores but names no `aggregate`")
        return
    for event_class in cls.handlers:
        if not is_event_of(aggregate, event_class):
            raise TypeError(f"{cls.__name__} registers a handler of {_name(event_class)}, which is not an event "
                            f"class of {aggregate.__name__}")
    for ignored in cls.ignores:
        if ignored in cls.handlers:
            raise TypeError(f"{cls.__name__} both handles and ignores {_name(ignored)}")
        other_aggregate = isinstance(ignored, type) and issubclass(ignored, Aggregate) and ignored is not aggregate
        if not (other_aggregate or is_event_of(aggregate, ignored)):
            raise TypeError(f"{cls.__name__} ignores {_name(ignored)}: neither an event class of "
                            f"{aggregate.__name__} nor another aggregate")


def _name(value: Any) -> str:
    return getattr(value, "__qualname__", None) or repr(value)


class EventHandlers:
    """A projection of one aggregate's events, dispatched by a registry its `@handles` methods make."""

    # Built when the class is made: `handlers` (event class → method name) and the `topics` the runner reads.
    # `ignores` names the aggregate's event classes it deliberately does not read, and the other aggregates it
    # reads nothing of: tests/projections/test_handlers.py holds every event class to one decision or the other.
    aggregate: ClassVar[type[Aggregate]]
    ignores: ClassVar[tuple[type, ...]] = ()
    handlers: ClassVar[Mapping[type, str]] = MappingProxyType({})
    topics: ClassVar[tuple[str, ...]] = ()  # the runner need not read (or decode) any other event

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own: dict[type, str] = {}
        for name, member in vars(cls).items():
            for event_class in getattr(member, "__handles__", ()):
                if event_class in own:
                    raise TypeError(f"{cls.__name__} has two handlers of {_name(event_class)}: "
                                    f"{own[event_class]} and {name}")
                own[event_class] = name
        cls.handlers = MappingProxyType({**cls.handlers, **own})  # a subclass's registration replaces its base's
        _check(cls)
        cls.topics = tuple(sorted(get_topic(event_class) for event_class in cls.handlers))

    def apply(self, conn: Any, event: Any, position: int) -> None:
        self.apply_batch(conn, [(event, position)])

    def apply_batch(self, conn: Any, items: list[tuple[Any, int]]) -> None:
        raise NotImplementedError

    def handled(self, items: list[tuple[Any, int]]) -> list[tuple[Any, int, Callable[..., None]]]:
        """The batch's events this projection handles, each with its position and bound handler, in log order."""
        handlers = self._bound
        return [(e, p, h) for e, p in items if (h := handlers.get(e.__class__)) is not None]

    @functools.cached_property
    def _bound(self) -> dict[type, Callable[..., None]]:
        return {event_class: getattr(self, name) for event_class, name in self.handlers.items()}


class JointTaskHandlers(EventHandlers):
    """A projection of JointTask events: the tasks, subject_overlap and subject_draws read models."""

    aggregate = JointTask
