"""Drawing subjects: commit, execute, read the record and pool, verify (R-JOINT-6, R-DRAW-1..6)."""
from __future__ import annotations

from dataclasses import asdict
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, PlainTextResponse

from api.accounts import Principal
from api.http.idempotency import fingerprint, iso, run_command
from api.http.deps import CurrentPrincipal, IdempotencyKey, ReadAfter, ServicesDep, wait_for_read_models
from api.http.errors import ApiError
from api.http.routes.joint_tasks import visible_task
from api.http.schemas import DrawIn
from api.bootstrap import Services
from api.storage import checklist, draws
from domain import draw as algorithm
from domain import errors
from domain.codes import is_valid_resident_id
from domain.joint_task_rules import draw_is_public, masked_code
from domain.joint_task import JointTask
from domain.working_days import local_date
from projections.subject_overlap import subject_overlap

router = APIRouter(tags=["随机抽取"])


@router.post("/joint-tasks/{task_id}/draws", status_code=201)
def commit_draw(task_id: UUID, body: DrawIn, request: Request, principal: CurrentPrincipal, services: ServicesDep,
                key: IdempotencyKey = None) -> JSONResponse:
    """Before the draw: record the criteria, the witnesses and the commitment (hash) of a secret seed."""
    def command() -> tuple[int, dict]:
        committed = services.app.commit_draw(
            task_id, principal.actor, criteria=body.criteria.model_dump(mode="json", exclude_none=True),
            witnesses=[w.model_dump() for w in body.witnesses], redraw_of=body.redraw_of, reason=body.reason,
            approver=body.approver)
        return 201, {"draw_id": committed.id, "commitment": committed.commitment, "position": committed.position}

    return run_command(services, principal, key, fingerprint(request.method, request.url.path, body), command)


@router.post("/joint-tasks/{task_id}/draws/{draw_id}/execution", status_code=201)
def execute_draw(task_id: UUID, draw_id: UUID, request: Request, principal: CurrentPrincipal,
                 services: ServicesDep, key: IdempotencyKey = None) -> JSONResponse:
    """Fix the pool from the directory, draw, and reveal the seed; the pool list is kept for witnesses."""
    wait_for_read_models(services)  # the cap and flags see every draw so far (PostgreSQL: again, inside the unit)
    return run_command(services, principal, key, fingerprint(request.method, request.url.path, None),
                       lambda: (201, asdict(services.app.execute_draw(task_id, principal.actor, str(draw_id)))))


@router.get("/draws/{draw_id}")
def draw_record(draw_id: UUID, principal: CurrentPrincipal, services: ServicesDep) -> dict:
    """The draw record: who, when, criteria, witnesses, commitment; after execution the seed and result."""
    task, record = _record(services, principal, str(draw_id))
    public = {k: v for k, v in record.items() if k not in ("committed_at", "drawn_at")}
    with services.engine.connect() as conn:
        read_at = draws.read_position(conn, str(draw_id))
    return public | {"draw_id": str(draw_id), "task_id": str(task.id), "committed_at": iso(record["committed_at"]),
                     "drawn_at": iso(record.get("drawn_at")), "read_position": read_at}


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


@router.get("/subjects/{code}/overlap")
def overlap(code: Annotated[str, Path(min_length=1, max_length=32, description="统一社会信用代码或身份证号")],
            principal: CurrentPrincipal, services: ServicesDep, _: ReadAfter = None) -> dict:
    """Who else has this subject: the tasks it is drawn in (any department, any state), this year's inspections
    by department and item, and the visits still to come with their day (R-DRAW-2, R-DRAW-6, R-JOINT-8)."""
    if not principal.acts_for_department:
        raise ApiError(403, "no_business_role", "该账号没有办理业务的角色（部门经办人员或联席会议办公室），不能查看此项。")
    code = code.strip().upper()
    year = local_date(services.clock.now()).year
    with services.read_engine.connect() as conn:
        found = subject_overlap(conn, code, year=year)
        if found is None and not draws.in_directory(conn, code):
            raise ApiError(404, "subject_not_found", "名录库中没有该检查对象，也没有任务抽取过它，请核对代码。",
                           {"code": code})
    return jsonable_encoder({"code": code, "year": year}
                            | (found or {"tasks": [], "inspections": [], "pending_visits": []}))


def _record(services: Services, principal: Principal, draw_id: str) -> tuple[JointTask, dict]:
    with services.engine.connect() as conn:
        row = draws.evidence(conn, draw_id)
    if row.kind != "draw":
        raise ApiError(404, "draw_not_found", "找不到该次抽取。")
    task = visible_task(services, principal, UUID(row.task_id))
    return task, task.draws[draw_id]



# ---- public (R-DRAW-5, R-EXEC-3): anyone may check an executed draw once it can no longer warn anyone ------------
@router.get("/public/draws/{draw_id}", tags=["公开"])
def public_draw(draw_id: UUID, services: ServicesDep) -> dict:
    """An executed draw's record without private fields: criteria, witnesses' roles, commitment, seed, the pool's
    fingerprint and size, and the drawn subjects (an individual's ID number masked). Public at once for an
    announced visit, after the visit for an unannounced one; before that, 404 as for a draw that does not exist."""
    task, record, row = _public_record(services, str(draw_id))
    with services.engine.connect() as conn:
        names = draws.subject_names(conn, record["drawn"])
    masked = {c: masked_code(c) for c in [*record["drawn"], *record["excused"], *record["replaced"]]}
    return {"draw_id": str(draw_id), "task_number": task.number, "title": task.title, "status": record["status"],
            "criteria": record["criteria"], "witnesses": [{"role": w.get("role")} for w in record["witnesses"]],
            "commitment": record["commitment"], "seed": record["seed"], "algorithm": record["algorithm"],
            "version": record["version"], "pool_fingerprint": record["pool_fingerprint"],
            "pool_size": record["pool_size"], "counts": record["counts"],
            "drawn": [masked[c] for c in record["drawn"]], "excused": [masked[c] for c in record["excused"]],
            "replaced": [masked[c] for c in record["replaced"]],
            "drawn_subjects": [{"code": masked[c], "name": names.get(c, "") if masked[c] == c else ""}
                               for c in record["drawn"]],
            "drawn_at": iso(record["drawn_at"]), "pool_public": _pool_is_public(row)}


@router.get("/public/draws/{draw_id}/pool", tags=["公开"], response_class=PlainTextResponse)
def public_draw_pool(draw_id: UUID, services: ServicesDep) -> PlainTextResponse:
    """The pool list of a public draw, when it names no individual (an ID number is never published, R-PUB-3)."""
    _, _, row = _public_record(services, str(draw_id))
    if not _pool_is_public(row):
        raise ApiError(404, "pool_not_public", "该次抽取的候选名单含个人身份证号，不予公开；见证人可凭留存的名单核验。")
    return PlainTextResponse(draws.pool_list(row),
                             headers={"Content-Disposition": f'attachment; filename="pool-{draw_id}.tsv"'})


def _public_record(services: Services, draw_id: str) -> tuple[JointTask, dict, object]:
    hidden = ApiError(404, "draw_not_public", "找不到该次公开的抽取记录（未执行的抽取和尚未检查的不预先告知抽取不公开）。")
    with services.engine.connect() as conn:
        try:
            row = draws.evidence(conn, draw_id)
        except errors.NotFound:
            raise hidden from None
        if row.kind != "draw":
            raise hidden
        task = services.app.get_task(UUID(row.task_id))
        refs = checklist.item_refs(conn, task.items)
    record = task.draws.get(draw_id)
    unannounced = any(ref.unannounced for ref in refs.values())
    if record is None or not draw_is_public(executed=record["status"] != "committed" and "seed" in record,
                                            unannounced=unannounced,
                                            visited=task.status in ("inspected", "published")):
        raise hidden
    return task, record, row


def _pool_is_public(row: object) -> bool:
    return not any(is_valid_resident_id(line.split("\t", 1)[0]) for line in draws.pool_list(row).splitlines())
