"""Read-side queries for lists and dashboards: never replay aggregates on a request."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace
from typing import Any, Iterable

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.engine import Connection, Engine

from domain.joint_task_rules import response_late
from projections.inbox import CLOSED, LABELS, next_action
from projections.tables import task_departments, task_summary, task_timeline

SORTS = {
    "pushed_at": task_summary.c.pushed_at,
    "response_deadline": task_summary.c.response_deadline,
    "window_start": task_summary.c.window_start,
    "title": task_summary.c.title,
    "updated_at": task_summary.c.updated_at,
}


@dataclass(frozen=True)
class Page:
    items: list[dict]
    total: int


def list_tasks(engine: Engine, *, department: str | None, role: str, status: str | None, q: str | None,
               sort: str, descending: bool, offset: int, limit: int, today: date, viewer: str | None = None,
               task_ids: list[str] | None = None) -> Page:
    """Tasks a department leads or responds to (department=None: all, for the office); with `viewer`, each item
    says what that department must do on it now (`todo`, as the inbox would: its row is marked)."""
    conditions = []
    if department is not None:
        td = task_departments
        membership = [td.c.task_id == task_summary.c.task_id, td.c.department == department]
        if role == "lead":
            membership.append(td.c.role == "lead")
        elif role == "responder":
            membership.append(td.c.role == "responder")
        conditions.append(exists().where(and_(*membership)))
    elif role == "lead":
        conditions.append(task_summary.c.initiator_role == "lead")
    if status:
        conditions.append(task_summary.c.status == status)
    if q:
        conditions.append(task_summary.c.title.contains(q, autoescape=True))
    if task_ids is not None:  # the rows of given tasks (a live page fetching the one that changed)
        conditions.append(task_summary.c.task_id.in_(task_ids))
    where = and_(*conditions) if conditions else True
    order = SORTS[sort].desc() if descending else SORTS[sort].asc()
    with engine.connect() as conn:
        rows = conn.execute(select(task_summary).where(where).order_by(order, task_summary.c.task_id)
                            .offset(offset).limit(limit)).mappings().all()
        if task_ids is not None:  # a handful of given tasks: no index-only count applies
            total = len(rows) if offset == 0 and len(rows) < limit else conn.execute(
                select(func.count()).select_from(task_summary).where(where)).scalar_one()
        else:
            total = conn.execute(_count_tasks(where, department, role, status, q)).scalar_one()
        ids = [r["task_id"] for r in rows]
        departments = conn.execute(select(task_departments).where(task_departments.c.task_id.in_(ids))
                                   ).mappings().all() if ids else []
    by_task: dict[str, list[dict]] = {}
    for d in departments:
        by_task.setdefault(d["task_id"], []).append(dict(d))
    items = [_summary(r, by_task.get(r["task_id"], []), today) for r in rows]
    if viewer is not None:
        for row, item in zip(rows, items):
            item["todo"] = _todo(row, by_task.get(row["task_id"], []), viewer, today)
    return Page(items=items, total=total)


def task_rows(engine: Engine, task_ids: list[str], viewers: Iterable[str], today: date) -> list[dict]:
    """The list rows of given tasks, read once for several viewing departments: each item's `todo_by` says what each
    viewer must do on it (`todo` of `list_tasks` with that viewer). The live task list receives these over /ws."""
    with engine.connect() as conn:
        rows = conn.execute(select(task_summary).where(task_summary.c.task_id.in_(task_ids))).mappings().all()
        departments = conn.execute(select(task_departments).where(task_departments.c.task_id.in_(task_ids))
                                   ).mappings().all() if rows else []
    by_task: dict[str, list[dict]] = {}
    for d in departments:
        by_task.setdefault(d["task_id"], []).append(dict(d))
    items = []
    for row in rows:
        parties = by_task.get(row["task_id"], [])
        item = _summary(row, parties, today)
        item["todo_by"] = {viewer: _todo(row, parties, viewer, today) for viewer in viewers}
        items.append(item)
    return items


def _count_tasks(where: Any, department: str | None, role: str, status: str | None, q: str | None) -> Any:
    """A department's tasks are its rows in task_departments (one per task): counted on that index alone when
    nothing filters on the task itself."""
    if department is None or status or q:
        return select(func.count()).select_from(task_summary).where(where)
    td = task_departments
    conditions = [td.c.department == department]
    if role in ("lead", "responder"):
        conditions.append(td.c.role == role)
    return select(func.count()).select_from(td).where(*conditions)


def late_responses(engine: Engine, *, today: date, department: str | None, offset: int, limit: int) -> Page:
    """Responses past their deadline (still pending) or given after it (R-JOINT-4, R-OVER-1)."""
    td = task_departments
    overdue = and_(td.c.response_status == "pending", td.c.response_deadline < today)
    ts = task_summary.alias("closed_task")  # few rows: ix_task_summary_closed
    closed = exists().where(ts.c.task_id == td.c.task_id, or_(ts.c.merged_into.is_not(None),
                                                            ts.c.cancel_reason.is_not(None)))
    conditions = [td.c.role == "responder", or_(overdue, td.c.late.is_(True)), ~closed]
    if department:
        conditions.append(td.c.department == department)
    where = and_(*conditions)  # implies the partial indexes' predicate (projections.tables): index-only count
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(td).where(where)).scalar_one()
        rows = conn.execute(select(td, task_summary.c.title)
                            .select_from(td.join(task_summary, task_summary.c.task_id == td.c.task_id)).where(where)
                            .order_by(td.c.response_deadline, td.c.task_id, td.c.department)
                            .offset(offset).limit(limit)).mappings().all()
    return Page(items=[dict(r) for r in rows], total=total)


def open_late_responses(engine: Engine, today: date) -> int:
    """How many responses of live tasks are past their deadline and still not given (R-JOINT-4; /metrics)."""
    td = task_departments
    ts = task_summary.alias("closed_task")
    closed = exists().where(ts.c.task_id == td.c.task_id, or_(ts.c.merged_into.is_not(None),
                                                            ts.c.cancel_reason.is_not(None)))
    query = select(func.count()).select_from(td).where(
        td.c.role == "responder", td.c.response_status == "pending", td.c.response_deadline < today, ~closed)
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def unmarked_overdue(engine: Engine, *, today: date, limit: int = 500) -> list[tuple[str, str]]:
    """(task, department) pairs whose response deadline has passed unanswered and is not yet marked."""
    td = task_departments
    live = and_(task_summary.c.task_id == td.c.task_id, task_summary.c.merged_into.is_(None),
                task_summary.c.cancel_reason.is_(None))
    query = (select(td.c.task_id, td.c.department).select_from(td.join(task_summary, live))
             .where(td.c.role == "responder", td.c.response_status == "pending", td.c.response_deadline < today,
                    td.c.overdue_marked.is_(False))
             .order_by(td.c.response_deadline, td.c.task_id, td.c.department).limit(limit))
    with engine.connect() as conn:
        return [(r.task_id, r.department) for r in conn.execute(query)]


def timeline(engine: Engine, task_id: str) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(task_timeline).where(task_timeline.c.task_id == task_id)  # in time order
                            .order_by(task_timeline.c.at, task_timeline.c.position)).mappings().all()
    return [dict(r) | {"data": json.loads(r["data"])} for r in rows]


def open_task_ids(conn: Connection) -> list[str]:
    """Tasks still waiting for at least one response, as the tasks projection has them (api/storage/ports.py reads them
    with the projection's position and the log after it: R-CAL-2).

    Not only status "awaiting_responses": once the deadline has passed a day may be proposed (even agreed) while a
    department is still pending, and its deadline is as open as before (JointTask.recompute_deadline agrees).
    """
    td = task_departments
    pending = exists().where(and_(td.c.task_id == task_summary.c.task_id, td.c.response_status == "pending"))
    live = and_(task_summary.c.merged_into.is_(None), task_summary.c.cancel_reason.is_(None))
    return list(conn.execute(select(task_summary.c.task_id).where(live, pending)).scalars())


def _summary(row: Any, departments: list[dict], today: date) -> dict:
    result = dict(row)
    result["items"] = json.loads(result["items"])
    result["departments"] = [
        {"department": d["department"], "role": d["role"], "response_status": d["response_status"],
         "late": _late(d, today), "late_explained": bool(d["late_reason"])}
        for d in sorted(departments, key=lambda d: (d["role"] != "lead", d["department"]))
    ]
    return result


def _todo(summary: Any, departments: list[dict], viewer: str, today: date) -> str | None:
    """What the viewing department must do next on the task (inbox.next_action), as a label; None if nothing."""
    if summary["status"] in CLOSED or not any(d["department"] == viewer for d in departments):
        return None
    action = next_action(SimpleNamespace(**summary), [SimpleNamespace(**d) for d in departments], viewer, today)
    return LABELS[action[0]] if action else None


def _late(row: dict, today: date) -> bool:
    return response_late(pending=row["response_status"] == "pending", answered_late=bool(row["late"]),
                         deadline=row["response_deadline"], today=today)
