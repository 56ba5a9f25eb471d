"""JointInspect: the only write API. Each command checks, records, and returns its notification position."""
from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable, Protocol
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import JSONTranscoder, Transcoding

from domain import errors
from domain.checklist_rules import resolve_task_item_names
from domain.joint_task import JointTask
from domain.notice import Notice
from domain.ports import CheckItemNames, OpenTasks
from domain.working_calendar import CALENDAR_ID, WorkingCalendar
from domain.working_days import Calendar, OfficialSchedule, WeekdaysOnly


class Clock(Protocol):
    def now(self) -> datetime: ...


@dataclass(frozen=True)
class Actor:
    """Who acts: a user of a department; recorded on every event."""

    user: str
    department: str
    is_office: bool = False

    def as_record(self) -> dict:
        return {"user": self.user, "department": self.department, "office": self.is_office}


SYSTEM = Actor(user="system", department="system")  # the platform itself, e.g. the deadline watcher


@dataclass(frozen=True)
class CommandResult:
    """What a command changed and where its last event sits in the notification log."""

    aggregate_id: UUID
    position: int | None  # None when the command recorded nothing new
    aggregate: Any = None  # the aggregate as saved, so callers can answer without reading it again


def _looks_like_id(entry: str) -> bool:
    """Check items are keyed by UUIDs; anything else a response names is an item's name."""
    try:
        UUID(entry)
    except ValueError:
        return False
    return True


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class JointInspect(Application):
    """Joint inspections and the working calendar, event-sourced."""

    name = "JointInspect"

    def __init__(self, env: dict[str, str], clock: Clock, official: OfficialSchedule | None = None) -> None:
        super().__init__(env)
        self.clock = clock
        self.official = official or WeekdaysOnly()
        self.open_tasks: OpenTasks | None = None  # set by the composition root (api/services.py)
        self.check_items: CheckItemNames | None = None  # likewise

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def transaction(self) -> AbstractContextManager[Any]:
        """One database transaction that every save inside it joins (events + caller's rows commit together)."""
        return self.recorder.transaction(commit=True)  # type: ignore[attr-defined]

    # ---- reads of single aggregates ----------------------------------------------------------------
    def get_task(self, task_id: UUID) -> JointTask:
        try:
            task = self.repository.get(task_id)
        except AggregateNotFoundError:
            raise errors.TaskNotFound("找不到该联合任务，请核对任务编号。", task_id=str(task_id)) from None
        if not isinstance(task, JointTask):
            raise errors.TaskNotFound("找不到该联合任务，请核对任务编号。", task_id=str(task_id))
        return task

    def working_calendar(self) -> WorkingCalendar | None:
        try:
            return self.repository.get(CALENDAR_ID)
        except AggregateNotFoundError:
            return None

    def calendar(self) -> Calendar:
        """The calendar in force now: official schedule plus the office's entries."""
        aggregate = self.working_calendar()
        return aggregate.calendar(self.official) if aggregate else Calendar(official=self.official)

    # ---- joint task commands -----------------------------------------------------------------------
    def initiate_task(self, actor: Actor, **fields: Any) -> CommandResult:
        """R-JOINT-1: a lead department (or the office) pushes a joint task."""
        task = JointTask.initiate(
            lead_department=actor.department,
            initiator_role="office" if actor.is_office else "lead",
            calendar=self.calendar(),
            now=self.clock.now(),
            actor=actor.as_record(),
            **fields,
        )
        return self._save(task)

    def respond(self, task_id: UUID, actor: Actor, decision: str, item_ids: list[str], reason: str) -> CommandResult:
        """R-JOINT-3. Items are named by id; a name that is exactly one of the task's own items stands for its id
        (read through `check_items` in this transaction)."""
        def command(task: JointTask, now: datetime) -> None:
            named = item_ids
            if self.check_items is not None and any(not _looks_like_id(i) for i in item_ids):
                named = resolve_task_item_names(item_ids, task.items, self.check_items.names(list(task.items)))
            task.respond(department=actor.department, decision=decision, item_ids=named, reason=reason, now=now,
                         actor=actor.as_record())
        return self._on_task(task_id, command)

    def mark_overdue(self, task_id: UUID, department: str, actor: Actor) -> CommandResult:
        return self._on_task(task_id, lambda t, now: t.mark_overdue(
            department=department, now=now, actor=actor.as_record()))

    def give_late_reason(self, task_id: UUID, actor: Actor, reason: str) -> CommandResult:
        return self._on_task(task_id, lambda t, now: t.give_late_reason(
            department=actor.department, reason=reason, now=now, actor=actor.as_record()))

    def propose_day(self, task_id: UUID, actor: Actor, day: date) -> CommandResult:
        calendar = self.calendar()
        return self._on_task(task_id, lambda t, now: t.propose_day(
            department=actor.department, day=day, calendar=calendar, now=now, actor=actor.as_record()))

    def agree_day(self, task_id: UUID, actor: Actor) -> CommandResult:
        return self._on_task(task_id, lambda t, now: t.agree_day(
            department=actor.department, now=now, actor=actor.as_record()))

    def record_inspection(self, task_id: UUID, actor: Actor, completed_on: date, note: str) -> CommandResult:
        calendar = self.calendar()
        return self._on_task(task_id, lambda t, now: t.record_inspection(
            department=actor.department, completed_on=completed_on, note=note, calendar=calendar, now=now,
            actor=actor.as_record()))

    def publish(self, task_id: UUID, actor: Actor, note: str) -> CommandResult:
        return self._on_task(task_id, lambda t, now: t.publish(
            department=actor.department, note=note, now=now, actor=actor.as_record()))

    def cancel(self, task_id: UUID, actor: Actor, reason: str) -> CommandResult:
        return self._on_task(task_id, lambda t, now: t.cancel(
            department=actor.department, is_office=actor.is_office, reason=reason, now=now,
            actor=actor.as_record()))

    def merge(self, task_id: UUID, into_task_id: UUID, actor: Actor) -> CommandResult:
        """Fuse task_id into into_task_id (R-JOINT-8); the lead of both tasks, or the office, may do it."""
        merged, survivor = self.get_task(task_id), self.get_task(into_task_id)
        leads = {merged.lead_department, survivor.lead_department}
        if not actor.is_office and leads != {actor.department}:
            raise errors.NotTheLeadDepartment("只有两个任务共同的牵头部门或联席会议办公室可以融合任务。")
        now = self.clock.now()
        survivor.absorb(other=merged, now=now, actor=actor.as_record())
        merged.mark_merged_into(survivor=survivor, now=now, actor=actor.as_record())
        return self._save(survivor, merged, result_id=survivor.id)

    # ---- drawing subjects (R-JOINT-6, R-DRAW-5) -----------------------------------------------------
    def commit_draw(self, task_id: UUID, actor: Actor, **fields: Any) -> CommandResult:
        return self._on_task(task_id, lambda t, now: t.commit_draw(
            department=actor.department, now=now, actor=actor.as_record(), **fields))

    def record_draw(self, task_id: UUID, actor: Actor, **fields: Any) -> CommandResult:
        return self._on_task(task_id, lambda t, now: t.record_draw(now=now, actor=actor.as_record(), **fields))

    def commit_matching(self, task_id: UUID, actor: Actor, **fields: Any) -> CommandResult:
        return self._on_task(task_id, lambda t, now: t.commit_matching(
            department=actor.department, now=now, actor=actor.as_record(), **fields))

    def record_matching(self, task_id: UUID, actor: Actor, **fields: Any) -> CommandResult:
        return self._on_task(task_id, lambda t, now: t.record_matching(
            department=actor.department, now=now, actor=actor.as_record(), **fields))

    def replace_inspector(self, task_id: UUID, actor: Actor, **fields: Any) -> CommandResult:
        return self._on_task(task_id, lambda t, now: t.replace_inspector(
            department=actor.department, now=now, actor=actor.as_record(), **fields))

    def assign_inspectors(self, task_id: UUID, actor: Actor, **fields: Any) -> CommandResult:
        return self._on_task(task_id, lambda t, now: t.assign_inspectors(
            department=actor.department, now=now, actor=actor.as_record(), **fields))

    # ---- notices (R-JOINT-4) -------------------------------------------------------------------------
    def issue_notice(self, actor: Actor, department: str, subject: str, body: str, task_ids: list[UUID]) -> CommandResult:
        """The office names a department's late responses that came with no reason (R-JOINT-4)."""
        if not actor.is_office:
            raise errors.Forbidden("只有联席会议办公室可以发出通报。")
        now = self.clock.now()
        for task_id in task_ids:
            task = self.get_task(task_id)
            response = task.responses.get(department)
            if response is None or not task.response_is_late(department, now) or response["late_reason"]:
                raise errors.Invalid(
                    f"任务“{task.title}”中该部门没有未说明理由的逾期响应，不能据此通报。", task_id=str(task_id))
        notice = Notice.issue(department=department, subject=subject, body=body,
                              task_ids=[str(t) for t in task_ids], now=now, actor=actor.as_record())
        return self._save(notice)

    def acknowledge_notice(self, notice_id: UUID, actor: Actor) -> CommandResult:
        notice = self.get_notice(notice_id)
        notice.acknowledge(department=actor.department, now=self.clock.now(), actor=actor.as_record())
        return self._save(notice)

    def get_notice(self, notice_id: UUID) -> Notice:
        try:
            notice = self.repository.get(notice_id)
        except AggregateNotFoundError:
            notice = None
        if not isinstance(notice, Notice):
            raise errors.NotFound("找不到该通报，请核对编号。", notice_id=str(notice_id))
        return notice

    # ---- calendar commands (R-CAL-2) ---------------------------------------------------------------
    def enter_year_schedule(
        self, actor: Actor, year: int, holidays: list[date], makeup_workdays: list[date], note: str
    ) -> CommandResult:
        cal = self._calendar_for_update(actor)
        cal.enter_year_schedule(year, holidays, makeup_workdays, note, actor.as_record(), self.clock.now())
        return self._save(cal)

    def amend_day(self, actor: Actor, day: date, working: bool, reason: str) -> CommandResult:
        cal = self._calendar_for_update(actor)
        cal.amend_day(day, working, reason, actor.as_record(), self.clock.now())
        return self._save(cal)

    def recompute_open_deadlines(self, actor: Actor) -> list[CommandResult]:
        """Move the response deadline of every task still waiting for a response to the calendar now in force
        (R-CAL-2): the tasks come from the `open_tasks` port, read in this transaction."""
        if self.open_tasks is None:
            raise RuntimeError("JointInspect.open_tasks is not set: the composition root supplies it")
        return self.recompute_deadlines(self.open_tasks.ids(), actor)

    def recompute_deadlines(self, task_ids: list[UUID], actor: Actor) -> list[CommandResult]:
        """Move the open response deadlines of the given tasks to the calendar now in force."""
        calendar, now = self.calendar(), self.clock.now()
        moved = []
        for task_id in task_ids:
            task = self.get_task(task_id)
            if task.recompute_deadline(calendar=calendar, now=now, actor=actor.as_record()):
                moved.append(self._save(task))
        return moved

    # ---- plumbing ------------------------------------------------------------------------------------
    def _calendar_for_update(self, actor: Actor) -> WorkingCalendar:
        if not actor.is_office:
            raise errors.Forbidden("只有联席会议办公室可以维护工作日历。")
        return self.working_calendar() or WorkingCalendar(actor=actor.as_record(), at=self.clock.now())

    def _on_task(self, task_id: UUID, command: Callable[[JointTask, datetime], None]) -> CommandResult:
        with self.transaction():  # one unit of work: the read, what the rules read through the ports, the save
            task = self.get_task(task_id)
            command(task, self.clock.now())
            return self._save(task)

    def _save(self, *aggregates: Any, result_id: UUID | None = None) -> CommandResult:
        recordings = self.save(*aggregates)
        position = max((r.notification.id for r in recordings), default=None)
        result_aggregate = next((a for a in aggregates if a.id == result_id), aggregates[0])
        return CommandResult(aggregate_id=result_aggregate.id, position=position, aggregate=result_aggregate)
