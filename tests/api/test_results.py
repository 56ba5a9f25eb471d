"""Results over HTTP: one per department per subject, published by the department that inspected, corrected openly,
searched by the public without anything private (R-JOINT-7, R-EXEC-1, R-EXEC-2, R-PUB-1, R-PUB-2, R-PUB-3)."""
from __future__ import annotations

from datetime import datetime

from api.demo import approver_username
from domain.clock import SHANGHAI
from tests.api.test_matchings import _inspectors, _match, _ready_task
from tests.support import assert_error, created, head, idempotency, nothing_recorded


def _results_ready(server, clock, subjects: int = 3) -> tuple[str, list[str], dict]:  # type: ignore[no-untyped-def]
    """A task (scjg leads, wlj joins, gxj declined) with drawn subjects and both departments' teams; the clock on the
    day after the agreed day (Wed 11 Mar)."""
    task_id, codes = _ready_task(server, clock, subjects=subjects)
    _inspectors(server, "scjg", 3, start=100)
    _inspectors(server, "wlj", 3, start=200)
    assert _match(server, task_id, "scjg")["status_code"] == 201
    assert _match(server, task_id, "wlj")["status_code"] == 201
    server.services.clock.set(datetime(2026, 3, 11, 10, tzinfo=SHANGHAI))
    teams = {d: server.client(d).get(f"/joint-tasks/{task_id}/matchings").json()["departments"][d]["teams"]
             for d in ("scjg", "wlj")}
    return task_id, codes, teams


def _entry(server, task_id: str, department: str, subject: str, teams: dict, **overrides) -> dict:  # type: ignore[no-untyped-def]
    task = server.client(department).get(f"/joint-tasks/{task_id}").json()
    items = [i["id"] for i in task["item_details"] if i["department_code"] == department]
    return {"subject_code": subject, "item_ids": items, "methods": ["on_site", "written"], "outcome": "pass",
            "findings": "现场检查未发现问题", "measures": "", "confidential_note": "内部：举报人联系方式 138xxxx",
            "inspector_ids": teams[department][subject][:2], "inspected_on": "2026-03-10"} | overrides


def test_each_joining_department_records_one_result_per_drawn_subject(server, clock):  # R-JOINT-7
    task_id, codes, teams = _results_ready(server, clock)
    wlj = server.client("wlj")
    first = created(wlj.post(f"/joint-tasks/{task_id}/results", json=_entry(server, task_id, "wlj", codes[0], teams)))
    assert set(first) == {"id", "position"}
    with nothing_recorded(server, task_id):
        assert_error(wlj.post(f"/joint-tasks/{task_id}/results",
                              json=_entry(server, task_id, "wlj", codes[0], teams)), 409, "result_exists")
        assert_error(wlj.post(f"/joint-tasks/{task_id}/results",
                              json=_entry(server, task_id, "wlj", codes[1], teams)
                              | {"subject_code": "91110000000000000X"}), 422, "subject_not_drawn")
        assert_error(server.client("gxj").post(f"/joint-tasks/{task_id}/results",
                                               json=_entry(server, task_id, "wlj", codes[0], teams)), 403, "not_joining")
        assert_error(server.client("sthj").post(f"/joint-tasks/{task_id}/results",
                                                json=_entry(server, task_id, "wlj", codes[0], teams)), 403)
    # the lead records its own, for its own items
    created(server.client("scjg").post(f"/joint-tasks/{task_id}/results",
                                       json=_entry(server, task_id, "scjg", codes[0], teams)))
    view = wlj.get(f"/joint-tasks/{task_id}/results", params={"min_position": head(server)}).json()
    assert {(r["department"], r["subject_code"]) for r in view["items"]} == {("wlj", codes[0]), ("scjg", codes[0])}
    progress = {d["department"]: d for d in view["departments"]}
    assert set(progress["wlj"]["missing"]) == set(codes[1:]) and progress["scjg"]["recorded"] == 1


def test_a_result_names_two_of_the_matched_team_with_its_leader_and_the_departments_own_items(server, clock):  # R-JOINT-7 R-MATCH-1
    task_id, codes, teams = _results_ready(server, clock, subjects=1)
    wlj, team = server.client("wlj"), teams["wlj"][codes[0]]
    url = f"/joint-tasks/{task_id}/results"
    with nothing_recorded(server, task_id):
        assert_error(wlj.post(url, json=_entry(server, task_id, "wlj", codes[0], teams, inspector_ids=team[:1])), 422)
        outsider = teams["scjg"][codes[0]][0]
        assert_error(wlj.post(url, json=_entry(server, task_id, "wlj", codes[0], teams,
                                               inspector_ids=[team[0], outsider])), 422)
        lead_items = _entry(server, task_id, "scjg", codes[0], teams)["item_ids"]
        assert_error(wlj.post(url, json=_entry(server, task_id, "wlj", codes[0], teams, item_ids=lead_items)), 422)


def test_the_inspection_date_lies_between_the_agreed_day_and_today(server, clock):  # R-JOINT-7
    task_id, codes, teams = _results_ready(server, clock, subjects=1)
    wlj = server.client("wlj")
    with nothing_recorded(server, task_id):
        for day in ("2026-03-09", "2026-03-12"):
            response = wlj.post(f"/joint-tasks/{task_id}/results",
                                json=_entry(server, task_id, "wlj", codes[0], teams, inspected_on=day))
            assert "联合检查日" in assert_error(response, 422)["message"]


def test_methods_and_outcomes_are_the_regulated_ones_with_what_each_outcome_needs(server, clock):  # R-EXEC-1 R-EXEC-2
    task_id, codes, teams = _results_ready(server, clock, subjects=1)
    wlj, url = server.client("wlj"), f"/joint-tasks/{task_id}/results"
    with nothing_recorded(server, task_id):
        assert_error(wlj.post(url, json=_entry(server, task_id, "wlj", codes[0], teams, methods=["telepathy"])), 422)
        assert_error(wlj.post(url, json=_entry(server, task_id, "wlj", codes[0], teams, outcome="fine")), 422)
        assert "整改" in assert_error(wlj.post(url, json=_entry(server, task_id, "wlj", codes[0], teams,
                                                                 outcome="rectified")), 422)["message"]
        assert "接收机关" in assert_error(wlj.post(url, json=_entry(server, task_id, "wlj", codes[0], teams,
                                                                     outcome="transferred")), 422)["message"]
    created(wlj.post(url, json=_entry(server, task_id, "wlj", codes[0], teams, outcome="transferred",
                                      transferred_to="区市场监管局 案号2026-017")))
    options = wlj.get("/results/options").json()
    assert {o["code"] for o in options["outcomes"]} == {"pass", "rectified", "transferred", "unreachable", "refused",
                                                        "closed", "judicial", "not_operating"}


def test_publication_is_due_20_working_days_after_the_inspection_and_completes_the_task(server, clock):  # R-PUB-1
    task_id, codes, teams = _results_ready(server, clock, subjects=2)
    ids = {}
    for department in ("scjg", "wlj"):
        for code in codes:
            ids[department, code] = created(server.client(department).post(
                f"/joint-tasks/{task_id}/results", json=_entry(server, task_id, department, code, teams)))["id"]
    assert server.client("office").get(f"/joint-tasks/{task_id}").json()["status"] == "inspected"  # not done yet
    row = server.client("office").get(f"/results/{ids['wlj', codes[0]]}", params={"min_position": head(server)}).json()
    assert row["publish_deadline"] == "2026-04-08"  # Tue 10 Mar + 20 working days (Qingming Mon 6 Apr is off)
    assert_error(server.client("scjg").post(f"/results/{ids['wlj', codes[0]]}/publication"), 403)
    assert created(server.client("wlj").post(f"/results/{ids['wlj', codes[0]]}/publication"))["late"] is False
    assert_error(server.client("wlj").post(f"/results/{ids['wlj', codes[0]]}/publication"), 409, "already_published")
    server.services.clock.set(datetime(2026, 4, 9, 10, tzinfo=SHANGHAI))
    server.log_in_again()  # the clock has passed the tokens' 30 days
    assert created(server.client("wlj").post(f"/results/{ids['wlj', codes[1]]}/publication"))["late"] is True
    for code in codes:
        server.client("scjg").post(f"/results/{ids['scjg', code]}/publication")
    assert server.client("office").get(f"/joint-tasks/{task_id}").json()["status"] == "published"


def test_a_correction_is_a_new_version_approved_by_another_approver_of_the_department(server, clock):  # R-PUB-2
    task_id, codes, teams = _results_ready(server, clock, subjects=1)
    wlj = server.client("wlj")
    result_id = created(wlj.post(f"/joint-tasks/{task_id}/results",
                                 json=_entry(server, task_id, "wlj", codes[0], teams)))["id"]
    url = f"/results/{result_id}/corrections"
    body = {"reason": "检查情况记录有误", "approver": approver_username("wlj"),
            "changes": {"findings": "发现证照未公示，已当场改正", "outcome": "rectified", "measures": "当场责令改正"}}
    assert_error(wlj.post(url, json=body), 409)  # not published yet: nothing to correct
    created(wlj.post(f"/results/{result_id}/publication"))
    with nothing_recorded(server, task_id):
        assert_error(wlj.post(url, json=body | {"approver": "wlj"}), 422)  # the author
        assert_error(wlj.post(url, json=body | {"approver": approver_username("scjg")}), 422)  # another department
        assert_error(wlj.post(url, json=body | {"approver": "gxj"}), 422)  # no approver role
        assert_error(wlj.post(url, json=body | {"changes": {"findings": "现场检查未发现问题"}}), 422)  # no change
        assert_error(server.client("scjg").post(url, json=body), 403)
    answer = created(wlj.post(url, json=body))
    assert answer["version"] == 2
    row = server.client("scjg").get(f"/results/{result_id}", params={"min_position": answer["position"]}).json()
    assert row["version"] == 2 and row["outcome"] == "rectified" and row["corrected_at"]
    assert [v["version"] for v in row["versions"]] == [1, 2]
    assert row["versions"][0]["fields"]["outcome"] == "pass" and row["versions"][1]["reason"] == "检查情况记录有误"
    assert "confidential_note" not in row and "inspector_ids" not in row  # another party reads the public fields


def test_the_public_finds_published_results_and_nothing_private(server, clock):  # R-PUB-1 R-PUB-3
    task_id, codes, teams = _results_ready(server, clock, subjects=2)
    wlj, anonymous = server.client("wlj"), server.client()
    ids = [created(wlj.post(f"/joint-tasks/{task_id}/results", json=_entry(
        server, task_id, "wlj", code, teams, outcome="transferred", transferred_to="公安分局 案号 X-1")))["id"]
        for code in codes]
    assert anonymous.get("/public/results", params={"min_position": head(server)}).json()["total"] == 0
    published = created(wlj.post(f"/results/{ids[0]}/publication"))
    body = anonymous.get("/public/results", params={"min_position": published["position"]})
    assert body.json()["total"] == 1
    item = body.json()["items"][0]
    assert set(item) >= {"subject_code", "subject_name", "department_code", "department_name", "items", "outcome",
                         "inspected_on", "published_at", "version", "corrected_at"}
    assert item["subject_code"] == codes[0] and item["department_name"] == "文化和旅游局" and item["version"] == 1
    text = body.text
    for private in ("内部", "138", "公安分局", teams["wlj"][codes[0]][0], "resident"):
        assert private not in text
    assert anonymous.get("/public/results", params={"q": codes[0]}).json()["total"] == 1
    assert anonymous.get("/public/results", params={"q": "检查对象"}).json()["total"] == 1
    assert anonymous.get("/public/results", params={"department": "scjg"}).json()["total"] == 0
    assert anonymous.get("/public/results", params={"outcome": "pass"}).json()["total"] == 0
    assert anonymous.get("/public/results", params={"from": "2026-03-11"}).json()["total"] == 0
    assert anonymous.get(f"/public/subjects/{codes[0]}/results").json()["total"] == 1
    assert anonymous.get(f"/public/subjects/{codes[1]}/results").json()["total"] == 0


def test_a_batch_is_recorded_whole_or_not_at_all_and_a_retry_records_nothing(server, clock):  # R-JOINT-7
    task_id, codes, teams = _results_ready(server, clock, subjects=3)
    wlj, url = server.client("wlj"), f"/joint-tasks/{task_id}/results/batch"
    entries = [_entry(server, task_id, "wlj", code, teams) for code in codes]
    with nothing_recorded(server, task_id):
        bad = assert_error(wlj.post(url, json={"results": entries[:2] + [entries[2] | {"outcome": "fine"}]}), 422)
        assert bad["details"]["index"] == 2 and "第 3 条" in bad["message"]
    first = created(wlj.post(url, json={"results": entries}, headers=idempotency("batch-1")))
    assert len(first["ids"]) == 3
    before = head(server)
    again = wlj.post(url, json={"results": entries}, headers=idempotency("batch-1"))
    assert again.status_code == 201 and again.json() == first and head(server) == before
    assert server.client("office").get(f"/joint-tasks/{task_id}").json()["status"] == "day_agreed"  # scjg to go


def test_a_calendar_change_moves_the_deadline_of_results_not_yet_published(server, clock):  # R-CAL-2 R-PUB-1
    task_id, codes, teams = _results_ready(server, clock, subjects=2)
    wlj = server.client("wlj")
    ids = [created(wlj.post(f"/joint-tasks/{task_id}/results", json=_entry(server, task_id, "wlj", code, teams)))["id"]
           for code in codes]
    created(wlj.post(f"/results/{ids[0]}/publication"))
    amended = created(server.client("office").post("/calendar/amendments", json={
        "day": "2026-03-20", "working": False, "reason": "临时调整为休息日"}))
    assert amended["moved_deadlines"] == 1
    assert [(m["kind"], m["subject"], m["previous"], m["deadline"]) for m in amended["moves"]] == [
        ("publication", codes[1], "2026-04-08", "2026-04-09")]
    office = server.client("office")
    published = office.get(f"/results/{ids[0]}", params={"min_position": amended["position"]}).json()
    unpublished = office.get(f"/results/{ids[1]}").json()
    assert (published["publish_deadline"], unpublished["publish_deadline"]) == ("2026-04-08", "2026-04-09")
    task = office.get(f"/joint-tasks/{task_id}").json()
    assert task["inspections"]["wlj"]["publish_deadline"] == "2026-04-09"  # the department's latest


def test_a_department_exports_its_published_results_in_the_national_shape(server, clock):  # R-PUB-1
    import csv
    import io

    from openpyxl import load_workbook

    task_id, codes, teams = _results_ready(server, clock, subjects=2)
    wlj = server.client("wlj")
    ids = [created(wlj.post(f"/joint-tasks/{task_id}/results", json=_entry(
        server, task_id, "wlj", code, teams, outcome=outcome, measures="当场责令改正")))["id"]
        for code, outcome in zip(codes, ("pass", "rectified"))]
    for result_id in ids:
        created(wlj.post(f"/results/{result_id}/publication"))
    response = wlj.get("/results/export", params={"format": "csv", "min_position": head(server)})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["检查对象名称", "统一社会信用代码（身份证明号码）"]
    body = sorted(rows[1:], key=lambda r: r[1])
    assert [r[1] for r in body] == sorted(codes)  # one row per subject and item (wlj has one item on the task)
    assert {r[5] for r in body} == {"未发现问题", "发现问题已责令改正"}  # the national categories
    assert all(r[3] == "文化和旅游局" and r[4] == "2026-03-10" for r in body)
    assert server.client("scjg").get("/results/export").text.count("\n") == 1  # another department: header only
    xlsx = wlj.get("/results/export", params={"format": "xlsx"})
    sheet = [list(r) for r in load_workbook(io.BytesIO(xlsx.content), read_only=True).active.iter_rows(
        values_only=True)]
    assert sheet[0] == rows[0] and len(sheet) == 3


def test_the_office_sees_each_result_overdue_for_publication_per_subject_and_department(server, clock):  # R-PUB-1 R-OVER-1
    task_id, codes, teams = _results_ready(server, clock, subjects=2)
    wlj = server.client("wlj")
    ids = [created(wlj.post(f"/joint-tasks/{task_id}/results", json=_entry(server, task_id, "wlj", code, teams)))["id"]
           for code in codes]
    office = server.client("office")
    assert office.get("/oversight/overdue-results/subjects", params={"min_position": head(server)}).json()["total"] == 0
    server.services.clock.set(datetime(2026, 4, 9, 10, tzinfo=SHANGHAI))  # past Wed 8 Apr
    server.log_in_again()
    published = created(server.client("wlj").post(f"/results/{ids[0]}/publication"))  # late, but published
    view = server.client("office").get("/oversight/overdue-results/subjects",
                                       params={"min_position": published["position"]}).json()
    assert [(r["subject_code"], r["department"], r["publish_deadline"]) for r in view["items"]] == [
        (codes[1], "wlj", "2026-04-08")]
    past = server.client("office").get("/oversight/overdue-results/subjects",
                                       params={"as_of": "2026-04-08T20:00:00+08:00"}).json()
    assert past["total"] == 0  # on the deadline day nothing was overdue yet
    assert_error(server.client("wlj").get("/oversight/overdue-results/subjects"), 403)


def test_where_the_department_reviews_only_an_approved_result_is_published(server, clock):  # R-PUB-1
    task_id, codes, teams = _results_ready(server, clock, subjects=1)
    created(server.client("office").put("/departments/wlj/result-settings", json={"review_required": True}), 200)
    wlj = server.client("wlj")
    result_id = created(wlj.post(f"/joint-tasks/{task_id}/results",
                                 json=_entry(server, task_id, "wlj", codes[0], teams)))["id"]
    with nothing_recorded(server, task_id):
        assert_error(wlj.post(f"/results/{result_id}/publication"), 409, "not_approved")
        assert_error(wlj.post(f"/results/{result_id}/approval"), 403, "not_an_approver")
        assert_error(server.client(approver_username("scjg")).post(f"/results/{result_id}/approval"), 403)
    created(server.client(approver_username("wlj")).post(f"/results/{result_id}/approval"))
    assert_error(server.client(approver_username("wlj")).post(f"/results/{result_id}/approval"), 409)
    assert created(wlj.post(f"/results/{result_id}/publication"))["late"] is False


def test_a_stricter_department_reports_within_5_and_publishes_within_2_working_days(server, clock):  # R-PUB-1
    office = server.client("office")
    assert_error(office.put("/departments/wlj/result-settings", json={"report_days": 5, "publish_days": 16}), 422)
    assert_error(server.client("wlj").put("/departments/wlj/result-settings", json={"publish_days": 5}), 403)
    created(office.put("/departments/wlj/result-settings", json={"report_days": 5, "publish_days": 2}), 200)
    assert server.client("wlj").get("/departments/wlj/result-settings").json() == {
        "department_code": "wlj", "review_required": False, "report_days": 5, "publish_days": 2, "answer_days": 7}
    task_id, codes, teams = _results_ready(server, clock, subjects=2)  # the clock: Wed 11 Mar, visit Tue 10 Mar
    wlj = server.client("wlj")
    first = created(wlj.post(f"/joint-tasks/{task_id}/results", json=_entry(server, task_id, "wlj", codes[0], teams)))
    server.services.clock.set(datetime(2026, 3, 18, 10, tzinfo=SHANGHAI))  # Wed: 6 working days after the visit
    second = created(wlj.post(f"/joint-tasks/{task_id}/results", json=_entry(server, task_id, "wlj", codes[1], teams)))
    rows = {r["result_id"]: r for r in wlj.get(f"/joint-tasks/{task_id}/results",
                                               params={"min_position": second["position"]}).json()["items"]}
    assert (rows[first["id"]]["publish_deadline"], rows[first["id"]]["report_late"]) == ("2026-03-13", False)
    assert (rows[second["id"]]["publish_deadline"], rows[second["id"]]["report_late"]) == ("2026-03-20", True)
    scjg = created(server.client("scjg").post(f"/joint-tasks/{task_id}/results",
                                              json=_entry(server, task_id, "scjg", codes[0], teams)))
    assert server.client("scjg").get(f"/results/{scjg['id']}", params={"min_position": scjg["position"]}
                                     ).json()["publish_deadline"] == "2026-04-08"  # scjg keeps the default 20
