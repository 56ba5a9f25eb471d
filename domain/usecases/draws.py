"""Drawing subjects for a joint task (R-JOINT-6, R-DRAW-1..6): commit to a secret seed, then fix the pool, draw,
flag overlaps, keep the pool list for witnesses and reveal the seed — each one unit of work.

The algorithm is domain.draw; who may draw, commitments and redraws are JointTask's rules. The pool, the yearly cap
and the overlap flags are read through the SubjectPool port, which says at which log position (R-DRAW-5)."""
from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid4

from domain import draw as algorithm
from domain import errors
from domain.usecases.base import Actor, Commitment, UseCases
from domain.working_days import local_date


@dataclass(frozen=True)
class Drawn:
    draw_id: str
    position: int | None
    pool_size: int
    pool_fingerprint: str
    drawn_count: int
    replaced: dict
    left_out_for_yearly_cap: int
    flagged: int


class DrawUseCases(UseCases):
    def commit_draw(self, task_id: UUID, actor: Actor, *, criteria: dict, witnesses: list[dict],
                    redraw_of: str | None, reason: str, approver: str) -> Commitment:
        """Record the criteria, the witnesses and the commitment on the task; keep the seed secret until the draw."""
        seed, draw_id = algorithm.new_seed(), str(uuid4())
        with self.transaction():
            result = self._on_task(task_id, lambda t, now: t.commit_draw(
                department=actor.department, now=now, actor=actor.as_record(), draw_id=draw_id,
                commitment=algorithm.commitment(seed), criteria=criteria, witnesses=witnesses, redraw_of=redraw_of,
                reason=reason, approver=approver))
            self.draw_evidence.keep_seed(draw_id, str(task_id), seed, kind="draw")
        return Commitment(draw_id, algorithm.commitment(seed), result.position)

    def execute_draw(self, task_id: UUID, actor: Actor, draw_id: str) -> Drawn:
        """Fix the pool, draw, flag overlaps, store the pool list and reveal the seed on the task."""
        with self.transaction():
            task = self.get_task(task_id)
            committed = task.draws.get(draw_id)
            if committed is None:
                raise errors.NotFound("找不到该次抽取。", draw_id=draw_id)
            if actor.department != task.lead_department:
                raise errors.NotTheLeadDepartment("只有牵头部门可以执行抽取。")
            if committed["status"] != "committed":  # before the evidence rows: a second one would clash with them
                raise errors.Conflict("该次抽取已执行，不能重复执行。", draw_id=draw_id)
            year, seed = local_date(self.clock.now()).year, self.draw_evidence.seed(draw_id)
            self.draw_evidence.note_read_position(draw_id, self.subject_pool.catch_up())
            pool = self.subject_pool.pool(committed["criteria"], year=year, task_id=str(task_id))
            drawn = algorithm.evaluate(pool, committed["criteria"], seed)
            _check_shortfall(drawn.result)
            flags = self.subject_pool.overlap_flags(drawn.result.drawn, year=year, task_id=str(task_id))  # R-DRAW-6
            self.draw_evidence.keep_pool(draw_id, drawn.fingerprint, drawn.pool_list, len(pool.candidates))
            recorded = self._apply(task, lambda t, now: t.record_draw(
                now=now, actor=actor.as_record(), draw_id=draw_id, seed=seed, algorithm=algorithm.ALGORITHM,
                version=algorithm.VERSION, pool_fingerprint=drawn.fingerprint, pool_size=len(pool.candidates),
                counts=drawn.counts, excused=pool.excused, drawn=drawn.result.drawn, replaced=drawn.result.replaced,
                flags=flags))
        return Drawn(draw_id=draw_id, position=recorded.position, pool_size=len(pool.candidates),
                     pool_fingerprint=drawn.fingerprint, drawn_count=len(drawn.result.drawn),
                     replaced=drawn.result.replaced, left_out_for_yearly_cap=pool.capped, flagged=len(flags))


def _check_shortfall(result: algorithm.DrawResult) -> None:
    if result.shortfall:
        short = "、".join(f"{s}类缺 {n} 户" if s != algorithm.NO_STRATUM else f"缺 {n} 户"
                         for s, n in result.shortfall.items())
        raise errors.Invalid(f"符合条件的检查对象不足（{short}），请放宽筛选条件或降低抽取数量。",
                             shortfall=result.shortfall)
