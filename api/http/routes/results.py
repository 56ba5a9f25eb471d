"""Results (一公开): one per department per subject, entered, published and corrected by the department that
inspected ("谁检查、谁录入、谁公示"; R-JOINT-7, R-EXEC-1, R-EXEC-2, R-PUB-1..3)."""
from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, StrictBool, StrictInt

from api.accounts import Principal
from api.http.deps import CurrentPrincipal, IdempotencyKey, ReadAfter, ServicesDep
from api.http.errors import ApiError
from api.http.export import XLSX, stream_table
from api.http.idempotency import fingerprint, iso, run_command
from api.http.routes.departments import department_names
from api.http.routes.joint_tasks import visible_task
from api.http.schemas import Day, In, PositionOut, QueryDay
from api.storage import checklist
from api.storage import draws as draw_storage
from api.storage.inspectors import public_identities
from api.storage.ports import department_settings_of
from domain.clock import SHANGHAI
from domain.result_rules import METHODS, OUTCOMES
from domain.usecases.results import BATCH_LIMIT
from projections import results as read

router = APIRouter(tags=["检查结果"])
TEXT = 2000


class ResultIn(In):
    subject_code: str = Field(min_length=1, max_length=32)
    item_ids: list[str] = Field(min_length=1, max_length=100)
    methods: list[str] = Field(min_length=1, max_length=len(METHODS))
    outcome: str = Field(min_length=1, max_length=20, description="、".join(OUTCOMES))
    findings: str = Field(default="", max_length=TEXT)
    measures: str = Field(default="", max_length=TEXT)
    transferred_to: str = Field(default="", max_length=200, description="移交的接收机关及案件编号")
    confidential_note: str = Field(default="", max_length=TEXT, description="内部备注，不公示")
    inspector_ids: list[str] = Field(min_length=1, max_length=20)
    inspected_on: Day


class ResultBatchIn(In):
    results: list[ResultIn] = Field(min_length=1, max_length=BATCH_LIMIT)


class ChangesIn(In):
    item_ids: list[str] | None = Field(default=None, min_length=1, max_length=100)
    methods: list[str] | None = Field(default=None, min_length=1, max_length=len(METHODS))
    outcome: str | None = Field(default=None, min_length=1, max_length=20)
    findings: str | None = Field(default=None, max_length=TEXT)
    measures: str | None = Field(default=None, max_length=TEXT)
    transferred_to: str | None = Field(default=None, max_length=200)
    inspected_on: Day | None = None


class CorrectionIn(In):
    reason: str = Field(min_length=1, max_length=1000)
    approver: str = Field(min_length=1, max_length=64)
    changes: ChangesIn


class ResultCreatedOut(BaseModel):
    id: UUID
    position: int


class ResultBatchOut(BaseModel):
    ids: list[UUID]
    position: int


class PublicationOut(BaseModel):
    position: int
    late: bool


class CorrectionOut(BaseModel):
    position: int
    version: int


def _run(services: Any, principal: Principal, request: Request, body: BaseModel | None, key: str | None,
         command: Any) -> JSONResponse:
    return run_command(services, principal, key, fingerprint(request.method, request.url.path, body), command)


@router.post("/joint-tasks/{task_id}/results", status_code=201, response_model=ResultCreatedOut)
def record_result(task_id: UUID, body: ResultIn, request: Request, principal: CurrentPrincipal,
                  services: ServicesDep, key: IdempotencyKey = None) -> JSONResponse:
    """This department's one result for a drawn subject (R-JOINT-7): 422 for a subject not drawn, 403 for a
    department not joining, 409 for a second one."""
    def command() -> tuple[int, dict]:
        result = services.app.record_result(task_id, principal.actor, body.model_dump())
        return 201, {"id": str(result.aggregate_id), "position": result.position}

    return _run(services, principal, request, body, key, command)


@router.post("/joint-tasks/{task_id}/results/batch", status_code=201, response_model=ResultBatchOut)
def record_results(task_id: UUID, body: ResultBatchIn, request: Request, principal: CurrentPrincipal,
                   services: ServicesDep, key: IdempotencyKey = None) -> JSONResponse:
    """Up to 1,000 results at once, all or none: a refused entry is named by its index (details.index)."""
    def command() -> tuple[int, dict]:
        ids, position = services.app.record_results(task_id, principal.actor, [r.model_dump() for r in body.results])
        return 201, {"ids": [str(i) for i in ids], "position": position}

    return _run(services, principal, request, body, key, command)


@router.post("/results/{result_id}/publication", status_code=201, response_model=PublicationOut)
def publish_result(result_id: UUID, request: Request, principal: CurrentPrincipal, services: ServicesDep,
                   key: IdempotencyKey = None) -> JSONResponse:
    """Publish a result this department recorded (R-PUB-1); `late` when after its deadline."""
    def command() -> tuple[int, dict]:
        result = services.app.publish_result(result_id, principal.actor)
        return 201, {"position": result.position, "late": result.aggregate}

    return _run(services, principal, request, None, key, command)


@router.post("/results/{result_id}/approval", status_code=201, response_model=PositionOut)
def approve_result(result_id: UUID, request: Request, principal: CurrentPrincipal, services: ServicesDep,
                   key: IdempotencyKey = None) -> JSONResponse:
    """Where the department reviews before publication: its approver (not the recorder) approves the result."""
    def command() -> tuple[int, dict]:
        return 201, {"position": services.app.approve_result(result_id, principal.actor).position}

    return _run(services, principal, request, None, key, command)


class SettingsIn(In):
    review_required: StrictBool = False
    report_days: StrictInt | None = Field(default=None, ge=1, le=20)
    publish_days: StrictInt = Field(default=20, ge=1, le=20)
    answer_days: StrictInt = Field(default=7, ge=7, le=15)


@router.get("/departments/{code}/result-settings")
def get_settings(code: Annotated[str, Path(max_length=32)], principal: CurrentPrincipal,
                 services: ServicesDep) -> dict:
    """A department's result settings: review before publication, and its publication deadline (R-PUB-1)."""
    if not principal.is_office and principal.department_code != code:
        raise ApiError(403, "not_your_department", "只能查看本部门的设置。")
    with services.engine.connect() as conn:
        return {"department_code": code, **department_settings_of(conn, code)}


@router.put("/departments/{code}/result-settings", response_model=None)
def put_settings(code: Annotated[str, Path(max_length=32)], body: SettingsIn, request: Request,
                 principal: CurrentPrincipal, services: ServicesDep, key: IdempotencyKey = None) -> JSONResponse:
    """The office sets them; only stricter than 20 working days (003 §15: report in 5, publish 2 after)."""
    def command() -> tuple[int, dict]:
        settings = services.app.set_department_settings(
            principal.actor, code, review_required=body.review_required, report_days=body.report_days,
            publish_days=body.publish_days, answer_days=body.answer_days)
        return 200, {"department_code": code, **settings}

    return _run(services, principal, request, body, key, command)


@router.post("/results/{result_id}/corrections", status_code=201, response_model=CorrectionOut)
def correct_result(result_id: UUID, body: CorrectionIn, request: Request, principal: CurrentPrincipal,
                   services: ServicesDep, key: IdempotencyKey = None) -> JSONResponse:
    """Correct a published result: a new version with a reason and an approver of the department (R-PUB-2)."""
    def command() -> tuple[int, dict]:
        changes = body.changes.model_dump(exclude_none=True)
        result = services.app.correct_result(result_id, principal.actor, changes=changes, reason=body.reason,
                                             approver=body.approver)
        return 201, {"position": result.position, "version": result.aggregate}

    return _run(services, principal, request, body, key, command)


# ---- reads ---------------------------------------------------------------------------------------------------
@router.get("/results/options")
def options() -> dict:
    """The regulated methods (R-EXEC-1) and outcomes (R-EXEC-2) with their Chinese names."""
    return {"methods": [{"code": k, "name": v} for k, v in METHODS.items()],
            "outcomes": [{"code": k, "name": v[0]} for k, v in OUTCOMES.items()]}


NATIONAL_COLUMNS = ["检查对象名称", "统一社会信用代码（身份证明号码）", "抽查事项", "检查实施机关", "检查完成日期",
                    "检查结果", "公示日期", "版本", "更正日期"]


@router.get("/results/export", responses={200: {"content": {"text/csv": {}, XLSX: {}}}})
def export_results(principal: CurrentPrincipal, services: ServicesDep, _: ReadAfter,
                   format: Literal["csv", "xlsx"] = "csv",
                   date_from: Annotated[QueryDay | None, Query(alias="from")] = None,
                   date_to: Annotated[QueryDay | None, Query(alias="to")] = None) -> Response:
    """This department's published results (the office: every department's) in the national publicity system's
    shape: one row per subject and item, with the national result category (R-PUB-1). Streamed: a province's year
    is written row by row, never held in memory."""
    department = None if principal.is_office else principal.department_code
    names = department_names(services)
    with services.read_engine.connect() as conn:
        items = checklist.all_item_names(conn)
    rows = (
        [r["subject_name"], r["subject_code"], items.get(i, i), names.get(r["department"], r["department"]),
         r["inspected_on"].isoformat(), OUTCOMES.get(r["outcome"], ("", r["outcome"]))[1],
         r["published_at"].astimezone(SHANGHAI).date().isoformat(), r["version"],
         r["corrected_at"].astimezone(SHANGHAI).date().isoformat() if r["corrected_at"] else ""]
        for r in read.iter_published(services.read_engine, department=department, date_from=date_from, date_to=date_to)
        for i in r["item_ids"])
    return stream_table(NATIONAL_COLUMNS, rows, format, f"published-results-{department or 'all'}")


@router.get("/joint-tasks/{task_id}/results")
def task_results(task_id: UUID, principal: CurrentPrincipal, services: ServicesDep, _: ReadAfter) -> dict:
    """Every result of the task, and for each joining department the drawn subjects still without one. A
    department sees its own results in full; another party sees what will be public (R-PUB-3)."""
    task = visible_task(services, principal, task_id)
    rows = read.task_results(services.read_engine, str(task_id))
    with services.read_engine.connect() as conn:
        people = public_identities(conn, [i for r in rows for i in r["inspectors"]])
        items = {i["id"]: i for i in checklist.item_labels(conn, [i for r in rows for i in r["item_ids"]])}
        subject_names = draw_storage.subject_names(conn, task.drawn_subjects)
    results = [_view(r, principal, people, items) for r in rows]
    done: dict[str, set[str]] = {}
    for r in rows:
        done.setdefault(r["department"], set()).add(r["subject_code"])
    names = department_names(services)
    departments = [{
        "department": d, "department_name": names.get(d, d),
        "recorded": len(done.get(d, ())),
        "published": sum(1 for r in rows if r["department"] == d and r["published_at"]),
        "missing": [s for s in task.drawn_subjects if s not in done.get(d, set())],
    } for d in task.participants]
    return {"items": results, "total": len(results), "departments": departments,
            "subjects": [{"code": c, "name": subject_names.get(c, "")} for c in task.drawn_subjects]}


@router.get("/results/{result_id}")
def get_result(result_id: UUID, principal: CurrentPrincipal, services: ServicesDep, _: ReadAfter) -> dict:
    """One result with every version (R-PUB-2), for the parties to its task and the office."""
    row = read.result(services.read_engine, str(result_id))
    if row is None:
        raise ApiError(404, "result_not_found", "找不到该检查结果，请核对编号。")
    visible_task(services, principal, UUID(row["task_id"]))
    with services.read_engine.connect() as conn:
        people = public_identities(conn, row["inspectors"])
        items = {i["id"]: i for i in checklist.item_labels(
            conn, [i for v in row["versions"] for i in v["fields"].get("item_ids", [])] + row["item_ids"])}
    view = _view(row, principal, people, items)
    view["versions"] = [{"version": v["version"], "fields": v["fields"], "reason": v["reason"],
                         "approver": v["approver"], "by": v["by"], "at": iso(v["at"]),
                         "items": [items[i]["name"] for i in v["fields"].get("item_ids", []) if i in items]}
                        for v in row["versions"]]
    return view


def _view(row: dict, principal: Principal, people: dict[str, dict], items: dict[str, dict]) -> dict:
    own = principal.is_office or principal.department_code == row["department"]
    view = {k: row[k] for k in ("result_id", "task_id", "department", "subject_code", "subject_name", "item_ids",
                                "methods", "outcome", "findings", "measures", "inspected_on", "publish_deadline",
                                "late", "version", "review_required", "approved_by", "report_late")}
    view |= {"outcome_name": OUTCOMES.get(row["outcome"], (row["outcome"],))[0],
             "method_names": [METHODS.get(m, m) for m in row["methods"]],
             "items": [items[i]["name"] for i in row["item_ids"] if i in items],
             "recorded_at": iso(row["recorded_at"]), "published_at": iso(row["published_at"]),
             "corrected_at": iso(row["corrected_at"]),
             "inspectors": [people.get(i, {"name": "", "department_code": row["department"], "certificate_no": ""})
                            for i in row["inspectors"]]}
    if own:  # the department that inspected, and the office: the ids, the transfer and the internal note
        view |= {"inspector_ids": row["inspectors"], "transferred_to": row["transferred_to"],
                 "confidential_note": row["confidential_note"], "recorded_by": row["recorded_by"]}
    return view
