"""The working calendar over HTTP: deadlines and days for anyone, schedule entry and amendments for the office."""
from __future__ import annotations

from datetime import datetime

from domain.clock import SHANGHAI
from tests.support import assert_error, created, head, nothing_recorded, office_view, pushed_task, responded_task


def _deadline(server, start: str, working_days: int = 2) -> dict:
    return created(server.client().get("/calendar/deadline", params={"start": start, "working_days": working_days}),
                   200)


def _days(server, start: str, end: str) -> dict[str, tuple[bool, bool, str]]:
    body = created(server.client().get("/calendar/days", params={"from": start, "to": end}), 200)
    return {d["day"]: (d["working"], d["provisional"], d["source"]) for d in body["items"]}


def _enter_year(server, user: str, body: dict):
    return server.client(user).post("/calendar/years", json=body)


def _amend(server, user: str, body: dict):
    return server.client(user).post("/calendar/amendments", json=body)


# ---- reading ----------------------------------------------------------------------------------------------
def test_the_deadline_counts_from_the_shanghai_date_of_the_start(server):  # R-CAL-1
    # 23:30 in New York on Monday is already Tuesday in Shanghai: counting starts after Tuesday.
    assert _deadline(server, "2026-03-02T23:30:00-05:00")["deadline"] == "2026-03-05T23:59:59+08:00"
    naive = _deadline(server, "2026-03-02T23:30:00")  # no offset: Shanghai time
    assert naive["deadline"] == "2026-03-04T23:59:59+08:00" and naive["start"] == "2026-03-02T23:30:00+08:00"


def test_the_deadline_skips_public_holidays_and_counts_make_up_days(server):  # R-CAL-1
    assert _deadline(server, "2026-09-30T10:00:00+08:00", 1)["deadline"] == "2026-10-08T23:59:59+08:00"
    assert _deadline(server, "2026-09-18T10:00:00+08:00", 1)["deadline"] == "2026-09-20T23:59:59+08:00"  # Sunday


def test_malformed_deadline_queries_are_422(server):
    malformed = [{"start": "2026-03-02T09:00:00+08:00", "working_days": 0},
                 {"start": "2026-03-02T09:00:00+08:00", "working_days": 367},
                 {"start": "2026-03-02T09:00:00+08:00", "working_days": "two"},
                 {"start": "next monday", "working_days": 2}, {"working_days": 2}]
    for params in malformed:
        assert_error(server.client().get("/calendar/deadline", params=params), 422, "validation_error")


def test_days_say_which_are_working_and_why(server):  # R-CAL-1 R-CAL-2
    assert _days(server, "2026-09-19", "2026-09-21") == {
        "2026-09-19": (False, False, "official"), "2026-09-20": (True, False, "official"),
        "2026-09-21": (True, False, "official")}
    assert _days(server, "2027-01-01", "2027-01-02") == {
        "2027-01-01": (True, True, "weekday_fallback"), "2027-01-02": (False, True, "weekday_fallback")}


def test_dates_outside_the_calendar_years_are_422_not_a_server_error(server):
    client = server.client()
    for start in ("9999-12-31T10:00:00+08:00", "0001-01-01T00:00:00+08:00", "1999-12-31T10:00:00+08:00"):
        error = assert_error(client.get("/calendar/deadline", params={"start": start, "working_days": 2}), 422,
                             "date_out_of_range")
        assert error["details"] == {"date": start[:10]}
    for start, end in (("9999-12-30", "9999-12-31"), ("0001-01-01", "0001-01-02"), ("2100-12-31", "2101-01-01")):
        assert_error(client.get("/calendar/days", params={"from": start, "to": end}), 422, "date_out_of_range")
    assert _deadline(server, "2100-12-01T10:00:00+08:00")["provisional"] is True


def test_malformed_day_ranges_are_422(server):
    client = server.client()
    assert_error(client.get("/calendar/days", params={"from": "2026-03-08", "to": "2026-03-02"}), 422, "invalid_range")
    assert_error(client.get("/calendar/days", params={"from": "2026-01-01", "to": "2027-02-06"}), 422,
                 "range_too_long")
    assert_error(client.get("/calendar/days", params={"from": "2026-02-30", "to": "2026-03-02"}), 422,
                 "validation_error")
    assert_error(client.get("/calendar/days", params={"to": "2026-03-02"}), 422, "validation_error")


# ---- entering a year (R-CAL-2) ------------------------------------------------------------------------------
def test_entering_2027_moves_the_provisional_deadline_of_a_task_pushed_on_new_years_eve(
        server, clock):  # R-CAL-2
    clock.set(datetime(2026, 12, 31, 10, tzinfo=SHANGHAI))
    task = created(server.client("scjg").initiate(window_start="2027-01-11", window_end="2027-02-26"))
    assert task["response_deadline"] == "2027-01-04T23:59:59+08:00" and task["deadline_provisional"] is True
    answer = created(_enter_year(server, "office", {"year": 2027, "holidays": ["2027-01-01"], "note": "国办发明电"}))
    assert answer["moved_deadlines"] == 1 and answer["position"] == head(server)
    moved = office_view(server, task["id"])
    assert moved["response_deadline"] == "2027-01-05T23:59:59+08:00" and moved["deadline_provisional"] is False
    timeline = created(server.client("scjg").get(f"/joint-tasks/{task['id']}/timeline",
                                                 params={"min_position": answer["position"]}), 200)["items"]
    assert timeline[-1]["summary"] == "工作日历调整，响应期限由 2027-01-04 改为 2027-01-05"
    assert timeline[-1]["actor_department"] == "lhbgs"
    assert _days(server, "2027-01-01", "2027-01-01") == {"2027-01-01": (False, False, "office_schedule")}


def test_entering_a_year_moves_only_deadlines_still_awaited(server, clock):  # R-CAL-2
    clock.set(datetime(2027, 3, 1, 9, tzinfo=SHANGHAI))  # Monday; 2027 not yet published
    server.log_in_again()  # the logins of 2026 have expired
    window = {"window_start": "2027-03-15", "window_end": "2027-04-30"}
    awaited = pushed_task(server, **window)
    answered = pushed_task(server, responding_departments=["wlj"], **window)
    created(server.client("wlj").respond(answered))
    cancelled = pushed_task(server, **window)
    created(server.client("scjg").post(f"/joint-tasks/{cancelled}/cancellation", json={"reason": "重复任务"}))
    answer = created(_enter_year(server, "office", {"year": 2027, "holidays": ["2027-03-02"],
                                                    "makeup_workdays": ["2027-03-06"]}))
    assert answer["moved_deadlines"] == 1
    # Pushed Mon 1 Mar: Tue 2 Mar is now a holiday, so Wed 3 and Thu 4 are the two working days.
    assert office_view(server, awaited)["response_deadline"] == "2027-03-04T23:59:59+08:00"
    for untouched in (answered, cancelled):
        view = office_view(server, untouched)
        assert view["response_deadline"] == "2027-03-03T23:59:59+08:00" and view["deadline_provisional"] is True


def test_only_the_office_maintains_the_calendar(server):  # R-CAL-2
    task_id = pushed_task(server)
    with nothing_recorded(server, task_id):
        for user in ("scjg", "admin"):
            error = assert_error(_enter_year(server, user, {"year": 2027, "holidays": ["2027-01-01"]}), 403,
                                 "office_only")
            assert error["details"] is None
            assert_error(_amend(server, user, {"day": "2026-03-04", "working": False, "reason": "停工"}), 403,
                         "office_only")


def test_a_malformed_year_schedule_is_422_and_changes_nothing(server):  # R-CAL-2
    task_id = pushed_task(server)
    refused = [
        ({"year": 1999}, "validation_error"),
        ({"year": 2027, "holidays": ["2027-02-30"]}, "validation_error"),
        ({"year": 2027, "holidays": ["2026-12-31"]}, "invalid_calendar"),  # not in the year
        ({"year": 2027, "makeup_workdays": ["2027-02-03"]}, "invalid_calendar"),  # a Wednesday
        ({"year": 2027, "holidays": ["2027-02-06"], "makeup_workdays": ["2027-02-06"]}, "invalid_calendar"),
        ({"year": 2027, "source": "国办"}, "validation_error"),
        ({"holidays": ["2027-01-01"]}, "validation_error"),
    ]
    with nothing_recorded(server, task_id):
        for body, code in refused:
            assert_error(_enter_year(server, "office", body), 422, code)
    assert _days(server, "2027-01-01", "2027-01-01")["2027-01-01"][2] == "weekday_fallback"


# ---- amending a day (R-CAL-2) -------------------------------------------------------------------------------
def test_an_amendment_moves_open_deadlines_and_shows_in_the_days(server):  # R-CAL-2
    open_task = pushed_task(server)
    answered = responded_task(server)
    answer = created(_amend(server, "office", {"day": "2026-03-04", "working": False, "reason": "  暴雨停工  "}))
    assert answer["moved_deadlines"] == 1
    assert office_view(server, open_task)["response_deadline"] == "2026-03-05T23:59:59+08:00"
    assert office_view(server, answered)["response_deadline"] == "2026-03-04T23:59:59+08:00"
    assert _days(server, "2026-03-04", "2026-03-04") == {"2026-03-04": (False, False, "office_amendment")}
    assert _deadline(server, "2026-03-02T09:00:00+08:00")["deadline"] == "2026-03-05T23:59:59+08:00"


def test_an_amendment_moves_the_deadline_of_a_task_the_projections_have_not_seen_yet(server):  # R-CAL-2
    """Issue 14: the calendar change read the open tasks from the tasks projection, outside its transaction, and
    missed a task initiated a moment before. It reads the projection with its position and the log after it, in its
    unit of work."""
    server.services.runner.stop()  # the read side of this server stands still from here on
    unseen = pushed_task(server)  # recorded, never projected
    answer = created(_amend(server, "office", {"day": "2026-03-04", "working": False, "reason": "暴雨停工"}))
    assert answer["moved_deadlines"] == 1
    assert office_view(server, unseen)["response_deadline"] == "2026-03-05T23:59:59+08:00"


def test_a_malformed_amendment_is_422_and_changes_nothing(server):  # R-CAL-2
    task_id = pushed_task(server)
    refused = [({"day": "2026-03-04", "working": False, "reason": "   "}, "invalid_calendar"),
               ({"day": "2026-03-04", "working": False}, "validation_error"),
               ({"day": "2026-03-04", "working": "sometimes", "reason": "停工"}, "validation_error"),
               ({"day": "4 March", "working": False, "reason": "停工"}, "validation_error"),
               ({"day": "2026-03-04", "working": False, "reason": "停工", "region": "全省"}, "validation_error")]
    with nothing_recorded(server, task_id):
        for body, code in refused:
            assert_error(_amend(server, "office", body), 422, code)


def test_entering_a_year_moves_the_deadline_of_a_department_still_awaited_after_a_day_was_proposed(
        server, clock):  # R-CAL-2 R-JOINT-4
    clock.set(datetime(2027, 3, 1, 9, tzinfo=SHANGHAI))
    server.log_in_again()
    task_id = pushed_task(server, window_start="2027-03-15", window_end="2027-04-30")  # provisional: Wed 3 Mar
    created(server.client("wlj").respond(task_id))
    clock.set(datetime(2027, 3, 4, 9, tzinfo=SHANGHAI))  # gxj has let the provisional deadline pass
    created(server.client("scjg").post(f"/joint-tasks/{task_id}/inspection-day/proposals", json={"day": "2027-03-16"}))
    assert office_view(server, task_id)["status"] == "day_proposed"
    answer = created(_enter_year(server, "office", {"year": 2027, "holidays": ["2027-03-02"]}))
    assert answer["moved_deadlines"] == 1
    view = office_view(server, task_id)
    assert view["response_deadline"] == "2027-03-04T23:59:59+08:00" and view["deadline_provisional"] is False
    assert {r["department_code"]: r["late"] for r in view["responses"]} == {"wlj": False, "gxj": False}
