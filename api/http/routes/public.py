"""What anyone may read without logging in: published results only, nothing private (R-PUB-1, R-PUB-3)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.storage import checklist as checklist
from api.http.idempotency import iso
from api.http.deps import ServicesDep
from api.http.routes.departments import department_names
from projections.queries import published_results

router = APIRouter(prefix="/public", tags=["公开"])


@router.get("/results")
def results(services: ServicesDep, q: Annotated[str | None, Query(max_length=100)] = None,
            page: Annotated[int, Query(ge=1, le=100_000)] = 1,
            page_size: Annotated[int, Query(ge=1, le=200)] = 20) -> dict:
    """Joint inspections whose results have been published: what was checked, when, by which departments."""
    names = department_names(services)
    page_result = published_results(services.engine, q=q, offset=(page - 1) * page_size, limit=page_size)
    with services.engine.connect() as conn:
        item_names = checklist.item_names(conn, [i for r in page_result.items for i in r["items"]])
    items = [{
        "task_id": r["task_id"], "title": r["title"], "lead_department": names.get(r["lead_department"]),
        "items": [item_names[i] for i in r["items"]], "inspection_day": r["agreed_day"],
        "publications": [{"department": names.get(p["department"]), "inspected_on": p["inspected_on"],
                          "published_at": iso(p["published_at"])} for p in r["publications"]],
    } for r in page_result.items]
    return {"items": items, "total": page_result.total, "page": page, "page_size": page_size}
