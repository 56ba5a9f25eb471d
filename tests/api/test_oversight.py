"""The office's list of late responses over HTTP (R-JOINT-4, R-OVER-1)."""
from __future__ import annotations

from datetime import timedelta

from tests.support import assert_error, created, pushed_task, wait_for_read_models


def _late(server, user: str = "office", **params) -> dict:
    params.setdefault("min_position", wait_for_read_models(server))
    return created(server.client(user).get("/oversight/late-responses", params=params), 200)


def _states(page: dict) -> dict[tuple[str, str], str]:
    return {(r["task_id"], r["department_code"]): r["state"] for r in page["items"]}


def test_a_pending_response_turns_up_once_its_deadline_passes_with_only_the_clock_moving(
        server, clock):  # R-JOINT-4 R-OVER-1
    task_id = pushed_task(server)
    clock.advance(timedelta(days=2, hours=14, minutes=59))  # Wed 4 Mar 23:59: still on time
    assert _late(server) == {"items": [], "total": 0, "page": 1, "page_size": 50}
    clock.advance(timedelta(minutes=1))  # Thu 5 Mar 00:00
    page = _late(server)
    assert _states(page) == {(task_id, "wlj"): "overdue", (task_id, "gxj"): "overdue"}
    row = page["items"][0]
    assert row["task_title"] == "餐饮单位食品安全联合检查" and row["response_status"] == "pending"
    assert row["deadline"] == "2026-03-04T23:59:59+08:00" and row["responded_at"] is None and row["reason"] is None
    assert isinstance(row["department_id"], int) and row["department_name"] in ("文化和旅游局", "工业和信息化局")


def test_a_late_answer_is_late_and_with_a_reason_late_with_reason(server, clock):  # R-JOINT-4
    task_id = pushed_task(server)
    clock.advance(timedelta(days=3))
    created(server.client("wlj").respond(task_id))
    created(server.client("gxj").respond(task_id, "accept", ["工业产品生产许可检查"], reason="人员外出执法，逾期答复"))
    page = _late(server)
    assert _states(page) == {(task_id, "wlj"): "late", (task_id, "gxj"): "late_with_reason"}
    gxj = next(r for r in page["items"] if r["department_code"] == "gxj")
    assert gxj["reason"] == "人员外出执法，逾期答复" and gxj["responded_at"] == "2026-03-05T09:00:00+08:00"


def test_a_late_reason_turns_an_overdue_response_into_late_with_reason(server, clock):  # R-JOINT-4
    task_id = pushed_task(server)
    clock.advance(timedelta(days=3))
    created(server.client("gxj").post(f"/joint-tasks/{task_id}/late-reason", json={"reason": "系统故障未收到推送"}))
    page = _late(server)
    assert _states(page) == {(task_id, "wlj"): "overdue", (task_id, "gxj"): "late_with_reason"}
    gxj = next(r for r in page["items"] if r["department_code"] == "gxj")
    assert gxj["reason"] == "系统故障未收到推送" and gxj["response_status"] == "pending"


def test_an_answer_on_time_never_turns_up(server, clock):  # R-JOINT-4
    task_id = pushed_task(server, responding_departments=["wlj"])
    clock.advance(timedelta(days=2, hours=14))  # Wed 4 Mar 23:00: the last hour
    created(server.client("wlj").respond(task_id))
    clock.advance(timedelta(days=10))
    assert _late(server)["total"] == 0


def test_cancelled_and_merged_tasks_leave_the_list(server, clock):  # R-OVER-1
    kept, cancelled, merged = pushed_task(server), pushed_task(server), pushed_task(server)
    created(server.client("scjg").post(f"/joint-tasks/{cancelled}/cancellation", json={"reason": "重复任务"}))
    created(server.client("scjg").post(f"/joint-tasks/{merged}/merge", json={"into_task_id": kept}))
    clock.advance(timedelta(days=3))
    assert {task for task, _ in _states(_late(server))} == {kept}


def test_the_list_filters_by_department_and_paginates(server, clock):  # R-OVER-1
    first = pushed_task(server)
    clock.advance(timedelta(days=1))
    second = pushed_task(server, responding_departments=["wlj", "yjj"])
    clock.advance(timedelta(days=5))
    assert _late(server)["total"] == 4
    wlj = _late(server, department="wlj")
    assert [(r["task_id"], r["department_code"]) for r in wlj["items"]] == [(first, "wlj"), (second, "wlj")]
    pages = [_late(server, page=n, page_size=3) for n in (1, 2)]
    assert [len(p["items"]) for p in pages] == [3, 1] and {p["total"] for p in pages} == {4}
    assert [r["task_id"] for p in pages for r in p["items"]] == [first, first, second, second]  # oldest deadline first
    assert _late(server, department="zjj")["total"] == 0


def test_late_responses_are_for_the_office_only(server):  # R-OVER-1
    for user in ("scjg", "admin"):
        error = assert_error(server.client(user).get("/oversight/late-responses"), 403, "office_only")
        assert error["details"] is None
    assert_error(server.client().get("/oversight/late-responses"), 401, "unauthenticated")


def test_malformed_late_response_queries_are_422(server):
    for params in ({"page": 0}, {"page_size": 0}, {"page_size": 501}, {"page": "one"}, {"min_position": -1},
                   {"department": "d" * 33}, {"page": 100_001}, {"page": 10 ** 20}):
        error = assert_error(server.client("office").get("/oversight/late-responses", params=params), 422,
                             "validation_error")
        assert error["details"][0]["field"] == next(iter(params)), params
