"""Reads that wait for the read models cannot starve the server (issue 13 item 3; api/read_waits.py)."""
from __future__ import annotations

import threading
import time
from typing import Iterator

import httpx
import pytest

from api.bootstrap import Services, build_services
from tests.projections.stories import SCJG, initiate
from tests.support import LiveServer, assert_error, head

WAITS = 8


@pytest.fixture
def tight(services: Services, clock, password_hash) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    """A server allowing WAITS concurrent waits of 10 s each, over a store whose projections are held back.

    The waits are long so that none ends before the test has counted them: with 3 s, a loaded CI machine once took
    longer than that to start the sixty readers and answer the other request, and one wait had ended (7 != 8)."""
    settings = services.settings.model_copy(
        update={"max_read_waits": WAITS, "read_wait_seconds": 10.0, "run_projections": False})
    services.close()
    built = build_services(settings, clock)
    with LiveServer.start(built) as live:
        yield live
    built.close()


def test_a_min_position_beyond_the_log_head_is_422_at_once(server: LiveServer) -> None:
    error = assert_error(server.client("scjg").get("/inbox", params={"min_position": 999_999_999}), 422,
                         "min_position_beyond_head")
    assert error["details"]["head"] == head(server)
    assert_error(server.client("scjg").get("/joint-tasks", params={"min_position": 10**30}), 422)


def test_many_waiting_reads_neither_hold_threads_nor_delay_other_requests(tight: LiveServer, clock) -> None:
    """Sixty reads wait for a position the (held back) projections have not reached: WAITS of them wait, the rest
    get 503 with Retry-After at once, and another request is answered while they still wait."""
    initiate(tight.services, lead=SCJG)  # recorded; with no runner in this server, never projected
    position = tight.services.app.recorder.max_notification_id()
    token = tight.client("scjg").headers["Authorization"]
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def wait_for_it() -> None:
        with httpx.Client(base_url=tight.base_url + "/api/v1", headers={"Authorization": token}, timeout=30) as c:
            response = c.get("/inbox", params={"min_position": position})
        with lock:
            answers.append(response)

    readers = [threading.Thread(target=wait_for_it) for _ in range(60)]
    for reader in readers:
        reader.start()
    deadline = time.monotonic() + 20  # the refusals come at once; the bound only keeps a broken server from hanging
    while time.monotonic() < deadline:
        with lock:
            if len(answers) >= 60 - WAITS:
                break
        readers[0].join(timeout=0.01)
    departments = tight.client("scjg").get("/departments")
    with lock:
        still_waiting = 60 - len(answers)
    assert departments.status_code == 200
    assert still_waiting == WAITS, "the other request was answered while the waits went on"
    for reader in readers:
        reader.join(timeout=30)
    refused = [a for a in answers if a.json()["error"]["code"] == "too_many_waits"]
    behind = [a for a in answers if a.json()["error"]["code"] == "read_model_behind"]
    assert len(refused) == 60 - WAITS and len(behind) == WAITS
    assert all(a.status_code == 503 and a.headers["Retry-After"] == "1" for a in refused + behind)


def test_a_wait_that_is_served_frees_its_slot(server: LiveServer) -> None:
    scjg = server.client("scjg")
    for _ in range(3):
        created = scjg.initiate()
        assert created.status_code == 201
        listed = scjg.get("/joint-tasks", params={"min_position": created.json()["position"]})
        assert listed.status_code == 200
    assert server.services.read_waits._slots._value == server.services.settings.max_read_waits
