"""Joint tasks over HTTP: initiate, respond, agree the day, inspect, publish, cancel, merge, read (R-JOINT-*)."""
from __future__ import annotations

from typing import Annotated, Any, Callable, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.storage import checklist
from api.accounts import Principal
from api.http.idempotency import fingerprint, iso, run_command
from api.http.deps import CurrentPrincipal, IdempotencyKey, ReadAfter, ServicesDep
from api.http.errors import ApiError
from api.http.routes.departments import department_names
from api.http.schemas import (
    DayIn, InspectionIn, MergeIn, PositionOut, PublicationIn, ReasonIn, ResponseIn, ResponseOut, TaskCreatedOut,
    TaskIn,
)
from api.bootstrap import Services
from api.http.timeline import describe, redacted
from domain.usecases import CommandResult
from domain.joint_task import JointTask
from domain.task_actions import available_actions
from domain.working_days import countdown, end_of_day, local_date
from projections import queries

router = APIRouter(prefix="/joint-tasks", tags=["联合任务"])

PageNo = Annotated[int, Query(ge=1, le=100_000)]
PageSize = Annotated[int, Query(ge=1, le=200)]


@router.post("", status_code=201, response_model=TaskCreatedOut)
def initiate(body: TaskIn, request: Request, principal: CurrentPrincipal, services: ServicesDep,
             key: IdempotencyKey = None) -> JSONResponse:
    """Initiate a joint task and push it to the responding departments (R-JOINT-1, R-JOINT-2, R-JOINT-3)."""
    def command() -> tuple[int, dict]:
        result = services.app.initiate(
            principal.actor, title=body.title, planned=body.planned, items=body.items,
            responding_departments=body.responding_departments, window_start=body.window_start,
            window_end=body.window_end, note=body.note)
        task: JointTask = result.aggregate
        return 201, {"id": task.id, "position": result.position,
                     "response_deadline": iso(end_of_day(task.response_deadline)),
                     "deadline_provisional": task.deadline_provisional}

    return _run(services, principal, request, body, key, command)


@router.get("")
def list_tasks(principal: CurrentPrincipal, services: ServicesDep, _: ReadAfter,
               role: Literal["any", "lead", "responder"] = "any", status: str | None = None,
               q: Annotated[str | None, Query(max_length=100)] = None,
               sort: Literal["pushed_at", "response_deadline", "window_start", "title", "updated_at"] = "pushed_at",
               order: Literal["asc", "desc"] = "desc", page: PageNo = 1, page_size: PageSize = 20,
               task_id: Annotated[list[UUID] | None, Query(description="only these tasks (at most 20)")] = None,
               ) -> dict:
    """My tasks, as lead or as responder (the office sees all), filtered, searched, sorted and paginated; with
    `task_id`, only those of them (a live page fetches the row that changed instead of the whole page)."""
    if task_id is not None and len(task_id) > 20:
        raise ApiError(422, "too_many_tasks", "一次最多查询 20 个任务。", {"field": "task_id"})
    department = None if principal.is_office and role == "any" else principal.department_code
    today = local_date(services.clock.now())
    result = queries.list_tasks(services.read_engine, department=department, role=role, status=status, q=q, sort=sort,
                                descending=order == "desc", offset=(page - 1) * page_size, limit=page_size,
                                today=today, viewer=principal.department_code,
                                task_ids=None if task_id is None else [str(t) for t in task_id])
    _decorate(services, result.items, today)
    return {"items": result.items, "total": result.total, "page": page, "page_size": page_size}


def _decorate(services: Services, items: list[dict], today: Any) -> None:
    """Complete list rows as the list returns them: the working-day countdown, the deadline's end of day, the items'
    labels."""
    with services.engine.connect() as conn:
        labels = {i["id"]: i for i in checklist.item_labels(conn, [i for item in items for i in item["items"]])}
    waiting = [any(d["response_status"] == "pending" for d in item["departments"])
               and item["status"] not in ("cancelled", "merged") for item in items]
    calendar = services.app.calendar() if any(waiting) else None  # the calendar aggregate: read only when needed
    for item, waits in zip(items, waiting):
        item["response_due"] = countdown(calendar, item["response_deadline"], today) if calendar and waits else None
        item["response_deadline"] = iso(end_of_day(item["response_deadline"]))
        item["item_details"] = [labels[i] for i in item["items"]]


def live_rows(services: Services, task_ids: list[str], viewers: set[str]) -> dict[str, dict[str, dict]]:
    """{task_id: {viewer department: its row}}: the rows `GET /joint-tasks?task_id=` would give each viewer, read
    once for all of them (api/http/ws.py sends them with the task's message, so open lists need no read)."""
    today = local_date(services.clock.now())
    items = queries.task_rows(services.engine, task_ids, viewers, today)
    _decorate(services, items, today)
    rows: dict[str, dict[str, dict]] = {}
    for item in items:
        todo_by = item.pop("todo_by")
        plain = jsonable_encoder(item)  # as the list's JSON gives it: the websocket sends it with json.dumps
        rows[item["task_id"]] = {viewer: plain | {"todo": todo} for viewer, todo in todo_by.items()}
    return rows


@router.get("/{task_id}")
def get_task(task_id: UUID, principal: CurrentPrincipal, services: ServicesDep) -> dict:
    """The task as the caller may see it: items, deadline and every department's response status."""
    task = visible_task(services, principal, task_id)
    with services.engine.connect() as conn:
        items = checklist.item_labels(conn, task.items)
    now, calendar = services.clock.now(), services.app.calendar()
    actions = available_actions(task, principal.department_code, principal.is_office, now, calendar)
    due = countdown(calendar, task.response_deadline, local_date(now)) if task.awaits_responses else None
    return _task_view(task, principal, department_names(services), now) | {
        "item_details": items, "actions": actions, "response_due": due}


@router.get("/{task_id}/timeline")
def task_timeline(task_id: UUID, principal: CurrentPrincipal, services: ServicesDep, _: ReadAfter) -> dict:
    """Who did what, when: one readable line per recorded event."""
    task = visible_task(services, principal, task_id)
    names = department_names(services)
    rows = queries.timeline(services.read_engine, str(task_id))
    if not _sees_all(task, principal):  # another responder's items and reasons, as in the responses table
        rows = [row if row["actor_department"] == principal.department_code else redacted(row) for row in rows]
    with services.read_engine.connect() as conn:
        item_names = checklist.item_names(conn, [i for row in rows for i in row["data"].get("item_ids", ())])
    items = [row | {"summary": describe(row, names, item_names)} for row in rows]
    return {"items": items, "total": len(items)}


@router.post("/{task_id}/responses", status_code=201, response_model=ResponseOut)
def respond(task_id: UUID, body: ResponseIn, request: Request, principal: CurrentPrincipal,
            services: ServicesDep, key: IdempotencyKey = None) -> JSONResponse:
    """Accept (naming the items joined) or decline (with a reason), once, within two working days (R-JOINT-3)."""
    def command() -> tuple[int, dict]:
        result = services.app.respond(task_id, principal.actor, body.decision, body.item_ids, body.reason)
        return 201, {"position": result.position, "late": result.aggregate.responded_late(principal.department_code)}

    return _run(services, principal, request, body, key, command)


@router.post("/{task_id}/late-reason", status_code=201, response_model=PositionOut)
def give_late_reason(task_id: UUID, body: ReasonIn, request: Request, principal: CurrentPrincipal,
                     services: ServicesDep, key: IdempotencyKey = None) -> JSONResponse:
    """State why the response is late; the department is then late-with-reason (R-JOINT-4)."""
    return _simple(services, principal, request, body, key,
                   lambda: services.app.give_late_reason(task_id, principal.actor, body.reason))


@router.post("/{task_id}/inspection-day/proposals", status_code=201, response_model=PositionOut)
def propose_day(task_id: UUID, body: DayIn, request: Request, principal: CurrentPrincipal,
                services: ServicesDep, key: IdempotencyKey = None) -> JSONResponse:
    """Propose the joint inspection day: a working day inside the window (R-JOINT-5)."""
    return _simple(services, principal, request, body, key,
                   lambda: services.app.propose_day(task_id, principal.actor, body.day))


@router.post("/{task_id}/inspection-day/agreements", status_code=201, response_model=PositionOut)
def agree_day(task_id: UUID, request: Request, principal: CurrentPrincipal, services: ServicesDep,
              key: IdempotencyKey = None) -> JSONResponse:
    """Agree to the proposed day; once every joining department has, the day is agreed (R-JOINT-5)."""
    return _simple(services, principal, request, None, key,
                   lambda: services.app.agree_day(task_id, principal.actor))


@router.post("/{task_id}/inspections", status_code=201, response_model=PositionOut)
def record_inspection(task_id: UUID, body: InspectionIn, request: Request, principal: CurrentPrincipal,
                      services: ServicesDep, key: IdempotencyKey = None) -> JSONResponse:
    """Record that this department's part of the joint visit is done; publication due in 20 working days."""
    return _simple(services, principal, request, body, key,
                   lambda: services.app.record_inspection(task_id, principal.actor, body.completed_on, body.note))


@router.post("/{task_id}/publications", status_code=201, response_model=PositionOut)
def publish(task_id: UUID, body: PublicationIn, request: Request, principal: CurrentPrincipal,
            services: ServicesDep, key: IdempotencyKey = None) -> JSONResponse:
    """Publish this department's results (R-PUB-1)."""
    return _simple(services, principal, request, body, key,
                   lambda: services.app.publish(task_id, principal.actor, body.note))


@router.post("/{task_id}/cancellation", status_code=201, response_model=PositionOut)
def cancel(task_id: UUID, body: ReasonIn, request: Request, principal: CurrentPrincipal,
           services: ServicesDep, key: IdempotencyKey = None) -> JSONResponse:
    """Cancel the task with a reason (lead or office); nothing is accepted afterwards."""
    return _simple(services, principal, request, body, key,
                   lambda: services.app.cancel(task_id, principal.actor, body.reason))


@router.post("/{task_id}/merge", status_code=201, response_model=PositionOut)
def merge(task_id: UUID, body: MergeIn, request: Request, principal: CurrentPrincipal, services: ServicesDep,
          key: IdempotencyKey = None) -> JSONResponse:
    """Fuse this task into another that coincides in time (R-JOINT-8); both record the link."""
    return _simple(services, principal, request, body, key,
                   lambda: services.app.merge(task_id, body.into_task_id, principal.actor))


# ---- helpers --------------------------------------------------------------------------------------------
def _run(services: Services, principal: Principal, request: Request, body: BaseModel | None, key: str | None,
         command: Callable[[], tuple[int, dict]]) -> JSONResponse:
    return run_command(services, principal, key, fingerprint(request.method, request.url.path, body), command)


def _simple(services: Services, principal: Principal, request: Request, body: BaseModel | None, key: str | None,
            call: Callable[[], CommandResult]) -> JSONResponse:
    return _run(services, principal, request, body, key, lambda: (201, {"position": call().position}))


def visible_task(services: Services, principal: Principal, task_id: UUID) -> JointTask:
    """The task, if the caller is a party to it or the office; else 403. An administrator's account alone reads no
    task, even one its department (the office's) leads: administering accounts is not business."""
    task = services.app.get_task(task_id)
    if not principal.acts_for_department:
        raise ApiError(403, "no_business_role", "该账号没有办理业务的角色（部门经办人员或联席会议办公室），不能查看任务。")
    if not (principal.is_office or principal.department_code == task.lead_department
            or principal.department_code in task.responses):
        raise ApiError(403, "not_a_party", "本部门不是该任务的牵头部门或响应部门，无权查看。")
    return task


def _sees_all(task: JointTask, principal: Principal) -> bool:
    """The lead and the office read every department's response in full; a responder its own."""
    return principal.is_office or principal.department_code == task.lead_department


def _task_view(task: JointTask, principal: Principal, names: dict[str, str], now: Any) -> dict:
    sees_all = _sees_all(task, principal)
    responses = []
    for code, r in task.responses.items():
        entry: dict[str, Any] = {"department_code": code, "department_name": names.get(code, code),
                                 "status": r["status"], "late": task.response_is_late(code, now),
                                 "late_explained": bool(r["late_reason"])}
        if sees_all or code == principal.department_code:
            entry |= {"item_ids": r["item_ids"], "reason": r["reason"], "responded_at": iso(r["responded_at"]),
                      "late_reason": r["late_reason"]}
        responses.append(entry)
    return {
        "id": task.id, "number": task.number, "title": task.title, "status": task.status, "version": task.version,
        "lead_department": {"code": task.lead_department, "name": names.get(task.lead_department)},
        "initiator_role": task.initiator_role, "planned": task.planned, "items": task.items,
        "window_start": task.window_start, "window_end": task.window_end, "note": task.note,
        "pushed_at": iso(task.pushed_at), "response_deadline": iso(end_of_day(task.response_deadline)),
        "deadline_provisional": task.deadline_provisional, "responses": responses,
        "participants": task.participants, "proposed_day": task.proposed_day,
        "day_agreements": task.day_agreements, "agreed_day": task.agreed_day,
        "inspections": task.inspections, "publications": task.publications, "cancelled": task.cancelled,
        "merged_into": task.merged_into, "merged_from": task.merged_from,
        # the draws (R-DRAW-5): ids and states for the pages that show them; the record is GET /draws/{id}
        "current_draw": task.current_draw, "drawn_subjects": task.drawn_subjects,
        "draws": {draw_id: {"status": d["status"], "committed_at": iso(d["committed_at"]),
                            "redraw_of": d["redraw_of"]} for draw_id, d in task.draws.items()},
    }
