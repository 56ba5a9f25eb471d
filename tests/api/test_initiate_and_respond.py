"""Pushing a joint task, responding to it and explaining a late response, over HTTP (R-JOINT-1..4)."""
from __future__ import annotations

from datetime import timedelta

from tests.support import (
    INSPECTION_DAY, assert_error, created, head, item_names, nothing_recorded, office_view, pushed_task,
)

VALID = {"title": "餐饮单位食品安全联合检查", "responding_departments": ["wlj", "gxj"],
         "window_start": "2026-03-09", "window_end": "2026-04-30", "items": ["食品经营检查"], "planned": True,
         "note": ""}


# ---- initiate -------------------------------------------------------------------------------------------
def test_a_department_initiates_and_the_task_is_pushed_to_its_responders(server):  # R-JOINT-1 R-JOINT-2
    body = created(server.client("scjg").initiate(note="  重点关注学校周边  "))
    task = office_view(server, body["id"])
    assert task["status"] == "awaiting_responses" and task["initiator_role"] == "lead"
    assert task["lead_department"] == {"code": "scjg", "name": "市场监督管理局"}
    assert [(r["department_code"], r["status"]) for r in task["responses"]] == [("wlj", "pending"), ("gxj", "pending")]
    assert task["window_start"] == "2026-03-09" and task["window_end"] == "2026-04-30"
    assert task["note"] == "重点关注学校周边" and task["version"] == 1
    assert body["deadline_provisional"] is False and head(server) == body["position"]


def test_the_office_may_initiate_a_planned_task_itself(server):  # R-JOINT-1
    body = created(server.client("office").initiate(responding_departments=["scjg", "wjw"]))
    task = office_view(server, body["id"])
    assert task["initiator_role"] == "office" and task["lead_department"]["code"] == "lhbgs"
    assert task["planned"] is True


def test_duplicate_items_and_responders_are_pushed_once(server):  # R-JOINT-2
    task_id = pushed_task(server, items=["食品经营检查", " 食品经营检查 ", "文化市场经营检查"],
                          responding_departments=["wlj", "wlj", "gxj"])
    task = office_view(server, task_id)
    assert item_names(task) == ["食品经营检查", "文化市场经营检查"]
    assert [r["department_code"] for r in task["responses"]] == ["wlj", "gxj"]


MALFORMED_TASKS = {
    "missing_title": ({k: v for k, v in VALID.items() if k != "title"}, "validation_error", "title"),
    "bad_date": (VALID | {"window_start": "2026-02-30"}, "validation_error", "window_start"),
    "extra_field": (VALID | {"priority": "high"}, "validation_error", "priority"),
    "no_items": (VALID | {"items": []}, "validation_error", "items"),
    "no_responders": (VALID | {"responding_departments": []}, "validation_error", "responding_departments"),
    "planned_not_bool": (VALID | {"planned": "maybe"}, "validation_error", "planned"),
    "title_too_long": (VALID | {"title": "查" * 201}, "validation_error", "title"),
    "blank_title": (VALID | {"title": "   "}, "invalid_task", "title"),
    "blank_items": (VALID | {"items": ["  "]}, "invalid_task", "items"),
    "unknown_department": (VALID | {"responding_departments": ["wlj", "xyz"]}, "unknown_department", None),
    "lead_among_responders": (VALID | {"responding_departments": ["wlj", "scjg"]}, "invalid_task",
                              "responding_departments"),
    "window_reversed": (VALID | {"window_start": "2026-04-30", "window_end": "2026-03-09"}, "invalid_task",
                        "window_end"),
    "window_over_by_today": (VALID | {"window_start": "2026-02-02", "window_end": "2026-03-02"}, "invalid_task",
                             "window_end"),
    "window_longer_than_a_year": (VALID | {"window_end": "2027-03-10"}, "invalid_task", "window_end"),
}


def test_malformed_initiation_is_422_naming_the_field_and_records_nothing(server):  # R-JOINT-2
    scjg = server.client("scjg")
    with nothing_recorded(server):
        for case, (body, code, field) in MALFORMED_TASKS.items():
            error = assert_error(scjg.post("/joint-tasks", json=body), 422, code)
            if code == "validation_error":
                assert field in [d["field"] for d in error["details"]], case
            elif code == "unknown_department":
                assert error["details"] == {"unknown": ["xyz"]} and "xyz" in error["message"], case
            else:
                assert error["details"]["field"] == field, case


# ---- respond --------------------------------------------------------------------------------------------
def test_accepting_names_the_items_joined(server):  # R-JOINT-3
    task_id = pushed_task(server)
    body = created(server.client("wlj").respond(task_id, "accept", ["文化市场经营检查", "文化市场经营检查"]))
    assert body["late"] is False and body["position"] == head(server)
    view = office_view(server, task_id)
    wlj = next(r for r in view["responses"] if r["department_code"] == "wlj")
    assert wlj["status"] == "accepted" and item_names(view, wlj["item_ids"]) == ["文化市场经营检查"]
    assert wlj["responded_at"] == "2026-03-02T09:00:00+08:00" and wlj["late"] is False


def test_the_task_is_responded_once_every_department_accepted_or_declined(server):  # R-JOINT-3
    task_id = pushed_task(server)
    created(server.client("wlj").respond(task_id))
    assert office_view(server, task_id)["status"] == "awaiting_responses"
    created(server.client("gxj").respond(task_id, "decline", [], reason="  本季度无相关检查任务 "))
    task = office_view(server, task_id)
    assert task["status"] == "responded" and task["participants"] == ["scjg", "wlj"]
    gxj = next(r for r in task["responses"] if r["department_code"] == "gxj")
    assert gxj["status"] == "declined" and gxj["reason"] == "本季度无相关检查任务" and gxj["item_ids"] == []


def test_only_a_responding_department_may_respond(server):  # R-JOINT-3
    task_id = pushed_task(server)
    with nothing_recorded(server, task_id):
        for department in ("scjg", "zjj", "office"):  # the lead, an outsider, the office
            assert_error(server.client(department).respond(task_id), 403, "not_a_responding_department")


def test_an_acceptance_names_task_items_and_a_refusal_a_reason(server):  # R-JOINT-3 R-ITEM-3
    task_id = pushed_task(server)
    wlj = server.client("wlj")
    with nothing_recorded(server, task_id):
        error = assert_error(wlj.respond(task_id, "decline", [], reason="  "), 422, "invalid")
        assert error["details"] == {"field": "reason"}
        error = assert_error(wlj.respond(task_id, "accept", []), 422, "invalid_response")
        assert error["details"] == {"field": "item_ids"}
        error = assert_error(wlj.respond(task_id, "accept", ["文化市场经营检查", "烟花爆竹检查"]), 422, "invalid_response")
        assert error["details"] == {"field": "item_ids", "unknown": ["烟花爆竹检查"]}
        assert "烟花爆竹检查" in error["message"]


def test_a_department_joins_only_its_own_items_of_the_task(server):  # R-JOINT-3
    task_id = pushed_task(server)
    wlj = server.client("wlj")
    with nothing_recorded(server, task_id):
        error = assert_error(wlj.respond(task_id, "accept", ["文化市场经营检查", "食品经营检查"]), 422, "invalid_response")
        assert "本部门" in error["message"] and error["details"]["field"] == "item_ids"
        assert item_names(office_view(server, task_id), error["details"]["foreign"]) == ["食品经营检查"]
    created(wlj.respond(task_id, "accept", ["文化市场经营检查"]))


def test_malformed_response_is_422(server):
    task_id = pushed_task(server)
    malformed = [{"decision": "maybe"}, {"decision": "accept", "item_ids": "食品经营检查"},
                 {"decision": "accept", "item_ids": ["食品经营检查"], "comment": "好"}, {}]
    with nothing_recorded(server, task_id):
        for body in malformed:
            assert_error(server.client("wlj").post(f"/joint-tasks/{task_id}/responses", json=body), 422,
                         "validation_error")
        assert_error(server.client("wlj").post(f"/joint-tasks/{task_id}/responses", content=b"{",
                                               headers={"Content-Type": "application/json"}), 422, "validation_error")


def test_responding_after_the_day_is_agreed_is_409(server, clock):  # R-JOINT-5
    task_id = pushed_task(server)
    created(server.client("wlj").respond(task_id))
    clock.advance(timedelta(days=3))  # gxj never answered; the deadline has passed
    created(server.client("scjg").post(f"/joint-tasks/{task_id}/inspection-day/proposals",
                                       json={"day": INSPECTION_DAY}))
    created(server.client("wlj").post(f"/joint-tasks/{task_id}/inspection-day/agreements"))
    with nothing_recorded(server, task_id):
        assert_error(server.client("gxj").respond(task_id), 409, "wrong_state")


# ---- late reason (R-JOINT-4) ------------------------------------------------------------------------------
def _late_reason(server, user: str, task_id: str, reason: str = "人员外出执法，未能及时响应"):
    return server.client(user).post(f"/joint-tasks/{task_id}/late-reason", json={"reason": reason})


def test_an_overdue_department_or_one_that_answered_late_states_its_reason(server, clock):  # R-JOINT-4
    task_id = pushed_task(server)
    clock.advance(timedelta(days=3))
    created(server.client("wlj").respond(task_id))
    assert created(_late_reason(server, "gxj", task_id))["position"] == head(server)
    created(_late_reason(server, "wlj", task_id, "系统故障未收到推送"))
    responses = {r["department_code"]: r for r in office_view(server, task_id)["responses"]}
    assert (responses["gxj"]["status"], responses["gxj"]["late"]) == ("pending", True)
    assert responses["gxj"]["late_reason"] == "人员外出执法，未能及时响应"
    assert (responses["wlj"]["status"], responses["wlj"]["late_reason"]) == ("accepted", "系统故障未收到推送")


def test_a_reason_given_while_overdue_survives_the_late_answer(server, clock):  # R-JOINT-4
    task_id = pushed_task(server)
    clock.advance(timedelta(days=3))
    created(_late_reason(server, "gxj", task_id))
    assert created(server.client("gxj").respond(task_id))["late"] is True
    gxj = next(r for r in office_view(server, task_id)["responses"] if r["department_code"] == "gxj")
    assert gxj["status"] == "accepted" and gxj["late_reason"] == "人员外出执法，未能及时响应"


def test_a_late_reason_is_refused_before_the_deadline_and_once_one_was_given(server, clock):  # R-JOINT-4
    task_id = pushed_task(server)
    with nothing_recorded(server, task_id):
        assert_error(_late_reason(server, "gxj", task_id), 409, "late_reason_not_allowed")  # not late yet
    clock.advance(timedelta(days=3))
    created(_late_reason(server, "gxj", task_id))
    created(server.client("wlj").respond(task_id, "decline", [], reason="人员全部投入专项督察"))  # late, with reason
    with nothing_recorded(server, task_id):
        assert_error(_late_reason(server, "gxj", task_id, "另一个理由"), 409, "late_reason_not_allowed")
        assert_error(_late_reason(server, "wlj", task_id), 409, "late_reason_not_allowed")


def test_only_a_responding_department_may_give_a_late_reason(server, clock):  # R-JOINT-4
    task_id = pushed_task(server)
    clock.advance(timedelta(days=3))
    with nothing_recorded(server, task_id):
        for department in ("scjg", "zjj"):  # the lead, an outsider
            assert_error(_late_reason(server, department, task_id), 403, "not_a_responding_department")


def test_a_late_reason_must_say_something(server, clock):  # R-JOINT-4
    task_id = pushed_task(server)
    clock.advance(timedelta(days=3))
    with nothing_recorded(server, task_id):
        for reason, code in [("", "validation_error"), ("   ", "invalid"), ("因" * 1001, "validation_error")]:
            assert_error(_late_reason(server, "gxj", task_id, reason), 422, code)


def test_tasks_are_numbered_in_the_year_of_their_push_and_a_retry_takes_no_number(server):  # issue 15 item 7
    scjg = server.client("scjg")
    first = created(scjg.initiate(title="第一个任务"))
    retried = scjg.post("/joint-tasks", json={"title": "第二个任务", "responding_departments": ["wlj"],
                                              "window_start": "2026-03-09", "window_end": "2026-04-30",
                                              "items": ["食品经营检查", "文化市场经营检查"]},
                        headers={"Idempotency-Key": "numbered-once"})
    again = scjg.post("/joint-tasks", json={"title": "第二个任务", "responding_departments": ["wlj"],
                                            "window_start": "2026-03-09", "window_end": "2026-04-30",
                                            "items": ["食品经营检查", "文化市场经营检查"]},
                      headers={"Idempotency-Key": "numbered-once"})
    third = created(server.client("wlj").initiate(title="第三个任务", responding_departments=["scjg"]))
    numbers = [office_view(server, t["id"])["number"] for t in (first, created(retried), created(again), third)]
    assert numbers == ["联检〔2026〕0001号", "联检〔2026〕0002号", "联检〔2026〕0002号", "联检〔2026〕0003号"]
