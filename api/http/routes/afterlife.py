"""A result's afterlife over HTTP: objections (R-OBJ-1), enterprise requests (R-JOINT-9), the lead's chasing of
results (004 §48) and the subjects' archive files (R-ARCH-1). The enterprise's own forms are in routes/enterprise.py."""
from __future__ import annotations

import hashlib
from typing import Annotated, Any, Literal
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from api.accounts import Principal
from api.archive import SubjectFiles
from api.http.deps import CurrentPrincipal, IdempotencyKey, ReadAfter, ServicesDep, wait_for_read_models
from api.http.errors import ApiError
from api.http.idempotency import fingerprint, iso, run_command
from api.http.routes.departments import department_names
from api.http.routes.joint_tasks import visible_task
from api.http.routes.results import ChangesIn
from api.http.schemas import In
from api.storage.ports import archive_file
from domain.objection_rules import DECISIONS
from domain.working_days import countdown, local_date
from projections import afterlife as read

router = APIRouter(tags=["异议与诉求"])
TEXT = 2000
Status = Literal["received", "reviewed", "answered"]
RequestStatus = Literal["open", "answered"]


class ContactIn(In):
    contact_name: str = Field(default="", max_length=100)
    contact_phone: str = Field(default="", max_length=100)

    def contact(self) -> dict:
        return {"name": self.contact_name, "phone": self.contact_phone}


class ObjectionIn(ContactIn):
    reason: str = Field(min_length=1, max_length=TEXT, description="异议理由")


class CorrectionByReviewIn(In):
    changes: ChangesIn
    reason: str = Field(min_length=1, max_length=1000)
    approver: str = Field(min_length=1, max_length=64)


class ReviewIn(In):
    decision: Literal["upheld", "corrected"] = Field(description="、".join(f"{k} {v}" for k, v in DECISIONS.items()))
    opinion: str = Field(min_length=1, max_length=TEXT, description="复查意见")
    correction: CorrectionByReviewIn | None = None


class AnswerIn(In):
    answer: str = Field(min_length=1, max_length=TEXT)


class RequestIn(ContactIn):
    subject_code: str = Field(min_length=1, max_length=32)
    content: str = Field(min_length=1, max_length=TEXT, description="诉求内容")
    on_spot_answer: str = Field(default="", max_length=TEXT, description="现场已答复的，填写答复内容")


class ForwardIn(In):
    to_department: str = Field(min_length=1, max_length=32)
    note: str = Field(min_length=1, max_length=1000)


def _run(services: Any, principal: Principal, request: Request, body: BaseModel | None, key: str | None,
         command: Any) -> JSONResponse:
    return run_command(services, principal, key, fingerprint(request.method, request.url.path, body), command)


def _scope(principal: Principal, department: str | None) -> str | None:
    """A department sees its own; the office every department's, or one it names."""
    if principal.is_office:
        return department
    if department and department != principal.department_code:
        raise ApiError(403, "not_your_department", "只能查看本部门办理的异议和诉求。")
    return principal.department_code


def _named(services: Any, items: list[dict], *keys: str) -> list[dict]:
    """With each department's name, and the open step's countdown on the office's calendar (`due_in`)."""
    names = department_names(services)
    calendar, today = services.app.calendar(), local_date(services.clock.now())
    return [item | {f"{k}_name": names.get(item[k], item[k]) for k in keys}
            | {"due_in": countdown(calendar, item["due"], today) if item.get("due") and item["status"] != "answered"
               else None} for item in items]


# ---- objections ---------------------------------------------------------------------------------------------------
@router.get("/objections")
def list_objections(principal: CurrentPrincipal, services: ServicesDep, _: ReadAfter = None,
                    department: Annotated[str | None, Query(max_length=32)] = None, status: Status | None = None,
                    overdue: bool = False, subject: Annotated[str | None, Query(max_length=32)] = None,
                    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                    page_size: Annotated[int, Query(ge=1, le=200)] = 50) -> dict:
    """The objections a department reviews and answers (R-OBJ-1): open ones first, by the day they are due."""
    found = read.list_objections(services.read_engine, today=local_date(services.clock.now()),
                                 department=_scope(principal, department), status=status, overdue=overdue,
                                 subject=subject.upper() if subject else None, offset=(page - 1) * page_size,
                                 limit=page_size)
    return {"items": _named(services, found.items, "department"), "total": found.total, "page": page,
            "page_size": page_size}


@router.get("/objections/{objection_id}")
def get_objection(objection_id: UUID, principal: CurrentPrincipal, services: ServicesDep,
                  _: ReadAfter = None) -> dict:
    row = read.get_objection_row(services.read_engine, str(objection_id), local_date(services.clock.now()))
    if row is None:
        raise ApiError(404, "not_found", "找不到该异议，请核对编号。")
    _scope(principal, row["department"])
    return _named(services, [row], "department")[0]


@router.post("/results/{result_id}/objections", status_code=201)
def lodge_objection(result_id: UUID, body: ObjectionIn, request: Request, principal: CurrentPrincipal,
                    services: ServicesDep, key: IdempotencyKey = None) -> JSONResponse:
    """The result's department receives a written objection (受理申请材料) within 60 working days of publication;
    409 `objection_open` while another on the same result is being handled; 422 `objection_window_closed` after."""
    def command() -> tuple[int, dict]:
        lodged = services.app.lodge_objection(result_id, principal.actor, reason=body.reason,
                                              contact=body.contact(), via="clerk")
        return 201, {"id": str(lodged.aggregate_id), "position": lodged.position,
                     "review_due": lodged.aggregate.review_due}

    return _run(services, principal, request, body, key, command)


@router.post("/objections/{objection_id}/review", status_code=201)
def review_objection(objection_id: UUID, body: ReviewIn, request: Request, principal: CurrentPrincipal,
                     services: ServicesDep, key: IdempotencyKey = None) -> JSONResponse:
    """The review's decision within 20 working days: upheld, or corrected, with the correction (its approver: an
    approver of the department, not the author) published as the result's next version (R-OBJ-1, R-PUB-2)."""
    def command() -> tuple[int, dict]:
        correction = body.correction.model_dump(exclude_none=False) if body.correction else None
        if correction:
            correction["changes"] = body.correction.changes.model_dump(exclude_none=True)  # type: ignore[union-attr]
        reviewed = services.app.review_objection(objection_id, principal.actor, decision=body.decision,
                                                 opinion=body.opinion, correction=correction)
        return 201, {"position": reviewed.position, "late": reviewed.aggregate}

    return _run(services, principal, request, body, key, command)


@router.post("/objections/{objection_id}/answer", status_code=201)
def answer_objection(objection_id: UUID, body: AnswerIn, request: Request, principal: CurrentPrincipal,
                     services: ServicesDep, key: IdempotencyKey = None) -> JSONResponse:
    """The review's outcome told to the subject, within 7 working days of the decision (or the department's 15)."""
    def command() -> tuple[int, dict]:
        answered = services.app.answer_objection(objection_id, principal.actor, answer=body.answer)
        return 201, {"position": answered.position, "late": answered.aggregate}

    return _run(services, principal, request, body, key, command)


# ---- enterprise requests ------------------------------------------------------------------------------------------
@router.get("/requests")
def list_requests(principal: CurrentPrincipal, services: ServicesDep, _: ReadAfter = None,
                  department: Annotated[str | None, Query(max_length=32)] = None,
                  status: RequestStatus | None = None, overdue: bool = False,
                  subject: Annotated[str | None, Query(max_length=32)] = None,
                  task_id: UUID | None = None,
                  page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                  page_size: Annotated[int, Query(ge=1, le=200)] = 50) -> dict:
    """The requests a department owns, and those it forwarded to the competent department (R-JOINT-9): open ones
    first, by the day they are due."""
    found = read.list_requests(services.read_engine, today=local_date(services.clock.now()),
                               department=_scope(principal, department), status=status, overdue=overdue,
                               subject=subject.upper() if subject else None,
                               task_id=str(task_id) if task_id else None, offset=(page - 1) * page_size,
                               limit=page_size, forwarded_too=True)
    return {"items": _named(services, found.items, "department", "raised_department"), "total": found.total,
            "page": page, "page_size": page_size}


@router.get("/requests/{request_id}")
def get_request(request_id: UUID, principal: CurrentPrincipal, services: ServicesDep, _: ReadAfter = None) -> dict:
    row = read.get_request_row(services.read_engine, str(request_id), local_date(services.clock.now()))
    if row is None:
        raise ApiError(404, "not_found", "找不到该诉求，请核对编号。")
    if not principal.is_office and principal.department_code not in (row["department"], row["raised_department"]):
        raise ApiError(403, "not_your_department", "只能查看本部门办理的诉求。")
    return _named(services, [row], "department", "raised_department")[0]


@router.post("/joint-tasks/{task_id}/requests", status_code=201)
def raise_request(task_id: UUID, body: RequestIn, request: Request, principal: CurrentPrincipal,
                  services: ServicesDep, key: IdempotencyKey = None) -> JSONResponse:
    """The visiting department's inspectors record what the enterprise asked (from the visit's day): answered on
    the spot (closed), or due within 7 working days (004 §47)."""
    def command() -> tuple[int, dict]:
        raised = services.app.raise_request(task_id, principal.actor, subject=body.subject_code.upper(),
                                            content=body.content, contact=body.contact(), via="inspector",
                                            on_spot_answer=body.on_spot_answer)
        return 201, {"id": str(raised.aggregate_id), "position": raised.position, "due": raised.aggregate.due}

    return _run(services, principal, request, body, key, command)


@router.post("/requests/{request_id}/answer", status_code=201)
def answer_request(request_id: UUID, body: AnswerIn, request: Request, principal: CurrentPrincipal,
                   services: ServicesDep, key: IdempotencyKey = None) -> JSONResponse:
    def command() -> tuple[int, dict]:
        answered = services.app.answer_request(request_id, principal.actor, answer=body.answer)
        return 201, {"position": answered.position, "late": answered.aggregate}

    return _run(services, principal, request, body, key, command)


@router.post("/requests/{request_id}/forward", status_code=201)
def forward_request(request_id: UUID, body: ForwardIn, request: Request, principal: CurrentPrincipal,
                    services: ServicesDep, key: IdempotencyKey = None) -> JSONResponse:
    """Not this department's remit: to the competent department, which owns it with a fresh 7-day clock."""
    def command() -> tuple[int, dict]:
        forwarded = services.app.forward_request(request_id, principal.actor, to_department=body.to_department,
                                                 note=body.note)
        return 201, {"position": forwarded.position, "due": forwarded.aggregate}

    return _run(services, principal, request, body, key, command)


# ---- the lead chases results ----------------------------------------------------------------------------------------
@router.get("/joint-tasks/{task_id}/result-progress")
def result_progress(task_id: UUID, principal: CurrentPrincipal, services: ServicesDep) -> dict:
    """Per joining department: results recorded and published of the drawn subjects; the lead's last reminder."""
    task = visible_task(services, principal, task_id)
    names = department_names(services)
    chased = task.last_chased
    return {"items": [{"department_code": d, "department_name": names.get(d, d), **p,
                       "behind": p["published"] < p["total"]} for d, p in task.result_progress().items()],
            "last_chased": {"departments": chased["departments"], "at": iso(chased["at"])} if chased else None}


@router.post("/joint-tasks/{task_id}/chase", status_code=201)
def chase_results(task_id: UUID, request: Request, principal: CurrentPrincipal, services: ServicesDep,
                  key: IdempotencyKey = None) -> JSONResponse:
    """The lead reminds every joining department that has not recorded or published all its results (R-JOINT-9)."""
    def command() -> tuple[int, dict]:
        chased = services.app.chase_results(task_id, principal.actor)
        return 201, {"position": chased.position, "departments": chased.aggregate}

    return _run(services, principal, request, None, key, command)


# ---- the archive: one file per subject (R-ARCH-1) ------------------------------------------------------------
@router.post("/joint-tasks/{task_id}/archives", status_code=201)
def archive_subjects(task_id: UUID, request: Request, principal: CurrentPrincipal, services: ServicesDep,
                     key: IdempotencyKey = None) -> JSONResponse:
    """The lead (or the office) seals one file per subject of a completed task: a ZIP of the task, the draw record,
    the notice, every department's result with all versions, objections and requests, with a manifest of hashes.
    409 `not_completed` before every result is published, `already_archived` once sealed (files never change)."""
    task = visible_task(services, principal, task_id)
    task.check_archivable(principal.department_code, principal.is_office)  # a refusal reads nothing (checked again)
    wait_for_read_models(services)  # the objections, requests and timeline as of now
    files = SubjectFiles.read(services, task)

    def command() -> tuple[int, dict]:
        sealed = services.app.archive_subjects(task_id, principal.actor, files.build)
        return 201, {"position": sealed.position, "archived": sealed.aggregate}

    return _run(services, principal, request, None, key, command)


@router.get("/joint-tasks/{task_id}/archives")
def list_archives(task_id: UUID, principal: CurrentPrincipal, services: ServicesDep) -> dict:
    """The task's sealed files: per subject its SHA-256, size and parts; and when they are due."""
    task = visible_task(services, principal, task_id)
    items = [{"subject_code": s, "sha256": a["sha256"], "size": a["size"], "archived_at": iso(a["at"]),
              "parts": a["parts"]} for s, a in task.archives.items()]
    return {"archive_due": task.archive_due, "subjects": len(task.drawn_subjects), "items": items,
            "total": len(items)}


@router.get("/joint-tasks/{task_id}/archives/{subject}")
def download_archive(task_id: UUID, subject: Annotated[str, Path(max_length=32)], principal: CurrentPrincipal,
                     services: ServicesDep) -> Response:
    """One subject's sealed file, checked against the hash its task recorded."""
    task = visible_task(services, principal, task_id)
    recorded = (task.archives.get(subject) or {}).get("sha256")
    with services.engine.connect() as conn:
        stored = archive_file(conn, str(task.id), subject) if recorded else None
    if stored is None:
        raise ApiError(404, "not_archived", "该检查对象尚未归档。")
    content = stored[0]
    if hashlib.sha256(content).hexdigest() != recorded:
        raise ApiError(409, "archive_mismatch", "档案文件与归档时记录的校验值不符，请联系管理员核查。")
    return Response(content, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="archive-{task.id}-{quote(subject)}.zip"',
        "X-Content-SHA256": recorded})

