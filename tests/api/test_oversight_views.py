"""The office's views beyond late responses, and their CSV/XLSX exports (R-OVER-1, R-PUB-1, R-JOINT-5)."""
from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook

from tests.support import assert_error


def _agreed_task(server) -> dict:  # type: ignore[no-untyped-def]
    lead, wlj = server.client("scjg"), server.client("wlj")
    task = lead.initiate(responding_departments=["wlj"]).json()
    wlj.respond(task["id"])
    lead.post(f"/joint-tasks/{task['id']}/inspection-day/proposals", json={"day": "2026-03-10"})
    last = wlj.post(f"/joint-tasks/{task['id']}/inspection-day/agreements").json()
    return task | {"position": last["position"]}


def test_a_task_with_all_responses_but_no_agreed_day_is_listed_until_the_day_is_agreed(server):  # R-JOINT-5
    lead, office = server.client("scjg"), server.client("office")
    task = lead.initiate(responding_departments=["wlj"]).json()
    waiting = office.get("/oversight/tasks-without-day", params={"min_position": task["position"]}).json()
    assert waiting["total"] == 0  # responses still open and not overdue
    answered = server.client("wlj").respond(task["id"]).json()
    listed = office.get("/oversight/tasks-without-day", params={"min_position": answered["position"]}).json()
    assert [r["task_id"] for r in listed["items"]] == [task["id"]] and listed["items"][0]["pending"] == 0
    lead.post(f"/joint-tasks/{task['id']}/inspection-day/proposals", json={"day": "2026-03-10"})
    agreed = server.client("wlj").post(f"/joint-tasks/{task['id']}/inspection-day/agreements").json()
    assert office.get("/oversight/tasks-without-day", params={"min_position": agreed["position"]}).json()[
        "total"] == 0


def test_results_not_entered_then_not_published_in_20_working_days_are_overdue(server, clock):  # R-PUB-1
    task = _agreed_task(server)
    office = server.client("office")
    clock.advance(timedelta(days=9))  # Wed 11 Mar: the visit day (10 Mar) has passed, nothing entered
    rows = office.get("/oversight/overdue-results", params={"min_position": task["position"]}).json()["items"]
    assert {(r["department"], r["state"]) for r in rows} == {("scjg", "not_entered"), ("wlj", "not_entered")}
    for who in ("scjg", "wlj"):
        last = server.client(who).post(f"/joint-tasks/{task['id']}/inspections",
                                       json={"completed_on": "2026-03-10"}).json()
    published = server.client("scjg").post(f"/joint-tasks/{task['id']}/publications", json={}).json()
    assert office.get("/oversight/overdue-results", params={"min_position": last["position"]}).json()["total"] == 0
    clock.set(clock.now() + timedelta(days=29))  # Thu 9 Apr: past the publication deadline (Wed 8 Apr)
    server.log_in_again()  # 38 days on, the first tokens have expired
    rows = server.client("office").get("/oversight/overdue-results",  # once scjg's publication is in the read model
                                       params={"min_position": published["position"]}).json()["items"]
    assert [(r["department"], r["state"], r["publish_deadline"]) for r in rows] == [
        ("wlj", "not_published", "2026-04-08")]


def test_department_figures_count_on_time_answers_and_late_ones_without_reason(server, clock):  # R-OVER-1
    lead = server.client("scjg")
    first = lead.initiate(responding_departments=["wlj", "gxj"]).json()
    clock.advance(timedelta(hours=26))  # Tue 3 Mar 11:00: 26 working hours after the push
    server.client("wlj").respond(first["id"])
    clock.advance(timedelta(days=3))  # Fri 6 Mar: gxj is late
    last = server.client("gxj").respond(first["id"]).json()
    figures = server.client("office").get("/oversight/department-figures", params={
        "from": "2026-03-01", "to": "2026-03-31", "min_position": last["position"]}).json()["items"]
    by = {f["department"]: f for f in figures}
    assert (by["wlj"]["received"], by["wlj"]["on_time"], by["wlj"]["on_time_percent"]) == (1, 1, 100.0)
    assert by["wlj"]["median_response_working_hours"] == 26.0
    assert (by["gxj"]["on_time"], by["gxj"]["late_without_reason"]) == (0, 1)


def test_oversight_tables_export_as_csv_and_xlsx_with_chinese_headers(server, clock):  # R-OVER-1
    task = server.client("scjg").initiate().json()
    clock.advance(timedelta(days=3))
    office = server.client("office")
    csv = office.get("/oversight/late-responses", params={"format": "csv", "min_position": task["position"]})
    assert csv.headers["content-type"].startswith("text/csv")
    text = csv.content.decode("utf-8")
    assert text.startswith("\ufeff任务编号,任务名称,部门,响应期限") and text.count("\n") == 3
    xlsx = office.get("/oversight/late-responses", params={"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("任务编号", "任务名称", "部门") and len(rows) == 3


def test_oversight_views_are_for_the_office_only(server):
    for path in ("/oversight/tasks-without-day", "/oversight/overdue-results",
                 "/oversight/department-figures?from=2026-03-01&to=2026-03-31"):
        assert_error(server.client("scjg").get(path), 403, "office_only")
    assert_error(server.client("office").get("/oversight/department-figures?from=2026-03-31&to=2026-03-01"), 422)
    assert_error(server.client("office").get("/oversight/late-responses?format=pdf"), 422)
