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


def test_the_inbox_counts_every_kind_keeps_one_kind_and_agrees_with_the_task_lists_marks(server, clock):  # R-JOINT-3
    lead, wlj = server.client("scjg"), server.client("wlj")
    answered = lead.initiate(responding_departments=["wlj"]).json()["id"]
    wlj.respond(answered)
    waiting = [lead.initiate(responding_departments=["wlj", "gxj"]).json()["id"] for _ in range(3)]
    clock.advance(timedelta(days=3))  # Thu 5 Mar: gxj and wlj are late on the three waiting tasks
    position = lead.initiate(responding_departments=["wlj"]).json()["position"]
    body = wlj.get("/inbox", params={"min_position": position}).json()
    assert body["counts"] == {"respond": 4, "propose_day": 0, "agree_day": 0, "record_inspection": 0, "publish": 0,
                              "review_objection": 0, "answer_objection": 0, "answer_request": 0,
                              "overdue": 3} and body["total"] == 4
    overdue = wlj.get("/inbox", params={"kind": "overdue", "page_size": 2}).json()
    assert overdue["total"] == 3 and len(overdue["items"]) == 2 and all(i["overdue"] for i in overdue["items"])
    lead_box = lead.get("/inbox", params={"kind": "propose_day"}).json()
    assert [i["task_id"] for i in lead_box["items"]] == sorted([answered, *waiting])  # same due day: by id
    for username in ("scjg", "wlj", "gxj"):  # the list's marks are the inbox's rule, row by row
        client = server.client(username)
        box = {i["task_id"]: i["label"] for i in client.get("/inbox").json()["items"]}
        rows = client.get("/joint-tasks", params={"page_size": 100}).json()["items"]
        assert {r["task_id"]: r["todo"] for r in rows if r["todo"]} == box, username
