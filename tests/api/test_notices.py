"""Notices (通报): the office names a department's unexcused late responses; the department acknowledges (R-JOINT-4)."""
from __future__ import annotations

import json
from datetime import timedelta

from websockets.sync.client import connect

from tests.support import assert_error, head


def _overdue_task(server, clock) -> dict:  # type: ignore[no-untyped-def]
    task = server.client("scjg").initiate(responding_departments=["wlj", "gxj"]).json()
    server.client("gxj").respond(task["id"])
    clock.advance(timedelta(days=3))  # wlj never answered: overdue without a reason
    return task


def _notice(task_id: str, department: str = "wlj") -> dict:
    return {"department": department, "subject": "关于逾期未响应联合任务的通报",
            "body": "请于两个工作日内说明情况。", "task_ids": [task_id]}


def test_office_notifies_a_department_of_an_unexcused_late_response(server, clock):  # R-JOINT-4 R-OVER-1
    task = _overdue_task(server, clock)
    issued = server.client("office").post("/notices", json=_notice(task["id"]))
    assert issued.status_code == 201, issued.text
    mine = server.client("wlj").get("/notices", params={"min_position": issued.json()["position"]}).json()
    assert [(n["notice_id"], n["task_ids"], n["acknowledged_at"]) for n in mine["items"]] == [
        (issued.json()["id"], [task["id"]], None)]
    assert server.client("gxj").get("/notices").json()["total"] == 0


def test_a_notice_needs_a_late_response_without_reason_and_records_nothing_otherwise(server, clock):  # R-JOINT-4
    task = _overdue_task(server, clock)
    before = head(server)
    assert_error(server.client("office").post("/notices", json=_notice(task["id"], "gxj")), 422, "invalid")
    server.client("wlj").post(f"/joint-tasks/{task['id']}/late-reason", json={"reason": "系统故障"})
    assert_error(server.client("office").post("/notices", json=_notice(task["id"])), 422, "invalid")
    assert head(server) == before + 1  # only the late reason


def test_only_the_office_issues_notices(server, clock):  # R-JOINT-4
    task = _overdue_task(server, clock)
    assert_error(server.client("scjg").post("/notices", json=_notice(task["id"])), 403)
    assert_error(server.client("office").post("/notices", json=_notice(task["id"], "nope")), 422,
                 "unknown_department")


def test_the_notified_department_acknowledges_once(server, clock):
    task = _overdue_task(server, clock)
    notice_id = server.client("office").post("/notices", json=_notice(task["id"])).json()["id"]
    assert_error(server.client("gxj").post(f"/notices/{notice_id}/acknowledgement"), 403)
    assert server.client("wlj").post(f"/notices/{notice_id}/acknowledgement").status_code == 201
    assert_error(server.client("wlj").post(f"/notices/{notice_id}/acknowledgement"), 409)
    import uuid

    assert_error(server.client("wlj").post(f"/notices/{uuid.uuid4()}/acknowledgement"), 404)


def test_a_notice_reaches_its_department_live_and_no_other(server, clock):  # R-JOINT-4
    task = _overdue_task(server, clock)
    base = server.base_url.replace("http://", "ws://") + f"/ws?after={head(server)}"
    server.client("wlj"), server.client("gxj")
    with connect(base + "&token=" + server._tokens["wlj"]) as wlj, \
            connect(base + "&token=" + server._tokens["gxj"]) as gxj:
        notice_id = server.client("office").post("/notices", json=_notice(task["id"])).json()["id"]
        message = json.loads(wlj.recv(timeout=10))
        assert (message["type"], message["aggregate_id"]) == ("Notice.Issued", notice_id)
        try:
            other = json.loads(gxj.recv(timeout=0.5))
        except TimeoutError:
            other = None
        assert other is None
