"""The read side never stops on an event it cannot apply (issue 13 item 1; projections/failures.py): text a read
table cannot store is sanitised, an event nobody can decode is parked, every projection reaches the head, and a
rebuild reproduces the live rows."""
from __future__ import annotations

from uuid import uuid4

from eventsourcing.persistence import StoredEvent
from sqlalchemy import select

from projections import failures
from projections.tables import projection_failures, task_summary
from tests.projections.stories import every_kind_of_event, initiate
from tests.projections.test_runner import _checksum

INITIATED = "domain.joint_task:JointTask.Initiated"


def _failures(services) -> list[dict]:  # type: ignore[no-untyped-def]
    with services.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(projection_failures).order_by(
            projection_failures.c.projection, projection_failures.c.position)).mappings()]


def _all_tables(services) -> list:  # type: ignore[no-untyped-def]
    return [table for projection in services.runner.projections for table in projection.tables]


def _at_head(services) -> bool:  # type: ignore[no-untyped-def]
    head = services.app.recorder.max_notification_id()
    return all(services.runner.position(p.name) == head for p in services.runner.projections)


def test_a_task_titled_with_nul_is_projected_sanitised_and_every_projection_reaches_the_head(services, clock):
    """The event that stopped the PostgreSQL worker for ever, recorded through the application (no HTTP check)."""
    every_kind_of_event(services, clock)
    poisoned = initiate(services, title="a\x00b")
    after = initiate(services, title="之后的任务")
    services.runner.catch_up()
    assert _at_head(services)
    with services.engine.connect() as conn:
        titles = dict(conn.execute(select(task_summary.c.task_id, task_summary.c.title)
                                   .where(task_summary.c.task_id.in_([str(poisoned), str(after)]))).all())
    if services.engine.dialect.name == "postgresql":
        assert titles[str(poisoned)] == "a\ufffdb"  # PostgreSQL text cannot hold NUL: cleaned, and listed
        listed = _failures(services)  # every projection that stores the title says so
        assert {f["action"] for f in listed} == {failures.SANITISED} and "tasks" in {f["projection"] for f in listed}
        assert {f["position"] for f in listed} == {services.app.recorder.max_notification_id() - 1}
    else:
        assert titles[str(poisoned)] in ("a\x00b", "a\ufffdb")  # SQLite stores NUL as it is
    assert titles[str(after)] == "之后的任务"


def test_an_undecodable_event_is_parked_and_the_others_are_applied(services, clock):
    """A damaged row (or one of a version this code cannot read) costs only its own rows."""
    before = initiate(services, title="之前")
    services.app.recorder.insert_events([StoredEvent(
        originator_id=uuid4(), originator_version=1, topic=INITIATED, state=b"\xff not JSON")])
    poisoned_at = services.app.recorder.max_notification_id()
    after = initiate(services, title="之后")
    services.runner.catch_up()
    assert _at_head(services)
    parked = _failures(services)
    assert {f["position"] for f in parked} == {poisoned_at}
    assert {f["action"] for f in parked} == {failures.PARKED}
    assert {f["projection"] for f in parked} == {p.name for p in services.runner.projections
                                                 if INITIATED in (getattr(p, "topics", None) or (INITIATED,))}
    with services.engine.connect() as conn:
        ids = set(conn.execute(select(task_summary.c.task_id)).scalars())
    assert {str(before), str(after)} <= ids
    status = {row["name"]: row for row in services.runner.status(clock.now())}
    assert status["tasks"]["parked"] == 1 and status["tasks"]["lag_events"] == 0


def test_a_rebuild_after_poison_events_reproduces_the_live_rows_and_failures(services, clock):
    every_kind_of_event(services, clock)
    initiate(services, title="a\x00b")
    services.app.recorder.insert_events([StoredEvent(
        originator_id=uuid4(), originator_version=1, topic=INITIATED, state=b"\xff not JSON")])
    initiate(services, title="之后")
    services.runner.catch_up(batch_size=3)  # live: small batches
    live, live_failures = _checksum(services.engine, _all_tables(services)), _failures(services)
    services.runner.rebuild_all()
    assert _at_head(services)
    assert _checksum(services.engine, _all_tables(services)) == live
    strip = lambda rows: [{k: v for k, v in r.items() if k != "recorded_at"} for r in rows]  # noqa: E731
    assert strip(_failures(services)) == strip(live_failures)


def test_a_database_outage_is_retried_not_parked(services):
    """Only errors of the event park it: an unreachable database leaves the batch to be retried."""
    from sqlalchemy.exc import OperationalError

    assert failures.is_transient(OperationalError("SELECT 1", {}, Exception("server closed the connection")))
    assert not failures.is_transient(ValueError("A string literal cannot contain NUL (0x00) characters."))


def test_a_projection_whose_every_event_fails_halts_loudly_instead_of_parking_the_log(services, clock, monkeypatch):
    """A fault of the code, not of an event: after MAX_PARKED_PER_BATCH parked events the projection stops and says
    why (status); the others still reach the head; a rebuild after the fix applies everything."""
    import pytest

    from projections.applying import MAX_PARKED_PER_BATCH, ProjectionHalted

    every_kind_of_event(services, clock)
    tasks = next(p for p in services.runner.projections if p.name == "tasks")

    def broken(conn, items):  # type: ignore[no-untyped-def]
        raise KeyError("a handler that reads a field no event has")

    monkeypatch.setattr(tasks, "apply_batch", broken)
    with pytest.raises(ProjectionHalted):
        services.runner.catch_up()
    with pytest.raises(ProjectionHalted):  # it stays stopped: no more parking on the next try
        services.runner.catch_up()
    status = {row["name"]: row for row in services.runner.status(clock.now())}
    assert status["tasks"]["halted"] and status["tasks"]["lag_events"] > 0
    assert status["tasks"]["parked"] == MAX_PARKED_PER_BATCH
    monkeypatch.undo()
    services.runner.rebuild_all()
    assert _at_head(services) and not _failures(services)
