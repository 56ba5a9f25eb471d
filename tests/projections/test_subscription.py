"""PostgreSQL LISTEN/NOTIFY: a 30-second safety poll, yet commands reach the read model at once (SQLite polls)."""
from __future__ import annotations

import select
import subprocess
import sys
import textwrap
import time
from datetime import date

import psycopg2
import pytest
from sqlalchemy import text

from api.settings import Settings, SettingsError
from domain.usecases import Actor
from projections.subscription import CHANNEL, EventListener, install_notify_trigger, notify_wanted

LEAD = Actor(user="scjg", department="scjg")
PROMPT = 3.0  # seconds: far below the 30-second safety poll, far above a NOTIFY round trip


@pytest.fixture
def subscribed(services):  # type: ignore[no-untyped-def]
    """The fixture's services with a 30 s safety poll, runner and listener running (PostgreSQL only)."""
    if services.listener is None:
        pytest.skip("SQLite cannot be subscribed to; it polls (see test_sqlite_polls_and_nothing_listens)")
    services.settings = services.settings.model_copy(update={"safety_poll_seconds": 30.0})
    services.runner.poll_seconds = services.settings.poll_seconds
    services.runner.start()
    services.start_listening()
    assert services.listener.connected.wait(10)
    time.sleep(0.2)  # let the runner's first catch-up pass, so that only a wake-up can apply what follows
    return services


def _initiate(services) -> int:  # type: ignore[no-untyped-def]
    return services.app.initiate_task(
        LEAD, title="联合检查", planned=True, items=["食品经营检查"], responding_departments=["wlj"],
        window_start=date(2026, 3, 9), window_end=date(2026, 4, 30), note="").position


def _applied_within(services, position: int, seconds: float) -> float | None:  # type: ignore[no-untyped-def]
    """Seconds until every projection applied `position` (watched without waking the runner), or None."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if services.runner.lowest_position() >= position:
            return time.monotonic() - start
        time.sleep(0.002)
    return None


def test_sqlite_polls_and_nothing_listens(services):
    if services.settings.is_sqlite:
        assert services.listener is None and services.runner.poll_seconds == services.settings.projection_poll_seconds
    else:
        assert services.listener is not None and services.runner.poll_seconds == services.settings.safety_poll_seconds


def test_each_append_is_announced_with_its_position_by_the_trigger(subscribed, pg_database_url):
    listening = psycopg2.connect(**subscribed.engine.dialect.create_connect_args(subscribed.engine.url)[1])
    listening.autocommit = True
    try:
        listening.cursor().execute(f"LISTEN {CHANNEL}")
        position = _initiate(subscribed)
        payloads: list[str] = []
        deadline = time.monotonic() + PROMPT
        while str(position) not in payloads and time.monotonic() < deadline:
            select.select([listening], [], [], 0.1)
            listening.poll()
            payloads += [n.payload for n in listening.notifies]
            listening.notifies.clear()
        assert str(position) in payloads
    finally:
        listening.close()


def test_installing_the_trigger_twice_keeps_one_trigger(subscribed):
    table = subscribed.app.recorder.events_table_name
    install_notify_trigger(subscribed.engine, table)
    with subscribed.engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM pg_trigger WHERE tgrelid = CAST(:t AS regclass) "
                                  "AND NOT tgisinternal"), {"t": table}).scalar_one()
    assert count == 1


def test_a_command_reaches_the_read_model_at_once_despite_a_30_second_poll(subscribed):
    position = _initiate(subscribed)
    assert _applied_within(subscribed, position, PROMPT) is not None


def test_a_command_recorded_by_another_process_wakes_this_one(subscribed, pg_database_url):
    script = textwrap.dedent(f"""
        from datetime import date, datetime
        from api.storage.official_calendar import ChineseCalendarSchedule
        from api.storage import eventstore as store
        from domain.usecases import Actor, JointInspect
        from domain.clock import SHANGHAI, FakeClock
        app = JointInspect(store.environment({pg_database_url!r}),
                           clock=FakeClock(datetime(2026, 3, 2, 9, tzinfo=SHANGHAI)), official=ChineseCalendarSchedule())
        print(app.initiate_task(Actor("scjg", "scjg"), title="另一进程推送", planned=True, items=["食品经营检查"],
                                responding_departments=["wlj"], window_start=date(2026, 3, 9),
                                window_end=date(2026, 4, 30), note="").position)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    position = int(done.stdout.strip().splitlines()[-1])
    assert _applied_within(subscribed, position, PROMPT) is not None


def test_a_readers_notice_calls_the_wanted_subscribers_only(services):
    if services.listener is None:
        pytest.skip("SQLite cannot be subscribed to; its runner runs in the reader's own process")
    listener = EventListener(services.engine)
    woken, wanted = [], []
    listener.subscribe(lambda: woken.append(time.monotonic()))
    listener.on_wanted(lambda: wanted.append(time.monotonic()))
    listener.start()
    try:
        assert listener.connected.wait(10)
        time.sleep(0.1)
        woken.clear()  # the wake-up every (re)connect gives
        notify_wanted(services.engine)
        deadline = time.monotonic() + PROMPT
        while not wanted and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)
        assert len(wanted) == 1 and woken == []  # a reader's notice announces no event: the log tailers sleep on
        _initiate(services)
        deadline = time.monotonic() + PROMPT
        while not woken and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(woken) == 1 and len(wanted) == 1 and listener.last_position > 0
    finally:
        listener.stop()


def test_the_listener_reconnects_after_its_connection_is_terminated(subscribed):
    listener = subscribed.listener
    before = listener.backend_pid
    with subscribed.engine.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": before}).scalar_one()
    deadline = time.monotonic() + 10
    while (listener.backend_pid == before or not listener.connected.is_set()) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert listener.backend_pid != before and listener.reconnects >= 1
    position = _initiate(subscribed)
    assert _applied_within(subscribed, position, PROMPT) is not None


def test_listen_and_the_safety_poll_are_settings():
    settings = Settings.from_env({"JOINTINSPECT_DATABASE_URL": "postgresql+psycopg2://u@h/db",
                                  "JOINTINSPECT_SAFETY_POLL_SECONDS": "5"})
    assert settings.subscribes and settings.poll_seconds == 5.0
    polled = Settings.from_env({"JOINTINSPECT_DATABASE_URL": "postgresql+psycopg2://u@h/db",
                                "JOINTINSPECT_LISTEN": "false"})
    assert not polled.subscribes and polled.poll_seconds == 0.05
    assert not Settings.from_env({"JOINTINSPECT_SAFETY_POLL_SECONDS": "5"}).subscribes  # SQLite polls
    with pytest.raises(SettingsError):
        Settings.from_env({"JOINTINSPECT_SAFETY_POLL_SECONDS": "0"})
