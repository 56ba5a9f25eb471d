"""A result's afterlife over HTTP: the enterprise's view by its notice code, objections (R-OBJ-1), requests during
the visit (R-JOINT-9), the lead chasing results, and the office's overdue views and quarterly summary (R-OVER-1)."""
from __future__ import annotations

from datetime import datetime

from api.demo import approver_username
from domain.clock import SHANGHAI
from tests.api.test_matchings import _inspectors, _match, _ready_task
from tests.api.test_results import _entry
from tests.support import assert_error, created, head, idempotency, nothing_recorded

CONTACT = {"contact_name": "王经理", "contact_phone": "0851-12345678"}


def _published(server, clock, subjects: int = 2, notices: bool = True) -> dict:  # type: ignore[no-untyped-def]
    """Notices issued before the day (Tue 10 Mar), both departments' results recorded and published on Wed 11 Mar."""
    task_id, codes = _ready_task(server, clock, subjects=subjects)
    _inspectors(server, "scjg", 3, start=100)
    _inspectors(server, "wlj", 3, start=200)
    for department in ("scjg", "wlj"):
        assert _match(server, task_id, department)["status_code"] == 201
    visit_codes = {}
    if notices:
        created(server.client("scjg").post(f"/joint-tasks/{task_id}/visit-notices"))
        visit_codes = {n["subject_code"]: n["verification_code"] for n in
                       server.client("scjg").get(f"/joint-tasks/{task_id}/visit-notices").json()["items"]}
    server.services.clock.set(datetime(2026, 3, 11, 10, tzinfo=SHANGHAI))
    teams = {d: server.client(d).get(f"/joint-tasks/{task_id}/matchings").json()["departments"][d]["teams"]
             for d in ("scjg", "wlj")}
    ids = {}
    for department in ("scjg", "wlj"):
        for code in codes:
            ids[department, code] = created(server.client(department).post(
                f"/joint-tasks/{task_id}/results", json=_entry(server, task_id, department, code, teams)))["id"]
            created(server.client(department).post(f"/results/{ids[department, code]}/publication"))
    return {"task_id": task_id, "codes": codes, "visit_codes": visit_codes, "ids": ids, "teams": teams}


def _lookup(server, case: dict, subject: str) -> dict:  # type: ignore[no-untyped-def]
    server.client("office").get("/objections", params={"min_position": head(server)})  # the read models caught up
    return created(server.client().post("/public/visits/lookup", json={
        "code": case["visit_codes"][subject], "subject_code": subject}), 200)


def test_the_enterprise_sees_its_notice_visitors_and_published_results_by_its_code(server, clock):  # R-EXEC-3 R-PUB-3
    case = _published(server, clock)
    subject = case["codes"][0]
    view = _lookup(server, case, subject)
    assert view["notice"]["subject_code"] == subject and view["notice"]["day"] == "2026-03-10"
    assert {i["department_name"] for i in view["notice"]["inspectors"]} == {"市场监督管理局", "文化和旅游局"}
    assert all(i["certificate_no"] and set(i) == {"department_name", "department_code", "leader", "name", "certificate_no"}
               for i in view["notice"]["inspectors"])
    assert {r["department_code"] for r in view["results"]} == {"scjg", "wlj"}
    assert all(r["subject_code"] == subject and r["objection_open"] for r in view["results"])
    assert "内部" not in str(view) and "138" not in str(view)  # the confidential note never reaches it
    assert view["expires_on"] == view["results"][0]["objection_closes_on"]


def test_a_wrong_code_is_refused_and_repeated_failures_are_throttled(server, clock):  # issue 17
    case = _published(server, clock, subjects=1)
    subject, anonymous = case["codes"][0], server.client()
    code = case["visit_codes"][subject]
    assert_error(anonymous.post("/public/visits/lookup", json={"code": code[::-1], "subject_code": subject}), 404,
                 "unknown_visit_code")
    for _ in range(server.services.settings.login_failures_per_account):  # guessing the subject of a known code
        assert_error(anonymous.post("/public/visits/lookup", json={"code": code,
                                                                    "subject_code": "91110000000000000X"}), 404)
    refused = anonymous.post("/public/visits/lookup", json={"code": code, "subject_code": subject})
    assert_error(refused, 429, "too_many_code_attempts")  # the code is held even with the right subject
    assert int(refused.headers["Retry-After"]) >= 1


def test_the_enterprise_objects_within_60_working_days_and_the_department_upholds_and_answers(server, clock):  # R-OBJ-1
    case = _published(server, clock, subjects=1)
    subject = case["codes"][0]
    result_id = case["ids"]["wlj", subject]
    body = {"code": case["visit_codes"][subject], "subject_code": subject, "result_id": result_id,
            "reason": "现场检查时我司证照齐全，结果记载有误。"} | CONTACT
    anonymous = server.client()
    lodged = created(anonymous.post("/public/visits/objections", json=body, headers=idempotency("obj-1")))
    again = anonymous.post("/public/visits/objections", json=body, headers=idempotency("obj-1"))
    assert again.json() == lodged and again.headers.get("Idempotent-Replay") == "true"  # nothing recorded twice
    assert lodged["review_due"] == "2026-04-09"  # Wed 11 Mar + 20 working days (Qingming Mon 6 Apr is off)
    assert_error(anonymous.post("/public/visits/objections", json=body), 409, "objection_open")
    wlj = server.client("wlj")
    listed = wlj.get("/objections", params={"min_position": head(server)}).json()
    assert listed["total"] == 1 and listed["items"][0]["status"] == "received"
    assert listed["items"][0]["contact"] == {"name": "王经理", "phone": "0851-12345678"}
    assert server.client("scjg").get("/objections").json()["total"] == 0  # not scjg's result
    objection = lodged["id"]
    assert_error(server.client("scjg").post(f"/objections/{objection}/review",
                                            json={"decision": "upheld", "opinion": "维持"}), 403)
    assert_error(wlj.post(f"/objections/{objection}/answer", json={"answer": "已复查"}), 409, "not_reviewed")
    inbox = wlj.get("/inbox", params={"min_position": head(server)}).json()
    assert inbox["counts"]["review_objection"] == 1  # the department is told (its 工作台)
    assert [(i["action"], i["due"]) for i in inbox["items"] if i["action"] == "review_objection"] == [
        ("review_objection", "2026-04-09")]
    assert created(wlj.post(f"/objections/{objection}/review",
                            json={"decision": "upheld", "opinion": "经复查，原结果无误。"}))["late"] is False
    assert wlj.get("/inbox", params={"min_position": head(server)}).json()["counts"]["answer_objection"] == 1
    assert created(wlj.post(f"/objections/{objection}/answer", json={"answer": "经复查维持原结果。"}))["late"] is False
    row = wlj.get(f"/objections/{objection}", params={"min_position": head(server)}).json()
    assert row["status"] == "answered" and row["answer_due"] == "2026-03-20"  # 7 working days after Wed 11 Mar
    view = _lookup(server, case, subject)
    assert [o["status"] for o in view["objections"]] == ["answered"] and "contact" not in view["objections"][0]


def test_an_upheld_objection_corrected_publishes_the_next_version_naming_it(server, clock):  # R-OBJ-1 R-PUB-2
    case = _published(server, clock, subjects=1)
    subject = case["codes"][0]
    result_id = case["ids"]["wlj", subject]
    wlj = server.client("wlj")
    objection = created(wlj.post(f"/results/{result_id}/objections", json={"reason": "书面申请：结果有误"} | CONTACT))["id"]
    review = {"decision": "corrected", "opinion": "经复查，检查情况记载有误，予以更正。",
              "correction": {"changes": {"findings": "证照齐全，未发现问题"}, "reason": "异议复查更正",
                             "approver": approver_username("wlj")}}
    with nothing_recorded(server, case["task_id"]):
        assert_error(wlj.post(f"/objections/{objection}/review", json=review | {"correction": None}), 422)
        bad = review | {"correction": review["correction"] | {"approver": approver_username("scjg")}}
        assert_error(wlj.post(f"/objections/{objection}/review", json=bad), 422)
    created(wlj.post(f"/objections/{objection}/review", json=review))
    row = wlj.get(f"/objections/{objection}", params={"min_position": head(server)}).json()
    assert row["decision"] == "corrected" and row["correction_version"] == 2
    result = wlj.get(f"/results/{result_id}").json()
    assert result["version"] == 2 and result["versions"][-1]["fields"]["findings"] == "证照齐全，未发现问题"


def test_an_objection_after_60_working_days_is_refused_with_the_day_the_window_closed(server, clock):  # R-OBJ-1
    case = _published(server, clock, subjects=1)
    subject = case["codes"][0]
    server.services.clock.set(datetime(2026, 6, 15, 10, tzinfo=SHANGHAI))  # past 60 working days from 11 Mar
    server.log_in_again()
    result_id = case["ids"]["wlj", subject]
    with nothing_recorded(server, case["task_id"]):
        error = assert_error(server.client("wlj").post(f"/results/{result_id}/objections",
                                                       json={"reason": "逾期申请"} | CONTACT),
                             409, "objection_window_closed")
    assert error["details"]["closed_on"] in error["message"]
    expired = server.client().post("/public/visits/lookup", json={"code": case["visit_codes"][subject],
                                                                   "subject_code": subject})
    assert_error(expired, 410, "visit_code_expired")


def test_requests_are_answered_on_the_spot_within_7_working_days_or_forwarded(server, clock):  # R-JOINT-9
    case = _published(server, clock, subjects=1)
    subject, task_id = case["codes"][0], case["task_id"]
    wlj = server.client("wlj")
    on_spot = created(wlj.post(f"/joint-tasks/{task_id}/requests", json={
        "subject_code": subject, "content": "希望说明许可证延续流程", "on_spot_answer": "已现场说明"}))
    assert on_spot["due"] is None
    open_one = created(wlj.post(f"/joint-tasks/{task_id}/requests", json={
        "subject_code": subject, "content": "申请减免本年度检测费用"}))
    assert open_one["due"] == "2026-03-20"
    assert_error(server.client("gxj").post(f"/joint-tasks/{task_id}/requests", json={
        "subject_code": subject, "content": "x"}), 403, "not_joining")
    forwarded = created(wlj.post(f"/requests/{open_one['id']}/forward",
                                 json={"to_department": "sthj", "note": "属生态环境部门职能"}))
    assert forwarded["due"] == "2026-03-20"  # a fresh 7 working days from the forwarding (same day here)
    assert_error(wlj.post(f"/requests/{open_one['id']}/answer", json={"answer": "x"}), 403, "not_the_owner")
    by_code = created(server.client().post("/public/visits/requests", json={
        "code": case["visit_codes"][subject], "subject_code": subject, "content": "希望合并年度检查"} | CONTACT))
    sthj = server.client("sthj")
    assert sthj.get("/requests", params={"min_position": head(server)}).json()["total"] == 1
    assert created(sthj.post(f"/requests/{open_one['id']}/answer", json={"answer": "已答复企业"}))["late"] is False
    lead_owned = server.client("scjg").get(f"/requests/{by_code['id']}").json()
    assert lead_owned["department"] == "scjg" and lead_owned["via"] == "enterprise"
    server.services.clock.set(datetime(2026, 3, 23, 10, tzinfo=SHANGHAI))
    server.log_in_again()
    office = server.client("office")
    overdue = office.get("/oversight/overdue-requests", params={"min_position": head(server)}).json()
    assert [r["request_id"] for r in overdue["items"]] == [by_code["id"]]
    summary = office.get("/oversight/requests-summary", params={"year": 2026, "quarter": 1}).json()
    by_department = {r["department"]: r for r in summary["items"]}
    assert by_department["wlj"]["on_spot"] == 1 and by_department["wlj"]["total"] == 1
    assert by_department["sthj"]["answered_in_time"] == 1 and by_department["sthj"]["forwarded"] == 1
    assert by_department["scjg"]["open"] == 1
    sheet = office.get("/oversight/requests-summary", params={"year": 2026, "quarter": 1, "format": "csv"})
    assert sheet.status_code == 200 and "按期办结率" in sheet.content.decode("utf-8-sig")


def test_overdue_objections_show_in_oversight_now_and_as_of_a_past_date(server, clock):  # R-OBJ-1 R-OVER-1
    case = _published(server, clock, subjects=1)
    result_id = case["ids"]["wlj", case["codes"][0]]
    created(server.client("wlj").post(f"/results/{result_id}/objections", json={"reason": "结果有误"} | CONTACT))
    server.services.clock.set(datetime(2026, 4, 13, 10, tzinfo=SHANGHAI))  # review was due Thu 9 Apr
    server.log_in_again()
    office = server.client("office")
    now = office.get("/oversight/overdue-objections", params={"min_position": head(server)}).json()
    assert [(r["department"], r["step"]) for r in now["items"]] == [("wlj", "复查")]
    before = office.get("/oversight/overdue-objections", params={"as_of": "2026-04-08T10:00:00+08:00"}).json()
    assert before["items"] == [] and before["as_of"].startswith("2026-04-08")


def test_a_calendar_change_moves_an_open_objections_review_deadline_and_says_which_moved(
        server, clock):  # R-OBJ-1 R-CAL-2 R-ARCH-1
    case = _published(server, clock, subjects=1)
    subject = case["codes"][0]
    result_id = case["ids"]["wlj", subject]
    objection = created(server.client("wlj").post(f"/results/{result_id}/objections",
                                                  json={"reason": "结果有误"} | CONTACT))
    assert objection["review_due"] == "2026-04-09"
    amended = created(server.client("office").post("/calendar/amendments", json={
        "day": "2026-03-16", "working": False, "reason": "防汛应急停工"}))
    row = server.client("wlj").get(f"/objections/{objection['id']}", params={"min_position": head(server)}).json()
    assert row["review_due"] == "2026-04-10"
    task = server.client("office").get(f"/joint-tasks/{case['task_id']}").json()
    assert amended["moved_deadlines"] == 2 and amended["moves_total"] == 2  # the objection, and the task's archive
    assert [(m["kind"], m["task_id"], m["task_number"], m["subject"], m["previous"], m["deadline"])
            for m in amended["moves"]] == [
        ("objection_review", case["task_id"], task["number"], subject, "2026-04-09", "2026-04-10"),
        ("archive", case["task_id"], task["number"], None, "2026-04-23", "2026-04-24")]
    assert amended["moves"][0]["subject_name"] == row["subject_name"] != ""


def test_the_lead_chases_the_departments_behind_with_results(server, clock):  # R-JOINT-9
    task_id, codes = _ready_task(server, clock, subjects=1)
    _inspectors(server, "scjg", 3, start=100)
    _inspectors(server, "wlj", 3, start=200)
    for department in ("scjg", "wlj"):
        assert _match(server, task_id, department)["status_code"] == 201
    lead = server.client("scjg")
    assert_error(lead.post(f"/joint-tasks/{task_id}/chase"), 409, "too_early_to_chase")
    server.services.clock.set(datetime(2026, 3, 11, 10, tzinfo=SHANGHAI))
    assert_error(server.client("wlj").post(f"/joint-tasks/{task_id}/chase"), 403)
    assert created(lead.post(f"/joint-tasks/{task_id}/chase"))["departments"] == ["wlj"]
    progress = lead.get(f"/joint-tasks/{task_id}/result-progress").json()
    wlj_row = next(p for p in progress["items"] if p["department_code"] == "wlj")
    assert wlj_row == wlj_row | {"recorded": 0, "published": 0, "total": 1, "behind": True}
    assert progress["last_chased"]["departments"] == ["wlj"]
    timeline = lead.get(f"/joint-tasks/{task_id}/timeline", params={"min_position": head(server)}).json()
    assert any(row["summary"].startswith("市场监督管理局催办检查结果：文化和旅游局") for row in timeline["items"])


def test_an_objections_live_events_reach_its_department_and_the_office_only(server, clock):  # R-OBJ-1
    from tests.api.test_ws import _nothing_more, _receive, _ws

    case = _published(server, clock, subjects=1, notices=False)
    result_id = case["ids"]["wlj", case["codes"][0]]
    with _ws(server, "wlj", after=head(server)) as wlj, _ws(server, "sthj", after=head(server)) as sthj:
        lodged = created(server.client("wlj").post(f"/results/{result_id}/objections",
                                                   json={"reason": "结果有误"} | CONTACT))
        assert [(m["type"], m["aggregate_id"]) for m in _receive(wlj, 1)] == [("Objection.Lodged", lodged["id"])]
        assert _nothing_more(sthj)  # another department hears nothing of it
