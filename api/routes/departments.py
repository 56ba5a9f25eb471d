"""The departments a lead can push tasks to."""
from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from api.deps import CurrentPrincipal, ServicesDep
from api.tables import departments

router = APIRouter(prefix="/departments", tags=["部门"])


@router.get("")
def list_departments(principal: CurrentPrincipal, services: ServicesDep) -> dict:
    """Every department, ordered by code."""
    with services.engine.connect() as conn:
        rows = conn.execute(select(departments).order_by(departments.c.code)).mappings().all()
    return {"items": [dict(r) for r in rows], "total": len(rows)}


def department_names(services: ServicesDep) -> dict[str, str]:
    with services.engine.connect() as conn:
        return {r.code: r.name for r in conn.execute(select(departments.c.code, departments.c.name))}


def department_ids(services: ServicesDep) -> dict[str, int]:
    with services.engine.connect() as conn:
        return {r.code: r.id for r in conn.execute(select(departments.c.code, departments.c.id))}
