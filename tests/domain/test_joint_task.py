"""JointTask from push to publication: every guard, and that a refused command records nothing (R-JOINT-*, R-PUB-1).

Dates are checked against chinese-calendar 1.11.0 (2026): Labour Day off Fri 05-01 .. Tue 05-05 with make-up
Sat 05-09; no holiday between 05-06 and 06-18. The task is pushed on Mon 2026-04-27, so its response deadline is
Wed 04-29 (Tue 04-28 is the 1st working day, Wed 04-29 the 2nd).
"""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from api.storage.official_calendar import ChineseCalendarSchedule
from domain import errors
from domain.joint_task import JointTask
from domain.working_calendar import WorkingCalendar
from domain.working_days import Calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
CALENDAR = Calendar(official=ChineseCalendarSchedule())

LEAD, FIRE, HEALTH = "market-regulation", "fire-rescue", "health-commission"
OUTSIDER, OFFICE = "tax-bureau", "joint-meeting-office"
CULTURE, ECOLOGY = "culture-tourism", "ecology-environment"
ITEMS = ["C-01", "C-02"]


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


PUSHED = at(2026, 4, 27)  # Mon
DEADLINE = date(2026, 4, 29)  # Wed, 2 working days later
ON_TIME = at(2026, 4, 28)
LAST_SECOND = at(2026, 4, 29, 23, 59, 59)
OVERDUE = at(2026, 4, 30, 0, 0, 0)  # first instant after the deadline day
WINDOW = (date(2026, 5, 1), date(2026, 5, 29))
DAY = date(2026, 5, 12)  # Tue, a working day inside the window
INSPECTED = at(2026, 5, 12, 18)
PUBLISH_BY = date(2026, 6, 9)  # 20 working days after Tue 05-12: 05-13..15 (3), 3 full weeks (18), 06-08, 06-09


def actor(department: str, office: bool = False) -> dict:
    return {"user": f"{department}-clerk", "department": department, "office": office}


def initiate(**overrides) -> JointTask:
    fields = dict(
        title=" 2026 年餐饮单位联合抽查 ", lead_department=LEAD, initiator_role="lead", planned=True,
        items=list(ITEMS), responding_departments=[FIRE, HEALTH], window_start=WINDOW[0], window_end=WINDOW[1],
        note="", calendar=CALENDAR, now=PUSHED, actor=actor(LEAD),
    )
    return JointTask.initiate(**(fields | overrides))


def respond(task, department, decision="accept", items=("C-01",), reason="", now=ON_TIME) -> None:
    task.respond(department=department, decision=decision, item_ids=list(items), reason=reason, now=now,
                 actor=actor(department))


def responded_task(fire="accept", health="accept") -> JointTask:
    task = initiate()
    for department, decision in ((FIRE, fire), (HEALTH, health)):
        if decision != "pending":
            respond(task, department, decision, reason="不属本部门监管范围" if decision == "decline" else "")
    return task


def propose(task, department=LEAD, day=DAY, now=ON_TIME, calendar=CALENDAR) -> None:
    task.propose_day(department=department, day=day, calendar=calendar, now=now, actor=actor(department))


def agree(task, department, now=ON_TIME) -> None:
    task.agree_day(department=department, now=now, actor=actor(department))


def agreed_task(health="accept") -> JointTask:
    task = responded_task(health=health)
    propose(task)
    for department in task.participants[1:]:
        agree(task, department)
    return task


def record(task, department, completed_on=DAY, now=INSPECTED) -> None:
    task.record_inspection(department=department, completed_on=completed_on, note="", calendar=CALENDAR, now=now,
                           actor=actor(department))


def publish(task, department, now) -> None:
    task.publish(department=department, note="结果已公示", now=now, actor=actor(department))


def cancel(task, department=LEAD, is_office=False, reason="任务重复") -> None:
    task.cancel(department=department, is_office=is_office, reason=reason, now=ON_TIME,
                actor=actor(department, is_office))


def event_names(aggregate) -> list[str]:
    return [type(e).__name__ for e in aggregate.collect_events()]


def refused(error, command, *aggregates) -> errors.DomainError:
    """Run a command that must be refused and check that none of the aggregates recorded anything."""
    for aggregate in aggregates:
        aggregate.collect_events()
    versions = [a.version for a in aggregates]
    with pytest.raises(error) as info:
        command()
    assert [a.collect_events() for a in aggregates] == [[] for _ in aggregates]
    assert [a.version for a in aggregates] == versions
    return info.value


# ---- initiation (R-JOINT-1, R-JOINT-2, R-JOINT-3) -------------------------------------------------------------
def test_initiating_pushes_the_task_to_every_responding_department():  # R-JOINT-1 R-JOINT-2
    task = initiate()

    assert event_names(task) == ["Initiated"]
    assert task.title == "2026 年餐饮单位联合抽查"
    assert task.items == ITEMS
    assert task.pending_departments == [FIRE, HEALTH]
    assert task.participants == [LEAD]
    assert task.status == "awaiting_responses"


def test_initiating_drops_blank_and_repeated_items_and_departments():  # R-JOINT-2
    task = initiate(items=["C-01", " C-01 ", "", "C-02"], responding_departments=[FIRE, " ", FIRE, HEALTH])

    assert task.items == ["C-01", "C-02"]
    assert task.pending_departments == [FIRE, HEALTH]


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"title": "   "}, "title"),
        ({"items": []}, "items"),
        ({"responding_departments": []}, "responding_departments"),
        ({"responding_departments": [FIRE, LEAD]}, "responding_departments"),
        ({"window_start": date(2026, 5, 29), "window_end": date(2026, 5, 1)}, "window_end"),
        ({"window_start": date(2026, 4, 1), "window_end": date(2026, 4, 26)}, "window_end"),  # ended yesterday
        ({"window_start": date(2026, 4, 1), "window_end": date(2026, 4, 27)}, "window_end"),  # ends today
    ],
    ids=["empty-title", "no-items", "no-responders", "lead-among-responders", "window-reversed",
         "window-over", "window-ends-today"],
)
def test_initiating_an_incomplete_task_is_refused(overrides, field):  # R-JOINT-1 R-JOINT-2
    with pytest.raises(errors.InvalidTask) as refused_task:
        initiate(**overrides)

    assert refused_task.value.details["field"] == field


def test_response_deadline_is_two_working_days_after_the_push():  # R-JOINT-3 R-CAL-1
    task = initiate()

    assert task.response_deadline == DEADLINE
    assert task.deadline_provisional is False


def test_response_deadline_skips_the_labour_day_holiday():  # R-JOINT-3 R-CAL-1
    # Thu 04-30 → 05-01..05 off, Wed 05-06 (1st), Thu 05-07 (2nd).
    assert initiate(now=at(2026, 4, 30, 16)).response_deadline == date(2026, 5, 7)


def test_response_deadline_counts_the_makeup_saturday():  # R-JOINT-3 R-CAL-1
    # Fri 05-08 → make-up Sat 05-09 (1st), Mon 05-11 (2nd).
    assert initiate(now=at(2026, 5, 8)).response_deadline == date(2026, 5, 11)


def test_response_deadline_in_a_year_without_schedule_is_provisional():  # R-JOINT-3 R-CAL-2
    # Thu 2027-02-04 on the Mon–Fri fallback → Fri 02-05, Mon 02-08.
    task = initiate(now=at(2027, 2, 4), window_start=date(2027, 2, 15), window_end=date(2027, 3, 31))

    assert (task.response_deadline, task.deadline_provisional) == (date(2027, 2, 8), True)


# ---- responding (R-JOINT-3, R-JOINT-4) -------------------------------------------------------------------------
def test_accepting_records_the_items_the_department_joins():  # R-JOINT-3
    task = initiate()
    task.collect_events()

    respond(task, FIRE, items=["C-02", " C-01 "])

    assert event_names(task) == ["Responded"]
    assert task.responses[FIRE]["status"] == "accepted"
    assert task.responses[FIRE]["item_ids"] == ["C-02", "C-01"]
    assert task.responses[FIRE]["late"] is False
    assert task.participants == [LEAD, FIRE]


def test_declining_records_the_reason_and_leaves_the_department_out():  # R-JOINT-3
    task = initiate()

    respond(task, FIRE, "decline", items=[], reason=" 不属本部门监管范围 ")

    assert task.responses[FIRE]["status"] == "declined"
    assert task.responses[FIRE]["reason"] == "不属本部门监管范围"
    assert FIRE not in task.participants


@pytest.mark.parametrize("department", [OUTSIDER, LEAD])
def test_only_a_named_responding_department_may_respond(department):  # R-JOINT-3
    task = initiate()

    error = refused(errors.NotARespondingDepartment, lambda: respond(task, department), task)

    assert error.details["department"] == department


def test_a_department_responds_only_once():  # R-JOINT-3
    task = initiate()
    respond(task, FIRE)

    refused(errors.AlreadyResponded, lambda: respond(task, FIRE, "decline", items=[], reason="改变主意"), task)

    assert task.responses[FIRE]["status"] == "accepted"


def test_accepting_must_name_items_that_are_in_the_task():  # R-JOINT-3 R-ITEM-3
    task = initiate()

    error = refused(errors.InvalidResponse, lambda: respond(task, FIRE, items=["C-01", "C-99"]), task)

    assert error.details["unknown"] == ["C-99"]


def test_accepting_must_name_at_least_one_item():  # R-JOINT-3
    task = initiate()

    refused(errors.InvalidResponse, lambda: respond(task, FIRE, items=[" "]), task)


def test_declining_needs_a_reason():  # R-JOINT-3
    task = initiate()

    refused(errors.Invalid, lambda: respond(task, FIRE, "decline", items=[], reason="  "), task)


def test_response_in_the_last_second_of_the_deadline_day_is_on_time():  # R-JOINT-3 R-CAL-1
    task = initiate()

    respond(task, FIRE, now=LAST_SECOND)

    assert task.responses[FIRE]["late"] is False


def test_response_after_the_deadline_is_recorded_late_without_reason():  # R-JOINT-4
    task = initiate()

    respond(task, FIRE, now=OVERDUE)

    assert task.responses[FIRE]["late"] is True
    assert task.responses[FIRE]["late_reason"] is None
    assert task.response_is_late(FIRE, OVERDUE) is True


def test_late_response_with_a_reason_is_late_with_reason():  # R-JOINT-4
    task = initiate()

    respond(task, FIRE, reason="系统账号未开通", now=OVERDUE)

    assert task.responses[FIRE]["late"] is True
    assert task.responses[FIRE]["late_reason"] == "系统账号未开通"


def test_on_time_response_with_a_reason_is_not_late():  # R-JOINT-4
    task = initiate()

    respond(task, FIRE, reason="仅参加食品项目")

    assert (task.responses[FIRE]["late"], task.responses[FIRE]["late_reason"]) == (False, None)


def test_pending_department_is_late_once_its_deadline_day_is_over():  # R-JOINT-4 R-CAL-1
    task = initiate()

    assert task.response_is_late(HEALTH, LAST_SECOND) is False
    assert task.response_is_late(HEALTH, OVERDUE) is True


def test_response_after_the_day_was_agreed_is_refused():  # R-JOINT-4 R-JOINT-5
    task = responded_task(health="pending")
    propose(task, now=OVERDUE)
    agree(task, FIRE, now=OVERDUE)
    assert task.agreed_day == DAY

    refused(errors.WrongState, lambda: respond(task, HEALTH, now=at(2026, 4, 30, 10)), task)


# ---- late reasons (R-JOINT-4) ----------------------------------------------------------------------------------
def give_late_reason(task, department, reason="系统故障", now=at(2026, 4, 30, 10)) -> None:
    task.give_late_reason(department=department, reason=reason, now=now, actor=actor(department))


def test_late_department_may_give_its_reason_afterwards():  # R-JOINT-4
    task = initiate()
    respond(task, FIRE, now=OVERDUE)
    task.collect_events()

    give_late_reason(task, FIRE, reason=" 系统故障 ")

    assert event_names(task) == ["LateReasonGiven"]
    assert task.responses[FIRE]["late_reason"] == "系统故障"


def test_overdue_pending_department_may_give_its_reason_before_responding():  # R-JOINT-4
    task = initiate()

    give_late_reason(task, HEALTH)

    assert task.responses[HEALTH]["late_reason"] == "系统故障"


def test_late_reason_is_refused_when_the_response_was_on_time():  # R-JOINT-4
    task = responded_task()

    refused(errors.LateReasonNotAllowed, lambda: give_late_reason(task, FIRE), task)


def test_late_reason_is_refused_while_the_deadline_has_not_passed():  # R-JOINT-4
    task = initiate()

    refused(errors.LateReasonNotAllowed, lambda: give_late_reason(task, HEALTH, now=LAST_SECOND), task)


def test_late_reason_is_given_only_once():  # R-JOINT-4
    task = initiate()
    respond(task, FIRE, now=OVERDUE)
    give_late_reason(task, FIRE)

    refused(errors.LateReasonNotAllowed, lambda: give_late_reason(task, FIRE, reason="另一理由"), task)

    assert task.responses[FIRE]["late_reason"] == "系统故障"


def test_late_reason_is_refused_when_the_late_response_already_stated_one():  # R-JOINT-4
    task = initiate()
    respond(task, FIRE, reason="系统账号未开通", now=OVERDUE)

    refused(errors.LateReasonNotAllowed, lambda: give_late_reason(task, FIRE), task)


def test_late_reason_given_while_pending_survives_the_late_response():  # R-JOINT-4
    task = initiate()
    give_late_reason(task, HEALTH, reason="系统故障")

    respond(task, HEALTH, now=at(2026, 4, 30, 11))

    assert task.responses[HEALTH]["late"] is True
    assert task.responses[HEALTH]["late_reason"] == "系统故障"
    refused(errors.LateReasonNotAllowed, lambda: give_late_reason(task, HEALTH, reason="再次说明"), task)


def test_late_reason_from_a_department_outside_the_task_is_refused():  # R-JOINT-4
    task = initiate()

    refused(errors.NotARespondingDepartment, lambda: give_late_reason(task, OUTSIDER), task)


def test_late_reason_must_not_be_blank():  # R-JOINT-4
    task = initiate()

    refused(errors.Invalid, lambda: give_late_reason(task, HEALTH, reason="   "), task)


# ---- agreeing the joint inspection day (R-JOINT-5) -------------------------------------------------------------
def test_lead_proposes_a_working_day_inside_the_window():  # R-JOINT-5
    task = responded_task()
    task.collect_events()

    propose(task)

    assert event_names(task) == ["InspectionDayProposed"]
    assert (task.proposed_day, task.agreed_day, task.status) == (DAY, None, "day_proposed")


@pytest.mark.parametrize("day", [date(2026, 4, 30), date(2026, 6, 1)], ids=["before-window", "after-window"])
def test_proposing_a_day_outside_the_window_is_refused(day):  # R-JOINT-5
    task = responded_task()

    refused(errors.DayOutsideWindow, lambda: propose(task, day=day), task)


@pytest.mark.parametrize("day", [date(2026, 5, 16), date(2026, 5, 4)], ids=["saturday", "labour-day"])
def test_proposing_a_day_off_is_refused(day):  # R-JOINT-5 R-CAL-1
    task = responded_task()

    refused(errors.NotAWorkingDay, lambda: propose(task, day=day), task)


def test_proposing_the_makeup_saturday_is_allowed():  # R-JOINT-5 R-CAL-1
    task = responded_task()

    propose(task, day=date(2026, 5, 9))

    assert task.proposed_day == date(2026, 5, 9)


def test_proposing_today_is_refused():  # R-JOINT-5 R-EXEC-3
    task = responded_task()

    refused(errors.DayOutsideWindow, lambda: propose(task, day=DAY, now=at(2026, 5, 12, 8)), task)


@pytest.mark.parametrize("now", [ON_TIME, LAST_SECOND], ids=["before-deadline", "last-second"])
def test_proposing_before_everyone_responded_is_refused_until_the_deadline(now):  # R-JOINT-5 R-JOINT-3
    task = responded_task(health="pending")

    error = refused(errors.WrongState, lambda: propose(task, now=now), task)

    assert error.details["pending"] == [HEALTH]


def test_proposing_with_a_department_still_pending_is_allowed_after_the_deadline():  # R-JOINT-5 R-JOINT-4
    task = responded_task(health="pending")

    propose(task, now=OVERDUE)

    assert task.proposed_day == DAY
    assert task.participants == [LEAD, FIRE]


def test_pending_department_cannot_propose_a_day():  # R-JOINT-5
    task = responded_task(health="pending")

    refused(errors.WrongState, lambda: propose(task, HEALTH, now=OVERDUE), task)


def test_department_outside_the_task_cannot_propose_a_day():  # R-JOINT-5
    task = responded_task()

    refused(errors.NotARespondingDepartment, lambda: propose(task, OUTSIDER), task)


def test_department_that_declined_cannot_propose_a_day():  # R-JOINT-5
    task = responded_task(health="decline")

    error = refused(errors.DepartmentDeclined, lambda: propose(task, HEALTH), task)

    assert error.details["department"] == HEALTH


def test_department_that_declined_cannot_agree_to_the_day():  # R-JOINT-5
    task = responded_task(health="decline")
    propose(task)

    refused(errors.DepartmentDeclined, lambda: agree(task, HEALTH), task)


def test_day_is_agreed_only_once_every_participant_agreed():  # R-JOINT-5
    task = responded_task()
    task.collect_events()

    propose(task, FIRE)
    agree(task, LEAD)
    assert event_names(task) == ["InspectionDayProposed", "InspectionDayConfirmed"]
    assert task.agreed_day is None

    agree(task, HEALTH)
    assert event_names(task) == ["InspectionDayConfirmed", "InspectionDayAgreed"]
    assert (task.agreed_day, task.status) == (DAY, "day_agreed")


def test_declined_department_is_not_waited_for():  # R-JOINT-5
    task = responded_task(health="decline")
    propose(task)
    task.collect_events()

    agree(task, FIRE)

    assert event_names(task) == ["InspectionDayConfirmed", "InspectionDayAgreed"]


def test_proposal_by_the_only_participant_is_agreed_at_once():  # R-JOINT-5
    task = responded_task(fire="decline", health="decline")
    task.collect_events()

    propose(task)

    assert event_names(task) == ["InspectionDayProposed", "InspectionDayAgreed"]
    assert task.agreed_day == DAY


def test_new_proposal_restarts_the_agreements():  # R-JOINT-5
    task = responded_task()
    propose(task)
    agree(task, FIRE)

    propose(task, HEALTH, day=date(2026, 5, 13))
    agree(task, LEAD)
    assert task.agreed_day is None
    agree(task, FIRE)

    assert task.agreed_day == date(2026, 5, 13)


def test_agreeing_without_a_proposal_is_refused():  # R-JOINT-5
    task = responded_task()

    refused(errors.WrongState, lambda: agree(task, FIRE), task)


def test_agreeing_twice_is_refused():  # R-JOINT-5
    task = responded_task()
    propose(task)
    agree(task, FIRE)

    refused(errors.Conflict, lambda: agree(task, FIRE), task)


def test_agreed_day_is_not_proposed_or_agreed_again():  # R-JOINT-5
    task = agreed_task()

    refused(errors.WrongState, lambda: propose(task, FIRE, day=date(2026, 5, 13)), task)
    refused(errors.WrongState, lambda: agree(task, FIRE), task)


# ---- inspection and publication (R-JOINT-7, R-PUB-1) -----------------------------------------------------------
def test_recording_an_inspection_sets_the_publish_deadline_20_working_days_later():  # R-JOINT-7 R-PUB-1
    task = agreed_task()
    task.collect_events()

    record(task, FIRE)

    assert event_names(task) == ["Inspected"]
    assert task.inspections[FIRE]["publish_deadline"] == PUBLISH_BY


def test_recording_an_inspection_before_the_day_is_agreed_is_refused():  # R-JOINT-5 R-JOINT-7
    task = responded_task()
    propose(task)

    refused(errors.WrongState, lambda: record(task, FIRE), task)


def test_each_department_records_its_inspection_once():  # R-JOINT-7
    task = agreed_task()
    record(task, FIRE)

    refused(errors.Conflict, lambda: record(task, FIRE), task)


@pytest.mark.parametrize(
    "completed_on, now",
    [(date(2026, 5, 11), INSPECTED), (date(2026, 5, 13), INSPECTED)],
    ids=["before-agreed-day", "in-the-future"],
)
def test_completion_date_must_lie_between_the_agreed_day_and_today(completed_on, now):  # R-JOINT-7
    task = agreed_task()

    refused(errors.Invalid, lambda: record(task, FIRE, completed_on=completed_on, now=now), task)


def test_department_that_declined_cannot_record_an_inspection():  # R-JOINT-7
    task = agreed_task(health="decline")

    refused(errors.DepartmentDeclined, lambda: record(task, HEALTH), task)


def test_task_is_inspected_once_every_participant_recorded():  # R-JOINT-7
    task = agreed_task()
    record(task, LEAD)
    record(task, FIRE)
    assert task.status == "day_agreed"

    record(task, HEALTH)

    assert task.status == "inspected"


def test_publishing_on_the_deadline_day_is_on_time():  # R-PUB-1
    task = agreed_task()
    record(task, FIRE)

    publish(task, FIRE, now=at(2026, 6, 9, 23, 59, 59))

    assert task.publications[FIRE]["late"] is False


def test_publishing_after_the_deadline_is_flagged_late():  # R-PUB-1
    task = agreed_task()
    record(task, FIRE)
    task.collect_events()

    publish(task, FIRE, now=at(2026, 6, 10, 0, 0, 0))

    assert event_names(task) == ["Published"]
    assert task.publications[FIRE]["late"] is True


def test_publishing_before_recording_the_inspection_is_refused():  # R-PUB-1
    task = agreed_task()

    refused(errors.WrongState, lambda: publish(task, FIRE, now=INSPECTED), task)


def test_publishing_twice_is_refused():  # R-PUB-1 R-PUB-2
    task = agreed_task()
    record(task, FIRE)
    publish(task, FIRE, now=INSPECTED)

    refused(errors.Conflict, lambda: publish(task, FIRE, now=INSPECTED), task)


def test_task_is_published_once_every_participant_published():  # R-PUB-1
    task = agreed_task(health="decline")
    for department in (LEAD, FIRE):
        record(task, department)
    publish(task, LEAD, now=INSPECTED)
    assert task.status == "inspected"

    publish(task, FIRE, now=INSPECTED)

    assert task.status == "published"


# ---- cancellation -----------------------------------------------------------------------------------------------
def test_lead_cancels_with_a_reason():  # R-JOINT-1
    task = responded_task()
    task.collect_events()

    cancel(task, reason=" 与上级专项行动重复 ")

    assert event_names(task) == ["Cancelled"]
    assert task.cancelled["reason"] == "与上级专项行动重复"
    assert task.status == "cancelled"


def test_office_may_cancel_a_task_it_does_not_lead():  # R-JOINT-1
    task = responded_task()

    cancel(task, department=OFFICE, is_office=True)

    assert task.status == "cancelled"


def test_responding_department_cannot_cancel():  # R-JOINT-1
    task = responded_task()

    refused(errors.NotTheLeadDepartment, lambda: cancel(task, department=FIRE), task)


def test_cancelling_needs_a_reason():  # R-JOINT-1
    task = responded_task()

    refused(errors.Invalid, lambda: cancel(task, reason="  "), task)


def test_task_with_published_results_cannot_be_cancelled():  # R-PUB-2
    task = agreed_task()
    record(task, FIRE)
    publish(task, FIRE, now=INSPECTED)

    refused(errors.WrongState, lambda: cancel(task), task)


COMMANDS_ON_A_CLOSED_TASK = {
    "respond": lambda t: respond(t, HEALTH),
    "give_late_reason": lambda t: give_late_reason(t, HEALTH),
    "propose_day": lambda t: propose(t),
    "agree_day": lambda t: agree(t, FIRE),
    "record_inspection": lambda t: record(t, FIRE),
    "publish": lambda t: publish(t, FIRE, now=INSPECTED),
    "cancel": lambda t: cancel(t),
}


@pytest.mark.parametrize("command", COMMANDS_ON_A_CLOSED_TASK.values(), ids=COMMANDS_ON_A_CLOSED_TASK.keys())
def test_cancelled_task_accepts_no_further_command(command):  # R-JOINT-1
    task = responded_task(health="pending")
    cancel(task)

    error = refused(errors.TaskCancelled, lambda: command(task), task)

    assert error.details["reason"] == "任务重复"


# ---- task fusion (R-JOINT-8) ------------------------------------------------------------------------------------
def tasks_to_merge() -> tuple[JointTask, JointTask]:
    """Survivor: FIRE accepted, HEALTH pending. Other (led by CULTURE): FIRE pending, ECOLOGY accepted late."""
    survivor = initiate()
    respond(survivor, FIRE)
    other = initiate(title="文旅场所联合检查", lead_department=CULTURE, items=["C-02", "C-03"],
                     responding_departments=[FIRE, ECOLOGY], window_start=date(2026, 5, 15),
                     window_end=date(2026, 6, 15), actor=actor(CULTURE))
    respond(other, ECOLOGY, items=["C-03"], now=OVERDUE)
    return survivor, other


def merge(survivor, other, now=at(2026, 4, 30, 10)) -> None:
    survivor.absorb(other=other, now=now, actor=actor(OFFICE, True))
    other.mark_merged_into(survivor=survivor, now=now, actor=actor(OFFICE, True))


def test_merging_carries_the_other_tasks_items_departments_and_responses():  # R-JOINT-8
    survivor, other = tasks_to_merge()

    merge(survivor, other)

    assert survivor.items == ["C-01", "C-02", "C-03"]
    assert survivor.responses[CULTURE]["status"] == "accepted"  # the other lead joins with all its items
    assert survivor.responses[CULTURE]["item_ids"] == ["C-02", "C-03"]
    assert survivor.responses[ECOLOGY] == other.responses[ECOLOGY]
    assert survivor.responses[ECOLOGY]["late"] is True
    assert survivor.responses[FIRE]["status"] == "accepted"  # the survivor's own answer wins
    assert survivor.pending_departments == [HEALTH]
    assert survivor.participants == [LEAD, FIRE, CULTURE, ECOLOGY]


def test_merging_records_the_link_on_both_tasks():  # R-JOINT-8
    survivor, other = tasks_to_merge()
    survivor.collect_events()
    other.collect_events()

    merge(survivor, other)

    assert event_names(survivor) == ["MergeAbsorbed"]
    assert event_names(other) == ["Merged"]
    assert survivor.merged_from == [other.id]
    assert other.merged_into == survivor.id
    assert other.status == "merged"


MERGED_TASK_COMMANDS = {
    **COMMANDS_ON_A_CLOSED_TASK,
    "absorb": lambda t: t.absorb(other=initiate(), now=ON_TIME, actor=actor(OFFICE, True)),
    "mark_merged_into": lambda t: t.mark_merged_into(survivor=initiate(), now=ON_TIME, actor=actor(OFFICE, True)),
}


@pytest.mark.parametrize("command", MERGED_TASK_COMMANDS.values(), ids=MERGED_TASK_COMMANDS.keys())
def test_merged_task_refuses_commands_and_names_the_surviving_task(command):  # R-JOINT-8
    survivor, other = tasks_to_merge()
    merge(survivor, other)

    error = refused(errors.TaskMerged, lambda: command(other), other)

    assert str(survivor.id) in error.message
    assert error.details["surviving_task_id"] == str(survivor.id)


def test_merged_task_cannot_be_absorbed_again():  # R-JOINT-8
    survivor, other = tasks_to_merge()
    merge(survivor, other)
    third = initiate()

    refused(errors.TaskMerged, lambda: third.absorb(other=other, now=ON_TIME, actor=actor(OFFICE, True)), third, other)


def test_tasks_whose_windows_do_not_overlap_are_not_merged():  # R-JOINT-8
    survivor, _ = tasks_to_merge()
    later = initiate(window_start=date(2026, 6, 1), window_end=date(2026, 6, 30))

    refused(errors.Invalid, lambda: merge(survivor, later), survivor, later)

    assert (survivor.merged_from, later.merged_into) == ([], None)


def test_task_with_an_agreed_day_is_not_merged():  # R-JOINT-8 R-JOINT-5
    survivor = agreed_task()
    _, other = tasks_to_merge()

    refused(errors.WrongState, lambda: merge(survivor, other), survivor, other)


def test_cancelled_task_is_not_merged():  # R-JOINT-8
    survivor, other = tasks_to_merge()
    cancel(other, department=CULTURE)

    refused(errors.TaskCancelled, lambda: merge(survivor, other), survivor, other)
    refused(errors.TaskCancelled, lambda: other.mark_merged_into(survivor=survivor, now=ON_TIME, actor=actor(OFFICE)),
            other)


def test_carried_responses_change_only_on_the_surviving_task():  # R-JOINT-8 R-JOINT-4
    survivor, other = tasks_to_merge()
    merge(survivor, other)
    absorbed = [e for e in survivor.collect_events() if type(e).__name__ == "MergeAbsorbed"][0]

    give_late_reason(survivor, ECOLOGY, reason="系统故障")

    assert survivor.responses[ECOLOGY]["late_reason"] == "系统故障"
    assert other.responses[ECOLOGY]["late_reason"] is None
    assert absorbed.responses[ECOLOGY]["late_reason"] is None  # a recorded event never changes


# ---- recomputing deadlines after a calendar change (R-CAL-2) ----------------------------------------------------
def task_pushed_in_2027() -> JointTask:
    # Thu 2027-02-04 on the Mon–Fri fallback → provisional deadline Mon 02-08.
    return initiate(now=at(2027, 2, 4), window_start=date(2027, 2, 15), window_end=date(2027, 3, 31))


def calendar_with_2027_entered() -> Calendar:
    # An office entry (illustrative): holidays Fri 02-05, Mon 02-08, Tue 02-09; make-up Sat 02-06.
    office = WorkingCalendar(actor=actor(OFFICE, True), at=at(2026, 11, 20))
    office.enter_year_schedule(2027, [date(2027, 2, 5), date(2027, 2, 8), date(2027, 2, 9)], [date(2027, 2, 6)],
                               "2027 年节假日安排", actor(OFFICE, True), at(2026, 11, 20))
    return office.calendar(ChineseCalendarSchedule())


def recompute(task, calendar) -> bool:
    return task.recompute_deadline(calendar=calendar, now=at(2027, 2, 5), actor=actor(OFFICE, True))


def test_entering_the_year_moves_a_provisional_deadline():  # R-CAL-2 R-JOINT-3
    task = task_pushed_in_2027()
    assert (task.response_deadline, task.deadline_provisional) == (date(2027, 2, 8), True)
    task.collect_events()

    moved = recompute(task, calendar_with_2027_entered())

    # Make-up Sat 02-06 (1st), then holidays until Wed 02-10 (2nd).
    assert moved is True
    assert event_names(task) == ["DeadlineRecomputed"]
    assert (task.response_deadline, task.deadline_provisional) == (date(2027, 2, 10), False)


def test_recomputed_deadline_decides_whether_a_response_is_late():  # R-CAL-2 R-JOINT-4
    task = task_pushed_in_2027()
    recompute(task, calendar_with_2027_entered())

    respond(task, FIRE, now=at(2027, 2, 9, 15))  # after the provisional deadline, before the recomputed one

    assert task.responses[FIRE]["late"] is False


def test_recompute_does_nothing_when_no_response_is_pending():  # R-CAL-2
    task = task_pushed_in_2027()
    respond(task, FIRE, now=at(2027, 2, 5))
    respond(task, HEALTH, now=at(2027, 2, 5))
    task.collect_events()

    moved = recompute(task, calendar_with_2027_entered())

    assert moved is False
    assert task.collect_events() == []
    assert (task.response_deadline, task.deadline_provisional) == (date(2027, 2, 8), True)


def test_recompute_does_nothing_when_the_deadline_is_unchanged():  # R-CAL-2
    task = initiate()
    task.collect_events()

    assert recompute(task, CALENDAR) is False
    assert task.collect_events() == []


# ---- event sourcing ------------------------------------------------------------------------------------------------
def test_task_rebuilt_from_its_events_has_the_same_state():  # R-JOINT-4 R-JOINT-5 R-PUB-1
    task = initiate()
    respond(task, FIRE)
    give_late_reason(task, HEALTH)
    respond(task, HEALTH, now=at(2026, 4, 30, 11))
    propose(task, now=at(2026, 4, 30, 11))
    agree(task, FIRE)
    agree(task, HEALTH)
    record(task, HEALTH)
    publish(task, HEALTH, now=INSPECTED)

    rebuilt = None
    for recorded in task.collect_events():
        rebuilt = recorded.mutate(rebuilt)

    assert rebuilt.responses == task.responses
    assert rebuilt.responses[HEALTH]["late_reason"] == "系统故障"
    assert (rebuilt.agreed_day, rebuilt.inspections, rebuilt.publications) == (
        task.agreed_day, task.inspections, task.publications)
    assert rebuilt.version == task.version
