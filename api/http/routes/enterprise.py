"""The inspected enterprise's view, without an account: with the verification code of its visit notice and its own
registration code it sees the notice, who comes (to check the people at the door, 亮码检查), what was published
about it, and objects or raises a request (issue 17; R-EXEC-3, R-OBJ-1, R-JOINT-9).

Codes are 80 random bits; failed attempts are counted per code and per client address like logins, and a code
expires when the objection window of the subject's last published result closes (60 working days, R-OBJ-1)."""
from __future__ import annotations

import hashlib
from datetime import date
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from api import accounts
from api.http.deps import IdempotencyKey, ReadAfter, ServicesDep
from api.http.errors import ApiError
from api.http.idempotency import fingerprint, run_command
from api.http.routes.afterlife import ContactIn
from api.http.routes.departments import department_names
from api.http.routes.public import public_items
from api.http.routes.visits import notice_views
from api.http.schemas import In
from api.storage.ports import find_visit_code
from domain.joint_task import JointTask
from domain.objection_rules import objection_window_closes
from domain.usecases.afterlife import enterprise_actor
from domain.working_days import local_date
from projections import afterlife as afterlife_read
from projections.results import public_results

router = APIRouter(prefix="/public/visits", tags=["检查对象"])
CODE = Field(min_length=8, max_length=32, description="告知书上的核验码")
SUBJECT = Field(min_length=1, max_length=32, description="统一社会信用代码（注册号）")


class VisitIn(In):
    code: str = CODE
    subject_code: str = SUBJECT


class EnterpriseObjectionIn(ContactIn):
    code: str = CODE
    subject_code: str = SUBJECT
    result_id: UUID
    reason: str = Field(min_length=1, max_length=2000)


class EnterpriseRequestIn(ContactIn):
    code: str = CODE
    subject_code: str = SUBJECT
    content: str = Field(min_length=1, max_length=2000)


def _open_visit(services: Any, request: Request, code: str,
                subject_code: str) -> tuple[JointTask, str, date | None]:
    """The task and subject the code opens and when the code expires, or 404 (counted) / 429 (too many failures) /
    410 (expired)."""
    now = services.clock.now()
    code, subject_code = code.strip().upper(), subject_code.strip().upper()
    address = request.client.host[:64] if request.client else ""
    # counted per code (its hash: the code itself never reaches a log) and per address
    attempt = accounts.LoginAttempt("visit:" + hashlib.sha256(code.encode()).hexdigest()[:16], address, now)
    limits = accounts.LoginLimits(services.settings.login_failures_per_account,
                                  services.settings.login_failures_per_address)
    wait = accounts.login_retry_after(services.engine, attempt, limits)
    if wait is not None:
        raise ApiError(429, "too_many_code_attempts", f"核验失败次数过多，请 {wait} 秒后再试。",
                       {"retry_after": wait}, headers={"Retry-After": str(wait)})
    with services.engine.connect() as conn:
        found = find_visit_code(conn, code)
    if found is None or found[1] != subject_code:
        accounts.record_login_failure(services.engine, attempt)
        raise ApiError(404, "unknown_visit_code", "核验码或统一社会信用代码不正确，请核对告知书后重试。")
    task = services.app.get_task(found[0])
    expires = _expires_on(services, task, subject_code)
    if expires is not None and local_date(now) > expires:
        raise ApiError(410, "visit_code_expired", f"核验码已于 {expires.isoformat()} 失效（最后一项检查结果公示满 60 个"
                       "工作日）。如需查询，请在公示系统检索。", {"expired_on": expires.isoformat()})
    return task, subject_code, expires


def _expires_on(services: Any, task: JointTask, subject: str) -> date | None:
    """None while every joining department has not published; then the close of the last objection window."""
    mine = [r for r in task.results.values() if r["subject"] == subject]
    if len(mine) < len(task.participants) or any(r["published_at"] is None for r in mine):
        return None
    calendar = services.app.calendar()
    return max(objection_window_closes(calendar, r["published_at"]) for r in mine)


@router.post("/lookup")
def lookup(body: VisitIn, request: Request, services: ServicesDep, _: ReadAfter = None) -> dict:
    """The notice, the visiting inspectors' public identity, the results published about the subject in this task,
    and its objections and requests with their answers. Never ID numbers, contacts or internal notes."""
    task, subject, expires = _open_visit(services, request, body.code, body.subject_code)
    names = department_names(services)
    today = local_date(services.clock.now())
    found = public_results(services.engine, q=None, department=None, outcome=None, date_from=None, date_to=None,
                           subject_code=subject, offset=0, limit=200)
    calendar = services.app.calendar()
    results = []
    for item, row in zip(public_items(services, found.items), found.items):
        if row["task_id"] != str(task.id):
            continue
        closes = objection_window_closes(calendar, row["published_at"])
        results.append(item | {"objection_closes_on": closes, "objection_open": today <= closes})
    with services.engine.connect() as conn:
        objections = afterlife_read.subject_objections(conn, str(task.id), subject)
        requests = afterlife_read.subject_requests(conn, str(task.id), subject)
    for row in objections + requests:
        row["department_name"] = names.get(row["department"], row["department"])
    return {"task": {"number": task.number, "title": task.title, "cancelled": task.cancelled is not None,
                     "lead_department_name": names.get(task.lead_department, task.lead_department)},
            "notice": notice_views(services, task, [subject], names)[0], "results": results,
            "objections": objections, "requests": requests,
            "expires_on": expires}


@router.post("/objections", status_code=201)
def object_to_result(body: EnterpriseObjectionIn, request: Request, services: ServicesDep,
                     key: IdempotencyKey = None) -> JSONResponse:
    """The enterprise objects to a result published about it, within 60 working days of its publication."""
    task, subject, _ = _open_visit(services, request, body.code, body.subject_code)

    def command() -> tuple[int, dict]:
        lodged = services.app.lodge_objection(body.result_id, enterprise_actor(subject), reason=body.reason,
                                              contact=body.contact(), via="enterprise", proved=(task.id, subject))
        return 201, {"id": str(lodged.aggregate_id), "position": lodged.position,
                     "review_due": lodged.aggregate.review_due}

    return run_command(services, None, key, fingerprint(request.method, request.url.path, body), command)


@router.post("/requests", status_code=201)
def raise_request(body: EnterpriseRequestIn, request: Request, services: ServicesDep,
                  key: IdempotencyKey = None) -> JSONResponse:
    """The enterprise raises a request about the visit; the lead department collects it (004 §47)."""
    task, subject, _ = _open_visit(services, request, body.code, body.subject_code)

    def command() -> tuple[int, dict]:
        raised = services.app.raise_request(task.id, enterprise_actor(subject), subject=subject,
                                            content=body.content, contact=body.contact(), via="enterprise")
        return 201, {"id": str(raised.aggregate_id), "position": raised.position, "due": raised.aggregate.due}

    return run_command(services, None, key, fingerprint(request.method, request.url.path, body), command)
