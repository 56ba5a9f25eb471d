"""The projection runtime: rows and tracking in one transaction, exactly once, even with two instances."""
from __future__ import annotations

import threading
import time
from datetime import date

import pytest
from sqlalchemy.exc import OperationalError

from sqlalchemy import func, select

from domain.usecases import Actor
from projections.runner import ProjectionRunner, share_out
from projections.tables import projection_tracking, task_departments, task_summary, task_timeline
from projections.tasks import TasksProjection
from tests.projections.stories import every_kind_of_event

LEAD = Actor(user="scjg", department="scjg")


def _push_tasks(services, count: int) -> int:
    position = 0
    for n in range(count):
        result = services.app.initiate_task(
            LEAD, title=f"联合检查 {n}", planned=True, items=["食品经营检查"], responding_departments=["wlj", "gxj"],
            window_start=date(2026, 3, 9), window_end=date(2026, 4, 30), note="")
        position = services.app.respond(result.aggregate_id, Actor("wlj", "wlj"), "accept", ["食品经营检查"], "").position
    return position


def _counts(engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar_one()  # type: ignore[return-value]
                     for t in (task_summary, task_departments, task_timeline))


def test_catch_up_applies_every_event_and_records_its_position(services):
    head = _push_tasks(services, 3)
    assert services.runner.catch_up() == head  # the projections read the log together: each position once
    positions = [services.runner.position(p.name) for p in services.runner.projections]
    assert positions == [head] * len(services.runner.projections)
    assert _counts(services.engine) == (3, 9, 6)


def test_catch_up_twice_applies_nothing_the_second_time(services):
    _push_tasks(services, 2)
    services.runner.catch_up()
    before = _counts(services.engine)
    assert services.runner.catch_up() == 0
    assert _counts(services.engine) == before


def test_a_second_instance_racing_on_the_same_database_cannot_double_apply(services):
    """Two runners on one store, started together: every event lands in the read tables exactly once."""
    _push_tasks(services, 20)
    other = ProjectionRunner(services.app, services.engine, [TasksProjection()], batch_size=7)
    services.runner.batch_size = 7
    barrier = threading.Barrier(2)
    failures: list[BaseException] = []

    def run(runner: ProjectionRunner) -> None:
        barrier.wait()
        try:
            runner.catch_up()
        except Exception as exc:  # the loser of a race rolls back; that is the point
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(r,)) for r in (services.runner, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    services.runner.catch_up()  # whatever the loser left, the survivor finishes
    assert _counts(services.engine) == (20, 60, 40)
    assert services.runner.position("tasks") == services.app.recorder.max_notification_id()


def test_wait_for_returns_once_the_running_projection_reaches_the_position(services):
    services.runner.start()
    try:
        head = _push_tasks(services, 1)
        assert services.runner.wait_for(head, timeout=5.0) is True
        assert _counts(services.engine)[0] == 1
    finally:
        services.runner.stop()


COALESCE = 3.0  # seconds: long beside a batch on a loaded CI machine, so "at once" and "held back" stay apart


def test_a_woken_runner_applies_at_once_after_a_quiet_spell_and_at_most_once_per_coalesce_interval(services):
    """A burst of commits shares one batch; a command after a quiet spell is not held back by the coalescing."""
    runner = ProjectionRunner(services.app, services.engine, [TasksProjection()], poll_seconds=60,
                              coalesce_seconds=COALESCE)
    runner.start()
    try:
        time.sleep(COALESCE + 0.2)  # quiet: the catch-up at start began more than a coalescing interval ago
        first = _push_tasks(services, 1)
        began = time.monotonic()
        runner.wake()
        assert runner.wait_for(first, timeout=5.0) is True
        first_applied_after = time.monotonic() - began
        second = _push_tasks(services, 1)  # within the interval of the batch that applied the first
        began = time.monotonic()
        runner.wake()
        second_applied_after = _applied_after(runner, second, began)  # watched, not waited for: no hurry
    finally:
        runner.stop()
    assert first_applied_after < COALESCE / 2, first_applied_after
    assert second_applied_after > COALESCE / 2, second_applied_after


def _applied_after(runner: ProjectionRunner, position: int, began: float, timeout: float = 5.0) -> float:
    """Seconds from `began` until the runner applied `position`, watched without waking or hurrying it."""
    while runner.lowest_position() < position and time.monotonic() - began < timeout:
        time.sleep(0.005)
    return time.monotonic() - began


def test_a_reader_waiting_for_its_write_is_not_held_back_by_the_coalescing(services):
    """wait_for hurries the runner: under load commits share batches, but a reader that needs one gets it now."""
    runner = ProjectionRunner(services.app, services.engine, [TasksProjection()], poll_seconds=60,
                              coalesce_seconds=COALESCE)
    runner.start()
    try:
        first = _push_tasks(services, 1)
        runner.wake()
        assert runner.wait_for(first, timeout=5.0) is True
        second = _push_tasks(services, 1)  # within the interval of the batch that applied the first
        runner.wake()
        began = time.monotonic()
        assert runner.wait_for(second, timeout=5.0) is True
        waited = time.monotonic() - began
    finally:
        runner.stop()
    assert waited < COALESCE / 2, waited


def test_a_reader_in_another_process_hurries_the_runner_over_postgresql(services):
    """An API process waits for its write while the projections run in the worker process: a NOTIFY hurries them."""
    if services.listener is None:
        pytest.skip("SQLite cannot be subscribed to; its runner runs in the reader's own process")
    from projections.subscription import EventListener

    worker = ProjectionRunner(services.app, services.engine, [TasksProjection()], poll_seconds=60,
                              coalesce_seconds=COALESCE)
    listener = EventListener(services.engine)
    listener.subscribe(worker.wake)
    listener.on_wanted(worker.hurry)
    reader = ProjectionRunner(services.app, services.engine, [TasksProjection()])  # the API side: not started
    worker.start()
    listener.start()
    try:
        assert listener.connected.wait(10)
        first = _push_tasks(services, 1)
        assert _applied_after(worker, first, time.monotonic(), timeout=COALESCE + 10) < COALESCE + 10
        second = _push_tasks(services, 1)  # woken by its NOTIFY, the worker would hold it for the interval
        began = time.monotonic()
        assert reader.wait_for(second, timeout=5.0) is True
        waited = time.monotonic() - began
    finally:
        listener.stop()
        worker.stop()
    assert waited < COALESCE / 2, waited


def test_wait_for_times_out_when_no_projection_is_running(services):
    head = _push_tasks(services, 1)
    assert services.runner.wait_for(head, timeout=0.2) is False


def test_a_late_reason_given_while_pending_survives_the_late_answer_in_the_read_model(services, clock):  # R-JOINT-4
    from datetime import timedelta

    task_id = services.app.initiate_task(
        LEAD, title="联合检查", planned=True, items=["食品经营检查"], responding_departments=["wlj"],
        window_start=date(2026, 3, 9), window_end=date(2026, 4, 30), note="").aggregate_id
    clock.advance(timedelta(days=3))
    services.app.give_late_reason(task_id, Actor("wlj", "wlj"), "人员外出培训")
    services.app.respond(task_id, Actor("wlj", "wlj"), "accept", ["食品经营检查"], "")
    services.runner.catch_up()
    with services.engine.connect() as conn:
        row = conn.execute(select(task_departments).where(task_departments.c.department == "wlj")).one()
    assert row.late is True and row.late_reason == "人员外出培训"


def _checksum(engine, tables=TasksProjection.tables) -> str:  # type: ignore[no-untyped-def]
    import hashlib

    digest = hashlib.sha256()
    with engine.connect() as conn:
        for table in tables:
            keys = [c for c in table.primary_key.columns]
            for row in conn.execute(select(table).order_by(*keys)):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def test_rebuild_replays_from_zero_to_the_same_rows_as_the_live_tables(services, clock):
    from datetime import timedelta

    _push_tasks(services, 4)
    task_id = services.app.initiate_task(
        LEAD, title="将被撤销", planned=False, items=["食品经营检查"], responding_departments=["wlj"],
        window_start=date(2026, 3, 9), window_end=date(2026, 4, 30), note="").aggregate_id
    clock.advance(timedelta(days=5))
    services.app.give_late_reason(task_id, Actor("wlj", "wlj"), "系统故障")
    services.app.cancel(task_id, LEAD, "与上级专项行动重复")
    services.runner.catch_up()
    live = _checksum(services.engine)
    assert services.runner.rebuild("tasks") == services.app.recorder.max_notification_id()
    assert _checksum(services.engine) == live


def test_status_reports_events_and_seconds_behind_the_log(services, clock):
    _push_tasks(services, 1)
    services.runner.catch_up()
    head = _push_tasks(services, 1)
    rows = services.runner.status(services.clock.now())
    assert {r["name"] for r in rows} == {"tasks", "notices", "results", "subject_draws", "subject_overlap",
                                         "objections", "enterprise_requests", "task_archives", "credit_feedback"}
    assert all(r["head"] == head and r["lag_events"] == 2 for r in rows)
    services.runner.catch_up()
    rows = services.runner.status(services.clock.now())
    assert all(r["lag_events"] == 0 and r["lag_seconds"] == 0.0 for r in rows)


@pytest.mark.parametrize("processes", [1, 2], ids=["one pass", "two processes"])
def test_rebuilding_all_projections_gives_the_live_tables(services, clock, processes):  # R-JOINT-4 R-DRAW-6
    every_kind_of_event(services, clock)
    services.runner.catch_up()
    tables = [t for p in services.runner.projections for t in p.tables]
    live = _checksum(services.engine, tables)
    head = services.app.recorder.max_notification_id()
    assert services.runner.rebuild_all(processes) == head
    assert _checksum(services.engine, tables) == live
    assert set(services.runner.positions().values()) == {head}


def test_a_projection_rebuilt_alone_catches_up_and_rejoins_the_others(services, clock):
    every_kind_of_event(services, clock)
    services.runner.catch_up()
    with services.engine.begin() as conn:  # as if `projections rebuild tasks` had stopped half-way
        for table in reversed(TasksProjection.tables):
            conn.execute(table.delete())
        conn.execute(projection_tracking.update().where(projection_tracking.c.name == "tasks").values(position=0))
    head = _push_tasks(services, 1)
    services.runner.catch_up()
    assert set(services.runner.positions().values()) == {head}
    tables = [t for p in services.runner.projections for t in p.tables]
    caught_up = _checksum(services.engine, tables)
    services.runner.rebuild_all()
    assert _checksum(services.engine, tables) == caught_up


def test_projections_are_shared_out_among_processes_by_weight():
    class Weighed:
        def __init__(self, name: str, rebuild_weight: int = 1) -> None:
            self.name, self.rebuild_weight = name, rebuild_weight

    heavy, other, light, lighter = Weighed("a", 4), Weighed("b", 4), Weighed("c"), Weighed("d")
    assert share_out([light, heavy, lighter, other], 2) == [[heavy, light], [other, lighter]]
    assert share_out([light, heavy], 8) == [[heavy], [light]]  # never an empty process
    assert share_out([light, heavy], 0) == [[heavy, light]]


def test_a_rebuild_process_that_fails_is_reported_and_a_catch_up_goes_on_from_its_position(services, clock,
                                                                                          monkeypatch):
    every_kind_of_event(services, clock)
    services.runner.catch_up()
    tables = [t for p in services.runner.projections for t in p.tables]
    live = _checksum(services.engine, tables)
    head = services.app.recorder.max_notification_id()
    tasks = next(p for p in services.runner.projections if p.name == "tasks")

    def broken(conn, items):  # what PostgreSQL's DiskFull is: an OperationalError, retried, never parked
        raise OperationalError("INSERT", {}, Exception("could not extend file: No space left on device"))

    monkeypatch.setattr(tasks, "apply_batch", broken)  # the forked process inherits the fault
    with pytest.raises(RuntimeError, match="rebuild failed in rebuild-tasks"):
        services.runner.rebuild_all(processes=2)
    positions = services.runner.positions()
    assert positions["tasks"] == 0  # its batch rolled back with its tracking row
    assert positions["subject_overlap"] == head  # the other process finished its share
    monkeypatch.undo()
    services.runner.catch_up()
    assert _checksum(services.engine, tables) == live
