"""The combined notice of a joint visit (R-EXEC-3): issued by the lead once the day is agreed, the subjects drawn
and every joining department's inspectors matched; one per subject, printable, with a verification code."""
from __future__ import annotations

from typing import Any
from uuid import UUID

import segno

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.http.deps import CurrentPrincipal, IdempotencyKey, ServicesDep
from api.http.idempotency import fingerprint, iso, run_command
from api.http.routes.departments import department_names
from api.http.routes.joint_tasks import visible_task
from api.storage import checklist
from api.storage import draws as draw_storage
from api.storage.inspectors import public_identities
from domain.joint_task import JointTask

router = APIRouter(tags=["联合检查告知"])


@router.post("/joint-tasks/{task_id}/visit-notices", status_code=201)
def issue_visit_notices(task_id: UUID, request: Request, principal: CurrentPrincipal, services: ServicesDep,
                        key: IdempotencyKey = None) -> JSONResponse:
    """One combined notice per drawn subject (R-EXEC-3); 409 `unannounced_visit` when an item of the task keeps
    the visit unannounced, and nothing is recorded."""
    def command() -> tuple[int, dict]:
        result = services.app.issue_visit_notices(task_id, principal.actor)
        return 201, {"position": result.position,
                     "notices": [{"subject_code": n["subject"], "number": n["number"]} for n in result.aggregate]}

    return run_command(services, principal, key, fingerprint(request.method, request.url.path, None), command)


@router.get("/joint-tasks/{task_id}/visit-notices")
def visit_notices(task_id: UUID, request: Request, principal: CurrentPrincipal, services: ServicesDep) -> dict:
    """The notices as printed: the day, each joining department's items with the documents to prepare, and the
    visiting inspectors' public identity (name, department, certificate number; never an ID number); each with a QR
    code of the enterprise's page holding its verification code (`visit_url`, issue 17)."""
    task = visible_task(services, principal, task_id)
    if not task.visit_notices:
        return {"items": [], "total": 0, "issued": False}
    names = department_names(services)
    notices = notice_views(services, task, list(task.visit_notices), names)
    for notice in notices:
        notice["visit_url"] = f"{str(request.base_url).rstrip('/')}/web/#/visit?code={notice['verification_code']}"
        notice["qr_svg"] = segno.make(notice["visit_url"], error="m").svg_data_uri(scale=3, border=2)
    return {"items": notices, "total": len(notices), "issued": True, "task_number": task.number, "title": task.title,
            "lead_department_name": names.get(task.lead_department, task.lead_department)}


def notice_views(services: Any, task: JointTask, subjects: list[str], names: dict[str, str]) -> list[dict]:
    """The notices of these subjects as printed (and as the enterprise sees its own, issue 17)."""
    teams = {d: (task.matchings.get(d) or {}).get("teams") or {} for d in task.participants}
    with services.engine.connect() as conn:
        items = checklist.notice_items(conn, task.items)
        people = public_identities(conn, [i for t in teams.values() for s in subjects for i in t.get(s, [])])
        subject_names = draw_storage.subject_names(conn, subjects)
    by_department = [{"department_code": d, "department_name": names.get(d, d),
                      "items": [i for i in items if i["department_code"] == d]} for d in task.participants]
    notices = []
    for subject in subjects:
        notice = task.visit_notices[subject]
        visitors = [{"department_name": names.get(d, d), "leader": n == 0,
                     **people.get(i, {"name": "", "certificate_no": ""})}
                    for d in task.participants for n, i in enumerate(teams[d].get(subject, []))]
        notices.append({"subject_code": subject, "subject_name": subject_names.get(subject, ""),
                        "number": notice["number"], "verification_code": notice["code"], "day": notice["day"],
                        "issued_at": iso(notice["issued_at"]), "departments": by_department,
                        "inspectors": visitors})
    return notices
