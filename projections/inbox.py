"""Inbox: what a department must do now on its open tasks, ordered by when it is due, with counts by kind.

`next_action` is the rule for one task (the task list marks its rows with it); `inbox` is the same rule as SQL
over all of a department's tasks (tests/api/test_inbox.py checks that they agree)."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import String, and_, case, exists, func, literal, or_, select, union_all
from sqlalchemy.engine import Engine

from projections.tables import enterprise_requests, objections, task_departments, task_summary

CLOSED = ("merged", "cancelled", "published")
LABELS = {
    "respond": "响应任务", "propose_day": "提议联合检查日", "agree_day": "确认联合检查日",
    "record_inspection": "录入检查结果", "publish": "公示检查结果",
    # a result's afterlife (R-OBJ-1, R-JOINT-9): on tasks that may be done already
    "review_objection": "复查异议", "answer_objection": "答复异议", "answer_request": "答复企业诉求",
}


KINDS = (*LABELS, "overdue")  # what the inbox can be filtered by: an action, or everything overdue


def inbox(engine: Engine, *, department: str, today: date, kind: str | None = None, offset: int = 0,
          limit: int = 200) -> tuple[list[dict], dict[str, int]]:
    """One row per thing to do, earliest due first, `overdue` once the due day has passed; with the counts by
    action (and "overdue") over all of them. Set-based (one indexed select per action, the rule of `next_action`),
    so a department with tens of thousands of open tasks gets its page and counts at once."""
    todo = _todo(department, today).subquery()
    counts = {name: 0 for name in KINDS}
    with engine.connect() as conn:
        for row in conn.execute(select(todo.c.action, func.count(), func.sum(case((todo.c.due < today, 1), else_=0)))
                                .group_by(todo.c.action)):
            counts[row[0]] = int(row[1])
            counts["overdue"] += int(row[2] or 0)
        query = select(todo)
        if kind == "overdue":
            query = query.where(todo.c.due < today)
        elif kind is not None:
            query = query.where(todo.c.action == kind)
        rows = conn.execute(query.order_by(todo.c.due, todo.c.task_id).offset(offset).limit(limit)).all()
    items = [{"task_id": r.task_id, "title": r.title, "action": r.action, "label": LABELS[r.action], "due": r.due,
              "overdue": r.due < today} for r in rows]
    return items, counts


def _todo(department: str, today: date) -> Any:
    """(task_id, title, action, due) for every open task of the department with something for it to do."""
    ts, me = task_summary, task_departments.alias("me")
    others = task_departments.alias("others")
    joined = ts.join(me, and_(me.c.task_id == ts.c.task_id, me.c.department == department))
    open_task = ts.c.status.not_in(CLOSED)
    joining = me.c.response_status.in_(("lead", "accepted"))
    anyone_pending = exists().where(others.c.task_id == ts.c.task_id, others.c.response_status == "pending")

    def rows(action: str, due: Any, *conditions: Any) -> Any:
        return select(ts.c.task_id, ts.c.title, literal(action, String(20)).label("action"), due.label("due")) \
            .select_from(joined).where(open_task, *conditions)

    def owned(table: Any, action: str, due: Any, status: str) -> Any:
        """An objection or request the department owns, on its task (open or not)."""
        return select(ts.c.task_id, ts.c.title, literal(action, String(20)).label("action"), due.label("due")) \
            .select_from(table.join(ts, ts.c.task_id == table.c.task_id)) \
            .where(table.c.department == department, table.c.status == status)

    return union_all(
        owned(objections, "review_objection", objections.c.review_due, "received"),
        owned(objections, "answer_objection", objections.c.answer_due, "reviewed"),
        owned(enterprise_requests, "answer_request", enterprise_requests.c.due, "open"),
        rows("respond", me.c.response_deadline, me.c.response_status == "pending"),
        rows("agree_day", ts.c.proposed_day, joining, ts.c.agreed_day.is_(None), ts.c.proposed_day.is_not(None),
             me.c.day_agreed.is_(False)),
        rows("propose_day", ts.c.window_end, joining, me.c.role == "lead", ts.c.agreed_day.is_(None),
             ts.c.proposed_day.is_(None), or_(~anyone_pending, ts.c.response_deadline < today)),
        rows("record_inspection", ts.c.agreed_day, joining, ts.c.agreed_day.is_not(None),
             me.c.inspected_on.is_(None)),
        rows("publish", me.c.publish_deadline, joining, me.c.inspected_on.is_not(None), me.c.published_at.is_(None)),
    )


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
