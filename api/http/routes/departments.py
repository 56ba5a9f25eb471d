"""The departments a lead can push tasks to."""
from __future__ import annotations

from fastapi import APIRouter

from api import accounts
from api.http.deps import CurrentPrincipal, ServicesDep

router = APIRouter(prefix="/departments", tags=["部门"])


@router.get("")
def list_departments(principal: CurrentPrincipal, services: ServicesDep) -> dict:
    """Every department, ordered by code."""
    with services.engine.connect() as conn:
        items = accounts.departments_list(conn)
    return {"items": items, "total": len(items)}


def department_names(services: ServicesDep) -> dict[str, str]:
    with services.engine.connect() as conn:
        return accounts.department_names(conn)


def department_ids(services: ServicesDep) -> dict[str, int]:
    with services.engine.connect() as conn:
        return accounts.department_ids(conn)
