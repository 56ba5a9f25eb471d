"""Each joining department matches its own inspectors: committed, revealed, replaced only with approval (R-MATCH-*)."""
import pytest

from domain import draw as d
from domain import errors
from domain import matching as m
from tests.domain.test_joint_task import FIRE, HEALTH, LEAD, ON_TIME, actor, agreed_task, initiate
from tests.domain.test_joint_task_draws import _commit, _record

INSPECTORS = [f"11010119800101{i:03d}X" for i in range(6)]


def _drawn_agreed_task():  # type: ignore[no-untyped-def]
    task = agreed_task()
    _record(task, _commit(task))
    return task


def _match(task, department=FIRE, team_size=2, seed=None, **overrides):  # type: ignore[no-untyped-def]
    seed = seed or d.new_seed()
    task.commit_matching(department=department, match_id="m1", commitment=d.commitment(seed), team_size=team_size,
                         now=ON_TIME, actor=actor(department))
    teams = m.match(seed, INSPECTORS, task.drawn_subjects, team_size).teams
    fields = dict(department=department, match_id="m1", seed=seed, algorithm=m.ALGORITHM, version=m.VERSION,
                  pool_fingerprint="f", inspectors=INSPECTORS, conflicts=[], teams=teams, now=ON_TIME,
                  actor=actor(department))
    task.record_matching(**(fields | overrides))
    return teams


def test_a_joining_department_matches_a_team_for_every_drawn_subject():  # R-MATCH-1 R-JOINT-6
    task = _drawn_agreed_task()
    teams = _match(task)
    assert task.matchings[FIRE]["teams"] == teams and set(teams) == set(task.drawn_subjects)


def test_matching_waits_for_the_agreed_day_and_the_draw():  # R-JOINT-6
    task = initiate()
    with pytest.raises(errors.WrongState):
        task.commit_matching(department=LEAD, match_id="m1", commitment="c", team_size=2, now=ON_TIME,
                             actor=actor(LEAD))
    task = agreed_task()
    with pytest.raises(errors.WrongState):
        task.commit_matching(department=LEAD, match_id="m1", commitment="c", team_size=2, now=ON_TIME,
                             actor=actor(LEAD))


def test_a_department_that_declined_does_not_match():  # R-JOINT-6
    task = agreed_task(health="decline")
    _record(task, _commit(task))
    with pytest.raises(errors.DepartmentDeclined):
        task.commit_matching(department=HEALTH, match_id="m1", commitment="c", team_size=2, now=ON_TIME,
                             actor=actor(HEALTH))


def test_a_team_smaller_than_two_is_refused():  # R-MATCH-1
    task = _drawn_agreed_task()
    with pytest.raises(errors.Invalid):
        task.commit_matching(department=FIRE, match_id="m1", commitment="c", team_size=1, now=ON_TIME,
                             actor=actor(FIRE))


def test_teams_that_leave_a_subject_out_are_refused():  # R-MATCH-1
    task = _drawn_agreed_task()
    with pytest.raises(errors.Invalid):
        _match(task, teams={})
    assert task.matchings[FIRE]["status"] == "committed"


def test_a_replacement_needs_an_allowed_reason_and_an_approver():  # R-MATCH-2
    task = _drawn_agreed_task()
    teams = _match(task)
    subject, (leader, member) = next(iter(teams.items()))
    newcomer = next(i for i in INSPECTORS if i not in teams[subject])
    base = dict(department=FIRE, subject=subject, replaced=member, replacement=newcomer, now=ON_TIME,
                actor=actor(FIRE))
    with pytest.raises(errors.Invalid):
        task.replace_inspector(**base, reason="不想去", approver="科长")
    with pytest.raises(errors.Invalid):
        task.replace_inspector(**base, reason="health", approver="")
    task.replace_inspector(**base, reason="health", approver="科长")
    assert task.matchings[FIRE]["teams"][subject] == [leader, newcomer]
    assert task.matchings[FIRE]["replacements"][0]["reason"] == "health"


def test_too_few_inspectors_can_be_assigned_directly_with_approval():  # R-MATCH-4
    task = _drawn_agreed_task()
    teams = {s: INSPECTORS[:2] for s in task.drawn_subjects}
    with pytest.raises(errors.Invalid):
        task.assign_inspectors(department=FIRE, teams=teams, reason="本部门执法人员不足", approver="",
                               now=ON_TIME, actor=actor(FIRE))
    task.assign_inspectors(department=FIRE, teams=teams, reason="本部门执法人员不足", approver="分管局长",
                           now=ON_TIME, actor=actor(FIRE))
    assert task.matchings[FIRE]["assigned"] is True and task.matchings[FIRE]["approver"] == "分管局长"
