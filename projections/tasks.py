"""The tasks read model: one row per task, one per (task, department), and the task's timeline."""
from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, Callable

from sqlalchemy import and_, insert, select, update
from sqlalchemy.engine import Connection

from domain.joint_task import JointTask
from domain.joint_task_rules import late_reason_after_response, task_status
from projections.tables import task_departments, task_summary, task_timeline

Handler = Callable[[Connection, Any], None]


class TasksProjection:
    """Feeds task_summary, task_departments and task_timeline from JointTask events."""

    name = "tasks"
    tables = (task_summary, task_departments, task_timeline)

    def apply(self, conn: Connection, event: Any, position: int) -> None:
        if not isinstance(event, JointTask.Event):
            return
        handler: Handler | None = getattr(self, "_on_" + type(event).__name__, None)
        if handler is None:
            return
        task_id = str(event.originator_id)
        handler(conn, event)
        _record_timeline(conn, event, position)
        _refresh_status(conn, task_id, _when(event), position)

    # ---- one handler per event type --------------------------------------------------------------
    def _on_Initiated(self, conn: Connection, e: Any) -> None:
        task_id = str(e.originator_id)
        conn.execute(insert(task_summary).values(
            task_id=task_id, title=e.title, lead_department=e.lead_department, initiator_role=e.initiator_role,
            planned=e.planned, status="awaiting_responses", items=json.dumps(e.items, ensure_ascii=False),
            window_start=e.window_start, window_end=e.window_end, pushed_at=e.pushed_at,
            response_deadline=e.response_deadline, deadline_provisional=e.deadline_provisional,
            updated_at=e.pushed_at, position=0))
        rows = [_department_row(task_id, e.lead_department, "lead", "lead", e.response_deadline)]
        rows += [_department_row(task_id, code, "responder", "pending", e.response_deadline)
                 for code in e.responding_departments]
        conn.execute(insert(task_departments), rows)

    def _on_Responded(self, conn: Connection, e: Any) -> None:
        previous = conn.execute(select(task_departments.c.late_reason).where(and_(
            task_departments.c.task_id == str(e.originator_id), task_departments.c.department == e.department,
        ))).scalar_one()
        late_reason = late_reason_after_response(previous, e.reason, e.late)  # the aggregate's own rule
        _update_department(conn, e, response_status="accepted" if e.decision == "accept" else "declined",
                           item_ids=json.dumps(e.item_ids, ensure_ascii=False), reason=e.reason,
                           responded_at=e.at, late=e.late, late_reason=late_reason)

    def _on_ResponseOverdue(self, conn: Connection, e: Any) -> None:
        _update_department(conn, e, overdue_marked=True)

    def _on_LateReasonGiven(self, conn: Connection, e: Any) -> None:
        _update_department(conn, e, late_reason=e.reason)

    def _on_InspectionDayProposed(self, conn: Connection, e: Any) -> None:
        task_id = str(e.originator_id)
        conn.execute(update(task_summary).where(task_summary.c.task_id == task_id).values(proposed_day=e.day))
        conn.execute(update(task_departments).where(task_departments.c.task_id == task_id).values(
            day_agreed=task_departments.c.department == e.department))

    def _on_InspectionDayConfirmed(self, conn: Connection, e: Any) -> None:
        _update_department(conn, e, day_agreed=True)

    def _on_InspectionDayAgreed(self, conn: Connection, e: Any) -> None:
        _update_summary(conn, e, agreed_day=e.day)

    def _on_Inspected(self, conn: Connection, e: Any) -> None:
        _update_department(conn, e, inspected_on=e.completed_on, publish_deadline=e.publish_deadline)

    def _on_Published(self, conn: Connection, e: Any) -> None:
        _update_department(conn, e, published_at=e.at)

    def _on_Cancelled(self, conn: Connection, e: Any) -> None:
        _update_summary(conn, e, cancel_reason=e.reason)

    def _on_DeadlineRecomputed(self, conn: Connection, e: Any) -> None:
        _update_summary(conn, e, response_deadline=e.response_deadline, deadline_provisional=e.provisional)
        conn.execute(update(task_departments).where(task_departments.c.task_id == str(e.originator_id))
                     .values(response_deadline=e.response_deadline))

    def _on_Merged(self, conn: Connection, e: Any) -> None:
        _update_summary(conn, e, merged_into=str(e.into_task_id))

    def _on_MergeAbsorbed(self, conn: Connection, e: Any) -> None:
        task_id = str(e.originator_id)
        # c["items"], not c.items: the latter is ColumnCollection.items(), which select() refuses.
        summary = conn.execute(select(task_summary.c["items"], task_summary.c.response_deadline)
                               .where(task_summary.c.task_id == task_id)).one()
        items = json.loads(summary._mapping["items"]) + list(e.items)
        _update_summary(conn, e, items=json.dumps(items, ensure_ascii=False))
        for code, response in e.responses.items():
            row = _department_row(task_id, code, "responder", response["status"], summary.response_deadline)
            row.update(item_ids=json.dumps(response["item_ids"], ensure_ascii=False), reason=response["reason"],
                       responded_at=response["responded_at"], late=response["late"],
                       late_reason=response["late_reason"])
            conn.execute(insert(task_departments).values(**row))


def _when(e: Any) -> datetime:
    """The business time of an event (Initiated calls it pushed_at)."""
    return e.pushed_at if type(e).__name__ == "Initiated" else e.at


def _department_row(task_id: str, code: str, role: str, status: str, deadline: date) -> dict:
    return {"task_id": task_id, "department": code, "role": role, "response_status": status, "item_ids": "[]",
            "reason": "", "response_deadline": deadline, "responded_at": None, "late": False, "late_reason": None,
            "overdue_marked": False,
            "day_agreed": False, "inspected_on": None, "publish_deadline": None, "published_at": None}


def _update_department(conn: Connection, e: Any, **values: Any) -> None:
    conn.execute(update(task_departments).where(and_(
        task_departments.c.task_id == str(e.originator_id), task_departments.c.department == e.department,
    )).values(**values))


def _update_summary(conn: Connection, e: Any, **values: Any) -> None:
    conn.execute(update(task_summary).where(task_summary.c.task_id == str(e.originator_id)).values(**values))


def _refresh_status(conn: Connection, task_id: str, at: datetime, position: int) -> None:
    """Recompute the stage with the same rule the aggregate uses (domain.joint_task_rules.task_status)."""
    summary = conn.execute(select(task_summary).where(task_summary.c.task_id == task_id)).one()
    rows = conn.execute(select(task_departments).where(task_departments.c.task_id == task_id)).all()
    participants = {r.department for r in rows if r.response_status in ("lead", "accepted")}
    status = task_status(
        merged=summary.merged_into is not None,
        cancelled=summary.cancel_reason is not None,
        participants=participants,
        inspected={r.department for r in rows if r.inspected_on is not None},
        published={r.department for r in rows if r.published_at is not None},
        agreed=summary.agreed_day is not None,
        proposed=summary.proposed_day is not None,
        pending=any(r.response_status == "pending" for r in rows),
    )
    conn.execute(update(task_summary).where(task_summary.c.task_id == task_id)
                 .values(status=status, updated_at=at, position=position))


_TIMELINE_FIELDS = ("deadline", "decision", "item_ids", "reason", "late", "day", "completed_on", "publish_deadline",
                    "response_deadline", "previous", "into_task_id", "from_task_id", "title",
                    "responding_departments", "items", "departments")


def _record_timeline(conn: Connection, e: Any, position: int) -> None:
    data = {}
    for field in _TIMELINE_FIELDS:
        if hasattr(e, field):
            value = getattr(e, field)
            data[field] = str(value) if isinstance(value, (date, datetime)) or field.endswith("task_id") else value
    if type(e).__name__ == "MergeAbsorbed":
        data["departments"] = sorted(e.responses)
    conn.execute(insert(task_timeline).values(
        position=position, task_id=str(e.originator_id), at=_when(e), event_type=type(e).__name__,
        actor_user=e.actor["user"], actor_department=getattr(e, "department", None) or e.actor["department"],
        data=json.dumps(data, ensure_ascii=False)))
