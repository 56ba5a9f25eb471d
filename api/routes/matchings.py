"""Matching inspectors: each joining department its own (R-JOINT-6, R-MATCH-1..4); conflicts of interest."""
from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import insert, select

from api import matching
from api.commands import fingerprint, run_command
from api.deps import CurrentPrincipal, IdempotencyKey, ServicesDep
from api.errors import ApiError
from api.routes.joint_tasks import visible_task
from api.schemas import AssignmentIn, ConflictIn, MatchingIn, ReplacementIn
from api.tables import conflicts_of_interest
from domain import matching as algorithm

router = APIRouter(tags=["随机匹配检查人员"])


@router.post("/joint-tasks/{task_id}/matchings", status_code=201)
def commit_matching(task_id: UUID, body: MatchingIn, request: Request, principal: CurrentPrincipal,
                    services: ServicesDep, key: IdempotencyKey = None) -> JSONResponse:
    """Commit to a seed before this department's inspectors are matched."""
    return run_command(services, principal, key, fingerprint(request.method, request.url.path, body),
                       lambda session: (201, matching.commit(services, session.connection(), principal.actor,
                                                             task_id, body.team_size)))


@router.post("/joint-tasks/{task_id}/matchings/{match_id}/execution", status_code=201)
def execute_matching(task_id: UUID, match_id: UUID, request: Request, principal: CurrentPrincipal,
                     services: ServicesDep, key: IdempotencyKey = None) -> JSONResponse:
    """Match teams of this department's active, certified inspectors to every drawn subject."""
    return run_command(services, principal, key, fingerprint(request.method, request.url.path, None),
                       lambda session: (201, matching.execute(services, session.connection(), principal.actor,
                                                              task_id, str(match_id))))


@router.post("/joint-tasks/{task_id}/matchings/replacements", status_code=201)
def replace_inspector(task_id: UUID, body: ReplacementIn, request: Request, principal: CurrentPrincipal,
                      services: ServicesDep, key: IdempotencyKey = None) -> JSONResponse:
    """Replace one inspector for an allowed reason with an approver; the newcomer is drawn (R-MATCH-2)."""
    return run_command(services, principal, key, fingerprint(request.method, request.url.path, body),
                       lambda session: (201, matching.replace(services, session.connection(), principal.actor,
                                                              task_id, body.subject_code, body.inspector, body.reason,
                                                              body.approver)))


@router.post("/joint-tasks/{task_id}/matchings/assignment", status_code=201)
def assign_inspectors(task_id: UUID, body: AssignmentIn, request: Request, principal: CurrentPrincipal,
                      services: ServicesDep, key: IdempotencyKey = None) -> JSONResponse:
    """Too few inspectors: an approved direct or cross-unit assignment (R-MATCH-4)."""
    return run_command(services, principal, key, fingerprint(request.method, request.url.path, body),
                       lambda session: (201, matching.assign(services, session.connection(), principal.actor,
                                                             task_id, body.teams, body.reason, body.approver)))


@router.get("/joint-tasks/{task_id}/matchings")
def matchings(task_id: UUID, principal: CurrentPrincipal, services: ServicesDep) -> dict:
    """Every department's teams; resident IDs only to the department itself and the office (R-INSP-3)."""
    task = visible_task(services, principal, task_id)
    result = {}
    for department, m in task.matchings.items():
        own = principal.is_office or principal.department_code == department
        view = {k: v for k, v in m.items() if k in ("status", "match_id", "team_size", "algorithm", "version",
                                                     "assigned", "reason", "approver", "commitment")}
        if own:
            view |= {"teams": m.get("teams"), "replacements": m.get("replacements")}
        else:
            view |= {"team_sizes": {s: len(t) for s, t in (m.get("teams") or {}).items()}}
        result[department] = view
    return {"departments": result}


@router.get("/joint-tasks/{task_id}/matchings/{department}/verification")
def verify_matching(task_id: UUID, department: str, principal: CurrentPrincipal, services: ServicesDep) -> dict:
    """Recompute a department's random matching from its record: match or mismatch."""
    task = visible_task(services, principal, task_id)
    m = task.matchings.get(department)
    if m is None or m["status"] != "matched" or m.get("assigned"):
        raise ApiError(409, "not_randomly_matched", "该部门尚未随机匹配检查人员（或为经批准的直接指派），无法核验。")
    teams = algorithm.match(m["seed"], m["inspectors"], m["matched_teams"], m["team_size"],
                            [tuple(c) for c in m["conflicts"]]).teams
    from domain.draw import commitment

    return {"match": teams == m["matched_teams"] and commitment(m["seed"]) == m["commitment"],
            "algorithm": m["algorithm"], "version": m["version"]}


@router.post("/conflicts", status_code=201)
def declare_conflict(body: ConflictIn, request: Request, principal: CurrentPrincipal, services: ServicesDep,
                     key: IdempotencyKey = None) -> JSONResponse:
    """Declare that an inspector has an interest in a subject: never matched to it (R-MATCH-3)."""
    from api.directory.tables import inspectors

    def command(session):  # type: ignore[no-untyped-def]
        conn = session.connection()
        owner = conn.execute(select(inspectors.c.department_code)
                             .where(inspectors.c.resident_id == body.inspector_id)).scalar_one_or_none()
        if owner is None:
            raise ApiError(404, "inspector_not_found", "找不到该检查人员，请核对身份证号。")
        if owner != principal.department_code and not principal.is_office:
            raise ApiError(403, "not_your_inspector", "只能为本部门的检查人员登记回避事项。")
        exists = conn.execute(select(conflicts_of_interest.c.reason).where(
            conflicts_of_interest.c.inspector_id == body.inspector_id,
            conflicts_of_interest.c.subject_code == body.subject_code)).first()
        if exists:
            raise ApiError(409, "conflict_already_declared", "该回避事项已登记。")
        conn.execute(insert(conflicts_of_interest).values(
            inspector_id=body.inspector_id, subject_code=body.subject_code, reason=body.reason,
            declared_by=principal.username, department=owner, declared_at=services.clock.now()))
        return 201, {"inspector_id": body.inspector_id, "subject_code": body.subject_code}

    return run_command(services, principal, key, fingerprint(request.method, request.url.path, body), command)
