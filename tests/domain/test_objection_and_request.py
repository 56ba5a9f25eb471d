"""The afterlife aggregates on their own: an objection's window and clocks (R-OBJ-1), a request's owner and clock
(R-JOINT-9), both moved by a calendar change (R-CAL-2)."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime
from uuid import uuid4

import pytest

from domain import errors
from domain.clock import SHANGHAI
from domain.enterprise_request import EnterpriseRequest
from domain.objection import Objection
from domain.working_days import Calendar

CAL = Calendar()  # weekdays only: the dates below are easy to count
ACTOR = {"user": "wlj", "department": "wlj", "office": False}
CONTACT = {"name": "王经理", "phone": "0851-1234567"}
PUBLISHED = datetime(2026, 3, 11, 10, tzinfo=SHANGHAI)  # a Wednesday


def _result(**overrides) -> dict:  # type: ignore[no-untyped-def]
    return {"department": "wlj", "subject": "91110000000000001X", "subject_name": "检查对象", "version": 1,
            "published_at": PUBLISHED} | overrides


def _lodge(now: datetime, **overrides) -> Objection:  # type: ignore[no-untyped-def]
    return Objection.lodge(result=_result(**overrides), result_id=str(uuid4()), task_id=uuid4(), reason="结果有误",
                           contact=CONTACT, via="enterprise", answer_days=7, calendar=CAL, now=now, actor=ACTOR)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=SHANGHAI)


def test_an_objection_is_received_within_60_working_days_of_publication_and_refused_after(  # R-OBJ-1
        ) -> None:
    assert _lodge(at(date(2026, 6, 3))).review_due == date(2026, 7, 1)  # the 60th working day: 20 more to review
    with pytest.raises(errors.WrongState) as refused:
        _lodge(at(date(2026, 6, 4)))
    assert refused.value.code == "objection_window_closed" and "2026-06-03" in refused.value.message


def test_only_a_published_result_can_be_objected_to() -> None:  # R-OBJ-1
    with pytest.raises(errors.WrongState):
        _lodge(at(date(2026, 3, 12)), published_at=None)


def test_the_results_department_reviews_then_answers_within_the_answer_days_of_the_decision() -> None:  # R-OBJ-1
    objection = _lodge(at(date(2026, 3, 12)))
    with pytest.raises(errors.Forbidden):
        objection.review(department="scjg", decision="upheld", opinion="维持", correction_version=None,
                         calendar=CAL, now=at(date(2026, 3, 13)), actor=ACTOR)
    with pytest.raises(errors.WrongState):
        objection.give_answer(department="wlj", answer="维持", now=at(date(2026, 3, 13)), actor=ACTOR)
    with pytest.raises(errors.Invalid):  # a correction needs its version, an upheld decision none
        objection.review(department="wlj", decision="corrected", opinion="更正", correction_version=None,
                         calendar=CAL, now=at(date(2026, 3, 13)), actor=ACTOR)
    late = objection.review(department="wlj", decision="upheld", opinion="维持", correction_version=None,
                            calendar=CAL, now=at(date(2026, 4, 10)), actor=ACTOR)  # due Thu 9 Apr
    assert late is True and objection.answer_due == date(2026, 4, 21)
    assert objection.give_answer(department="wlj", answer="经复查维持", now=at(date(2026, 4, 21)), actor=ACTOR) is False
    with pytest.raises(errors.Conflict):
        objection.give_answer(department="wlj", answer="再答", now=at(date(2026, 4, 21)), actor=ACTOR)


def test_a_calendar_change_moves_the_open_steps_deadline() -> None:  # R-OBJ-1 R-CAL-2
    objection = _lodge(at(date(2026, 3, 12)))
    amended = dataclasses.replace(CAL, amendments={date(2026, 3, 16): False})
    assert objection.recompute(calendar=amended, now=at(date(2026, 3, 13)), actor=ACTOR) is True
    assert objection.review_due == date(2026, 4, 10)
    assert objection.recompute(calendar=amended, now=at(date(2026, 3, 13)), actor=ACTOR) is False


def _request(via: str = "inspector", on_spot: str = "") -> EnterpriseRequest:
    return EnterpriseRequest.raise_request(task_id=uuid4(), subject="91110000000000001X", subject_name="检查对象",
                                           department="wlj", content="申请说明流程", contact=CONTACT, via=via,
                                           on_spot_answer=on_spot, calendar=CAL, now=at(date(2026, 3, 11)),
                                           actor=ACTOR)


def test_a_request_settled_on_the_spot_is_closed_and_others_are_due_in_7_working_days() -> None:  # R-JOINT-9
    assert (_request(on_spot="已现场说明").status, _request(on_spot="已现场说明").due) == ("answered", None)
    assert _request().due == date(2026, 3, 20)
    with pytest.raises(errors.Invalid):
        _request(via="enterprise", on_spot="企业自答")


def test_a_forwarded_request_is_owned_by_the_competent_department_with_a_fresh_clock() -> None:  # R-JOINT-9
    request = _request()
    for to, known in (("wlj", True), ("nobody", False)):
        with pytest.raises(errors.Invalid):
            request.forward(department="wlj", to_department=to, note="转交", known=known, calendar=CAL,
                            now=at(date(2026, 3, 18)), actor=ACTOR)
    assert request.forward(department="wlj", to_department="sthj", note="属生态环境部门职能", known=True, calendar=CAL,
                           now=at(date(2026, 3, 18)), actor=ACTOR) == date(2026, 3, 27)
    with pytest.raises(errors.Forbidden):
        request.give_answer(department="wlj", answer="x", now=at(date(2026, 3, 19)), actor=ACTOR)
    assert request.give_answer(department="sthj", answer="已答复", now=at(date(2026, 3, 30)), actor=ACTOR) is True
