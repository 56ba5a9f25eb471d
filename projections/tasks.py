"""The tasks read model: one row per task, one per (task, department), and the task's timeline."""
from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, Callable

from sqlalchemy.engine import Connection

from domain.joint_task import JointTask
from domain.joint_task_rules import late_reason_after_response, task_status
from domain.notice import Notice
from domain.working_calendar import WorkingCalendar
from projections.bulk import RowSet, insert_rows, probe_by_index
from projections.handlers import AFTERLIFE, JointTaskHandlers, handles, task_key, to_json
from projections.tables import task_departments, task_summary, task_timeline


class _Batch:
    """The rows a batch of events touches, loaded once and written back once."""

    def __init__(self) -> None:
        self.summaries = RowSet(task_summary)
        self.departments = RowSet(task_departments)
        self.timeline: list[dict] = []

    def load(self, conn: Connection, task_ids: set[str]) -> None:
        self.summaries.load(conn, task_ids)
        self.departments.load(conn, task_ids)

    def flush(self, conn: Connection) -> None:
        self.summaries.flush(conn)
        self.departments.flush(conn)
        insert_rows(conn, task_timeline, self.timeline)


Handler = Callable[[_Batch, Any], None]


class TasksProjection(JointTaskHandlers):
    """Feeds task_summary, task_departments and task_timeline from JointTask events.

    A batch costs a handful of statements whatever its size: the touched tasks' rows are read in two queries,
    the events are applied to them in memory (one handler per event type, the only implementation), and the
    rows go back in two upserts plus one insert of timeline rows.
    """

    name = "tasks"
    tables = (task_summary, task_departments, task_timeline)
    # the task rows and timeline do not show draws or inspector matching (their routes read the task itself)
    ignores = (JointTask.DrawCommitted, JointTask.SubjectsDrawn, JointTask.InspectorsMatchCommitted,
               JointTask.InspectorsMatched, JointTask.InspectorsAssigned, JointTask.InspectorReplaced,
               Notice, WorkingCalendar, *AFTERLIFE)
    rebuild_weight = 4  # of a rebuild at a million events, about 4x notices or subject_draws

    def apply_batch(self, conn: Connection, items: list[tuple[Any, int]]) -> None:
        handled = self.handled(items)
        if not handled:
            return
        task_ids = {task_key(e.originator_id) for e, _, h in handled}
        probe_by_index(conn, len(task_ids))
        batch = _Batch()
        batch.load(conn, task_ids)
        last: dict[str, tuple[datetime, int]] = {}  # task → its last event's time and position in this batch
        for event, position, handler in handled:
            handler(batch, event)
            batch.timeline.append(_timeline_row(event, position))
            last[task_key(event.originator_id)] = (_when(event), position)
        for task_id, (at, position) in last.items():  # the stage depends only on the facts as they end up
            _refresh_status(batch, task_id, at, position)
        batch.flush(conn)

    # ---- one handler per event class, registered by the class itself ------------------------------
    @handles(JointTask.Initiated)
    def _on_Initiated(self, b: _Batch, e: Any) -> None:
        task_id = task_key(e.originator_id)
        b.summaries.put({
            "task_id": task_id, "title": e.title, "lead_department": e.lead_department,
            "initiator_role": e.initiator_role, "planned": e.planned, "status": "awaiting_responses",
            "items": to_json(e.items), "window_start": e.window_start,
            "window_end": e.window_end, "pushed_at": e.pushed_at, "response_deadline": e.response_deadline,
            "deadline_provisional": e.deadline_provisional, "proposed_day": None, "agreed_day": None,
            "merged_into": None, "cancel_reason": None, "updated_at": e.pushed_at, "position": 0})
        b.departments.put(_department_row(task_id, e.lead_department, "lead", "lead", e.response_deadline))
        for code in e.responding_departments:
            b.departments.put(_department_row(task_id, code, "responder", "pending", e.response_deadline))

    @handles(JointTask.Responded)
    def _on_Responded(self, b: _Batch, e: Any) -> None:
        row = b.departments.get(task_key(e.originator_id), e.department)
        if row is None:
            raise LookupError(f"task {e.originator_id} has no department {e.department}")
        late_reason = late_reason_after_response(row["late_reason"], e.reason, e.late)  # the aggregate's own rule
        b.departments.change(row, response_status="accepted" if e.decision == "accept" else "declined",
                             item_ids=to_json(e.item_ids), reason=e.reason,
                             responded_at=e.at, late=e.late, late_reason=late_reason)

    @handles(JointTask.ResponseOverdue)
    def _on_ResponseOverdue(self, b: _Batch, e: Any) -> None:
        _update_department(b, e, overdue_marked=True)

    @handles(JointTask.LateReasonGiven)
    def _on_LateReasonGiven(self, b: _Batch, e: Any) -> None:
        _update_department(b, e, late_reason=e.reason)

    @handles(JointTask.InspectionDayProposed)
    def _on_InspectionDayProposed(self, b: _Batch, e: Any) -> None:
        task_id = task_key(e.originator_id)
        _update_summary(b, e, proposed_day=e.day)
        for row in b.departments.group(task_id):
            b.departments.change(row, day_agreed=row["department"] == e.department)

    @handles(JointTask.InspectionDayConfirmed)
    def _on_InspectionDayConfirmed(self, b: _Batch, e: Any) -> None:
        _update_department(b, e, day_agreed=True)

    @handles(JointTask.InspectionDayAgreed)
    def _on_InspectionDayAgreed(self, b: _Batch, e: Any) -> None:
        _update_summary(b, e, agreed_day=e.day)

    @handles(JointTask.Inspected)
    def _on_Inspected(self, b: _Batch, e: Any) -> None:
        _update_department(b, e, inspected_on=e.completed_on, publish_deadline=e.publish_deadline)

    @handles(JointTask.Published)
    def _on_Published(self, b: _Batch, e: Any) -> None:
        _update_department(b, e, published_at=e.at)

    @handles(JointTask.ResultRecorded, JointTask.ResultApproved, JointTask.ResultPublished,
             JointTask.ResultCorrected, JointTask.VisitNoticesIssued, JointTask.ResultsChased,
             JointTask.ArchiveDue, JointTask.ArchiveDueRecomputed, JointTask.SubjectsArchived)
    def _on_result(self, b: _Batch, e: Any) -> None:
        """A result, the visit's notices or the lead's reminder are on the task's record (the timeline); a result's
        rows are the results projection's, the notices are read from the task."""

    @handles(JointTask.ResultDeadlineRecomputed)
    def _on_ResultDeadlineRecomputed(self, b: _Batch, e: Any) -> None:
        if e.department_deadline is not None:  # the department's results are all recorded: due by the latest
            _update_department(b, e, publish_deadline=e.department_deadline)

    @handles(JointTask.Cancelled)
    def _on_Cancelled(self, b: _Batch, e: Any) -> None:
        _update_summary(b, e, cancel_reason=e.reason)

    @handles(JointTask.DeadlineRecomputed)
    def _on_DeadlineRecomputed(self, b: _Batch, e: Any) -> None:
        _update_summary(b, e, response_deadline=e.response_deadline, deadline_provisional=e.provisional)
        for row in b.departments.group(task_key(e.originator_id)):
            b.departments.change(row, response_deadline=e.response_deadline)

    @handles(JointTask.Merged)
    def _on_Merged(self, b: _Batch, e: Any) -> None:
        _update_summary(b, e, merged_into=str(e.into_task_id))

    @handles(JointTask.MergeAbsorbed)
    def _on_MergeAbsorbed(self, b: _Batch, e: Any) -> None:
        task_id = task_key(e.originator_id)
        summary = _summary(b, task_id)
        items = json.loads(summary["items"]) + list(e.items)
        b.summaries.change(summary, items=to_json(items))
        for code, response in e.responses.items():
            row = _department_row(task_id, code, "responder", response["status"], summary["response_deadline"])
            row.update(item_ids=to_json(response["item_ids"]), reason=response["reason"],
                       responded_at=response["responded_at"], late=response["late"],
                       late_reason=response["late_reason"])
            b.departments.put(row)


def _when(e: Any) -> datetime:
    """The business time of an event (Initiated calls it pushed_at)."""
    return e.pushed_at if type(e).__name__ == "Initiated" else e.at


def _department_row(task_id: str, code: str, role: str, status: str, deadline: date) -> dict:
    return {"task_id": task_id, "department": code, "role": role, "response_status": status, "item_ids": "[]",
            "reason": "", "response_deadline": deadline, "responded_at": None, "late": False, "late_reason": None,
            "overdue_marked": False,
            "day_agreed": False, "inspected_on": None, "publish_deadline": None, "published_at": None}


def _summary(b: _Batch, task_id: str) -> dict:
    row = b.summaries.get(task_id)
    if row is None:
        raise LookupError(f"task {task_id} has no summary row: its Initiated event was not applied")
    return row


def _update_department(b: _Batch, e: Any, **values: Any) -> None:
    row = b.departments.get(task_key(e.originator_id), e.department)
    if row is not None:  # like an UPDATE that matches no row
        b.departments.change(row, **values)


def _update_summary(b: _Batch, e: Any, **values: Any) -> None:
    b.summaries.change(_summary(b, task_key(e.originator_id)), **values)


def _refresh_status(b: _Batch, task_id: str, at: datetime, position: int) -> None:
    """Recompute the stage with the same rule the aggregate uses (domain.joint_task_rules.task_status)."""
    summary = _summary(b, task_id)
    rows = b.departments.group(task_id)
    status = task_status(
        merged=summary["merged_into"] is not None,
        cancelled=summary["cancel_reason"] is not None,
        participants={r["department"] for r in rows if r["response_status"] in ("lead", "accepted")},
        inspected={r["department"] for r in rows if r["inspected_on"] is not None},
        published={r["department"] for r in rows if r["published_at"] is not None},
        agreed=summary["agreed_day"] is not None,
        proposed=summary["proposed_day"] is not None,
        pending=any(r["response_status"] == "pending" for r in rows),
    )
    b.summaries.change(summary, status=status, updated_at=at, position=position)


_TIMELINE_FIELDS = ("deadline", "decision", "item_ids", "reason", "late", "day", "completed_on", "publish_deadline",
                    "response_deadline", "previous", "into_task_id", "from_task_id", "title",
                    "responding_departments", "items", "departments", "subject", "subject_name", "version",
                    "result_id", "archive_due")


_FIELDS_BY_TYPE: dict[type, tuple[str, ...]] = {}  # the timeline fields an event class carries, found once


def _timeline_row(e: Any, position: int) -> dict:
    fields = _FIELDS_BY_TYPE.get(type(e))
    if fields is None:
        fields = _FIELDS_BY_TYPE[type(e)] = tuple(f for f in _TIMELINE_FIELDS if hasattr(e, f))
    data = {}
    for field in fields:
        value = getattr(e, field)
        data[field] = str(value) if isinstance(value, (date, datetime)) or field.endswith("task_id") else value
    if type(e).__name__ == "MergeAbsorbed":
        data["departments"] = sorted(e.responses)
    elif type(e).__name__ == "VisitNoticesIssued":  # how many; the verification codes stay off the record
        data["count"] = len(e.notices)
    elif type(e).__name__ == "SubjectsArchived":  # how many; the hashes are in the task's archive list
        data["count"] = len(e.archives)
    return {"position": position, "task_id": task_key(e.originator_id), "at": _when(e), "event_type": type(e).__name__,
            "actor_user": e.actor["user"],
            "actor_department": getattr(e, "department", None) or e.actor["department"],
            "data": to_json(data)}
