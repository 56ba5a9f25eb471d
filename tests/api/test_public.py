"""The public sees published results only, and nothing private (R-PUB-1, R-PUB-3)."""
from __future__ import annotations

from datetime import timedelta


def test_the_public_sees_a_task_only_once_a_result_is_published_and_nothing_private(server, clock):  # R-PUB-3
    lead, wlj = server.client("scjg"), server.client("wlj")
    task = lead.initiate(responding_departments=["wlj"], note="内部备注：涉及举报线索").json()
    wlj.respond(task["id"], reason="")
    lead.post(f"/joint-tasks/{task['id']}/inspection-day/proposals", json={"day": "2026-03-10"})
    wlj.post(f"/joint-tasks/{task['id']}/inspection-day/agreements")
    clock.advance(timedelta(days=8))
    inspected = lead.post(f"/joint-tasks/{task['id']}/inspections", json={"completed_on": "2026-03-10"}).json()
    server.services.runner.wait_for(inspected["position"])
    anonymous = server.client()
    assert anonymous.get("/public/results").json()["total"] == 0  # inspected but not yet published
    published = lead.post(f"/joint-tasks/{task['id']}/publications", json={"note": "内部：整改材料见附件"}).json()
    server.services.runner.wait_for(published["position"])
    body = anonymous.get("/public/results")
    item = body.json()["items"][0]
    assert item["task_id"] == task["id"] and item["inspection_day"] == "2026-03-10"
    assert [p["department"] for p in item["publications"]] == ["市场监督管理局"]
    assert "内部" not in body.text and "scjg" not in body.text  # no notes, no user names
