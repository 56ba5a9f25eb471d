"""The office's working calendar: a year's official schedule and single-day amendments; every open deadline
(responses, results' publication, archives, objections, requests) moves with it in the same unit of work, and the
office is told which (R-CAL-1, R-CAL-2)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain import errors
from domain.joint_task import JointTask
from domain.usecases.base import Actor, CommandResult, UseCases
from domain.working_calendar import WorkingCalendar


@dataclass(frozen=True)
class CalendarChange:
    position: int  # the last event the change recorded (the calendar's or a moved deadline's)
    moved_deadlines: int  # the tasks, objections and requests whose deadlines moved
    moves: list[dict]  # one per deadline moved, earliest new deadline first: see deadline_move


def deadline_move(kind: str, task: JointTask, previous: date | None, deadline: date | None,
                  subject: str | None = None, subject_name: str = "") -> dict:
    """What the office is told of one moved deadline: its kind (response, publication, archive, objection_review,
    objection_answer, request), the task it belongs to, the subject where it is one subject's, and both days."""
    return {"kind": kind, "task_id": str(task.id), "task_number": task.number, "task_title": task.title,
            "subject": subject, "subject_name": subject_name, "previous": previous, "deadline": deadline}


def _task_moves(task: JointTask) -> list[dict]:
    """The deadlines a task's recomputation moved, read from its events before they are saved."""
    moves = []
    for e in task.pending_events:
        if isinstance(e, JointTask.DeadlineRecomputed):
            moves.append(deadline_move("response", task, e.previous, e.response_deadline))
        elif isinstance(e, JointTask.ResultDeadlineRecomputed):
            moves.append(deadline_move("publication", task, e.previous, e.publish_deadline, e.subject,
                                       task.results[e.result_id]["subject_name"]))
        elif isinstance(e, JointTask.ArchiveDueRecomputed):
            moves.append(deadline_move("archive", task, e.previous, e.archive_due))
    return moves


class CalendarUseCases(UseCases):
    def enter_year_schedule(self, actor: Actor, year: int, holidays: list[date], makeup_workdays: list[date],
                            note: str) -> CalendarChange:
        with self.transaction():
            cal = self._calendar_for_update(actor)
            cal.enter_year_schedule(year, holidays, makeup_workdays, note, actor.as_record(), self.clock.now())
            return self._moved(self._save(cal), actor)

    def amend_day(self, actor: Actor, day: date, working: bool, reason: str) -> CalendarChange:
        with self.transaction():
            cal = self._calendar_for_update(actor)
            cal.amend_day(day, working, reason, actor.as_record(), self.clock.now())
            return self._moved(self._save(cal), actor)

    def recompute_deadlines(self, task_ids: list[UUID], actor: Actor, moves: list[dict]) -> list[CommandResult]:
        """Move the open deadlines of the given tasks to the calendar now in force; each moved one to `moves`."""
        calendar, now = self.calendar(), self.clock.now()
        moved = []
        for task_id in task_ids:
            task = self.get_task(task_id)
            if task.recompute_deadline(calendar=calendar, now=now, actor=actor.as_record()):
                moves.extend(_task_moves(task))
                moved.append(self._save(task))
        return moved

    def _moved(self, change: CommandResult, actor: Actor) -> CalendarChange:
        """Move the deadline of every task that may still wait for a response, a publication or an archive (the
        `open_tasks` port, read in this transaction, so a task initiated a moment ago is included whether projected
        or not: R-CAL-2), and of every open objection and request."""
        moves: list[dict] = []
        moved = self.recompute_deadlines(self.open_tasks.ids(), actor, moves) + self.recompute_clocks(actor, moves)
        position = max([change.position or 0] + [m.position or 0 for m in moved])
        moves.sort(key=lambda m: (m["deadline"] or date.max, m["task_number"] or "", m["kind"], m["subject"] or ""))
        return CalendarChange(position=position, moved_deadlines=len(moved), moves=moves)

    def _calendar_for_update(self, actor: Actor) -> WorkingCalendar:
        if not actor.is_office:
            raise errors.Forbidden("只有联席会议办公室可以维护工作日历。")
        return self.working_calendar() or WorkingCalendar(actor=actor.as_record(), at=self.clock.now())
