"""What my department must do now."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.http.deps import CurrentPrincipal, ReadAfter, ServicesDep
from domain.working_days import countdown, local_date
from projections.inbox import inbox

router = APIRouter(prefix="/inbox", tags=["待办"])

Kind = Literal["respond", "propose_day", "agree_day", "record_inspection", "publish", "review_objection",
               "answer_objection", "answer_request", "overdue"]


@router.get("")
def my_inbox(principal: CurrentPrincipal, services: ServicesDep, _: ReadAfter, kind: Kind | None = None,
             page: Annotated[int, Query(ge=1, le=100_000)] = 1,
             page_size: Annotated[int, Query(ge=1, le=500)] = 200) -> dict:
    """Respond by…, propose or agree a day, record the inspection, publish by… — earliest due first, each with
    how many working days are left (or have passed) by the office's calendar; `counts` by kind over all of them,
    `kind` keeps one kind (or everything overdue)."""
    today, calendar = local_date(services.clock.now()), services.app.calendar()
    items, counts = inbox(services.read_engine, department=principal.department_code, today=today, kind=kind,
                          offset=(page - 1) * page_size, limit=page_size)
    for item in items:
        item["due_in"] = countdown(calendar, item["due"], today)
    total = counts[kind] if kind else sum(n for name, n in counts.items() if name != "overdue")
    return {"items": items, "total": total, "counts": counts, "page": page, "page_size": page_size}
