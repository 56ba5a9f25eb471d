"""Which subjects were drawn into which task, per year: the yearly cap and fusion suggestions (R-DRAW-2, R-JOINT-8).

Draw-time flags come from the fuller model in projections.subject_overlap (R-DRAW-6).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.engine import Connection, Engine

from domain.joint_task import JointTask
from domain.notice import Notice
from domain.working_calendar import WorkingCalendar
from domain.working_days import local_date
from projections.bulk import chunks, insert_rows, probe_by_index
from projections.handlers import AFTERLIFE, JointTaskHandlers, handles
from projections.tables import subject_draws, task_summary


class SubjectDrawsProjection(JointTaskHandlers):
    """Feeds subject_draws from SubjectsDrawn alone: no other event changes what a task drew (not even a merge)."""

    name = "subject_draws"
    tables = (subject_draws,)
    ignores = (JointTask.ResultRecorded, JointTask.ResultApproved, JointTask.ResultPublished, JointTask.ResultCorrected,
               JointTask.ResultDeadlineRecomputed, JointTask.VisitNoticesIssued, JointTask.ResultsChased,
               JointTask.ArchiveDue, JointTask.ArchiveDueRecomputed, JointTask.SubjectsArchived,
               JointTask.Initiated, JointTask.Responded, JointTask.ResponseOverdue, JointTask.LateReasonGiven,
               JointTask.InspectionDayProposed, JointTask.InspectionDayConfirmed, JointTask.InspectionDayAgreed,
               JointTask.Inspected, JointTask.Published, JointTask.DrawCommitted, JointTask.InspectorsMatchCommitted,
               JointTask.InspectorsMatched, JointTask.InspectorsAssigned, JointTask.InspectorReplaced,
               JointTask.Cancelled, JointTask.DeadlineRecomputed, JointTask.Merged, JointTask.MergeAbsorbed,
               Notice, WorkingCalendar, *AFTERLIFE)

    def apply_batch(self, conn: Connection, items: list[tuple[Any, int]]) -> None:
        """A task's new draw supersedes its earlier ones: two statements per batch, whatever its size."""
        draws: list[Any] = []
        for event, _, handler in self.handled(items):
            handler(draws, event)
        if not draws:
            return
        latest = {str(e.originator_id): e.draw_id for e in draws}  # each task's last draw in this batch
        probe_by_index(conn, len(latest))
        for chunk in chunks(sorted(latest)):
            conn.execute(update(subject_draws).where(subject_draws.c.task_id.in_(chunk)).values(current=False))
        insert_rows(conn, subject_draws, [
            {"draw_id": e.draw_id, "code": code, "task_id": str(e.originator_id),
             "lead_department": e.actor["department"],  # only the lead draws (R-JOINT-6)
             "year": local_date(e.at).year, "current": e.draw_id == latest[str(e.originator_id)]}
            for e in draws for code in e.drawn])

    @handles(JointTask.SubjectsDrawn)
    def _on_SubjectsDrawn(self, draws: list[Any], e: Any) -> None:
        draws.append(e)


def capped_codes(conn: Connection, *, year: int, task_id: str, cap: int) -> select:
    """Codes already drawn into `cap` or more other tasks this year (R-DRAW-2: at most 2 a year, inclusive)."""
    return (select(subject_draws.c.code)
            .where(and_(subject_draws.c.year == year, subject_draws.c.current.is_(True),
                        subject_draws.c.task_id != task_id))
            .group_by(subject_draws.c.code)
            .having(func.count(func.distinct(subject_draws.c.task_id)) >= cap))


def fusion_suggestions(engine: Engine, *, year: int, limit: int = 200) -> list[dict]:
    """Pairs of open tasks that drew the same subjects in overlapping windows: candidates for one visit (R-JOINT-8)."""
    a, b = subject_draws.alias("a"), subject_draws.alias("b")
    ta, tb = task_summary.alias("ta"), task_summary.alias("tb")
    open_statuses = ("awaiting_responses", "responded", "day_proposed", "day_agreed")
    shared = (select(a.c.task_id.label("task_a"), b.c.task_id.label("task_b"), a.c.code)
              .select_from(a.join(b, and_(a.c.code == b.c.code, a.c.task_id < b.c.task_id))
                           .join(ta, ta.c.task_id == a.c.task_id).join(tb, tb.c.task_id == b.c.task_id))
              .where(a.c.year == year, b.c.year == year, a.c.current.is_(True), b.c.current.is_(True),
                     ta.c.status.in_(open_statuses), tb.c.status.in_(open_statuses),
                     ta.c.window_start <= tb.c.window_end, tb.c.window_start <= ta.c.window_end))
    pairs: dict[tuple[str, str], list[str]] = {}
    with engine.connect() as conn:
        for row in conn.execute(shared.order_by(shared.selected_columns.task_a, shared.selected_columns.task_b,
                                                shared.selected_columns.code)):
            pairs.setdefault((row.task_a, row.task_b), []).append(row.code)
        titles = {r.task_id: r for r in conn.execute(
            select(task_summary.c.task_id, task_summary.c.title, task_summary.c.lead_department,
                   task_summary.c.window_start, task_summary.c.window_end)
            .where(task_summary.c.task_id.in_({t for pair in pairs for t in pair})))} if pairs else {}
    ranked = sorted(pairs.items(), key=lambda item: (-len(item[1]), item[0]))[:limit]
    return [{"tasks": [dict(titles[t]._mapping) for t in pair], "shared_subjects": codes,
             "shared_count": len(codes)} for pair, codes in ranked]
