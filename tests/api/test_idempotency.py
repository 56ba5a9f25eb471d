"""Idempotency-Key on every command: a retry returns the first answer and records nothing new."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable, NamedTuple

from domain.clock import SHANGHAI
from tests.support import (
    INSPECTION_DAY, assert_error, created, day_agreed_task, head, idempotency, inspected_task, nothing_recorded,
    office_view, pushed_task, responded_task,
)


class Command(NamedTuple):
    user: str
    path: str
    body: dict | None
    other_body: dict | None  # a different request for the same path (None: the command takes no body)


def _initiate(server) -> Command:
    body = {"title": "餐饮单位食品安全联合检查", "responding_departments": ["wlj"], "window_start": "2026-03-09",
            "window_end": "2026-04-30", "items": ["食品经营检查"]}
    return Command("scjg", "/joint-tasks", body, body | {"title": "另一个联合检查"})


def _respond(server) -> Command:
    return Command("wlj", f"/joint-tasks/{pushed_task(server)}/responses",
                   {"decision": "accept", "item_ids": ["文化市场经营检查"]}, {"decision": "decline", "reason": "无相关事项"})


def _late_reason(server) -> Command:
    task_id = pushed_task(server)
    server.services.clock.advance(timedelta(days=3))
    return Command("gxj", f"/joint-tasks/{task_id}/late-reason", {"reason": "人员外出执法"}, {"reason": "另有原因"})


def _propose(server) -> Command:
    return Command("scjg", f"/joint-tasks/{responded_task(server)}/inspection-day/proposals",
                   {"day": INSPECTION_DAY}, {"day": "2026-03-11"})


def _agree(server) -> Command:
    task_id = responded_task(server)
    created(server.client("scjg").post(f"/joint-tasks/{task_id}/inspection-day/proposals",
                                       json={"day": INSPECTION_DAY}))
    return Command("wlj", f"/joint-tasks/{task_id}/inspection-day/agreements", None, None)


def _inspect(server) -> Command:
    task_id = day_agreed_task(server)
    server.services.clock.set(datetime(2026, 3, 11, 10, tzinfo=SHANGHAI))
    return Command("scjg", f"/joint-tasks/{task_id}/inspections", {"completed_on": INSPECTION_DAY},
                   {"completed_on": "2026-03-11"})


def _publish(server) -> Command:
    return Command("scjg", f"/joint-tasks/{inspected_task(server)}/publications", {"note": "已公示"}, {"note": "改"})


def _cancel(server) -> Command:
    return Command("scjg", f"/joint-tasks/{pushed_task(server)}/cancellation", {"reason": "上级专项已覆盖"},
                   {"reason": "误发"})


def _merge(server) -> Command:
    merged, survivor, other = pushed_task(server), pushed_task(server), pushed_task(server)
    return Command("scjg", f"/joint-tasks/{merged}/merge", {"into_task_id": survivor}, {"into_task_id": other})


def _enter_year(server) -> Command:
    pushed_task(server)  # an open task whose deadline the calendar change recomputes (it does not move)
    return Command("office", "/calendar/years", {"year": 2027, "holidays": ["2027-01-01"]},
                   {"year": 2027, "holidays": ["2027-01-01", "2027-02-08"]})


def _amend_day(server) -> Command:
    pushed_task(server)  # its deadline (Wed 4 Mar) moves with the amendment
    return Command("office", "/calendar/amendments", {"day": "2026-03-04", "working": False, "reason": "临时停工"},
                   {"day": "2026-03-04", "working": False, "reason": "防汛停工"})


COMMANDS: dict[str, Callable] = {
    "initiate": _initiate, "respond": _respond, "late_reason": _late_reason, "propose_day": _propose,
    "agree_day": _agree, "record_inspection": _inspect, "publish": _publish, "cancel": _cancel, "merge": _merge,
    "enter_year": _enter_year, "amend_day": _amend_day,
}


def _send(server, command: Command, key: str | None, body: dict | None = None):
    headers = idempotency(key) if key is not None else {}
    body = command.body if body is None else body
    if body is None:
        return server.client(command.user).post(command.path, headers=headers)
    return server.client(command.user).post(command.path, json=body, headers=headers)


def _task_of(command: Command) -> list[str]:
    parts = command.path.split("/")
    return [parts[2]] if command.path.startswith("/joint-tasks/") else []


def test_every_command_answers_a_retry_with_the_same_key_with_its_first_answer_and_records_nothing(server, clock):
    start = clock.now()
    for name, setup in COMMANDS.items():
        clock.set(start)  # each setup tells its story from Mon 2 March
        command = setup(server)
        before = head(server)
        first = _send(server, command, f"retry-{name}")
        assert first.status_code == 201, (name, first.text)
        after_first = head(server)
        assert after_first > before and "Idempotent-Replay" not in first.headers, name
        with nothing_recorded(server, *_task_of(command)):
            again = _send(server, command, f"retry-{name}")
            assert (again.status_code, again.json()) == (first.status_code, first.json()), name
            assert again.headers["Idempotent-Replay"] == "true", name
        assert head(server) == after_first, name


def test_the_same_key_with_a_different_request_is_422(server):
    commands = [COMMANDS[name](server) for name in ("initiate", "respond", "propose_day", "merge", "amend_day")]
    for n, command in enumerate(commands):
        created(_send(server, command, f"key-{n}"))
    with nothing_recorded(server):
        for n, command in enumerate(commands):
            error = assert_error(_send(server, command, f"key-{n}", command.other_body), 422, "idempotency_key_reused")
            assert error["details"] is None


def test_the_same_key_for_another_task_or_endpoint_is_422(server):
    first, second = _agree(server), _agree(server)  # wlj agrees on two tasks
    created(_send(server, first, "agree-1"))
    [task_id] = _task_of(first)
    with nothing_recorded(server, task_id, *_task_of(second)):
        assert_error(_send(server, second, "agree-1"), 422, "idempotency_key_reused")
        assert_error(server.client("wlj").post(f"/joint-tasks/{task_id}/late-reason", json={"reason": "人员外出"},
                                               headers=idempotency("agree-1")), 422, "idempotency_key_reused")


def test_keys_belong_to_one_user(server):
    scjg_task = created(server.client("scjg").post("/joint-tasks", json=_initiate(server).body,
                                                   headers=idempotency("shared-key")))
    wlj_body = _initiate(server).body | {"responding_departments": ["gxj"], "items": ["文化市场经营检查"]}
    wlj_task = created(server.client("wlj").post("/joint-tasks", json=wlj_body, headers=idempotency("shared-key")))
    assert wlj_task["id"] != scjg_task["id"]
    assert office_view(server, wlj_task["id"])["lead_department"]["code"] == "wlj"
    replay = server.client("scjg").post("/joint-tasks", json=_initiate(server).body, headers=idempotency("shared-key"))
    assert replay.json() == scjg_task


def test_a_retry_is_answered_even_when_repeating_the_command_would_be_refused(server):  # R-JOINT-3
    task_id = pushed_task(server)
    first = created(server.client("wlj").respond(task_id, headers=idempotency("respond-1")))
    assert created(server.client("wlj").respond(task_id, headers=idempotency("respond-1"))) == first
    assert_error(server.client("wlj").respond(task_id, headers=idempotency("respond-2")), 409, "already_responded")


def test_a_refused_command_keeps_no_answer_for_its_key(server):  # R-JOINT-3
    task_id = pushed_task(server)
    with nothing_recorded(server, task_id):
        assert_error(server.client("wlj").respond(task_id, "decline", [], reason=" ", headers=idempotency("k")),
                     422, "invalid")
    corrected = created(server.client("wlj").respond(task_id, "decline", [], reason="无相关事项",
                                                     headers=idempotency("k")))
    assert created(server.client("wlj").respond(task_id, "decline", [], reason="无相关事项",
                                                headers=idempotency("k"))) == corrected


def test_a_malformed_key_is_422(server):
    with nothing_recorded(server):
        for key in ("", "k" * 201):
            error = assert_error(server.client("scjg").post("/joint-tasks", json=_initiate(server).body,
                                                            headers=idempotency(key)), 422, "validation_error")
            assert error["details"][0]["field"] == "Idempotency-Key"
