"""The afterlife read models: objections (R-OBJ-1) and enterprise requests (R-JOINT-9), one row each, with their
clocks; the department's lists, the office's overdue views (also as of a past date) and the quarterly summary."""
from __future__ import annotations

import json
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import and_, case, func, insert, or_, select, update
from sqlalchemy.engine import Connection, Engine

from domain.clock import SHANGHAI
from domain.enterprise_request import EnterpriseRequest
from domain.joint_task import JointTask
from domain.notice import Notice
from domain.objection import Objection
from domain.working_calendar import WorkingCalendar
from projections.handlers import AFTERLIFE, EventHandlers, JointTaskHandlers, handles, is_event_of, to_json
from projections.queries import Page
from projections.tables import enterprise_requests, objections, task_archives, task_summary

O, Q, A = objections, enterprise_requests, task_archives


class _OneRowEach(EventHandlers):
    def apply_batch(self, conn: Connection, items: list[tuple[Any, int]]) -> None:
        for event, position, handler in self.handled(items):
            handler(conn, event, position)


class ObjectionsProjection(_OneRowEach):
    """Feeds `objections` from Objection events, one statement per event."""

    name = "objections"
    tables = (objections,)
    aggregate = Objection
    ignores = (JointTask, Notice, WorkingCalendar, EnterpriseRequest)

    @handles(Objection.Lodged)
    def _on_Lodged(self, conn: Connection, e: Any, position: int) -> None:
        conn.execute(insert(O).values(
            objection_id=str(e.originator_id), task_id=str(e.task_id), result_id=e.result_id,
            department=e.department, subject_code=e.subject, subject_name=e.subject_name,
            result_version=e.result_version, via=e.via, reason=e.reason, contact=to_json(e.contact),
            status="received", lodged_at=e.at, review_due=e.review_due, opinion="", answer="", review_late=False,
            answer_late=False, position=position))

    @handles(Objection.Reviewed)
    def _on_Reviewed(self, conn: Connection, e: Any, position: int) -> None:
        self._update(conn, e, position, status="reviewed", decision=e.decision, opinion=e.opinion,
                     correction_version=e.correction_version, reviewed_at=e.at, review_late=e.late,
                     answer_due=e.answer_due)

    @handles(Objection.Answered)
    def _on_Answered(self, conn: Connection, e: Any, position: int) -> None:
        self._update(conn, e, position, status="answered", answer=e.answer, answered_at=e.at, answer_late=e.late)

    @handles(Objection.DeadlineRecomputed)
    def _on_DeadlineRecomputed(self, conn: Connection, e: Any, position: int) -> None:
        # the open step's clock: the review's while received, the answer's once reviewed
        conn.execute(update(O).where(O.c.objection_id == str(e.originator_id)).values(
            review_due=case((O.c.status == "received", e.due), else_=O.c.review_due),
            answer_due=case((O.c.status == "reviewed", e.due), else_=O.c.answer_due), position=position))

    @staticmethod
    def _update(conn: Connection, e: Any, position: int, **values: Any) -> None:
        conn.execute(update(O).where(O.c.objection_id == str(e.originator_id)).values(position=position, **values))


class RequestsProjection(_OneRowEach):
    """Feeds `enterprise_requests` from EnterpriseRequest events, one statement per event."""

    name = "enterprise_requests"
    tables = (enterprise_requests,)
    aggregate = EnterpriseRequest
    ignores = (JointTask, Notice, WorkingCalendar, Objection)

    @handles(EnterpriseRequest.Raised)
    def _on_Raised(self, conn: Connection, e: Any, position: int) -> None:
        on_spot = bool(e.on_spot_answer)
        conn.execute(insert(Q).values(
            request_id=str(e.originator_id), task_id=str(e.task_id), subject_code=e.subject,
            subject_name=e.subject_name, department=e.department, raised_department=e.department, via=e.via,
            content=e.content, contact=to_json(e.contact), status="answered" if on_spot else "open", on_spot=on_spot,
            raised_at=e.at, due=e.due, forwarded=0, answer=e.on_spot_answer, answered_at=e.at if on_spot else None,
            late=False, position=position))

    @handles(EnterpriseRequest.Answered)
    def _on_Answered(self, conn: Connection, e: Any, position: int) -> None:
        self._update(conn, e, position, status="answered", answer=e.answer, answered_at=e.at, late=e.late)

    @handles(EnterpriseRequest.Forwarded)
    def _on_Forwarded(self, conn: Connection, e: Any, position: int) -> None:
        self._update(conn, e, position, department=e.to_department, due=e.due, forwarded=Q.c.forwarded + 1)

    @handles(EnterpriseRequest.DeadlineRecomputed)
    def _on_DeadlineRecomputed(self, conn: Connection, e: Any, position: int) -> None:
        self._update(conn, e, position, due=e.due)

    @staticmethod
    def _update(conn: Connection, e: Any, position: int, **values: Any) -> None:
        conn.execute(update(Q).where(Q.c.request_id == str(e.originator_id)).values(position=position, **values))


class ArchivesProjection(JointTaskHandlers):
    """Feeds `task_archives` from a task's completion (ArchiveDue) and its sealed files (SubjectsArchived)."""

    name = "task_archives"
    tables = (task_archives,)
    # a task's archive depends on nothing else it records
    ignores = tuple(v for v in vars(JointTask).values() if is_event_of(JointTask, v) and v not in (
        JointTask.ArchiveDue, JointTask.ArchiveDueRecomputed, JointTask.SubjectsArchived)) + (
        Notice, WorkingCalendar, *AFTERLIFE)

    def apply_batch(self, conn: Connection, items: list[tuple[Any, int]]) -> None:
        for event, position, handler in self.handled(items):
            handler(conn, event, position)

    @handles(JointTask.ArchiveDue)
    def _on_ArchiveDue(self, conn: Connection, e: Any, position: int) -> None:
        conn.execute(insert(A).values(task_id=str(e.originator_id), completed_at=e.at, archive_due=e.archive_due,
                                      subjects=e.subjects, archived=0, late=False, position=position))

    @handles(JointTask.ArchiveDueRecomputed)
    def _on_ArchiveDueRecomputed(self, conn: Connection, e: Any, position: int) -> None:
        conn.execute(update(A).where(A.c.task_id == str(e.originator_id)).values(archive_due=e.archive_due,
                                                                                 position=position))

    @handles(JointTask.SubjectsArchived)
    def _on_SubjectsArchived(self, conn: Connection, e: Any, position: int) -> None:
        conn.execute(update(A).where(A.c.task_id == str(e.originator_id)).values(
            archived=A.c.archived + len(e.archives), archived_at=e.at, late=e.late, position=position))


def tasks_awaiting_archive(conn: Connection) -> list[str]:
    """Completed tasks with a subject's file not yet sealed (their due day follows the calendar, R-CAL-2)."""
    return list(conn.execute(select(A.c.task_id).where(A.c.archived < A.c.subjects)).scalars())


def overdue_archives(engine: Engine, *, today: date, offset: int = 0, limit: int = 10_000) -> Page:
    """Completed tasks whose subjects' files are not all sealed by their due day (R-ARCH-1, R-OVER-1)."""
    where = and_(A.c.archived < A.c.subjects, A.c.archive_due < today)
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(A).where(where)).scalar_one()
        rows = conn.execute(select(A, task_summary.c.title, task_summary.c.lead_department)
                            .join(task_summary, task_summary.c.task_id == A.c.task_id).where(where)
                            .order_by(A.c.archive_due, A.c.task_id).offset(offset).limit(limit))
        return Page(items=[dict(r._mapping) for r in rows], total=total)


# ---- reads --------------------------------------------------------------------------------------------------------
def _objection(row: Any, today: date) -> dict:
    item = dict(row._mapping)
    item["contact"] = json.loads(item["contact"])
    due = item["review_due"] if item["status"] == "received" else item["answer_due"]
    item["due"] = due if item["status"] != "answered" else None
    item["overdue"] = item["due"] is not None and item["due"] < today
    return item


def _request(row: Any, today: date) -> dict:
    item = dict(row._mapping)
    item["contact"] = json.loads(item["contact"])
    item["overdue"] = item["status"] == "open" and item["due"] is not None and item["due"] < today
    return item


def objection_due() -> Any:
    return case((O.c.status == "received", O.c.review_due), (O.c.status == "reviewed", O.c.answer_due), else_=None)


def list_objections(engine: Engine, *, today: date, department: str | None = None, status: str | None = None,
                    overdue: bool = False, subject: str | None = None, task_id: str | None = None,
                    offset: int = 0, limit: int = 50) -> Page:
    """Open ones first by due day, then the rest newest first; department None: every department's (the office)."""
    due = objection_due()
    conditions = [O.c.department == department] if department else []
    if status:
        conditions.append(O.c.status == status)
    if overdue:
        conditions.append(and_(O.c.status != "answered", due < today))
    if subject:
        conditions.append(O.c.subject_code == subject)
    if task_id:
        conditions.append(O.c.task_id == task_id)
    where = and_(True, *conditions)
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(O).where(where)).scalar_one()
        rows = conn.execute(select(O).where(where).order_by(
            (O.c.status == "answered"), due, O.c.lodged_at.desc(), O.c.objection_id).offset(offset).limit(limit))
        return Page(items=[_objection(r, today) for r in rows], total=total)


def get_objection_row(engine: Engine, objection_id: str, today: date) -> dict | None:
    with engine.connect() as conn:
        row = conn.execute(select(O).where(O.c.objection_id == objection_id)).first()
    return _objection(row, today) if row else None


def list_requests(engine: Engine, *, today: date, department: str | None = None, status: str | None = None,
                  overdue: bool = False, subject: str | None = None, task_id: str | None = None, offset: int = 0,
                  limit: int = 50, forwarded_too: bool = False) -> Page:
    """Open ones first by due day; `department`: the ones it owns, and with `forwarded_too` those it forwarded."""
    conditions = []
    if department:
        conditions.append(or_(Q.c.department == department, Q.c.raised_department == department) if forwarded_too
                          else Q.c.department == department)
    if status:
        conditions.append(Q.c.status == status)
    if overdue:
        conditions.append(and_(Q.c.status == "open", Q.c.due < today))
    if subject:
        conditions.append(Q.c.subject_code == subject)
    if task_id:
        conditions.append(Q.c.task_id == task_id)
    where = and_(True, *conditions)
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(Q).where(where)).scalar_one()
        rows = conn.execute(select(Q).where(where).order_by(
            (Q.c.status == "answered"), Q.c.due, Q.c.raised_at.desc(), Q.c.request_id).offset(offset).limit(limit))
        return Page(items=[_request(r, today) for r in rows], total=total)


def get_request_row(engine: Engine, request_id: str, today: date) -> dict | None:
    with engine.connect() as conn:
        row = conn.execute(select(Q).where(Q.c.request_id == request_id)).first()
    return _request(row, today) if row else None


def requests_summary(engine: Engine, *, start: date, end: date) -> list[dict]:
    """Per owning department, the requests raised in [start, end): how many, by kind (settled on the spot,
    answered in time, answered late, forwarded, open), and the on-time rate of those settled (004 §47)."""
    answered = Q.c.status == "answered"
    columns = [
        func.count().label("total"),
        func.sum(case((Q.c.on_spot, 1), else_=0)).label("on_spot"),
        func.sum(case((and_(answered, ~Q.c.on_spot, ~Q.c.late), 1), else_=0)).label("answered_in_time"),
        func.sum(case((and_(answered, Q.c.late), 1), else_=0)).label("answered_late"),
        func.sum(case((Q.c.forwarded > 0, 1), else_=0)).label("forwarded"),
        func.sum(case((Q.c.status == "open", 1), else_=0)).label("open"),
    ]
    with engine.connect() as conn:
        rows = conn.execute(select(Q.c.department, *columns)
                            .where(Q.c.raised_at >= _midnight(start), Q.c.raised_at < _midnight(end))
                            .group_by(Q.c.department).order_by(Q.c.department)).all()
    out = []
    for r in rows:
        counts = {k: int(getattr(r, k) or 0) for k in ("total", "on_spot", "answered_in_time", "answered_late",
                                                        "forwarded", "open")}
        settled = counts["on_spot"] + counts["answered_in_time"] + counts["answered_late"]
        rate = round((counts["on_spot"] + counts["answered_in_time"]) / settled * 100, 1) if settled else None
        out.append({"department": r.department, **counts, "on_time_rate": rate})
    return out


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), SHANGHAI)


def subject_objections(conn: Connection, task_id: str, subject: str) -> list[dict]:
    """What the enterprise sees of its objections: no contact, no internal ids beyond the result's."""
    rows = conn.execute(select(O.c.objection_id, O.c.result_id, O.c.department, O.c.reason, O.c.status,
                               O.c.lodged_at, O.c.review_due, O.c.decision, O.c.correction_version, O.c.answer,
                               O.c.answered_at)
                        .where(O.c.task_id == task_id, O.c.subject_code == subject).order_by(O.c.lodged_at))
    return [dict(r._mapping) for r in rows]


def subject_requests(conn: Connection, task_id: str, subject: str) -> list[dict]:
    rows = conn.execute(select(Q.c.request_id, Q.c.department, Q.c.content, Q.c.status, Q.c.raised_at, Q.c.due,
                               Q.c.answer, Q.c.answered_at, Q.c.forwarded)
                        .where(Q.c.task_id == task_id, Q.c.subject_code == subject).order_by(Q.c.raised_at))
    return [dict(r._mapping) for r in rows]
