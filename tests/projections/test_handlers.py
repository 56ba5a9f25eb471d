"""Projection handlers are registered by event class, and every event class is handled or deliberately ignored."""
from __future__ import annotations

from typing import Any, Iterator

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from api.bootstrap import build_services
from api.settings import Settings
from domain.joint_task import JointTask
from domain.enterprise_request import EnterpriseRequest
from domain.notice import Notice
from domain.objection import Objection
from domain.working_calendar import WorkingCalendar
from projections.handlers import EventHandlers, JointTaskHandlers, handles

AGGREGATES = (JointTask, WorkingCalendar, Notice, Objection, EnterpriseRequest)


def recorded_event_classes(aggregate: type[Aggregate]) -> list[type]:
    """The event classes declared on an aggregate: nested subclasses of its Event base, but not that base, nor the
    `Created` the library adds to every aggregate class when `@event("Initiated")` on `__init__` names another."""
    nested = [value for value in vars(aggregate).values()
              if isinstance(value, type) and issubclass(value, aggregate.Event) and value is not aggregate.Event]
    if any(c is not aggregate.Created and issubclass(c, Aggregate.Created) for c in nested):
        nested.remove(aggregate.Created)
    return nested


@pytest.fixture(scope="module")
def projections(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Any]]:
    """The projections of the app's runner, as build_services wires them."""
    store = tmp_path_factory.mktemp("handlers") / "store.db"
    services = build_services(Settings(database_url=f"sqlite:///{store}", env="test", run_projections=False))
    try:
        yield list(services.runner.projections)
    finally:
        services.close()


def test_every_event_class_is_handled_or_deliberately_ignored_by_every_projection(projections):
    undecided = []
    for projection in projections:
        assert isinstance(projection, EventHandlers), f"{projection.name} does not register its handlers"
        for aggregate in AGGREGATES:
            for event_class in recorded_event_classes(aggregate):
                if not ({event_class, aggregate} & (set(projection.handlers) | set(projection.ignores))):
                    undecided.append(f"{projection.name}: {event_class.__qualname__}")
    assert not undecided, "handle each with @handles(...) or add it to the projection's `ignores`: " + \
        ", ".join(undecided)


def test_the_events_are_enumerated_from_the_aggregates():
    names = {a: {c.__name__ for c in recorded_event_classes(a)} for a in AGGREGATES}
    assert {"Initiated", "Responded", "SubjectsDrawn", "MergeAbsorbed"} <= names[JointTask]
    assert {"Issued", "Acknowledged"} <= names[Notice]
    assert {"Opened", "YearScheduleEntered", "DayAmended"} <= names[WorkingCalendar]
    assert not any({"Event", "Created"} & found for found in names.values())


def test_a_projections_topics_are_its_handled_event_classes(projections):
    for projection in projections:
        assert projection.topics == tuple(sorted(get_topic(c) for c in projection.handlers)), projection.name
        assert projection.topics, f"{projection.name} handles nothing: the runner would read it every event"


def test_a_handler_is_found_by_its_event_class_whatever_its_name():
    class Projection(JointTaskHandlers):
        @handles(JointTask.Initiated, JointTask.Cancelled)
        def anything(self, seen: list, e: Any) -> None:
            seen.append(e)

    initiated, drawn = object.__new__(JointTask.Initiated), object.__new__(JointTask.SubjectsDrawn)
    handled = Projection().handled([(initiated, 1), (drawn, 2)])
    assert [(e, p) for e, p, _ in handled] == [(initiated, 1)]
    seen: list = []
    handled[0][2](seen, initiated)
    assert seen == [initiated]


@pytest.mark.parametrize("event_class", [Notice.Issued, WorkingCalendar.DayAmended, JointTask.Event, str])
def test_a_handler_of_a_class_not_an_event_of_the_aggregate_is_refused_when_the_class_is_made(event_class):
    with pytest.raises(TypeError, match="which is not an event class of JointTask"):
        class Projection(JointTaskHandlers):
            @handles(event_class)
            def _on_it(self, b: Any, e: Any) -> None: ...


def test_a_misspelt_event_class_fails_at_import():
    with pytest.raises(AttributeError, match="Initiatd"):
        class Projection(JointTaskHandlers):
            @handles(JointTask.Initiatd)  # type: ignore[attr-defined]
            def _on_it(self, b: Any, e: Any) -> None: ...


def test_two_handlers_of_one_event_class_are_refused():
    with pytest.raises(TypeError, match="two handlers of JointTask.Merged: _first and _second"):
        class Projection(JointTaskHandlers):
            @handles(JointTask.Merged)
            def _first(self, b: Any, e: Any) -> None: ...

            @handles(JointTask.Merged)
            def _second(self, b: Any, e: Any) -> None: ...


def test_an_event_class_both_handled_and_ignored_is_refused():
    with pytest.raises(TypeError, match="both handles and ignores JointTask.Merged"):
        class Projection(JointTaskHandlers):
            ignores = (JointTask.Merged,)

            @handles(JointTask.Merged)
            def _on_merged(self, b: Any, e: Any) -> None: ...


@pytest.mark.parametrize("ignored", [JointTask, Notice.Issued, "Merged"])
def test_ignoring_the_own_aggregate_wholesale_or_another_aggregates_event_is_refused(ignored):
    with pytest.raises(TypeError, match="neither an event class of JointTask nor another aggregate"):
        class Projection(JointTaskHandlers):
            ignores = (ignored,)
