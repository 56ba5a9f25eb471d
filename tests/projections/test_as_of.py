"""Read models as of a past instant: a replay of the log into a throwaway store (R-OVER-1)."""
from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta

from sqlalchemy import select

from domain.usecases import Actor
from domain.clock import SHANGHAI
from projections.tables import notices, task_departments, task_summary

LEAD, OFFICE = Actor("scjg", "scjg"), Actor("office", "lhbgs", is_office=True)


def _initiate(services, title: str = "联合检查"):  # type: ignore[no-untyped-def]
    return services.app.initiate_task(
        LEAD, title=title, planned=True, items=["食品经营检查"], responding_departments=["wlj", "gxj"],
        window_start=date(2026, 3, 9), window_end=date(2026, 4, 30), note="")


def _checksum(engine) -> str:  # type: ignore[no-untyped-def]
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for table in (task_summary, task_departments, notices):
            for row in conn.execute(select(table).order_by(*table.primary_key.columns)):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def test_as_of_now_the_replay_equals_the_live_read_model(services, clock):  # R-OVER-1
    first = _initiate(services).aggregate_id
    _initiate(services, "第二个任务")
    clock.advance(timedelta(days=3))
    services.app.respond(first, Actor("wlj", "wlj"), "accept", ["食品经营检查"], "")
    services.app.give_late_reason(first, Actor("gxj", "gxj"), "系统故障")
    services.app.issue_notice(OFFICE, "wlj", "逾期响应通报", "请按时响应。", [first])
    services.runner.catch_up()
    store = services.past.at(clock.now())
    assert store.position == services.app.recorder.max_notification_id()
    assert _checksum(store.engine) == _checksum(services.engine)


def test_instants_between_the_same_two_events_share_one_replay(services, clock):  # R-OVER-1
    _initiate(services)
    pushed = clock.now()
    clock.advance(timedelta(days=1))
    _initiate(services, "第二个任务")
    builds = services.past.builds
    one = services.past.at(pushed + timedelta(hours=1))
    other = services.past.at(pushed + timedelta(hours=20))
    assert one is other and services.past.builds == builds + 1 and one.events == 1
    assert services.past.at(clock.now()).events == 2
    before = services.past.at(pushed - timedelta(seconds=1))
    assert (before.position, before.events) == (0, 0)


def test_the_past_store_uses_the_calendar_then_in_force(services, clock):  # R-CAL-2 R-OVER-1
    _initiate(services)
    then = clock.now()
    clock.advance(timedelta(hours=1))
    services.app.amend_day(OFFICE, date(2026, 3, 3), False, "临时停电停工")
    assert not services.app.calendar().is_working_day(date(2026, 3, 3))
    assert services.past.at(then).calendar.is_working_day(date(2026, 3, 3))
    assert not services.past.at(clock.now()).calendar.is_working_day(date(2026, 3, 3))


def test_the_replay_stops_at_the_first_event_recorded_after_the_instant(services, clock):  # R-OVER-1
    """A writer whose clock ran behind recorded a later position with an earlier time: nothing past the first
    event after the instant is replayed."""
    clock.set(datetime(2026, 3, 2, 10, tzinfo=SHANGHAI))
    _initiate(services, "时钟正常")
    clock.set(datetime(2026, 3, 2, 9, tzinfo=SHANGHAI))
    _initiate(services, "时钟偏慢")
    store = services.past.at(datetime(2026, 3, 2, 9, 30, tzinfo=SHANGHAI))
    assert store.events == 0
    with store.engine.connect() as conn:
        assert conn.execute(select(task_summary)).all() == []
