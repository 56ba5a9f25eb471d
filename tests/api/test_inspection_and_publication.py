"""From push to publication over HTTP; recording inspections and publishing results (R-JOINT-7, R-PUB-1)."""
from __future__ import annotations

from datetime import datetime

from domain.clock import SHANGHAI
from tests.support import (
    INSPECTION_DAY, assert_error, created, day_agreed_task, head, inspected_task, nothing_recorded, office_view,
    pushed_task, wait_for_read_models,
)


def _inspect(server, user: str, task_id: str, completed_on: str = INSPECTION_DAY):
    return server.client(user).post(f"/joint-tasks/{task_id}/inspections",
                                    json={"completed_on": completed_on, "note": "现场检查完成"})


def _publish(server, user: str, task_id: str):
    return server.client(user).post(f"/joint-tasks/{task_id}/publications", json={"note": "结果已公示"})


def _listed_status(server, user: str, task_id: str, position: int) -> str:
    page = created(server.client(user).get("/joint-tasks", params={"min_position": position}), 200)
    return next(t["status"] for t in page["items"] if t["task_id"] == task_id)


def test_a_task_goes_from_push_to_published_over_http(server, clock):  # R-JOINT-1 R-JOINT-3 R-JOINT-5 R-PUB-1
    scjg, wlj, gxj = server.client("scjg"), server.client("wlj"), server.client("gxj")
    task = created(scjg.initiate())
    task_id = task["id"]
    steps = [
        (lambda: wlj.respond(task_id), "awaiting_responses"),
        (lambda: gxj.respond(task_id, "decline", [], reason="本季度无相关检查任务"), "responded"),
        (lambda: _propose(scjg, task_id), "day_proposed"),
        (lambda: wlj.post(f"/joint-tasks/{task_id}/inspection-day/agreements"), "day_agreed"),
        (lambda: clock.set(datetime(2026, 3, 10, 17, tzinfo=SHANGHAI)) or _inspect(server, "scjg", task_id),
         "day_agreed"),
        (lambda: _inspect(server, "wlj", task_id), "inspected"),
        (lambda: _publish(server, "wlj", task_id), "inspected"),
        (lambda: _publish(server, "scjg", task_id), "published"),
    ]
    position = task["position"]
    for step, status in steps:
        answer = created(step())
        assert answer["position"] > position, answer
        position = answer["position"]
        assert office_view(server, task_id)["status"] == status
        assert _listed_status(server, "scjg", task_id, position) == status
    final = office_view(server, task_id)
    assert final["version"] == 10  # Initiated + 8 commands + InspectionDayAgreed (recorded with the last agreement)
    assert set(final["publications"]) == {"scjg", "wlj"} and set(final["inspections"]) == {"scjg", "wlj"}
    assert "gxj" not in final["inspections"]


def _propose(client, task_id: str):
    return client.post(f"/joint-tasks/{task_id}/inspection-day/proposals", json={"day": INSPECTION_DAY})


def test_an_inspection_sets_the_publication_deadline_20_working_days_on(server):  # R-PUB-1 R-CAL-1
    task_id = inspected_task(server)
    inspections = office_view(server, task_id)["inspections"]
    # From Tue 10 Mar: 20 working days, skipping the Qingming holiday on Mon 6 Apr, end on Wed 8 Apr.
    assert inspections["scjg"] == {"completed_on": INSPECTION_DAY, "publish_deadline": "2026-04-08",
                                   "note": "现场检查完成"}


def test_an_inspection_needs_an_agreed_day_and_is_recorded_once(server, clock):  # R-JOINT-5 R-JOINT-7
    task_id = pushed_task(server)
    created(server.client("wlj").respond(task_id))
    created(server.client("gxj").respond(task_id, "decline", [], reason="无相关事项"))
    with nothing_recorded(server, task_id):
        assert_error(_inspect(server, "scjg", task_id), 409, "wrong_state")
    created(_propose(server.client("scjg"), task_id))
    created(server.client("wlj").post(f"/joint-tasks/{task_id}/inspection-day/agreements"))
    clock.set(datetime(2026, 3, 11, 10, tzinfo=SHANGHAI))
    created(_inspect(server, "scjg", task_id))
    with nothing_recorded(server, task_id):
        assert_error(_inspect(server, "scjg", task_id), 409, "conflict")


def test_an_inspection_date_must_lie_between_the_agreed_day_and_today(server, clock):
    task_id = day_agreed_task(server)
    clock.set(datetime(2026, 3, 11, 10, tzinfo=SHANGHAI))
    with nothing_recorded(server, task_id):
        for day in ("2026-03-09", "2026-03-12"):  # before the agreed day; tomorrow
            error = assert_error(_inspect(server, "scjg", task_id, day), 422, "invalid")
            assert error["details"] == {"completed_on": day}
        for body in ({"note": "漏填日期"}, {"completed_on": "yesterday"}, {"completed_on": INSPECTION_DAY, "x": 1}):
            assert_error(server.client("scjg").post(f"/joint-tasks/{task_id}/inspections", json=body), 422,
                         "validation_error")


def test_publishing_needs_an_inspection_and_happens_once(server):  # R-PUB-1 R-PUB-2
    task_id = day_agreed_task(server)
    with nothing_recorded(server, task_id):
        assert_error(_publish(server, "scjg", task_id), 409, "wrong_state")
    server.services.clock.set(datetime(2026, 3, 11, 10, tzinfo=SHANGHAI))
    created(_inspect(server, "scjg", task_id))
    created(_publish(server, "scjg", task_id))
    with nothing_recorded(server, task_id):
        assert_error(_publish(server, "scjg", task_id), 409, "conflict")
    assert office_view(server, task_id)["status"] == "day_agreed"  # wlj has neither inspected nor published


def test_only_participants_record_inspections_and_publish(server):  # R-JOINT-7 R-PUB-1
    task_id = inspected_task(server)  # scjg and wlj inspected; gxj declined
    with nothing_recorded(server, task_id):
        for user, status, code in (("gxj", 409, "department_declined"), ("zjj", 403, "not_a_responding_department"),
                                   ("office", 403, "not_a_responding_department")):
            assert_error(_inspect(server, user, task_id), status, code)
            assert_error(_publish(server, user, task_id), status, code)


def test_a_publication_takes_a_well_formed_body(server):  # R-PUB-1
    task_id = inspected_task(server)
    with nothing_recorded(server, task_id):
        for body in ({"note": "公" * 2001}, {"note": "", "url": "http://example.invalid"}, {"note": 3}):
            assert_error(server.client("scjg").post(f"/joint-tasks/{task_id}/publications", json=body), 422,
                         "validation_error")


def test_a_publication_after_its_deadline_is_recorded_as_late(server, clock):  # R-PUB-1
    task_id = inspected_task(server)
    created(_publish(server, "wlj", task_id))
    clock.set(datetime(2026, 4, 9, 9, tzinfo=SHANGHAI))  # the day after the deadline (Wed 8 Apr)
    server.log_in_again()  # the logins of 2 March have expired
    created(_publish(server, "scjg", task_id))
    publications = office_view(server, task_id)["publications"]
    assert publications["wlj"]["late"] is False and publications["scjg"]["late"] is True
    position = wait_for_read_models(server)
    assert position == head(server)
    timeline = created(server.client("scjg").get(f"/joint-tasks/{task_id}/timeline",
                                                 params={"min_position": position}), 200)["items"]
    assert [row["summary"] for row in timeline[-2:]] == ["文化和旅游局公示检查结果", "市场监督管理局公示检查结果，已逾期"]
