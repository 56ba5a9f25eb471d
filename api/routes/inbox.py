"""What my department must do now."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CurrentPrincipal, ServicesDep
from domain.working_days import local_date
from projections.inbox import inbox

router = APIRouter(prefix="/inbox", tags=["待办"])


@router.get("")
def my_inbox(principal: CurrentPrincipal, services: ServicesDep,
             min_position: Annotated[int | None, Query(ge=0)] = None) -> dict:
    """Respond by…, propose or agree a day, record the inspection, publish by… — earliest due first."""
    if min_position:
        services.runner.wait_for(min_position)
    items = inbox(services.engine, department=principal.department_code, today=local_date(services.clock.now()))
    return {"items": items, "total": len(items)}
