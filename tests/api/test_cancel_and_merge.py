"""Cancelling a task and fusing one task into another over HTTP (R-JOINT-8)."""
from __future__ import annotations

from tests.support import (
    INSPECTION_DAY, assert_error, created, day_agreed_task, inspected_task, item_names, nothing_recorded, office_view,
    pushed_task, wait_for_read_models,
)


def _cancel(server, user: str, task_id: str, reason: str = "上级专项行动已覆盖同一批企业"):
    return server.client(user).post(f"/joint-tasks/{task_id}/cancellation", json={"reason": reason})


def _merge(server, user: str, task_id: str, into: str):
    return server.client(user).post(f"/joint-tasks/{task_id}/merge", json={"into_task_id": into})


def _every_command(server, task_id: str, other_id: str) -> list:
    """(user, response) for every command a party could otherwise still give on the task."""
    base = f"/joint-tasks/{task_id}"
    return [
        ("wlj", server.client("wlj").respond(task_id)),
        ("gxj", server.client("gxj").post(f"{base}/late-reason", json={"reason": "人员外出"})),
        ("scjg", server.client("scjg").post(f"{base}/inspection-day/proposals", json={"day": INSPECTION_DAY})),
        ("wlj", server.client("wlj").post(f"{base}/inspection-day/agreements")),
        ("scjg", server.client("scjg").post(f"{base}/inspections", json={"completed_on": INSPECTION_DAY})),
        ("scjg", server.client("scjg").post(f"{base}/publications", json={"note": ""})),
        ("scjg", _cancel(server, "scjg", task_id)),
        ("office", _cancel(server, "office", task_id)),
        ("scjg", _merge(server, "scjg", task_id, other_id)),
        ("scjg", _merge(server, "scjg", other_id, task_id)),
    ]


# ---- cancellation ---------------------------------------------------------------------------------------
def test_the_lead_cancels_with_a_reason_and_nothing_is_accepted_afterwards(server):
    task_id, other_id = pushed_task(server), pushed_task(server)
    created(_cancel(server, "scjg", task_id, "  上级专项行动已覆盖同一批企业 "))
    task = office_view(server, task_id)
    assert task["status"] == "cancelled" and task["cancelled"]["reason"] == "上级专项行动已覆盖同一批企业"
    with nothing_recorded(server, task_id, other_id):
        for user, response in _every_command(server, task_id, other_id):
            error = assert_error(response, 409, "task_cancelled")
            assert error["details"] == {"reason": "上级专项行动已覆盖同一批企业"}, user


def test_only_the_lead_or_the_office_may_cancel(server):
    task_id, other = pushed_task(server), pushed_task(server)
    with nothing_recorded(server, task_id):
        for user in ("wlj", "zjj"):  # a responder, an outsider
            assert_error(_cancel(server, user, task_id), 403, "not_the_lead_department")
        assert_error(_cancel(server, "admin", task_id), 403, "no_business_role")  # administers, does not act
    created(_cancel(server, "office", other))
    assert office_view(server, other)["status"] == "cancelled"


def test_cancelling_needs_a_reason(server):
    task_id = pushed_task(server)
    with nothing_recorded(server, task_id):
        assert_error(_cancel(server, "scjg", task_id, "   "), 422, "invalid")
        for body in ({}, {"reason": ""}, {"reason": "误发", "force": True}):
            assert_error(server.client("scjg").post(f"/joint-tasks/{task_id}/cancellation", json=body), 422,
                         "validation_error")


def test_a_task_with_published_results_cannot_be_cancelled(server):  # R-PUB-2
    task_id = inspected_task(server)
    created(server.client("wlj").post(f"/joint-tasks/{task_id}/publications", json={"note": ""}))
    with nothing_recorded(server, task_id):
        assert_error(_cancel(server, "scjg", task_id), 409, "wrong_state")


# ---- merge (R-JOINT-8) ------------------------------------------------------------------------------------
def test_merging_carries_items_departments_and_responses_into_the_survivor(server):  # R-JOINT-8
    survivor = pushed_task(server, responding_departments=["wlj"], items=["食品经营检查"])
    merged = pushed_task(server, responding_departments=["wlj", "yjj"], items=["食品经营检查", "危险化学品检查"],
                         window_start="2026-04-01", window_end="2026-05-29")
    created(server.client("yjj").respond(merged, "accept", ["危险化学品检查"]))
    created(_merge(server, "scjg", merged, survivor))
    after = office_view(server, survivor)
    assert item_names(after) == ["食品经营检查", "危险化学品检查"] and after["merged_from"] == [merged]
    responses = {r["department_code"]: r for r in after["responses"]}
    assert set(responses) == {"wlj", "yjj"} and responses["yjj"]["status"] == "accepted"
    assert item_names(after, responses["yjj"]["item_ids"]) == ["危险化学品检查"] and responses["wlj"]["status"] == "pending"
    gone = office_view(server, merged)
    assert gone["status"] == "merged" and gone["merged_into"] == survivor
    assert created(server.client("yjj").get(f"/joint-tasks/{survivor}"), 200)["id"] == survivor  # now a party
    position = wait_for_read_models(server)
    listed = created(server.client("yjj").get("/joint-tasks", params={"min_position": position}), 200)["items"]
    assert {t["task_id"]: t["status"] for t in listed} == {survivor: "awaiting_responses", merged: "merged"}


def test_a_merged_task_refuses_every_command_naming_the_survivor(server):  # R-JOINT-8
    survivor, merged, third = pushed_task(server), pushed_task(server), pushed_task(server)
    created(_merge(server, "scjg", merged, survivor))
    with nothing_recorded(server, survivor, merged, third):
        for user, response in _every_command(server, merged, third):
            error = assert_error(response, 409, "task_merged")
            assert error["details"] == {"surviving_task_id": survivor}, user
            assert survivor in error["message"], user


def test_the_survivor_goes_on_after_a_merge(server):  # R-JOINT-8
    survivor = pushed_task(server, responding_departments=["wlj"])
    merged = pushed_task(server, responding_departments=["gxj"])
    created(_merge(server, "scjg", merged, survivor))
    created(server.client("gxj").respond(survivor, "accept", ["工业产品生产许可检查"]))
    created(server.client("wlj").respond(survivor))
    assert office_view(server, survivor)["status"] == "responded"


def test_only_the_common_lead_or_the_office_may_merge(server):  # R-JOINT-8
    scjg_task = pushed_task(server)
    wlj_task = pushed_task(server, lead="wlj", responding_departments=["scjg", "gxj"])
    other_scjg_task = pushed_task(server)
    with nothing_recorded(server, scjg_task, wlj_task, other_scjg_task):
        assert_error(_merge(server, "scjg", wlj_task, scjg_task), 403, "not_the_lead_department")
        assert_error(_merge(server, "scjg", scjg_task, wlj_task), 403, "not_the_lead_department")
        assert_error(_merge(server, "wlj", other_scjg_task, scjg_task), 403, "not_the_lead_department")
        assert_error(_merge(server, "zjj", other_scjg_task, scjg_task), 403, "not_the_lead_department")
    created(_merge(server, "office", wlj_task, scjg_task))
    assert office_view(server, wlj_task)["merged_into"] == scjg_task


def test_merging_a_task_into_itself_or_across_separate_windows_is_422(server):  # R-JOINT-8
    march = pushed_task(server, window_start="2026-03-09", window_end="2026-03-31")
    may = pushed_task(server, window_start="2026-05-06", window_end="2026-05-29")
    with nothing_recorded(server, march, may):
        assert_error(_merge(server, "scjg", march, march), 422, "invalid")
        assert_error(_merge(server, "scjg", may, march), 422, "invalid")
        for body in ({}, {"into_task_id": "task-2"}, {"into_task_id": march, "note": "x"}):
            assert_error(server.client("scjg").post(f"/joint-tasks/{may}/merge", json=body), 422, "validation_error")


def test_a_task_whose_day_is_agreed_or_that_is_cancelled_cannot_take_part_in_a_merge(server):  # R-JOINT-8
    agreed = day_agreed_task(server)
    fresh, cancelled = pushed_task(server), pushed_task(server)
    created(_cancel(server, "scjg", cancelled))
    with nothing_recorded(server, agreed, fresh, cancelled):
        assert_error(_merge(server, "scjg", fresh, agreed), 409, "wrong_state")
        assert_error(_merge(server, "scjg", agreed, fresh), 409, "wrong_state")
        assert_error(_merge(server, "scjg", fresh, cancelled), 409, "task_cancelled")
