"""Agreeing the joint inspection day over HTTP: proposals and agreements (R-JOINT-5)."""
from __future__ import annotations

from datetime import timedelta

from tests.support import (
    INSPECTION_DAY, assert_error, created, nothing_recorded, office_view, pushed_task, responded_task,
    wait_for_read_models,
)


def _propose(server, user: str, task_id: str, day: str = INSPECTION_DAY):
    return server.client(user).post(f"/joint-tasks/{task_id}/inspection-day/proposals", json={"day": day})


def _agree(server, user: str, task_id: str):
    return server.client(user).post(f"/joint-tasks/{task_id}/inspection-day/agreements")


def _event_types(server, task_id: str) -> list[str]:
    position = wait_for_read_models(server)
    timeline = created(server.client("office").get(f"/joint-tasks/{task_id}/timeline",
                                                   params={"min_position": position}), 200)
    return [row["event_type"] for row in timeline["items"]]


def test_the_day_is_agreed_only_once_every_joining_department_agreed(server):  # R-JOINT-5
    task_id = pushed_task(server)
    created(server.client("wlj").respond(task_id))
    created(server.client("gxj").respond(task_id, "accept", ["工业产品生产许可检查"]))
    created(_propose(server, "scjg", task_id))
    created(_agree(server, "wlj", task_id))
    task = office_view(server, task_id)
    assert task["status"] == "day_proposed" and task["agreed_day"] is None
    assert task["proposed_day"] == INSPECTION_DAY and task["day_agreements"] == ["scjg", "wlj"]
    assert "InspectionDayAgreed" not in _event_types(server, task_id)
    created(_agree(server, "gxj", task_id))
    task = office_view(server, task_id)
    assert task["status"] == "day_agreed" and task["agreed_day"] == INSPECTION_DAY
    assert _event_types(server, task_id)[-2:] == ["InspectionDayConfirmed", "InspectionDayAgreed"]


def test_a_responder_may_propose_and_a_declined_department_is_not_waited_for(server):  # R-JOINT-5
    task_id = responded_task(server)  # wlj accepted, gxj declined
    created(_propose(server, "wlj", task_id, "2026-03-12"))
    created(_agree(server, "scjg", task_id))
    task = office_view(server, task_id)
    assert task["status"] == "day_agreed" and task["agreed_day"] == "2026-03-12"


def test_a_new_proposal_replaces_the_old_one_and_its_agreements(server):  # R-JOINT-5
    task_id = pushed_task(server)
    created(server.client("wlj").respond(task_id))
    created(server.client("gxj").respond(task_id, "accept", ["工业产品生产许可检查"]))
    created(_propose(server, "scjg", task_id))
    created(_agree(server, "wlj", task_id))
    created(_propose(server, "gxj", task_id, "2026-03-13"))
    task = office_view(server, task_id)
    assert task["proposed_day"] == "2026-03-13" and task["day_agreements"] == ["gxj"]
    assert task["status"] == "day_proposed"


def test_a_declined_department_or_an_outsider_can_neither_propose_nor_agree(server):  # R-JOINT-5
    task_id = responded_task(server)
    created(_propose(server, "scjg", task_id))
    with nothing_recorded(server, task_id):
        error = assert_error(_propose(server, "gxj", task_id, "2026-03-11"), 409, "department_declined")
        assert error["details"] == {"department": "gxj"}
        assert_error(_agree(server, "gxj", task_id), 409, "department_declined")
        assert_error(_propose(server, "zjj", task_id), 403, "not_a_responding_department")
        assert_error(_agree(server, "zjj", task_id), 403, "not_a_responding_department")


def test_no_proposal_while_responses_are_pending_until_the_deadline_passes(server, clock):  # R-JOINT-3 R-JOINT-5
    task_id = pushed_task(server)
    created(server.client("wlj").respond(task_id))
    with nothing_recorded(server, task_id):
        error = assert_error(_propose(server, "scjg", task_id), 409, "wrong_state")
        assert error["details"] == {"pending": ["gxj"]}
    clock.advance(timedelta(days=3))  # Thu 5 Mar: gxj let its deadline pass
    with nothing_recorded(server, task_id):
        assert_error(_propose(server, "gxj", task_id), 409, "wrong_state")  # gxj has not responded itself
    created(_propose(server, "scjg", task_id))


def test_agreeing_needs_a_proposal_counts_once_and_ends_when_the_day_is_agreed(server):  # R-JOINT-5
    task_id = pushed_task(server)
    created(server.client("wlj").respond(task_id))
    created(server.client("gxj").respond(task_id, "accept", ["工业产品生产许可检查"]))
    with nothing_recorded(server, task_id):
        assert_error(_agree(server, "wlj", task_id), 409, "wrong_state")
    created(_propose(server, "scjg", task_id))
    created(_agree(server, "wlj", task_id))
    with nothing_recorded(server, task_id):
        assert_error(_agree(server, "scjg", task_id), 409, "conflict")  # the proposer has agreed already
        assert_error(_agree(server, "wlj", task_id), 409, "conflict")
    created(_agree(server, "gxj", task_id))
    with nothing_recorded(server, task_id):
        assert_error(_propose(server, "wlj", task_id, "2026-03-11"), 409, "wrong_state")
        assert_error(_agree(server, "scjg", task_id), 409, "wrong_state")


def test_the_day_must_be_a_working_day_inside_the_window_after_today(server):  # R-JOINT-5 R-CAL-1
    task_id = responded_task(server)  # window 2026-03-09 .. 2026-04-30
    refused = {
        "2026-03-06": "day_outside_window",  # before the window
        "2026-05-06": "day_outside_window",  # after the window
        "2026-03-14": "not_a_working_day",  # a Saturday
        "2026-04-06": "not_a_working_day",  # Qingming holiday (a Monday)
        "2026-03-32": "validation_error",
        "10/03/2026": "validation_error",
    }
    with nothing_recorded(server, task_id):
        for day, code in refused.items():
            error = assert_error(_propose(server, "scjg", task_id, day), 422, code)
            if code != "validation_error":
                assert error["details"] == {"day": day}, day
        for body in ({}, {"day": INSPECTION_DAY, "hour": 9}):
            assert_error(server.client("scjg").post(f"/joint-tasks/{task_id}/inspection-day/proposals", json=body),
                         422, "validation_error")
    today_task = pushed_task(server, window_start="2026-03-02", window_end="2026-03-31")
    created(server.client("wlj").respond(today_task))
    created(server.client("gxj").respond(today_task, "decline", [], reason="无相关事项"))
    with nothing_recorded(server, today_task):
        assert_error(_propose(server, "scjg", today_task, "2026-03-02"), 422, "day_outside_window")  # today


def test_a_make_up_working_day_may_be_the_inspection_day(server):  # R-JOINT-5 R-CAL-1
    task_id = pushed_task(server, window_start="2026-09-14", window_end="2026-10-30", responding_departments=["wlj"])
    created(server.client("wlj").respond(task_id))
    assert_error(_propose(server, "scjg", task_id, "2026-10-05"), 422, "not_a_working_day")  # National Day week
    created(_propose(server, "scjg", task_id, "2026-10-10"))  # Saturday, a make-up working day
    assert office_view(server, task_id)["proposed_day"] == "2026-10-10"
