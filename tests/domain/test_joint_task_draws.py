"""Drawing subjects on a joint task: commit, reveal, never silently redone (R-JOINT-6, R-DRAW-5)."""
import pytest

from domain import draw as d
from domain import errors
from tests.domain.test_joint_task import FIRE, LEAD, ON_TIME, actor, initiate

WITNESSES = [{"name": "张三", "role": "legal_adviser"}, {"name": "李四", "role": "enterprise_representative"}]
POOL = {f"91110000MA01A{i:04d}X": "*" for i in range(20)}


def _commit(task, draw_id="d1", seed=None, **overrides):  # type: ignore[no-untyped-def]
    seed = seed or d.new_seed()
    fields = dict(draw_id=draw_id, commitment=d.commitment(seed), criteria={"count": 3}, witnesses=WITNESSES,
                  redraw_of=None, reason="", approver="", department=LEAD, now=ON_TIME, actor=actor(LEAD))
    task.commit_draw(**(fields | overrides))
    return seed


def _record(task, seed, draw_id="d1", **overrides):  # type: ignore[no-untyped-def]
    result = d.draw(seed, POOL, {"*": 3})
    fields = dict(draw_id=draw_id, seed=seed, algorithm=d.ALGORITHM, version=d.VERSION,
                  pool_fingerprint=d.fingerprint(POOL), pool_size=len(POOL), counts={"*": 3}, excused=[],
                  drawn=result.drawn, replaced=[], flags={}, now=ON_TIME, actor=actor(LEAD))
    task.record_draw(**(fields | overrides))
    return result


def test_the_lead_commits_then_reveals_and_the_drawn_subjects_are_the_tasks():  # R-JOINT-6 R-DRAW-5
    task = initiate()
    seed = _commit(task)
    assert task.draws["d1"]["status"] == "committed" and "seed" not in task.draws["d1"]
    result = _record(task, seed)
    assert task.drawn_subjects == result.drawn and task.draws["d1"]["seed"] == seed
    assert [type(e).__name__ for e in task.collect_events()][-2:] == ["DrawCommitted", "SubjectsDrawn"]


def test_only_the_lead_draws():  # R-JOINT-6
    task = initiate()
    task.collect_events()
    with pytest.raises(errors.NotTheLeadDepartment):
        _commit(task, department=FIRE, actor=actor(FIRE))
    assert task.collect_events() == []


def test_a_draw_needs_a_named_witness_with_a_known_role():  # R-DRAW-5
    task = initiate()
    task.collect_events()
    for witnesses in ([], [{"name": "", "role": "staff"}], [{"name": "王五", "role": "friend"}]):
        with pytest.raises(errors.Invalid):
            _commit(task, witnesses=witnesses)
    assert task.collect_events() == []


def test_a_seed_that_does_not_match_the_commitment_is_refused():  # R-DRAW-5
    task = initiate()
    _commit(task)
    task.collect_events()
    with pytest.raises(errors.Invalid):
        _record(task, d.new_seed())
    assert task.collect_events() == [] and task.draws["d1"]["status"] == "committed"


def test_a_draw_is_executed_once():  # R-DRAW-5
    task = initiate()
    seed = _commit(task)
    _record(task, seed)
    with pytest.raises(errors.Conflict):
        _record(task, seed)


def test_a_second_draw_without_naming_the_replaced_one_is_refused():  # R-DRAW-5
    task = initiate()
    _record(task, _commit(task))
    task.collect_events()
    with pytest.raises(errors.Conflict):
        _commit(task, draw_id="d2")
    assert task.collect_events() == []


def test_a_redraw_needs_a_reason_and_an_approver_other_than_the_clerk():  # R-DRAW-5
    task = initiate()
    _record(task, _commit(task))
    task.collect_events()
    with pytest.raises(errors.Invalid):
        _commit(task, draw_id="d2", redraw_of="d1", reason="", approver="局长")
    with pytest.raises(errors.Invalid):
        _commit(task, draw_id="d2", redraw_of="d1", reason="名录库数据有误", approver=f"{LEAD}-clerk")
    assert task.collect_events() == []


def test_a_redraw_supersedes_the_first_and_both_stay_visible():  # R-DRAW-5
    task = initiate()
    first = _record(task, _commit(task))
    seed = _commit(task, draw_id="d2", redraw_of="d1", reason="名录库数据有误", approver="分管局长")
    _record(task, seed, draw_id="d2")
    assert task.draws["d1"]["status"] == "superseded" and task.draws["d1"]["drawn"] == first.drawn
    assert task.draws["d2"]["status"] == "drawn" and task.current_draw == "d2"
    assert task.draws["d2"]["reason"] == "名录库数据有误" and task.draws["d2"]["approver"] == "分管局长"


def test_an_unexecuted_commitment_blocks_another_commitment():  # R-DRAW-5
    task = initiate()
    _commit(task)
    with pytest.raises(errors.Conflict):
        _commit(task, draw_id="d2")


def test_a_commitment_that_cannot_be_executed_is_replaced_only_by_naming_it_with_a_reason_and_approver():  # R-DRAW-5
    task = initiate()
    _commit(task)  # say its pool turns out too small: it is never executed
    with pytest.raises(errors.Conflict) as refused:
        _commit(task, draw_id="d2")
    assert refused.value.details == {"draw_id": "d1"}
    with pytest.raises(errors.Invalid):
        _commit(task, draw_id="d2", redraw_of="d1", reason="  ", approver="科长")
    seed = _commit(task, draw_id="d2", redraw_of="d1", reason="符合条件的对象不足，放宽行业条件", approver="分管副局长")
    assert task.draws["d1"]["status"] == "abandoned" and task.draws["d2"]["status"] == "committed"
    _record(task, seed, draw_id="d2")
    assert task.draws["d1"]["status"] == "abandoned" and task.current_draw == "d2"
