"""The office's working calendar: a year's official schedule and single-day amendments; every open deadline
(responses, results' publication, objections, requests) moves with it in the same unit of work (R-CAL-1, R-CAL-2)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain import errors
from domain.usecases.base import Actor, CommandResult, UseCases
from domain.working_calendar import WorkingCalendar


@dataclass(frozen=True)
class CalendarChange:
    position: int  # the last event the change recorded (the calendar's or a moved deadline's)
    moved_deadlines: int


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

    def recompute_deadlines(self, task_ids: list[UUID], actor: Actor) -> list[CommandResult]:
        """Move the open response deadlines of the given tasks to the calendar now in force."""
        calendar, now = self.calendar(), self.clock.now()
        moved = []
        for task_id in task_ids:
            task = self.get_task(task_id)
            if task.recompute_deadline(calendar=calendar, now=now, actor=actor.as_record()):
                moved.append(self._save(task))
        return moved

    def _moved(self, change: CommandResult, actor: Actor) -> CalendarChange:
        """Move the deadline of every task that may still wait for a response (the `open_tasks` port, read in
        this transaction, so a task initiated a moment ago is included whether projected or not: R-CAL-2)."""
        moved = self.recompute_deadlines(self.open_tasks.ids(), actor) + self.recompute_clocks(actor)
        position = max([change.position or 0] + [m.position or 0 for m in moved])
        return CalendarChange(position=position, moved_deadlines=len(moved))

    def _calendar_for_update(self, actor: Actor) -> WorkingCalendar:
        if not actor.is_office:
            raise errors.Forbidden("只有联席会议办公室可以维护工作日历。")
        return self.working_calendar() or WorkingCalendar(actor=actor.as_record(), at=self.clock.now())
