"""The combined notice before a joint visit (R-EXEC-3): one per drawn subject, from the lead, with the day, every
joining department's items and documents and the visitors' public identity; none for an unannounced visit."""
from __future__ import annotations

from sqlalchemy import update

from api.storage.tables import check_items
from tests.api.test_matchings import _inspectors, _match, _ready_task
from tests.support import assert_error, created, nothing_recorded


def _matched(server, clock, subjects: int = 2) -> tuple[str, list[str], list[str]]:  # type: ignore[no-untyped-def]
    task_id, codes = _ready_task(server, clock, subjects=subjects)
    people = _inspectors(server, "scjg", 3, start=100) + _inspectors(server, "wlj", 3, start=200)
    assert _match(server, task_id, "scjg")["status_code"] == 201
    return task_id, codes, people


def test_the_lead_sends_each_subject_one_combined_notice_of_the_visit(server, clock):  # R-EXEC-3
    task_id, codes, people = _matched(server, clock)
    lead, url = server.client("scjg"), f"/joint-tasks/{task_id}/visit-notices"
    assert "匹配" in assert_error(lead.post(url), 409)["message"]  # wlj has not matched its inspectors yet
    assert _match(server, task_id, "wlj")["status_code"] == 201
    assert_error(server.client("wlj").post(url), 403)
    answer = created(lead.post(url))
    assert sorted(n["subject_code"] for n in answer["notices"]) == sorted(codes)
    assert all(n["number"].startswith("联检〔2026〕") and n["number"].endswith("号") for n in answer["notices"])
    assert_error(lead.post(url), 409, "notices_issued")
    body = server.client("wlj").get(url)
    notices = body.json()["items"]
    assert len(notices) == len(codes) and all(n["day"] == "2026-03-10" for n in notices)
    first = notices[0]
    assert [d["department_code"] for d in first["departments"]] == ["scjg", "wlj"]  # gxj declined: not on it
    assert all(d["items"] and all(i["documents"] for i in d["items"]) for d in first["departments"])
    assert {i["department_name"] for i in first["inspectors"]} == {"市场监督管理局", "文化和旅游局"}
    assert sum(i["leader"] for i in first["inspectors"]) == 2  # one leader per department's team
    assert all(i["certificate_no"] for i in first["inspectors"])
    assert len(first["verification_code"]) == 16
    assert not any(resident_id in body.text for resident_id in people)  # never an ID number (R-INSP-3)
    assert server.client("gxj").get(url).status_code == 200  # a party to the task (it declined) may read them


def test_an_unannounced_item_means_no_notice_and_nothing_recorded(server, clock):  # R-EXEC-3
    task_id, codes, _ = _matched(server, clock)
    assert _match(server, task_id, "wlj")["status_code"] == 201
    task = server.client("scjg").get(f"/joint-tasks/{task_id}").json()
    with server.services.engine.begin() as conn:
        conn.execute(update(check_items).where(check_items.c.id == task["items"][0]).values(unannounced=True))
    with nothing_recorded(server, task_id):
        assert_error(server.client("scjg").post(f"/joint-tasks/{task_id}/visit-notices"), 409, "unannounced_visit")
    assert server.client("wlj").get(f"/joint-tasks/{task_id}/visit-notices").json() == {
        "items": [], "total": 0, "issued": False}
