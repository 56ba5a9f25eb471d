"""The joint meeting office's view (R-JOINT-4, R-OVER-1)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.commands import iso
from api.deps import OfficePrincipal, ReadAfter, ServicesDep
from api.routes.departments import department_ids, department_names
from domain.working_days import end_of_day, local_date
from projections import queries

router = APIRouter(prefix="/oversight", tags=["督导"])


@router.get("/late-responses")
def late_responses(principal: OfficePrincipal, services: ServicesDep,
                   department: Annotated[str | None, Query(max_length=32)] = None,
                   page: Annotated[int, Query(ge=1)] = 1, page_size: Annotated[int, Query(ge=1, le=500)] = 50,
                   _: ReadAfter = None) -> dict:
    """Every response past its deadline (still pending) or given after it, oldest deadline first."""
    today = local_date(services.clock.now())
    result = queries.late_responses(services.engine, today=today, department=department,
                                    offset=(page - 1) * page_size, limit=page_size)
    ids, names = department_ids(services), department_names(services)
    items = []
    for r in result.items:
        pending = r["response_status"] == "pending"
        items.append({
            "task_id": r["task_id"], "task_title": r["title"], "department_id": ids.get(r["department"]),
            "department_code": r["department"], "department_name": names.get(r["department"]),
            "deadline": iso(end_of_day(r["response_deadline"])), "responded_at": iso(r["responded_at"]),
            "reason": r["late_reason"], "response_status": r["response_status"],
            "state": "late_with_reason" if r["late_reason"] else ("overdue" if pending else "late"),
        })
    return {"items": items, "total": result.total, "page": page, "page_size": page_size}
