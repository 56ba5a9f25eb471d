"""What my department must do now."""
from __future__ import annotations

from fastapi import APIRouter

from api.http.deps import CurrentPrincipal, ReadAfter, ServicesDep
from domain.working_days import countdown, local_date
from projections.inbox import inbox

router = APIRouter(prefix="/inbox", tags=["待办"])


@router.get("")
def my_inbox(principal: CurrentPrincipal, services: ServicesDep, _: ReadAfter) -> dict:
    """Respond by…, propose or agree a day, record the inspection, publish by… — earliest due first, each with
    how many working days are left (or have passed) by the office's calendar."""
    today, calendar = local_date(services.clock.now()), services.app.calendar()
    items = inbox(services.engine, department=principal.department_code, today=today)
    for item in items:
        item["due_in"] = countdown(calendar, item["due"], today)
    return {"items": items, "total": len(items)}
