"""The inbox walks a department through its part of a joint task, earliest due first."""
from __future__ import annotations

from datetime import timedelta


def _inbox(server, username: str, position: int) -> list[tuple[str, str, str]]:
    items = server.client(username).get("/inbox", params={"min_position": position}).json()["items"]
    return [(i["action"], i["due"], i["task_id"]) for i in items]


def test_inbox_follows_the_lifecycle_for_lead_and_responder(server, clock):  # R-JOINT-3 R-JOINT-5 R-PUB-1
    lead, wlj = server.client("scjg"), server.client("wlj")
    task = lead.initiate(responding_departments=["wlj"]).json()
    t = task["id"]
    assert _inbox(server, "wlj", task["position"]) == [("respond", "2026-03-04", t)]
    assert _inbox(server, "scjg", task["position"]) == []  # waits for the response
    p = wlj.respond(t).json()["position"]
    assert _inbox(server, "scjg", p) == [("propose_day", "2026-04-30", t)]
    p = lead.post(f"/joint-tasks/{t}/inspection-day/proposals", json={"day": "2026-03-10"}).json()["position"]
    assert _inbox(server, "wlj", p) == [("agree_day", "2026-03-10", t)]
    p = wlj.post(f"/joint-tasks/{t}/inspection-day/agreements").json()["position"]
    assert _inbox(server, "scjg", p) == [("record_inspection", "2026-03-10", t)]
    clock.advance(timedelta(days=8))  # Tue 10 Mar
    p = wlj.post(f"/joint-tasks/{t}/inspections", json={"completed_on": "2026-03-10"}).json()["position"]
    # 20 working days after Tue 10 Mar, skipping Qingming (Mon 6 Apr off): Wed 8 Apr
    assert _inbox(server, "wlj", p) == [("publish", "2026-04-08", t)]
    p = wlj.post(f"/joint-tasks/{t}/publications", json={}).json()["position"]
    assert _inbox(server, "wlj", p) == []


def test_inbox_orders_by_due_date_and_flags_overdue(server, clock):  # R-JOINT-3
    lead = server.client("scjg")
    first = lead.initiate(responding_departments=["wlj"]).json()
    clock.advance(timedelta(days=1))  # pushed Tue 3 Mar: due Thu 5 Mar
    second = lead.initiate(responding_departments=["wlj"]).json()
    clock.advance(timedelta(days=2))  # Thu 5 Mar: the first is overdue
    items = server.client("wlj").get("/inbox", params={"min_position": second["position"]}).json()["items"]
    assert [(i["task_id"], i["overdue"], i["label"]) for i in items] == [
        (first["id"], True, "响应任务"), (second["id"], False, "响应任务")]


def test_inbox_requires_login(server):
    assert server.client().get("/inbox").status_code == 401
