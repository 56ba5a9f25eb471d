"""Drawing subjects: commit, execute, read the record and pool, verify (R-JOINT-6, R-DRAW-1..6)."""
from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from api import draws
from api.accounts import Principal
from api.commands import fingerprint, iso, run_command
from api.deps import CurrentPrincipal, IdempotencyKey, ServicesDep, wait_for_read_models
from api.errors import ApiError
from api.routes.joint_tasks import visible_task
from api.schemas import DrawIn
from api.services import Services
from domain import draw as algorithm
from domain.joint_task import JointTask

router = APIRouter(tags=["随机抽取"])


@router.post("/joint-tasks/{task_id}/draws", status_code=201)
def commit_draw(task_id: UUID, body: DrawIn, request: Request, principal: CurrentPrincipal, services: ServicesDep,
                key: IdempotencyKey = None) -> JSONResponse:
    """Before the draw: record the criteria, the witnesses and the commitment (hash) of a secret seed."""
    def command(session):  # type: ignore[no-untyped-def]
        return 201, draws.commit(services, session.connection(), principal.actor, task_id,
                                 body.criteria.model_dump(mode="json", exclude_none=True),
                                 [w.model_dump() for w in body.witnesses], body.redraw_of, body.reason,
                                 body.approver)

    return run_command(services, principal, key, fingerprint(request.method, request.url.path, body), command)


@router.post("/joint-tasks/{task_id}/draws/{draw_id}/execution", status_code=201)
def execute_draw(task_id: UUID, draw_id: UUID, request: Request, principal: CurrentPrincipal,
                 services: ServicesDep, key: IdempotencyKey = None) -> JSONResponse:
    """Fix the pool from the directory, draw, and reveal the seed; the pool list is kept for witnesses."""
    wait_for_read_models(services)  # the yearly cap and the flags see every draw so far
    return run_command(services, principal, key, fingerprint(request.method, request.url.path, None),
                       lambda session: (201, draws.execute(services, session.connection(), principal.actor,
                                                           task_id, str(draw_id))))


@router.get("/draws/{draw_id}")
def draw_record(draw_id: UUID, principal: CurrentPrincipal, services: ServicesDep) -> dict:
    """The draw record: who, when, criteria, witnesses, commitment; after execution the seed and result."""
    task, record = _record(services, principal, str(draw_id))
    public = {k: v for k, v in record.items() if k not in ("committed_at", "drawn_at")}
    return public | {"draw_id": str(draw_id), "task_id": str(task.id), "committed_at": iso(record["committed_at"]),
                     "drawn_at": iso(record.get("drawn_at"))}


@router.get("/draws/{draw_id}/pool", response_class=PlainTextResponse)
def draw_pool(draw_id: UUID, principal: CurrentPrincipal, services: ServicesDep) -> PlainTextResponse:
    """The candidate list the draw was made from: `code<TAB>stratum` lines, sorted by code."""
    _record(services, principal, str(draw_id))
    with services.engine.connect() as conn:
        text = draws.pool_list(draws.evidence(conn, str(draw_id)))
    return PlainTextResponse(text, headers={"Content-Disposition": f'attachment; filename="pool-{draw_id}.tsv"'})


@router.get("/draws/{draw_id}/verification")
def verify_draw(draw_id: UUID, principal: CurrentPrincipal, services: ServicesDep) -> dict:
    """Recompute the draw from its record and pool list: match or mismatch, and which check failed."""
    _, record = _record(services, principal, str(draw_id))
    if record["status"] == "committed":
        raise ApiError(409, "draw_not_executed", "该次抽取尚未执行，无法核验。")
    with services.engine.connect() as conn:
        pool = algorithm.parse_pool(draws.pool_list(draws.evidence(conn, str(draw_id))))
    result = algorithm.verify(record, pool)
    return {"match": result.match, "commitment_ok": result.commitment_ok, "fingerprint_ok": result.fingerprint_ok,
            "drawn_ok": result.drawn_ok, "algorithm": record["algorithm"], "version": record["version"]}


def _record(services: Services, principal: Principal, draw_id: str) -> tuple[JointTask, dict]:
    with services.engine.connect() as conn:
        row = draws.evidence(conn, draw_id)
    if row.kind != "draw":
        raise ApiError(404, "draw_not_found", "找不到该次抽取。")
    task = visible_task(services, principal, UUID(row.task_id))
    return task, task.draws[draw_id]

