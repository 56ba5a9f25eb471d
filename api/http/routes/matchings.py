"""Matching inspectors: each joining department its own (R-JOINT-6, R-MATCH-1..4); conflicts of interest."""
from __future__ import annotations

from dataclasses import asdict
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.http.idempotency import fingerprint, run_command
from api.http.deps import CurrentPrincipal, IdempotencyKey, ServicesDep
from api.http.errors import ApiError
from api.http.routes.joint_tasks import visible_task
from api.http.schemas import AssignmentIn, ConflictIn, MatchingIn, ReplacementIn
from domain import matching as algorithm

router = APIRouter(tags=["随机匹配检查人员"])


@router.post("/joint-tasks/{task_id}/matchings", status_code=201)
def commit_matching(task_id: UUID, body: MatchingIn, request: Request, principal: CurrentPrincipal,
                    services: ServicesDep, key: IdempotencyKey = None) -> JSONResponse:
    """Commit to a seed before this department's inspectors are matched."""
    def command() -> tuple[int, dict]:
        committed = services.app.commit_matching(task_id, principal.actor, body.team_size)
        return 201, {"match_id": committed.id, "commitment": committed.commitment, "position": committed.position}

    return run_command(services, principal, key, fingerprint(request.method, request.url.path, body), command)


@router.post("/joint-tasks/{task_id}/matchings/{match_id}/execution", status_code=201)
def execute_matching(task_id: UUID, match_id: UUID, request: Request, principal: CurrentPrincipal,
                     services: ServicesDep, key: IdempotencyKey = None) -> JSONResponse:
    """Match teams of this department's active, certified inspectors to every drawn subject."""
    return run_command(services, principal, key, fingerprint(request.method, request.url.path, None),
                       lambda: (201, asdict(services.app.execute_matching(task_id, principal.actor, str(match_id)))))


@router.post("/joint-tasks/{task_id}/matchings/replacements", status_code=201)
def replace_inspector(task_id: UUID, body: ReplacementIn, request: Request, principal: CurrentPrincipal,
                      services: ServicesDep, key: IdempotencyKey = None) -> JSONResponse:
    """Replace one inspector for an allowed reason with an approver; the newcomer is drawn (R-MATCH-2)."""
    def command() -> tuple[int, dict]:
        result, newcomer = services.app.replace_inspector(
            task_id, principal.actor, subject=body.subject_code, inspector=body.inspector, reason=body.reason,
            approver=body.approver)
        return 201, {"position": result.position, "replacement": newcomer}

    return run_command(services, principal, key, fingerprint(request.method, request.url.path, body), command)


@router.post("/joint-tasks/{task_id}/matchings/assignment", status_code=201)
def assign_inspectors(task_id: UUID, body: AssignmentIn, request: Request, principal: CurrentPrincipal,
                      services: ServicesDep, key: IdempotencyKey = None) -> JSONResponse:
    """Too few inspectors: an approved direct or cross-unit assignment (R-MATCH-4)."""
    return run_command(services, principal, key, fingerprint(request.method, request.url.path, body),
                       lambda: (201, {"position": services.app.assign_inspectors(
                           task_id, principal.actor, teams=body.teams, reason=body.reason,
                           approver=body.approver).position, "teams": len(body.teams)}))


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
    def command() -> tuple[int, dict]:
        services.app.declare_conflict(principal.actor, body.inspector_id, body.subject_code, body.reason)
        return 201, {"inspector_id": body.inspector_id, "subject_code": body.subject_code}

    return run_command(services, principal, key, fingerprint(request.method, request.url.path, body), command)
