"""What anyone may read without logging in: published results only, nothing private (R-PUB-1, R-PUB-3)."""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from api.storage import checklist as checklist
from api.http.idempotency import iso
from api.http.schemas import QueryDay
from api.http.deps import ReadAfter, ServicesDep
from api.http.routes.departments import department_names
from domain.result_rules import METHODS, OUTCOMES
from projections.results import public_results

router = APIRouter(prefix="/public", tags=["公开"])


@router.get("/results")
def results(services: ServicesDep, _: ReadAfter, q: Annotated[str | None, Query(max_length=100)] = None,
            department: Annotated[str | None, Query(max_length=32)] = None,
            outcome: Annotated[str | None, Query(max_length=20)] = None,
            date_from: Annotated[QueryDay | None, Query(alias="from")] = None,
            date_to: Annotated[QueryDay | None, Query(alias="to")] = None,
            page: Annotated[int, Query(ge=1, le=100_000)] = 1,
            page_size: Annotated[int, Query(ge=1, le=200)] = 20) -> dict:
    """Published results (R-PUB-1), newest first: by subject code or a fragment of its name, department, outcome and
    inspection dates. Public fields only: no ID numbers, contacts, inspectors or internal notes (R-PUB-3)."""
    return _public_page(services, q=q, department=department, outcome=outcome, date_from=date_from,
                        date_to=date_to, subject_code=None, page=page, page_size=page_size)


@router.get("/subjects/{subject_code}/results")
def subject_results(subject_code: Annotated[str, Path(max_length=32)], services: ServicesDep, _: ReadAfter,
                    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                    page_size: Annotated[int, Query(ge=1, le=200)] = 50) -> dict:
    """One subject's published results over the years."""
    return _public_page(services, q=None, department=None, outcome=None, date_from=None, date_to=None,
                        subject_code=subject_code.upper(), page=page, page_size=page_size)


def _public_page(services: Any, *, page: int, page_size: int, **filters: Any) -> dict:
    found = public_results(services.read_engine, offset=(page - 1) * page_size, limit=page_size, **filters)
    return {"items": public_items(services, found.items), "total": found.total, "page": page,
            "page_size": page_size}


def public_items(services: Any, rows: list[dict]) -> list[dict]:
    """Published results as anyone may read them: public fields only, with names (R-PUB-3)."""
    names = department_names(services)
    with services.engine.connect() as conn:
        item_names = checklist.item_names(conn, [i for r in rows for i in r["item_ids"]])
    return [{
        "result_id": r["result_id"], "subject_code": r["subject_code"], "subject_name": r["subject_name"],
        "department_code": r["department"], "department_name": names.get(r["department"], r["department"]),
        "items": [item_names.get(i, i) for i in r["item_ids"]], "methods": [METHODS.get(m, m) for m in r["methods"]],
        "outcome": r["outcome"], "outcome_name": OUTCOMES.get(r["outcome"], (r["outcome"],))[0],
        "findings": r["findings"], "measures": r["measures"], "inspected_on": r["inspected_on"],
        "published_at": iso(r["published_at"]), "version": r["version"], "corrected_at": iso(r["corrected_at"]),
    } for r in rows]
