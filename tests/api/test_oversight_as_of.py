"""Oversight `?as_of=`: what the office would have seen at a past instant (R-OVER-1, R-JOINT-4, R-JOINT-5)."""
from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook

from tests.support import assert_error, created, pushed_task, wait_for_read_models

BEFORE_PUSH = "2026-03-02T08:59:59+08:00"  # the fixture's clock pushes at Mon 2 Mar 09:00
OVERDUE_UNANSWERED = "2026-03-05T08:00:00+08:00"  # the deadline (Wed 4 Mar) has passed; answers come at 09:00


def _get(server, path: str, **params) -> dict:  # type: ignore[no-untyped-def]
    params.setdefault("min_position", wait_for_read_models(server))
    return created(server.client("office").get(path, params=params), 200)


def _states(page: dict) -> dict[str, tuple[str, str | None]]:
    return {r["department_code"]: (r["state"], r["responded_at"]) for r in page["items"]}


def _late_then_answered(server, clock) -> str:  # type: ignore[no-untyped-def]
    """Pushed Mon 2 Mar 09:00 to wlj and gxj (deadline Wed 4 Mar); both answer late on Thu 5 Mar 09:00."""
    task_id = pushed_task(server)
    clock.advance(timedelta(days=3))
    created(server.client("wlj").respond(task_id))
    created(server.client("gxj").respond(task_id))
    return task_id


def test_a_response_answered_late_shows_as_overdue_and_unanswered_as_of_before_the_answer(
        server, clock):  # R-JOINT-4 R-OVER-1
    task_id = _late_then_answered(server, clock)
    now = _get(server, "/oversight/late-responses")
    assert _states(now) == {"wlj": ("late", "2026-03-05T09:00:00+08:00"), "gxj": ("late", "2026-03-05T09:00:00+08:00")}
    then = _get(server, "/oversight/late-responses", as_of=OVERDUE_UNANSWERED)
    assert _states(then) == {"wlj": ("overdue", None), "gxj": ("overdue", None)}
    assert {r["task_id"] for r in then["items"]} == {task_id}
    assert {r["response_status"] for r in then["items"]} == {"pending"}
    assert then["as_of"] == OVERDUE_UNANSWERED and "as_of" not in now


def test_as_of_before_the_push_the_task_is_absent(server, clock):  # R-OVER-1
    _late_then_answered(server, clock)
    page = _get(server, "/oversight/late-responses", as_of=BEFORE_PUSH)
    assert (page["items"], page["total"]) == ([], 0)
    assert _get(server, "/oversight/tasks-without-day", as_of=BEFORE_PUSH)["total"] == 0


def test_as_of_on_time_nothing_is_late_yet(server, clock):  # R-JOINT-4
    _late_then_answered(server, clock)
    assert _get(server, "/oversight/late-responses", as_of="2026-03-04T23:59:59+08:00")["total"] == 0


def test_an_as_of_without_offset_is_shanghai_time(server, clock):  # R-OVER-1
    _late_then_answered(server, clock)
    local = _get(server, "/oversight/late-responses", as_of="2026-03-05T08:00:00")
    assert _states(local) == {"wlj": ("overdue", None), "gxj": ("overdue", None)}
    assert local["as_of"] == OVERDUE_UNANSWERED
    utc = _get(server, "/oversight/late-responses", as_of="2026-03-05T01:00:00Z")  # 09:00 Shanghai: answered
    assert _states(utc)["wlj"] == ("late", "2026-03-05T09:00:00+08:00")


def test_a_malformed_as_of_is_422_saying_which_format(server):  # R-OVER-1
    office = server.client("office")
    for value in ("yesterday", "2026-03-05", "2026-13-01T09:00:00+08:00", "2026-03-05T25:00", ""):
        error = assert_error(office.get("/oversight/late-responses", params={"as_of": value}), 422, "invalid_as_of")
        assert "ISO 8601" in error["message"] and "北京时间" in error["message"], value
        assert error["details"]["field"] == "as_of"


def test_an_as_of_in_the_future_is_422(server, clock):  # R-OVER-1
    future = (clock.now() + timedelta(minutes=1)).isoformat()
    for path in ("/oversight/late-responses", "/oversight/tasks-without-day", "/oversight/overdue-results"):
        error = assert_error(server.client("office").get(path, params={"as_of": future}), 422, "as_of_in_future")
        assert "不能晚于当前时间" in error["message"]
    assert_error(server.client("scjg").get("/oversight/late-responses", params={"as_of": future}), 403,
                 "office_only")


def test_the_csv_and_xlsx_exports_honour_as_of(server, clock):  # R-OVER-1 R-JOINT-4
    _late_then_answered(server, clock)
    office = server.client("office")
    wait_for_read_models(server)
    csv = office.get("/oversight/late-responses", params={"format": "csv", "as_of": OVERDUE_UNANSWERED})
    assert csv.status_code == 200 and "as-of-20260305T0800" in csv.headers["content-disposition"]
    lines = csv.content.decode("utf-8").strip().splitlines()
    assert len(lines) == 3 and all(",overdue," in line for line in lines[1:])
    live = office.get("/oversight/late-responses", params={"format": "csv"}).content.decode("utf-8")
    assert ",overdue," not in live and live.count(",late,") == 2
    xlsx = office.get("/oversight/late-responses", params={"format": "xlsx", "as_of": BEFORE_PUSH})
    assert list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))[1:] == []


def test_tasks_without_day_as_of_before_the_day_was_agreed(server, clock):  # R-JOINT-5 R-OVER-1
    lead, wlj = server.client("scjg"), server.client("wlj")
    task_id = pushed_task(server, responding_departments=["wlj"])
    clock.advance(timedelta(hours=1))
    created(wlj.respond(task_id))
    answered = clock.now().isoformat()
    clock.advance(timedelta(hours=1))
    created(lead.post(f"/joint-tasks/{task_id}/inspection-day/proposals", json={"day": "2026-03-10"}))
    created(wlj.post(f"/joint-tasks/{task_id}/inspection-day/agreements"))
    assert _get(server, "/oversight/tasks-without-day")["total"] == 0
    then = _get(server, "/oversight/tasks-without-day", as_of=answered)
    assert [(r["task_id"], r["pending"]) for r in then["items"]] == [(task_id, 0)]
    csv = server.client("office").get("/oversight/tasks-without-day", params={"format": "csv", "as_of": answered})
    assert task_id in csv.content.decode("utf-8")


def test_overdue_results_and_department_figures_as_of(server, clock):  # R-PUB-1 R-OVER-1
    lead, wlj = server.client("scjg"), server.client("wlj")
    task_id = pushed_task(server, responding_departments=["wlj"])
    created(wlj.respond(task_id))
    created(lead.post(f"/joint-tasks/{task_id}/inspection-day/proposals", json={"day": "2026-03-10"}))
    created(wlj.post(f"/joint-tasks/{task_id}/inspection-day/agreements"))
    clock.set(clock.now() + timedelta(days=9))  # Wed 11 Mar: the visit day has passed, nothing entered
    not_entered = clock.now().isoformat()
    clock.advance(timedelta(hours=1))
    for who in (lead, wlj):
        created(who.post(f"/joint-tasks/{task_id}/inspections", json={"completed_on": "2026-03-10"}))
    assert _get(server, "/oversight/overdue-results")["total"] == 0
    then = _get(server, "/oversight/overdue-results", as_of=not_entered)
    assert {(r["department"], r["state"]) for r in then["items"]} == {("scjg", "not_entered"), ("wlj", "not_entered")}
    figures = _get(server, "/oversight/department-figures", **{"from": "2026-03-01", "to": "2026-03-31",
                                                                "as_of": BEFORE_PUSH})
    assert figures["items"] == [] and figures["as_of"] == BEFORE_PUSH
    by = {f["department"]: f for f in _get(server, "/oversight/department-figures", **{
        "from": "2026-03-01", "to": "2026-03-31", "as_of": not_entered})["items"]}
    assert (by["wlj"]["received"], by["wlj"]["answered"], by["wlj"]["on_time"]) == (1, 1, 1)
