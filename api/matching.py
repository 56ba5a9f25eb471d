"""Matching a department's inspectors to the drawn subjects (R-MATCH-1..4), kept verifiable like draws."""
from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import and_, insert, or_, select
from sqlalchemy.engine import Connection

from api.services import Services
from api.tables import conflicts_of_interest, draw_evidence
from domain import draw as seeds
from domain import errors
from domain import matching as algorithm
from domain.application import Actor
from domain.joint_task import JointTask


def commit(services: Services, conn: Connection, actor: Actor, task_id: UUID, team_size: int) -> dict:
    seed, match_id = seeds.new_seed(), str(uuid4())
    result = services.app.commit_matching(task_id, actor, match_id=match_id, commitment=seeds.commitment(seed),
                                          team_size=team_size)
    conn.execute(insert(draw_evidence).values(draw_id=match_id, kind="matching", task_id=str(task_id), seed=seed))
    return {"match_id": match_id, "commitment": seeds.commitment(seed), "position": result.position}


def execute(services: Services, conn: Connection, actor: Actor, task_id: UUID, match_id: str) -> dict:
    """Fix the department's eligible inspectors, match teams, reveal the seed."""
    task = services.app.get_task(task_id)
    committed = task.matchings.get(actor.department)
    if committed is None or committed["match_id"] != match_id:
        raise errors.NotFound("找不到本部门的该次匹配。", match_id=match_id)
    inspectors = eligible_inspectors(conn, actor.department, task.agreed_day)
    conflicts = declared_conflicts(conn, inspectors, task.drawn_subjects)
    seed = conn.execute(select(draw_evidence.c.seed).where(draw_evidence.c.draw_id == match_id)).scalar_one()
    try:
        teams = algorithm.match(seed, inspectors, task.drawn_subjects, committed["team_size"], conflicts).teams
    except algorithm.Shortfall as short:
        raise errors.Invalid(
            f"本部门可匹配的检查人员不足：检查对象 {short.subject} 需要 {short.needed} 名，只能匹配 {short.available} 名"
            f"（共有 {len(inspectors)} 名在岗持证人员）。可经批准直接指派或跨单位匹配（R-MATCH-4）。",
            needed=short.needed, available=short.available, eligible=len(inspectors)) from None
    recorded = services.app.record_matching(
        task_id, actor, match_id=match_id, seed=seed, algorithm=algorithm.ALGORITHM, version=algorithm.VERSION,
        pool_fingerprint=seeds.fingerprint(dict.fromkeys(inspectors, seeds.NO_STRATUM)), inspectors=inspectors,
        conflicts=[list(c) for c in sorted(conflicts)], teams=teams)
    return {"match_id": match_id, "position": recorded.position, "teams": len(teams), "inspectors": len(inspectors)}


def replace(services: Services, conn: Connection, actor: Actor, task_id: UUID, subject: str, inspector: str,
            reason: str, approver: str) -> dict:
    """Draw the replacement from the revealed seed (R-MATCH-2)."""
    task = services.app.get_task(task_id)
    matching = _matched(task, actor.department)
    inspectors = eligible_inspectors(conn, actor.department, task.agreed_day)
    conflicts = declared_conflicts(conn, inspectors, [subject])
    team = matching["teams"].get(subject, [])
    number = len(matching["replacements"]) + 1
    seed = matching.get("seed") or seeds.new_seed()  # a direct assignment has no seed: a fresh one is recorded
    try:
        newcomer = algorithm.replacement(seed, number, inspectors, team, inspector, subject, conflicts)
    except algorithm.Shortfall:
        raise errors.Invalid("没有可替换的在岗持证检查人员，请经批准直接指派。") from None
    result = services.app.replace_inspector(task_id, actor, subject=subject, replaced=inspector,
                                            replacement=newcomer, reason=reason, approver=approver)
    return {"position": result.position, "replacement": newcomer}


def assign(services: Services, conn: Connection, actor: Actor, task_id: UUID, teams: dict[str, list[str]],
           reason: str, approver: str) -> dict:
    """Approved direct or cross-unit assignment when too few inspectors (R-MATCH-4); members must be certified."""
    task = services.app.get_task(task_id)
    wanted = sorted({i for team in teams.values() for i in team})
    certified = set(eligible_inspectors(conn, None, task.agreed_day))
    unknown = [i for i in wanted if i not in certified]
    if unknown:
        raise errors.Invalid("以下人员不是检查日在岗且持有效执法证件的检查人员：" + "、".join(unknown[:5]),
                             inspectors=unknown)
    conflicts = declared_conflicts(conn, wanted, list(teams))
    clashing = [f"{i}/{s}" for s, team in teams.items() for i in team if (i, s) in conflicts]
    if clashing:
        raise errors.Invalid("以下人员与检查对象存在利害关系，须回避（R-MATCH-3）：" + "、".join(clashing[:5]))
    result = services.app.assign_inspectors(task_id, actor, teams=teams, reason=reason, approver=approver)
    return {"position": result.position, "teams": len(teams)}


def eligible_inspectors(conn: Connection, department: str | None, day: date | None) -> list[str]:
    """Active on the inspection day and holding an enforcement certificate valid that day (R-INSP-2)."""
    from api.directory.tables import inspectors

    i = inspectors.c
    if day is None:
        raise errors.WrongState("联合检查日尚未确定。")
    conditions: list[Any] = [
        i.certificate_no != "", i.certificate_expires >= day,
        or_(i.status == "active", and_(i.status == "unavailable", i.unavailable_until < day)),
    ]
    if department is not None:
        conditions.append(i.department_code == department)
    return sorted(conn.execute(select(i.resident_id).where(and_(*conditions))).scalars())


def declared_conflicts(conn: Connection, inspectors: list[str], subjects: list[str]) -> set[tuple[str, str]]:
    c = conflicts_of_interest.c
    found: set[tuple[str, str]] = set()
    for start in range(0, len(subjects), 5000):
        rows = conn.execute(select(c.inspector_id, c.subject_code).where(
            c.subject_code.in_(subjects[start:start + 5000]), c.inspector_id.in_(inspectors)))
        found.update((r.inspector_id, r.subject_code) for r in rows)
    return found


def _matched(task: JointTask, department: str) -> dict:
    matching = task.matchings.get(department)
    if matching is None or matching["status"] != "matched":
        raise errors.WrongState("本部门尚未匹配检查人员。")
    return matching
