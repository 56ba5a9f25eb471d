"""Inbox: what a department must do now on its open tasks, ordered by when it is due."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.engine import Engine

from projections.tables import task_departments, task_summary

CLOSED = ("merged", "cancelled", "published")
LABELS = {
    "respond": "响应任务", "propose_day": "提议联合检查日", "agree_day": "确认联合检查日",
    "record_inspection": "登记检查完成", "publish": "公示检查结果",
}


def inbox(engine: Engine, *, department: str, today: date) -> list[dict]:
    """One row per thing to do, earliest due first; `overdue` once the due day has passed."""
    mine = task_departments.alias("mine")
    open_tasks = select(task_summary.c.task_id).join(mine, and_(
        mine.c.task_id == task_summary.c.task_id, mine.c.department == department,
    )).where(task_summary.c.status.not_in(CLOSED))
    with engine.connect() as conn:
        summaries = {r.task_id: r for r in conn.execute(
            select(task_summary).where(task_summary.c.task_id.in_(open_tasks)))}
        rows = conn.execute(select(task_departments).where(task_departments.c.task_id.in_(list(summaries))))
        by_task: dict[str, list[Any]] = {}
        for row in rows:
            by_task.setdefault(row.task_id, []).append(row)
    items = []
    for task_id, summary in summaries.items():
        todo = next_action(summary, by_task[task_id], department, today)
        if todo is not None:
            action, due = todo
            items.append({"task_id": task_id, "title": summary.title, "action": action, "label": LABELS[action],
                          "due": due, "overdue": due < today})
    return sorted(items, key=lambda i: (i["due"], i["task_id"]))


def next_action(summary: Any, rows: list[Any], department: str, today: date) -> tuple[str, date] | None:
    """The one thing this department should do next on this task, and by when (R-JOINT-3, -5, -7, R-PUB-1)."""
    me = next(r for r in rows if r.department == department)
    if me.response_status == "pending":
        return "respond", me.response_deadline
    if me.response_status not in ("lead", "accepted"):
        return None
    if summary.agreed_day is None:
        if summary.proposed_day is not None:
            return None if me.day_agreed else ("agree_day", summary.proposed_day)
        anyone_pending = any(r.response_status == "pending" for r in rows)
        if me.role == "lead" and (not anyone_pending or today > summary.response_deadline):
            return "propose_day", summary.window_end
        return None
    if me.inspected_on is None:
        return "record_inspection", summary.agreed_day
    if me.published_at is None:
        return "publish", me.publish_deadline
    return None
