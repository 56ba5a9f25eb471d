"""Notices (通报): the office names a department's unexcused late responses; the department acknowledges."""
from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from api.http.idempotency import fingerprint, iso, run_command
from api.http.deps import CurrentPrincipal, IdempotencyKey, OfficePrincipal, ReadAfter, ServicesDep
from api.http.routes.departments import department_names
from api.http.schemas import NoticeIn, PositionOut
from projections.notices import list_notices

router = APIRouter(prefix="/notices", tags=["通报"])


@router.post("", status_code=201)
def issue(body: NoticeIn, request: Request, principal: OfficePrincipal, services: ServicesDep,
          key: IdempotencyKey = None) -> JSONResponse:
    """Issue a notice to a department about specific late responses given without a reason (R-JOINT-4)."""
    def command() -> tuple[int, dict]:
        result = services.app.issue_notice(principal.actor, body.department, body.subject, body.body, body.task_ids)
        return 201, {"id": result.aggregate_id, "position": result.position}

    return run_command(services, principal, key, fingerprint(request.method, request.url.path, body), command)


@router.get("")
def notices(principal: CurrentPrincipal, services: ServicesDep,
            department: Annotated[str | None, Query(max_length=32)] = None,
            page: Annotated[int, Query(ge=1, le=100_000)] = 1, page_size: Annotated[int, Query(ge=1, le=200)] = 20,
            _: ReadAfter = None) -> dict:
    """Notices to my department (the office: all, or one department's), newest first."""
    scope = department if principal.is_office else principal.department_code
    result = list_notices(services.read_engine, department=scope, offset=(page - 1) * page_size, limit=page_size)
    names = department_names(services)
    items = [r | {"department_name": names.get(r["department"]), "issued_at": iso(r["issued_at"]),
                  "acknowledged_at": iso(r["acknowledged_at"])} for r in result.items]
    return {"items": items, "total": result.total, "page": page, "page_size": page_size}


@router.post("/{notice_id}/acknowledgement", status_code=201, response_model=PositionOut)
def acknowledge(notice_id: UUID, request: Request, principal: CurrentPrincipal, services: ServicesDep,
                key: IdempotencyKey = None) -> JSONResponse:
    """The notified department acknowledges the notice (once)."""
    return run_command(services, principal, key, fingerprint(request.method, request.url.path, None),
                       lambda: (201, {"position": services.app.acknowledge_notice(
                           notice_id, principal.actor).position}))
