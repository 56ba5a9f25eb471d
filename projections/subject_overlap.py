"""subject_overlap: per subject, the tasks it is drawn in, this year's inspections by department and item, and
the visits still to come — what the lead sees at draw time (R-DRAW-2, R-DRAW-6, R-JOINT-8).

Drawn subjects do not follow a merge: MergeAbsorbed carries the other task's items, departments and responses,
not its draw, so the absorbed task's subjects stay on it (status "merged", never a pending visit) and the
survivor visits only what it draws itself. An `Inspected` event counts every current drawn subject of the task
as inspected by that department for each item it inspects: its accepted items (the lead: the task's own items).
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from domain.joint_task import JointTask
from domain.joint_task_rules import task_status
from domain.notice import Notice
from domain.working_calendar import WorkingCalendar
from domain.working_days import local_date
from projections.bulk import RowSet, among, chunks, insert_rows, probe_by_index, select_rows
from projections.handlers import AFTERLIFE, JointTaskHandlers, handles, task_key, to_json
from projections.tables import overlap_departments, overlap_inspections, overlap_subjects, overlap_tasks

LIVE = ("awaiting_responses", "responded", "day_proposed", "day_agreed")  # a visit may still be to come


class _Batch:
    """The rows a batch touches: read in a few queries, changed in memory, written back in a few statements."""

    def __init__(self) -> None:
        self.tasks = RowSet(overlap_tasks)
        self.departments = RowSet(overlap_departments)
        self.subjects: dict[str, list[str]] = {}  # task → its current drawn codes (tasks this batch needs)
        self.redrawn: dict[str, tuple[list[str], int, datetime]] = {}  # task → (codes, draw year, drawn at)
        self.inspections: list[dict] = []

    def load(self, conn: Connection, task_ids: set[str], need_subjects: set[str]) -> None:
        self.tasks.load(conn, task_ids)
        self.departments.load(conn, task_ids)
        for task_id in need_subjects:
            self.subjects[task_id] = []
        for chunk in chunks(sorted(need_subjects)):
            for row in sorted(select_rows(conn, overlap_subjects, "task_id", chunk), key=lambda r: r["code"]):
                self.subjects[row["task_id"]].append(row["code"])

    def flush(self, conn: Connection) -> None:
        self.tasks.flush(conn)
        self.departments.flush(conn)
        for chunk in chunks(sorted(self.redrawn)):
            conn.execute(delete(overlap_subjects).where(overlap_subjects.c.task_id.in_(chunk)))
        insert_rows(conn, overlap_subjects, [
            {"task_id": task_id, "code": code, "draw_year": year, "drawn_at": at}
            for task_id, (codes, year, at) in sorted(self.redrawn.items()) for code in codes])
        insert_rows(conn, overlap_inspections, self.inspections)


Handler = Callable[[_Batch, Any], None]


class SubjectOverlapProjection(JointTaskHandlers):
    """Feeds overlap_tasks, overlap_departments, overlap_subjects and overlap_inspections from JointTask events."""

    name = "subject_overlap"
    tables = (overlap_tasks, overlap_departments, overlap_subjects, overlap_inspections)
    # who visits which subject, and when, does not depend on deadlines, lateness, one department's confirmation of
    # the day (InspectionDayAgreed settles it), a committed but unrevealed draw, or which inspectors go
    ignores = (JointTask.ResultRecorded, JointTask.ResultApproved, JointTask.ResultPublished, JointTask.ResultCorrected,
               JointTask.ResultDeadlineRecomputed, JointTask.VisitNoticesIssued, JointTask.ResultsChased,
               JointTask.ArchiveDue, JointTask.ArchiveDueRecomputed, JointTask.SubjectsArchived,
               JointTask.ResponseOverdue, JointTask.LateReasonGiven, JointTask.InspectionDayConfirmed,
               JointTask.DeadlineRecomputed, JointTask.DrawCommitted, JointTask.InspectorsMatchCommitted,
               JointTask.InspectorsMatched, JointTask.InspectorsAssigned, JointTask.InspectorReplaced,
               Notice, WorkingCalendar, *AFTERLIFE)
    rebuild_weight = 4  # of a rebuild at a million events, about 4x notices or subject_draws

    def apply_batch(self, conn: Connection, items: list[tuple[Any, int]]) -> None:
        handled = self.handled(items)
        if not handled:
            return
        task_ids = {task_key(e.originator_id) for e, _, _ in handled}
        probe_by_index(conn, len(task_ids))
        batch = _Batch()
        batch.load(conn, task_ids,
                   {task_key(e.originator_id) for e, _, _ in handled if isinstance(e, JointTask.Inspected)})
        last: dict[str, int] = {}  # task → the position of its last event in this batch
        for event, position, handler in handled:
            handler(batch, event)
            last[task_key(event.originator_id)] = position
        for task_id, position in last.items():  # the stage depends only on the facts as they end up
            _refresh(batch, task_id, position)
        batch.flush(conn)

    # ---- one handler per event class, registered by the class itself ------------------------------
    @handles(JointTask.Initiated)
    def _on_Initiated(self, b: _Batch, e: Any) -> None:
        task_id = task_key(e.originator_id)
        b.tasks.put({"task_id": task_id, "title": e.title, "lead_department": e.lead_department,
                     "window_start": e.window_start, "window_end": e.window_end, "proposed_day": None,
                     "agreed_day": None, "status": "awaiting_responses", "visiting": "[]", "cancelled": False,
                     "merged_into": None, "position": 0})
        b.departments.put(_department(task_id, e.lead_department, "lead", "lead", e.items))
        for code in e.responding_departments:
            b.departments.put(_department(task_id, code, "responder", "pending", []))

    @handles(JointTask.Responded)
    def _on_Responded(self, b: _Batch, e: Any) -> None:
        accepted = e.decision == "accept"
        _change_department(b, e, response_status="accepted" if accepted else "declined",
                           items=_json(e.item_ids if accepted else []))

    @handles(JointTask.InspectionDayProposed)
    def _on_InspectionDayProposed(self, b: _Batch, e: Any) -> None:
        b.tasks.change(_task(b, e), proposed_day=e.day)

    @handles(JointTask.InspectionDayAgreed)
    def _on_InspectionDayAgreed(self, b: _Batch, e: Any) -> None:
        b.tasks.change(_task(b, e), agreed_day=e.day)

    @handles(JointTask.SubjectsDrawn)
    def _on_SubjectsDrawn(self, b: _Batch, e: Any) -> None:
        task_id = task_key(e.originator_id)
        codes = list(dict.fromkeys(e.drawn))
        b.subjects[task_id] = codes
        b.redrawn[task_id] = (codes, local_date(e.at).year, e.at)

    @handles(JointTask.Inspected)
    def _on_Inspected(self, b: _Batch, e: Any) -> None:
        task_id = task_key(e.originator_id)
        row = _change_department(b, e, inspected_on=e.completed_on)
        items = json.loads(row["items"]) if row else []
        b.inspections.extend(
            {"code": code, "year": e.completed_on.year, "department": e.department, "item": item,
             "task_id": task_id, "inspected_on": e.completed_on}
            for code in b.subjects.get(task_id, []) for item in dict.fromkeys(items))

    @handles(JointTask.Published)
    def _on_Published(self, b: _Batch, e: Any) -> None:
        _change_department(b, e, published=True)

    @handles(JointTask.Cancelled)
    def _on_Cancelled(self, b: _Batch, e: Any) -> None:
        b.tasks.change(_task(b, e), cancelled=True)

    @handles(JointTask.Merged)
    def _on_Merged(self, b: _Batch, e: Any) -> None:
        b.tasks.change(_task(b, e), merged_into=str(e.into_task_id))

    @handles(JointTask.MergeAbsorbed)
    def _on_MergeAbsorbed(self, b: _Batch, e: Any) -> None:
        task_id = task_key(e.originator_id)
        for code, response in e.responses.items():
            accepted = response["status"] == "accepted"
            b.departments.put(_department(task_id, code, "responder", response["status"],
                                          response["item_ids"] if accepted else []))


def _department(task_id: str, code: str, role: str, status: str, items: list[str]) -> dict:
    return {"task_id": task_id, "department": code, "role": role, "response_status": status, "items": _json(items),
            "inspected_on": None, "published": False}


def _json(values: list[str]) -> str:
    return to_json(list(values))


def _task(b: _Batch, e: Any) -> dict:
    row = b.tasks.get(task_key(e.originator_id))
    if row is None:
        raise LookupError(f"task {e.originator_id} has no overlap row: its Initiated event was not applied")
    return row


def _change_department(b: _Batch, e: Any, **values: Any) -> dict | None:
    row = b.departments.get(task_key(e.originator_id), e.department)
    if row is not None:
        b.departments.change(row, **values)
    return row


def _refresh(b: _Batch, task_id: str, position: int) -> None:
    """The stage by the aggregate's own rule, and who is yet to visit while the task is live."""
    task = b.tasks.get(task_id)
    if task is None:
        raise LookupError(f"task {task_id} has no overlap row: its Initiated event was not applied")
    rows = b.departments.group(task_id)
    participants = {r["department"] for r in rows if r["response_status"] in ("lead", "accepted")}
    inspected = {r["department"] for r in rows if r["inspected_on"] is not None}
    status = task_status(
        merged=task["merged_into"] is not None, cancelled=task["cancelled"], participants=participants,
        inspected=inspected, published={r["department"] for r in rows if r["published"]},
        agreed=task["agreed_day"] is not None, proposed=task["proposed_day"] is not None,
        pending=any(r["response_status"] == "pending" for r in rows))
    visiting = sorted(participants - inspected) if status in LIVE else []
    b.tasks.change(task, status=status, visiting=_json(visiting), position=position)


# ---- queries -------------------------------------------------------------------------------------------------
def subject_overlap(conn: Connection, code: str, *, year: int) -> dict | None:
    """One subject's tasks (any state), `year`'s inspections by department and item, and its pending visits;
    None when no task has drawn it."""
    s, t = overlap_subjects, overlap_tasks
    tasks = conn.execute(
        select(t, s.c.draw_year, s.c.drawn_at).select_from(s.join(t, t.c.task_id == s.c.task_id))
        .where(s.c.code == code).order_by(s.c.drawn_at, t.c.task_id)).mappings().all()
    if not tasks:
        return None
    return {"tasks": [_task_view(r) | {"draw_year": r["draw_year"], "drawn_at": r["drawn_at"]} for r in tasks],
            "inspections": _inspection_groups(conn, code, year),
            "pending_visits": _pending_visits(conn, [r for r in tasks if json.loads(r["visiting"])])}


def overlap_flags(conn: Connection, codes: list[str], *, year: int, task_id: str) -> dict[str, list[dict]]:
    """Draw-time flags (R-DRAW-6): per drawn code, the other tasks that drew it this year or have yet to visit it,
    each with its inspections of the code this year by department and item, and its pending visit."""
    s, t, i = overlap_subjects, overlap_tasks, overlap_inspections
    found: dict[str, list[dict]] = {}
    probe_by_index(conn, len(codes))
    # tens of thousands of rows for 10,000 codes: two queries (a join of every drawn row to the inspections
    # probed the index once per row, most of them for nothing), plain tuples, and each distinct `visiting` list
    # parsed once (a few hundred department sets recur)
    parsed: dict[str, list[str]] = {"[]": []}
    for chunk in [list(codes)] if conn.dialect.name == "postgresql" else chunks(codes):
        source, wanted = among(conn, i, i.c.code, chunk)
        inspections: dict[tuple[str, str], list[dict]] = {}
        for code, other, department, item, on in conn.execute(
                select(i.c.code, i.c.task_id, i.c.department, i.c.item, i.c.inspected_on).select_from(source)
                .where(wanted, i.c.year == year).order_by(i.c.inspected_on, i.c.department, i.c.item)):
            inspections.setdefault((code, other), []).append(
                {"department": department, "item": item, "inspected_on": on})
        source, wanted = among(conn, s, s.c.code, chunk)
        for code, draw_year, other, lead, status, agreed, proposed, visiting in conn.execute(
                select(s.c.code, s.c.draw_year, t.c.task_id, t.c.lead_department, t.c.status, t.c.agreed_day,
                       t.c.proposed_day, t.c.visiting)
                .select_from(source.join(t, t.c.task_id == s.c.task_id))
                .where(wanted, s.c.task_id != task_id).order_by(s.c.code, s.c.drawn_at, t.c.task_id)).all():
            departments = parsed.get(visiting)
            if departments is None:
                departments = parsed[visiting] = json.loads(visiting)
            done = inspections.get((code, other))
            if draw_year != year and not departments and not done:
                continue
            found.setdefault(code, []).append({
                "task_id": other, "lead_department": lead, "status": status, "agreed_day": agreed,
                "proposed_day": proposed, "inspections": done or [],
                "pending_visit": {"day": agreed or proposed,
                                  "day_state": "agreed" if agreed else ("proposed" if proposed else None),
                                  "departments": list(departments)} if departments else None})
    return found


def _task_view(r: Any) -> dict:
    return {"task_id": r["task_id"], "title": r["title"], "lead_department": r["lead_department"],
            "status": r["status"], "window_start": r["window_start"], "window_end": r["window_end"],
            "proposed_day": r["proposed_day"], "agreed_day": r["agreed_day"], "merged_into": r["merged_into"]}


def _inspection_groups(conn: Connection, code: str, year: int) -> list[dict]:
    i = overlap_inspections
    groups: dict[tuple[str, str], dict] = {}
    for r in conn.execute(select(i).where(i.c.code == code, i.c.year == year)
                          .order_by(i.c.department, i.c.item, i.c.inspected_on, i.c.task_id)):
        group = groups.setdefault((r.department, r.item), {"department": r.department, "item": r.item, "count": 0,
                                                           "last_inspected_on": None, "task_ids": []})
        group["count"] += 1
        group["last_inspected_on"] = r.inspected_on
        group["task_ids"].append(r.task_id)
    return list(groups.values())


def _pending_visits(conn: Connection, tasks: list[Any]) -> list[dict]:
    """Live tasks yet to visit: the day (agreed, else proposed) and who comes with which items."""
    if not tasks:
        return []
    d = overlap_departments
    items = {(r.task_id, r.department): json.loads(r.items) for r in conn.execute(
        select(d.c.task_id, d.c.department, d.c["items"]).where(d.c.task_id.in_([t["task_id"] for t in tasks])))}
    visits = []
    for t in tasks:
        visits.append(_task_view(t) | {
            "day": t["agreed_day"] or t["proposed_day"],
            "day_state": "agreed" if t["agreed_day"] else ("proposed" if t["proposed_day"] else None),
            "departments": [{"department": code, "items": items.get((t["task_id"], code), [])}
                            for code in json.loads(t["visiting"])]})
    return sorted(visits, key=lambda v: (v["day"] is None, v["day"] or v["window_start"], v["task_id"]))
