"""The system marks, once, a response deadline that passed unanswered (R-JOINT-4)."""
import pytest

from domain import errors
from tests.domain.test_joint_task import FIRE, HEALTH, LAST_SECOND, OUTSIDER, OVERDUE, actor, initiate, respond

SYSTEM = {"user": "system", "department": "system", "office": False}


def test_mark_overdue_records_the_passed_deadline_once():  # R-JOINT-4
    task = initiate()
    task.collect_events()
    task.mark_overdue(department=FIRE, now=OVERDUE, actor=SYSTEM)
    (event,) = task.collect_events()
    assert type(event).__name__ == "ResponseOverdue" and event.department == FIRE and event.deadline == task.response_deadline
    with pytest.raises(errors.Conflict):
        task.mark_overdue(department=FIRE, now=OVERDUE, actor=SYSTEM)
    assert task.collect_events() == []


def test_mark_overdue_is_refused_before_the_deadline_day_is_over():  # R-JOINT-4 R-CAL-1
    task = initiate()
    task.collect_events()
    with pytest.raises(errors.WrongState):
        task.mark_overdue(department=FIRE, now=LAST_SECOND, actor=SYSTEM)
    assert task.collect_events() == []


def test_mark_overdue_is_refused_for_a_department_that_answered_or_is_not_asked():  # R-JOINT-4
    task = initiate()
    respond(task, HEALTH)
    task.collect_events()
    with pytest.raises(errors.WrongState):
        task.mark_overdue(department=HEALTH, now=OVERDUE, actor=SYSTEM)
    with pytest.raises(errors.NotARespondingDepartment):
        task.mark_overdue(department=OUTSIDER, now=OVERDUE, actor=SYSTEM)
    assert task.collect_events() == []


def test_an_overdue_mark_does_not_stop_a_late_answer_or_a_late_reason():  # R-JOINT-4
    task = initiate()
    task.mark_overdue(department=FIRE, now=OVERDUE, actor=SYSTEM)
    task.give_late_reason(department=FIRE, reason="系统故障未收到推送", now=OVERDUE, actor=actor(FIRE))
    respond(task, FIRE, now=OVERDUE)
    assert task.responses[FIRE]["late"] is True and task.responses[FIRE]["late_reason"] == "系统故障未收到推送"
