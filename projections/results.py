"""The results read model: one row per department per subject (R-JOINT-7) with its publication and current version,
and every version (R-PUB-2); the public search reads only published rows and public fields (R-PUB-3)."""
from __future__ import annotations

import json
import re
from datetime import date
from typing import Any, Iterator

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from domain.joint_task import JointTask
from domain.notice import Notice
from domain.result_rules import PUBLIC_FIELDS
from domain.working_calendar import WorkingCalendar
from projections.handlers import AFTERLIFE, JointTaskHandlers, handles, to_json
from projections.queries import Page
from projections.tables import inspection_results, result_versions

R = inspection_results
CODE_SHAPE = re.compile(r"[0-9A-Za-z]{15,18}")  # a registry number, credit code or resident ID


def _fields_json(fields: dict) -> str:
    return to_json({k: (v.isoformat() if isinstance(v, date) else v) for k, v in fields.items() if k in PUBLIC_FIELDS})


class ResultsProjection(JointTaskHandlers):
    """Feeds inspection_results and result_versions from the task's result events, one statement per event."""

    name = "results"
    tables = (inspection_results, result_versions)
    ignores = tuple(getattr(JointTask, n) for n in (
        "Initiated", "Responded", "ResponseOverdue", "LateReasonGiven", "InspectionDayProposed",
        "InspectionDayConfirmed", "InspectionDayAgreed", "Inspected", "Published", "DrawCommitted", "SubjectsDrawn",
        "InspectorsMatchCommitted", "InspectorsMatched", "InspectorsAssigned", "InspectorReplaced", "Cancelled",
        "DeadlineRecomputed", "Merged", "MergeAbsorbed", "VisitNoticesIssued", "ResultsChased", "ArchiveDue",
        "ArchiveDueRecomputed", "SubjectsArchived")) + (Notice, WorkingCalendar, *AFTERLIFE)
    rebuild_weight = 1

    def apply_batch(self, conn: Connection, items: list[tuple[Any, int]]) -> None:
        for event, position, handler in self.handled(items):
            handler(conn, event, position)

    @handles(JointTask.ResultRecorded)
    def _on_ResultRecorded(self, conn: Connection, e: Any, position: int) -> None:
        f = e.fields
        conn.execute(insert(R).values(
            result_id=e.result_id, task_id=str(e.originator_id), department=e.department, subject_code=e.subject,
            subject_name=e.subject_name, item_ids=to_json(f["item_ids"]), methods=to_json(f["methods"]),
            outcome=f["outcome"], findings=f["findings"], measures=f["measures"], transferred_to=f["transferred_to"],
            confidential_note=e.confidential_note, inspectors=to_json(e.inspectors), inspected_on=f["inspected_on"],
            publish_deadline=e.publish_deadline, recorded_at=e.at, recorded_by=e.actor["user"],
            review_required=e.review_required, approved_by=None, report_late=e.report_late, published_at=None,
            late=False, version=1, corrected_at=None, position=position))
        conn.execute(insert(result_versions).values(result_id=e.result_id, version=1, fields=_fields_json(f),
                                                    reason="", approver="", by=e.actor["user"], at=e.at))

    @handles(JointTask.ResultApproved)
    def _on_ResultApproved(self, conn: Connection, e: Any, position: int) -> None:
        conn.execute(update(R).where(R.c.result_id == e.result_id)
                     .values(approved_by=e.actor["user"], position=position))

    @handles(JointTask.ResultPublished)
    def _on_ResultPublished(self, conn: Connection, e: Any, position: int) -> None:
        conn.execute(update(R).where(R.c.result_id == e.result_id)
                     .values(published_at=e.at, late=e.late, position=position))

    @handles(JointTask.ResultDeadlineRecomputed)
    def _on_ResultDeadlineRecomputed(self, conn: Connection, e: Any, position: int) -> None:
        conn.execute(update(R).where(R.c.result_id == e.result_id)
                     .values(publish_deadline=e.publish_deadline, position=position))

    @handles(JointTask.ResultCorrected)
    def _on_ResultCorrected(self, conn: Connection, e: Any, position: int) -> None:
        c = e.changes
        values: dict[str, Any] = {k: (to_json(v) if k in ("item_ids", "methods") else v) for k, v in c.items()}
        conn.execute(update(R).where(R.c.result_id == e.result_id)
                     .values(**values, version=e.version, corrected_at=e.at, position=position))
        current = conn.execute(select(result_versions.c.fields).where(
            result_versions.c.result_id == e.result_id, result_versions.c.version == e.version - 1)).scalar_one()
        fields = {**json.loads(current), **{k: (v.isoformat() if isinstance(v, date) else v) for k, v in c.items()}}
        conn.execute(insert(result_versions).values(result_id=e.result_id, version=e.version,
                                                    fields=to_json(fields), reason=e.reason, approver=e.approver,
                                                    by=e.actor["user"], at=e.at))


# ---- queries --------------------------------------------------------------------------------------------------
def tasks_awaiting_publication(conn: Connection) -> list[str]:
    """Tasks with a result recorded and not yet published (their deadlines follow the calendar, R-CAL-2)."""
    return list(conn.execute(select(R.c.task_id).where(R.c.published_at.is_(None)).distinct()).scalars())


def _row(r: Any) -> dict:
    row = dict(r)
    for key in ("item_ids", "methods", "inspectors"):
        row[key] = json.loads(row[key])
    return row


def task_results(engine: Engine, task_id: str) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(R).where(R.c.task_id == task_id)
                            .order_by(R.c.department, R.c.subject_code)).mappings().all()
    return [_row(r) for r in rows]


def result(engine: Engine, result_id: str) -> dict | None:
    with engine.connect() as conn:
        row = conn.execute(select(R).where(R.c.result_id == result_id)).mappings().first()
        if row is None:
            return None
        versions = conn.execute(select(result_versions).where(result_versions.c.result_id == result_id)
                                .order_by(result_versions.c.version)).mappings().all()
    return _row(row) | {"versions": [dict(v) | {"fields": json.loads(v["fields"])} for v in versions]}


def public_results(engine: Engine, *, q: str | None, department: str | None, outcome: str | None,
                   date_from: date | None, date_to: date | None, subject_code: str | None, offset: int,
                   limit: int) -> Page:
    """Published results only (R-PUB-1), newest publication first; `q` matches the subject's code exactly or a
    fragment of its name."""
    conditions = _published(department, date_from, date_to)
    if q and CODE_SHAPE.fullmatch(q):  # a credit code or ID number: by code alone (its index)
        conditions.append(R.c.subject_code == q.upper())
    elif q:  # a fragment of the name (PostgreSQL: the trigram index)
        conditions.append(R.c.subject_name.contains(q, autoescape=True))
    if subject_code:
        conditions.append(R.c.subject_code == subject_code)
    if outcome:
        conditions.append(R.c.outcome == outcome)
    where = and_(*conditions)
    columns = [R.c.result_id, R.c.task_id, R.c.subject_code, R.c.subject_name, R.c.department, R.c.item_ids,
               R.c.methods, R.c.outcome, R.c.findings, R.c.measures, R.c.inspected_on, R.c.published_at, R.c.version,
               R.c.corrected_at]  # the public fields only: no note, no inspectors, no transfer case (R-PUB-3)
    with engine.connect() as conn:  # the page and the total in one statement; the total alone past the last page
        rows = conn.execute(select(*columns, func.count().over().label("total")).where(where)
                            .order_by(R.c.published_at.desc(), R.c.result_id).offset(offset).limit(limit)
                            ).mappings().all()
        total = rows[0]["total"] if rows else (
            conn.execute(select(func.count()).select_from(R).where(where)).scalar_one() if offset else 0)
    items = []
    for r in rows:
        row = dict(r)
        del row["total"]
        row["item_ids"], row["methods"] = json.loads(row["item_ids"]), json.loads(row["methods"])
        items.append(row)
    return Page(items=items, total=total)


def unpublished_results(engine: Engine, *, today: date, department: str | None, overdue_only: bool, offset: int,
                        limit: int) -> Page:
    """Recorded, not yet published: per subject and department, earliest deadline first (R-PUB-1, R-OVER-1)."""
    conditions = [R.c.published_at.is_(None)]
    if department:
        conditions.append(R.c.department == department)
    if overdue_only:
        conditions.append(R.c.publish_deadline < today)
    where = and_(*conditions)
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(R).where(where)).scalar_one()
        rows = conn.execute(select(R.c.result_id, R.c.task_id, R.c.department, R.c.subject_code, R.c.subject_name,
                                   R.c.inspected_on, R.c.publish_deadline).where(where)
                            .order_by(R.c.publish_deadline, R.c.result_id).offset(offset).limit(limit)
                            ).mappings().all()
    return Page(items=[dict(r) | {"overdue": r["publish_deadline"] < today} for r in rows], total=total)


def iter_published(engine: Engine, *, department: str | None, date_from: date | None, date_to: date | None,
                   batch: int = 2000) -> Iterator[dict]:
    """Every published result in its current version, oldest publication first, streamed in batches from the
    server (a province's year does not fit in memory)."""
    conditions = _published(department, date_from, date_to)
    query = (select(R.c.result_id, R.c.subject_code, R.c.subject_name, R.c.department, R.c.item_ids, R.c.outcome,
                    R.c.inspected_on, R.c.published_at, R.c.version, R.c.corrected_at)
             .where(and_(*conditions)).order_by(R.c.published_at, R.c.result_id))
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=batch).execute(query)
        for row in result.mappings():
            item = dict(row)
            item["item_ids"] = json.loads(item["item_ids"])
            yield item


def _published(department: str | None, date_from: date | None, date_to: date | None) -> list[Any]:
    """Published results, of a department and inspected within dates when given."""
    conditions = [R.c.published_at.is_not(None)]
    if department:
        conditions.append(R.c.department == department)
    if date_from:
        conditions.append(R.c.inspected_on >= date_from)
    if date_to:
        conditions.append(R.c.inspected_on <= date_to)
    return conditions
