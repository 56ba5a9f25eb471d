"""Concurrent commands on one task over HTTP: nothing lost, nothing doubled (R-JOINT-3)."""
from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Callable

import httpx
import pytest

from api.accounts import add_department, add_user
from api.bootstrap import build_services
from tests.support import (
    LiveServer, created, default_items, head, idempotency, office_view, pushed_task, wait_for_read_models,
)

DEMO_RESPONDERS = ["wlj", "gxj", "yjj", "sthj", "wjw", "jtj", "zjj"]


def _at_once(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    """Run the calls in threads released together by a barrier; their responses in the same order."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], httpx.Response]) -> httpx.Response:
        barrier.wait(timeout=10)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _add_departments(server: LiveServer, password_hash: str, count: int) -> list[str]:
    """Extra county-level departments, each with a user named by its code (the demo password) and a joint item of
    its own named "<code>联合检查" (a department joins only its own items: R-JOINT-3)."""
    codes = [f"qx{n:02d}" for n in range(count)]
    with server.services.engine.begin() as conn:
        for n, code in enumerate(codes):
            department_id = add_department(conn, code, f"第{n + 1}区市场监管分局", region="示范市", level="county")
            add_user(conn, code, None, department_id, ["department_staff"], password_hash=password_hash)
    for code in codes:
        created(server.client(code).post("/check-items", json={
            "code": f"{code.upper()}-C-01", "name": f"{code}联合检查", "subject_type": "餐饮服务经营者",
            "content": "联合检查", "category": "市场监管", "methods": ["on_site"], "level": "county",
            "legal_basis": "《食品安全法》", "ratio": "5", "frequency": 1, "item_class": "C"}))
    return codes


def _items(responders: list[str]) -> list[str]:
    """The lead's and every responder's own item: demo departments' first joint items, the extra ones' own."""
    return default_items(["scjg", *responders]) + [f"{c}联合检查" for c in responders if c.startswith("qx")]


def _timeline(server: LiveServer, task_id: str) -> list[dict]:
    position = wait_for_read_models(server)
    return created(server.client("office").get(f"/joint-tasks/{task_id}/timeline",
                                                params={"min_position": position}), 200)["items"]


def test_two_departments_responding_at_the_same_instant_both_succeed(server):  # R-JOINT-3
    task_id = pushed_task(server)
    wlj, gxj = server.client("wlj"), server.client("gxj")
    responses = _at_once([lambda: wlj.respond(task_id),
                          lambda: gxj.respond(task_id, "decline", [], reason="无相关事项")])
    assert [r.status_code for r in responses] == [201, 201], [r.text for r in responses]
    task = office_view(server, task_id)
    assert task["version"] == 3 and task["status"] == "responded"
    assert {r["department_code"]: r["status"] for r in task["responses"]} == {"wlj": "accepted", "gxj": "declined"}


def test_the_same_department_responding_twice_at_once_gets_one_201_and_one_409(server):  # R-JOINT-3
    task_id = pushed_task(server)
    wlj = server.client("wlj")
    responses = _at_once([lambda: wlj.respond(task_id),
                          lambda: wlj.respond(task_id, "decline", [], reason="无相关事项")])
    assert sorted(r.status_code for r in responses) == [201, 409], [r.text for r in responses]
    refused = next(r for r in responses if r.status_code == 409)
    assert refused.json()["error"]["code"] == "already_responded"
    accepted = next(r for r in responses if r.status_code == 201)
    task = office_view(server, task_id)
    assert task["version"] == 2 and head(server) == accepted.json()["position"]


def test_twenty_concurrent_responses_to_one_task_are_all_recorded(server, password_hash):  # R-JOINT-3
    responders = DEMO_RESPONDERS + _add_departments(server, password_hash, 13)
    task = created(server.client("scjg").initiate(responding_departments=responders, items=_items(responders)))
    clients = {code: server.client(code) for code in responders}  # log in before the race
    responses = _at_once([lambda code=code: clients[code].respond(task["id"]) for code in responders])
    assert [r.status_code for r in responses] == [201] * 20, [r.text for r in responses if r.status_code != 201]
    positions = [r.json()["position"] for r in responses]
    # Distinct and the last one is the head; PostgreSQL may leave gaps where a conflicting insert was rolled back.
    assert len(set(positions)) == 20 and max(positions) == head(server) and min(positions) > task["position"]
    view = office_view(server, task["id"])
    assert view["version"] == 21 and view["status"] == "responded"
    assert all(r["status"] == "accepted" for r in view["responses"]) and len(view["responses"]) == 20
    timeline = _timeline(server, task["id"])
    assert Counter(r["event_type"] for r in timeline) == {"Initiated": 1, "Responded": 20}
    assert sorted(r["actor_department"] for r in timeline[1:]) == sorted(responders)


def test_twenty_different_concurrent_commands_on_one_task_lose_nothing(
        server, password_hash):  # R-JOINT-3 R-JOINT-4
    """Ten departments respond while ten others, already late, state their reasons: every event is kept."""
    extra = _add_departments(server, password_hash, 13)
    responders = DEMO_RESPONDERS + extra
    task_id = pushed_task(server, responding_departments=responders, items=_items(responders))
    server.services.clock.advance(timedelta(days=3))  # everyone is late now
    clients = {code: server.client(code) for code in responders}
    responding, explaining = responders[:10], responders[10:]
    calls = [lambda c=c: clients[c].respond(task_id) for c in responding]
    calls += [lambda c=c: clients[c].post(f"/joint-tasks/{task_id}/late-reason", json={"reason": f"{c}人员外出"})
              for c in explaining]
    responses = _at_once(calls)
    assert [r.status_code for r in responses] == [201] * 20, [r.text for r in responses if r.status_code != 201]
    view = office_view(server, task_id)
    assert view["version"] == 21
    by_code = {r["department_code"]: r for r in view["responses"]}
    assert all(by_code[c]["status"] == "accepted" and by_code[c]["late"] for c in responding)
    assert all(by_code[c]["status"] == "pending" and by_code[c]["late_reason"] == f"{c}人员外出" for c in explaining)
    assert Counter(r["event_type"] for r in _timeline(server, task_id)) == {
        "Initiated": 1, "Responded": 10, "LateReasonGiven": 10}


def test_concurrent_retries_with_one_idempotency_key_record_once(server):
    body = {"title": "餐饮单位食品安全联合检查", "responding_departments": ["wlj"], "window_start": "2026-03-09",
            "window_end": "2026-04-30", "items": ["食品经营检查"]}
    scjg = server.client("scjg")
    responses = _at_once([lambda: scjg.post("/joint-tasks", json=body, headers=idempotency("retry-storm"))] * 6)
    assert {r.status_code for r in responses} == {201}, [r.text for r in responses]
    assert len({r.text for r in responses}) == 1  # every retry got the first answer
    position = wait_for_read_models(server)
    assert position == head(server) == responses[0].json()["position"]  # one task, one event
    tasks = created(scjg.get("/joint-tasks", params={"min_position": position}), 200)
    assert tasks["total"] == 1


@pytest.mark.pg_only
def test_two_api_replicas_on_one_postgresql_lose_no_concurrent_response(database_url, services, clock):  # R-JOINT-3
    if "sqlite" in database_url:
        pytest.skip("one SQLite file is not shared by several API processes; replicas need PostgreSQL")
    replica = build_services(services.settings, clock)
    try:
        with LiveServer.start(services) as first, LiveServer.start(replica) as second:
            task_id = pushed_task(first, responding_departments=DEMO_RESPONDERS)
            clients = [(first if n % 2 else second).client(code) for n, code in enumerate(DEMO_RESPONDERS)]
            responses = _at_once([lambda c=c: c.respond(task_id) for c in clients])
            assert [r.status_code for r in responses] == [201] * 7, [r.text for r in responses]
            view = office_view(second, task_id)
            assert view["version"] == 8 and view["status"] == "responded"
            assert head(first) == head(second) == max(r.json()["position"] for r in responses)
    finally:
        replica.close()
