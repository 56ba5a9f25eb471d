"""Matching each joining department's inspectors to the drawn subjects (R-MATCH-1..4), verifiable like draws;
replacements, approved direct assignment, and declared conflicts of interest. Inspectors and conflicts are read
through the Inspectors port, seeds kept through DrawEvidence, in the command's unit of work."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid4

from domain import draw as seeds
from domain import errors
from domain import matching as algorithm
from domain.joint_task import JointTask
from domain.usecases.base import Actor, CommandResult, Commitment, UseCases


@dataclass(frozen=True)
class Matched:
    match_id: str
    position: int | None
    teams: int
    inspectors: int


class MatchingUseCases(UseCases):
    def commit_matching(self, task_id: UUID, actor: Actor, team_size: int) -> Commitment:
        """Commit to a seed before the department's inspectors are matched."""
        seed, match_id = seeds.new_seed(), str(uuid4())
        with self.transaction():
            result = self._on_task(task_id, lambda t, now: t.commit_matching(
                department=actor.department, now=now, actor=actor.as_record(), match_id=match_id,
                commitment=seeds.commitment(seed), team_size=team_size))
            self.draw_evidence.keep_seed(match_id, str(task_id), seed, kind="matching")
        return Commitment(match_id, seeds.commitment(seed), result.position)

    def execute_matching(self, task_id: UUID, actor: Actor, match_id: str) -> Matched:
        """Fix the department's eligible inspectors, match teams, reveal the seed."""
        with self.transaction():
            task = self.get_task(task_id)
            committed = task.matchings.get(actor.department)
            if committed is None or committed["match_id"] != match_id:
                raise errors.NotFound("找不到本部门的该次匹配。", match_id=match_id)
            inspectors = self.inspectors.eligible(actor.department, _day(task))
            conflicts = self.inspectors.conflicts(inspectors, task.drawn_subjects)
            seed = self.draw_evidence.seed(match_id)
            try:
                teams = algorithm.match(seed, inspectors, task.drawn_subjects, committed["team_size"], conflicts).teams
            except algorithm.Shortfall as short:
                raise errors.Invalid(
                    f"本部门可匹配的检查人员不足：检查对象 {short.subject} 需要 {short.needed} 名，只能匹配 "
                    f"{short.available} 名（共有 {len(inspectors)} 名在岗持证人员）。可经批准直接指派或跨单位匹配"
                    "（R-MATCH-4）。", needed=short.needed, available=short.available,
                    eligible=len(inspectors)) from None
            recorded = self._apply(task, lambda t, now: t.record_matching(
                department=actor.department, now=now, actor=actor.as_record(), match_id=match_id, seed=seed,
                algorithm=algorithm.ALGORITHM, version=algorithm.VERSION,
                pool_fingerprint=seeds.fingerprint(dict.fromkeys(inspectors, seeds.NO_STRATUM)),
                inspectors=inspectors, conflicts=[list(c) for c in sorted(conflicts)], teams=teams))
        return Matched(match_id, recorded.position, len(teams), len(inspectors))

    def replace_inspector(self, task_id: UUID, actor: Actor, *, subject: str, inspector: str, reason: str,
                          approver: str) -> tuple[CommandResult, str]:
        """Draw the replacement from the revealed seed (R-MATCH-2); returns the result and the newcomer."""
        with self.transaction():
            task = self.get_task(task_id)
            matching = _matched(task, actor.department)
            inspectors = self.inspectors.eligible(actor.department, _day(task))
            conflicts = self.inspectors.conflicts(inspectors, [subject])
            number = len(matching["replacements"]) + 1
            seed = matching.get("seed") or seeds.new_seed()  # a direct assignment has no seed: a fresh one is kept
            try:
                newcomer = algorithm.replacement(seed, number, inspectors, matching["teams"].get(subject, []),
                                                 inspector, subject, conflicts)
            except algorithm.Shortfall:
                raise errors.Invalid("没有可替换的在岗持证检查人员，请经批准直接指派。") from None
            result = self._apply(task, lambda t, now: t.replace_inspector(
                department=actor.department, now=now, actor=actor.as_record(), subject=subject, replaced=inspector,
                replacement=newcomer, reason=reason, approver=approver))
        return result, newcomer

    def assign_inspectors(self, task_id: UUID, actor: Actor, *, teams: dict[str, list[str]], reason: str,
                          approver: str) -> CommandResult:
        """Approved direct or cross-unit assignment when too few inspectors (R-MATCH-4); members must be certified
        and free of declared conflicts (R-MATCH-3)."""
        with self.transaction():
            task = self.get_task(task_id)
            wanted = sorted({i for team in teams.values() for i in team})
            certified = set(self.inspectors.eligible(None, _day(task)))
            unknown = [i for i in wanted if i not in certified]
            if unknown:
                raise errors.Invalid("以下人员不是检查日在岗且持有效执法证件的检查人员：" + "、".join(unknown[:5]),
                                     inspectors=unknown)
            conflicts = self.inspectors.conflicts(wanted, list(teams))
            clashing = [f"{i}/{s}" for s, team in teams.items() for i in team if (i, s) in conflicts]
            if clashing:
                raise errors.Invalid("以下人员与检查对象存在利害关系，须回避（R-MATCH-3）：" + "、".join(clashing[:5]))
            return self._apply(task, lambda t, now: t.assign_inspectors(
                department=actor.department, now=now, actor=actor.as_record(), teams=teams, reason=reason,
                approver=approver))

    def declare_conflict(self, actor: Actor, inspector_id: str, subject_code: str, reason: str) -> None:
        """An inspector has an interest in a subject: never matched to it (R-MATCH-3). The department declares
        for its own inspectors; the office for any."""
        with self.transaction():
            owner = self.inspectors.department_of(inspector_id)
            if owner is None:
                raise errors.NotFound("找不到该检查人员，请核对身份证号。", code="inspector_not_found")
            if owner != actor.department and not actor.is_office:
                raise errors.Forbidden("只能为本部门的检查人员登记回避事项。", code="not_your_inspector")
            if self.inspectors.conflict_declared(inspector_id, subject_code):
                raise errors.Conflict("该回避事项已登记。", code="conflict_already_declared")
            self.inspectors.declare_conflict(inspector_id, subject_code, reason, owner, actor.user, self.clock.now())


def _day(task: JointTask) -> date:
    if task.agreed_day is None:
        raise errors.WrongState("联合检查日尚未确定。")
    return task.agreed_day


def _matched(task: JointTask, department: str) -> dict:
    matching = task.matchings.get(department)
    if matching is None or matching["status"] != "matched":
        raise errors.WrongState("本部门尚未匹配检查人员。")
    return matching
