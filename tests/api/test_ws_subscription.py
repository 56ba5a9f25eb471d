"""WS /ws on PostgreSQL: with a 30-second safety poll, LISTEN/NOTIFY still brings each event at once."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import pytest
from websockets.sync.client import connect

from tests.support import LiveServer

PROMPT = 3.0  # seconds: far below the 30-second safety poll


@pytest.fixture
def slow_poll_server(services):  # type: ignore[no-untyped-def]
    if services.settings.is_sqlite:
        pytest.skip("SQLite cannot be subscribed to; /ws polls it (tests/api/test_ws.py)")
    services.settings = services.settings.model_copy(update={"safety_poll_seconds": 30.0})
    services.runner.poll_seconds = services.settings.poll_seconds
    with LiveServer.start(services) as live:
        assert services.listener is not None and services.listener.connected.wait(10)
        yield live


def _first_event(ws) -> tuple[dict, float]:  # type: ignore[no-untyped-def]
    start = time.monotonic()
    while True:
        message = json.loads(ws.recv(timeout=10))
        if message["type"] != "heartbeat":
            return message, time.monotonic() - start


def _ws(server: LiveServer, username: str):  # type: ignore[no-untyped-def]
    server.client(username)
    url = server.base_url.replace("http://", "ws://") + "/ws?token=" + server._tokens[username]
    return connect(url, open_timeout=10)


def test_a_command_reaches_a_websocket_client_at_once_despite_a_30_second_poll(slow_poll_server):
    with _ws(slow_poll_server, "wlj") as ws:
        time.sleep(0.2)  # the tailer has read the (empty) log and now waits
        task = slow_poll_server.client("scjg").initiate(responding_departments=["wlj"]).json()
        message, waited = _first_event(ws)
    assert message["task_id"] == task["id"] and waited < PROMPT


def test_an_event_recorded_by_another_process_reaches_a_websocket_client_at_once(slow_poll_server, pg_database_url):
    script = textwrap.dedent(f"""
        from datetime import date, datetime
        from api.storage import eventstore as store
        from domain.usecases import Actor, JointInspect
        from domain.clock import SHANGHAI, FakeClock
        app = JointInspect(store.environment({pg_database_url!r}),
                           clock=FakeClock(datetime(2026, 3, 2, 9, tzinfo=SHANGHAI)))
        print(app.initiate_task(Actor("scjg", "scjg"), title="另一进程推送", planned=True, items=["食品经营检查"],
                                responding_departments=["wlj"], window_start=date(2026, 3, 9),
                                window_end=date(2026, 4, 30), note="").position)
    """)
    with _ws(slow_poll_server, "wlj") as ws:
        time.sleep(0.2)
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                              check=True)
        recorded = time.monotonic()
        message, _ = _first_event(ws)
        waited = time.monotonic() - recorded
    assert message["position"] == int(done.stdout.strip().splitlines()[-1]) and waited < PROMPT


def test_an_api_process_without_the_projections_listens_only_once_a_websocket_client_connects(services):
    if services.settings.is_sqlite:
        pytest.skip("SQLite cannot be subscribed to; /ws polls it (tests/api/test_ws.py)")
    services.settings = services.settings.model_copy(update={"run_projections": False, "safety_poll_seconds": 30.0})
    with LiveServer.start(services) as live:
        live.client("scjg").initiate(responding_departments=["wlj"])  # a commit nobody in this process awaits
        assert services.listener is not None and not services.listener.connected.wait(0.5)
        with _ws(live, "wlj") as ws:
            assert services.listener.connected.wait(10)
            _first_event(ws)  # the task initiated before anyone listened, replayed from the log
            task = live.client("scjg").initiate(responding_departments=["wlj"]).json()
            message, waited = _first_event(ws)
    assert message["task_id"] == task["id"] and waited < PROMPT
