"""The pure rules of results, their settings and what goes public (R-EXEC-1, R-EXEC-2, R-PUB-1..3, R-DRAW-5)."""
from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from domain import errors
from domain.codes import generate_resident_id, generate_uscc
from domain.joint_task_rules import draw_is_public, masked_code
from domain.result_rules import (
    check_changes, check_inspectors, check_methods, check_outcome, check_settings, result_id,
)


def test_one_result_per_department_per_subject_has_one_id():  # R-JOINT-7
    task = uuid4()
    assert result_id(task, "wlj", "S1") == result_id(task, "wlj", "S1")
    assert len({result_id(task, "wlj", "S1"), result_id(task, "scjg", "S1"), result_id(task, "wlj", "S2")}) == 3


def test_methods_are_the_regulated_five_in_their_order():  # R-EXEC-1
    assert check_methods(["written", "on_site", "on_site"]) == ["written", "on_site"]
    with pytest.raises(errors.Invalid):
        check_methods([])
    with pytest.raises(errors.Invalid):
        check_methods(["phone_call"])


def test_an_outcome_carries_what_it_needs():  # R-EXEC-2
    check_outcome("pass", "", "")
    check_outcome("rectified", "当场改正", "")
    check_outcome("judicial", "", "公安分局 案号1")
    for outcome, measures, receiver in (("rectified", "", ""), ("transferred", "", ""), ("judicial", "x", ""),
                                        ("fine", "", "")):
        with pytest.raises(errors.Invalid):
            check_outcome(outcome, measures, receiver)


def test_the_team_present_is_two_of_the_matched_team_with_its_leader():  # R-MATCH-1 R-JOINT-7
    team = ["A", "B", "C"]
    assert check_inspectors(["C", "A"], team, "S") == ["A", "C"]
    for present in (["A"], ["B", "C"], ["A", "X"], ["A", "A"]):
        with pytest.raises(errors.DomainError):
            check_inspectors(present, team, "S")
    with pytest.raises(errors.WrongState):
        check_inspectors(["A", "B"], None, "S")


def test_a_department_may_be_stricter_than_20_working_days_never_looser():  # R-PUB-1
    assert check_settings(True, 5, 2) == {"review_required": True, "report_days": 5, "publish_days": 2,
                                          "answer_days": 7}
    assert check_settings(False, None, 20)["publish_days"] == 20
    for report, publish in ((None, 21), (5, 16), (0, 2), (None, 0)):
        with pytest.raises(errors.Invalid):
            check_settings(False, report, publish)


def test_a_correction_changes_only_correctable_fields_and_something():  # R-PUB-2
    current = {"outcome": "pass", "findings": "无", "inspected_on": date(2026, 3, 10)}
    assert check_changes(current, {"findings": "补正", "outcome": "pass"}) == {"findings": "补正"}
    with pytest.raises(errors.Invalid):
        check_changes(current, {"findings": "无"})
    with pytest.raises(errors.Invalid):
        check_changes(current, {"subject_code": "X"})


def test_a_draw_goes_public_once_it_can_warn_no_one():  # R-DRAW-5 R-EXEC-3
    assert draw_is_public(executed=True, unannounced=False, visited=False)
    assert not draw_is_public(executed=False, unannounced=False, visited=False)
    assert not draw_is_public(executed=True, unannounced=True, visited=False)
    assert draw_is_public(executed=True, unannounced=True, visited=True)


def test_an_individuals_id_number_is_never_public_an_enterprises_code_is():  # R-PUB-3
    person, company = generate_resident_id(7), generate_uscc(7)
    assert masked_code(company) == company
    assert masked_code(person) != person and masked_code(person)[:6] == person[:6] and "*" in masked_code(person)
