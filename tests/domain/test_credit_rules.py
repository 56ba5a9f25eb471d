"""Credit feedback as a rule: what a published outcome changes on its subject, three passes lower the risk, and a
correction replaces the result's effect (R-OVER-2, R-SUBJ-2, R-EXEC-2)."""
from __future__ import annotations

from datetime import date

import pytest

from domain import credit_rules as rules

DAY = date(2026, 3, 10)
SUBJECT = {"abnormal_operation": False, "deregistered": False, "risk_level": "medium", "tags": "冷链"}


def publish(outcome: str, subject: dict = SUBJECT, lowered: bool = False, by: str = "r1") -> rules.Feedback:
    return rules.feedback(subject, {}, rules.wanted(outcome, DAY, lowered), by=by)


def history(*outcomes: str, start: int = 1) -> list[rules.History]:
    """Published results inspected on consecutive days from March `start`, in the order given."""
    return [(date(2026, 3, start + n), f"r{start + n:02d}", o) for n, o in enumerate(outcomes)]


# ---- each outcome (R-OVER-2, R-EXEC-2) -------------------------------------------------------------------------
def test_unreachable_puts_the_subject_on_the_abnormal_operation_list():  # R-OVER-2 R-SUBJ-4
    fed = publish("unreachable")
    assert fed.changes == {"abnormal_operation": [False, True]}
    assert fed.effects == {"abnormal_operation": {"before": False, "after": True, "by": "r1"}}


def test_closed_marks_the_subject_deregistered():  # R-OVER-2 R-EXEC-2
    assert publish("closed").changes == {"deregistered": [False, True]}


@pytest.mark.parametrize("outcome, tag", [("transferred", "移送立案:2026-03-10"), ("judicial", "移送司法:2026-03-10")])
def test_a_transfer_tags_the_subject_with_its_date_and_makes_it_high_risk(outcome, tag):  # R-OVER-2 R-SUBJ-2
    fed = publish(outcome)
    assert fed.changes == {"risk_level": ["medium", "high"], "tags": ["冷链", f"冷链,{tag}"]}
    assert set(fed.effects) == {"risk:high", f"tag:{tag}"}


def test_a_rectification_tags_the_subject_and_leaves_its_risk():  # R-OVER-2 R-SUBJ-2
    assert publish("rectified").changes == {"tags": ["冷链", "冷链,责令整改:2026-03-10"]}


def test_refusing_the_inspection_makes_the_subject_high_risk():  # R-OVER-2
    assert publish("refused").changes == {"risk_level": ["medium", "high"]}


@pytest.mark.parametrize("outcome", ["pass", "not_operating"])
def test_a_pass_or_no_activity_alone_changes_nothing(outcome):  # R-OVER-2
    fed = publish(outcome)
    assert fed.changes == {} and fed.effects == {} and fed.subject == SUBJECT


def test_what_is_already_so_is_not_changed_nor_held():  # R-OVER-2
    fed = publish("refused", SUBJECT | {"risk_level": "high"})
    assert fed.changes == {} and fed.effects == {}


# ---- three consecutive passes (R-OVER-2: results change future sampling) --------------------------------------------
def test_three_consecutive_published_passes_lower_the_risk_one_step():  # R-OVER-2
    earlier = history("rectified", "pass", "pass")
    third = (date(2026, 3, 20), "r20", "pass")
    assert rules.lowers(earlier, third)
    assert publish("pass", SUBJECT | {"risk_level": "high"}, lowered=True).changes == {"risk_level": ["high", "medium"]}
    assert publish("pass", lowered=True).changes == {"risk_level": ["medium", "low"]}
    assert publish("pass", SUBJECT | {"risk_level": "low"}, lowered=True).changes == {}


def test_passes_count_in_inspection_order_whatever_order_they_are_published_in():  # R-OVER-2
    published = history("pass", "refused", "pass", start=1)  # 1 Mar pass, 2 Mar refused, 3 Mar pass
    late_old_pass = (date(2026, 2, 20), "r00", "pass")  # inspected before the refusal: no run with the others
    assert not rules.lowers(published, late_old_pass)
    assert rules.lowers(published + [(date(2026, 3, 4), "r04", "pass")], (date(2026, 3, 5), "r05", "pass"))
    assert rules.pass_streak(published) == 1


def test_a_fourth_and_fifth_pass_do_not_lower_again_the_sixth_does():  # R-OVER-2
    passes = history("pass", "pass", "pass", "pass", "pass")
    assert not rules.lowers(passes[:3], passes[3]) and not rules.lowers(passes[:4], passes[4])
    assert rules.lowers(passes, (date(2026, 3, 31), "r31", "pass"))


def test_anything_but_a_pass_breaks_the_run():  # R-OVER-2
    assert not rules.lowers(history("pass", "not_operating"), (date(2026, 3, 9), "r9", "pass"))
    assert not rules.lowers(history("pass", "pass"), (date(2026, 3, 9), "r9", "rectified"))


# ---- a correction replaces the result's effect (R-PUB-2, R-OVER-2) -------------------------------------------------
def test_a_correction_to_pass_undoes_what_the_result_set():  # R-OVER-2 R-PUB-2
    first = publish("unreachable")
    fed = rules.feedback(first.subject, first.effects, rules.wanted("pass", DAY, False), by="r1")
    assert fed.changes == {"abnormal_operation": [True, False]} and fed.effects == {}


def test_a_correction_to_another_outcome_undoes_the_old_effect_and_applies_the_new():  # R-OVER-2 R-PUB-2
    first = publish("transferred")
    fed = rules.feedback(first.subject, first.effects, rules.wanted("unreachable", DAY, False), by="r1")
    assert fed.subject == SUBJECT | {"abnormal_operation": True}  # risk and tags back as they were
    assert fed.changes == {
        "abnormal_operation": [False, True], "risk_level": ["high", "medium"], "tags": ["冷链,移送立案:2026-03-10", "冷链"]}
    assert set(fed.effects) == {"abnormal_operation"}


def test_a_corrected_date_moves_the_tag_and_keeps_the_rest():  # R-OVER-2 R-PUB-2
    first = publish("transferred")
    fed = rules.feedback(first.subject, first.effects, rules.wanted("transferred", date(2026, 3, 11), False), by="r1")
    assert fed.changes == {"tags": ["冷链,移送立案:2026-03-10", "冷链,移送立案:2026-03-11"]}
    assert fed.effects["risk:high"] == first.effects["risk:high"]


def test_a_correction_leaves_what_someone_changed_since():  # R-OVER-2 R-SUBJ-2
    first = publish("refused")
    edited = first.subject | {"risk_level": "low"}  # a clerk re-rated the subject after the result
    fed = rules.feedback(edited, first.effects, set(), by="r1", blocked=frozenset({"risk:high"}))
    assert fed.changes == {} and fed.effects == {}
    assert rules.feedback(edited, first.effects, set(), by="r1").changes == {}  # and the value check agrees


def test_a_correction_hands_an_effect_another_published_result_calls_for_to_that_result():  # R-OVER-2
    first = publish("unreachable")
    claimed = rules.claimants({"abnormal_operation"}, [("r2", "unreachable", DAY), ("r3", "pass", DAY)])
    fed = rules.feedback(first.subject, first.effects, set(), by="r1", claimed=claimed)
    assert fed.changes == {} and fed.effects == {}
    assert fed.handovers == {"abnormal_operation": ("r2", first.effects["abnormal_operation"])}


def test_the_change_log_tells_who_last_set_an_atom():  # R-SUBJ-2
    log = [("credit_feedback", {"tags": ["", "移送立案:2026-03-10"], "result_id": "r1"}),
           ("updated", {"tags": ["移送立案:2026-03-10", "移送立案:2026-03-10,冷链"]}),  # another tag: not this one
           ("credit_feedback", {"risk_level": ["medium", "high"], "result_id": "r1"}),
           ("updated", {"risk_level": ["high", "low"]})]
    assert rules.last_setter(log, "tag:移送立案:2026-03-10") == "r1"
    assert rules.last_setter(log, "risk:high") == ""
    assert rules.last_setter(log, "abnormal_operation") is None
