"""WS /ws over a real server: authentication, who receives what, and resuming without gap or duplicate."""
from __future__ import annotations

import json

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.support import LiveServer


def _ws(server: LiveServer, username: str | None, after: int | None = None):  # type: ignore[no-untyped-def]
    url = server.base_url.replace("http://", "ws://") + "/ws"
    if after is not None:
        url += f"?after={after}"
    headers = {}
    if username is not None:
        server.client(username)  # logs in and caches the token
        headers["Authorization"] = f"Bearer {server._tokens[username]}"
    return connect(url, additional_headers=headers, open_timeout=10)


def _receive(ws, count: int) -> list[dict]:  # type: ignore[no-untyped-def]
    messages = []
    while len(messages) < count:
        message = json.loads(ws.recv(timeout=10))
        if message["type"] != "heartbeat":
            messages.append(message)
    return messages


def _nothing_more(ws) -> bool:  # type: ignore[no-untyped-def]
    try:
        while True:
            if json.loads(ws.recv(timeout=0.5))["type"] != "heartbeat":
                return False
    except TimeoutError:
        return True


def test_anonymous_socket_is_closed_with_4401(server):
    with _ws(server, None) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd.code == 4401


def test_a_department_receives_its_tasks_and_nothing_of_others(server):
    with _ws(server, "wlj") as wlj, _ws(server, "zjj") as zjj, _ws(server, "office") as office:
        task_id = server.client("scjg").initiate(responding_departments=["wlj", "gxj"]).json()["id"]
        position = server.client("wlj").respond(task_id).json()["position"]
        got = _receive(wlj, 2)
        assert [(m["type"], m["task_id"]) for m in got] == [("JointTask.Initiated", task_id),
                                                             ("JointTask.Responded", task_id)]
        assert got[1]["position"] == position and got[1]["department"] == "wlj"
        assert [m["position"] for m in _receive(office, 2)] == [got[0]["position"], position]
        assert _nothing_more(zjj)


def test_resuming_after_a_position_replays_the_rest_in_order_without_duplicates(server):
    lead = server.client("scjg")
    with _ws(server, "wlj") as ws:
        first = lead.initiate().json()["id"]
        seen = _receive(ws, 1)
    # cut off: commands keep coming while the client is away
    positions = [seen[0]["position"]]
    for _ in range(3):
        task_id = lead.initiate().json()["id"]
        positions.append(server.client("wlj").respond(task_id).json()["position"] - 1)
        positions.append(positions[-1] + 1)
    positions.append(server.client("wlj").respond(first).json()["position"])
    with _ws(server, "wlj", after=seen[0]["position"]) as ws:
        resumed = _receive(ws, len(positions) - 1)
        assert _nothing_more(ws)
    got = [seen[0]["position"]] + [m["position"] for m in resumed]
    assert got == sorted(set(got)) == sorted(positions)


def test_heartbeats_carry_the_latest_position(services):
    services.settings = services.settings.model_copy(update={"ws_heartbeat_seconds": 0.2})
    with LiveServer.start(services) as server:
        task = server.client("scjg").initiate().json()
        with _ws(server, "zjj") as ws:
            message = json.loads(ws.recv(timeout=10))
    assert message == {"type": "heartbeat", "position": task["position"]}


def test_resuming_after_a_far_future_position_is_refused_with_4422(server):
    """Issue 13: a position beyond the log's head is refused at once, never a stuck or failing tail."""
    with _ws(server, "scjg", after=10**30) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd.code == 4422


def test_a_task_message_carries_the_row_each_department_would_read_from_the_list(server):
    """The live task list patches its table from the message (issue 15): the row sent to each department equals the
    one `GET /joint-tasks?task_id=` gives it, with its own `todo`."""
    with _ws(server, "wlj") as wlj, _ws(server, "scjg") as lead, _ws(server, "office") as office:
        task_id = server.client("scjg").initiate(responding_departments=["wlj", "gxj"]).json()["id"]
        position = server.client("wlj").respond(task_id).json()["position"]
        for username, ws in (("wlj", wlj), ("scjg", lead), ("office", office)):
            sent = [m for m in _receive(ws, 2) if m["position"] == position]
            assert sent and "row" in sent[0], username
            read = server.client(username).get(
                "/joint-tasks", params={"task_id": task_id, "min_position": position}).json()["items"]
            assert sent[0]["row"] == read[0], username
        assert read[0]["todo"] is None  # the office has nothing to do on it; wlj's row said what wlj must do
