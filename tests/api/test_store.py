"""The event store (api/storage/eventstore.py): the log's lock and insert in one round trip on PostgreSQL, same results."""
from __future__ import annotations

import threading
import time
from datetime import date
from uuid import uuid4

import pytest
from eventsourcing.persistence import IntegrityError
from sqlalchemy import text

from api.storage.eventstore import Recorder
from domain.usecases import Actor

LEAD = Actor(user="scjg", department="scjg")


def _initiate(services, title: str = "联合检查"):
    return services.app.initiate_task(
        LEAD, title=title, planned=True, items=["食品经营检查"], responding_departments=["wlj", "gxj"],
        window_start=date(2026, 3, 9), window_end=date(2026, 4, 30), note="")


def test_the_application_records_through_the_jointinspect_recorder(services):
    assert isinstance(services.app.recorder, Recorder)


def test_several_events_of_one_save_get_consecutive_positions_and_read_back_unchanged(services):
    task = _initiate(services).aggregate
    task.respond(department="wlj", decision="accept", item_ids=list(task.items), reason="",
                 now=services.clock.now(), actor=Actor("wlj", "wlj").as_record())
    task.respond(department="gxj", decision="decline", item_ids=[], reason="人员不足",
                 now=services.clock.now(), actor=Actor("gxj", "gxj").as_record())
    head = services.app.recorder.max_notification_id()
    recordings = services.app.save(task)
    positions = [r.notification.id for r in recordings]
    assert positions == [head + 1, head + 2]
    read = services.app.recorder.select_notifications(head + 1, 10)
    assert [(n.id, n.originator_id, n.originator_version, n.topic, n.state) for n in read] == [
        (r.notification.id, r.notification.originator_id, r.notification.originator_version,
         r.notification.topic, r.notification.state) for r in recordings]
    again = services.app.get_task(task.id)
    assert again.responses["gxj"]["reason"] == "人员不足" and again.version == task.version


def test_a_second_writer_of_the_same_version_conflicts_and_records_nothing(services):
    task_id = _initiate(services).aggregate_id
    first, second = services.app.get_task(task_id), services.app.get_task(task_id)
    for copy, department in ((first, "wlj"), (second, "gxj")):
        copy.respond(department=department, decision="accept", item_ids=list(copy.items), reason="",
                     now=services.clock.now(), actor=Actor(department, department).as_record())
    services.app.save(first)
    head = services.app.recorder.max_notification_id()
    with pytest.raises(IntegrityError):
        services.app.save(second)
    assert services.app.recorder.max_notification_id() == head
    stored = services.app.get_task(task_id)
    assert stored.version == first.version and stored.responses["gxj"]["status"] == "pending"


def test_an_insert_waits_for_the_uncommitted_one_before_it_so_positions_follow_commit_order(services):
    if services.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time anyway")
    holding, done = threading.Event(), threading.Event()
    positions: dict[str, int] = {}

    def first() -> None:
        with services.app.transaction() as session:
            positions["first"] = _initiate(services, "先写入").position
            holding.set()
            time.sleep(0.5)  # the second insert must wait here, not take a later number and commit first
            session.execute(text("SELECT 1"))
        done.set()

    thread = threading.Thread(target=first)
    thread.start()
    holding.wait(5)
    started = time.monotonic()
    positions["second"] = _initiate(services, "后写入").position
    waited = time.monotonic() - started
    thread.join(5)
    assert done.is_set()
    assert positions["second"] == positions["first"] + 1
    assert waited >= 0.3  # it waited for the first transaction's commit


def test_an_aggregates_events_read_back_in_version_order_within_the_bounds_asked(services):
    task = _initiate(services).aggregate
    for department in ("wlj", "gxj"):
        services.app.respond(task.id, Actor(department, department), "accept", list(task.items), "")
    recorder = services.app.recorder
    versions = [e.originator_version for e in recorder.select_events(task.id)]
    assert versions == [1, 2, 3]
    assert [e.originator_version for e in recorder.select_events(task.id, gt=1)] == [2, 3]
    assert [e.originator_version for e in recorder.select_events(task.id, lte=2)] == [1, 2]
    assert [e.originator_version for e in recorder.select_events(task.id, desc=True, limit=2)] == [3, 2]
    assert recorder.select_events(uuid4()) == []
    first = recorder.select_events(task.id)[0]
    assert first.originator_id == task.id and isinstance(first.state, bytes)
    assert services.app.get_task(task.id).responses["gxj"]["status"] == "accepted"


def test_a_sqlite_writer_stuck_behind_another_fails_after_its_bound_instead_of_hanging():
    """Issue 13 item 9: the library's SQLite write lock had no bound; a thread waiting on it waited for ever."""
    import threading

    from eventsourcing.persistence import OperationalError

    from api.storage.eventstore import BoundedWriteLock

    lock = BoundedWriteLock(seconds=0.2)
    assert lock.acquire()
    failed: list[BaseException] = []

    def second_writer() -> None:
        try:
            lock.acquire()
        except OperationalError as exc:
            failed.append(exc)

    thread = threading.Thread(target=second_writer)
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive() and len(failed) == 1
    lock.release()
    assert lock.acquire() and lock.acquire(blocking=False) is False


def test_a_sqlite_store_takes_its_write_lock_with_a_bound(tmp_path):
    from api.storage.eventstore import BoundedWriteLock
    from api.bootstrap import build_services
    from api.settings import Settings

    services = build_services(Settings(database_url=f"sqlite:///{tmp_path / 's.db'}", env="test"))
    try:
        assert isinstance(services.app.recorder.datastore.write_lock, BoundedWriteLock)
    finally:
        services.close()
