"""Joint task use cases: initiate, respond, agree the day, record the inspection, publish, cancel, merge
(R-JOINT-1..5, R-JOINT-8)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain import errors
from domain.checklist_rules import check_own_items, check_task_items, resolve_task_item_names
from domain.joint_task import JointTask
from domain.joint_task_rules import task_number
from domain.usecases.base import Actor, CommandResult, UseCases
from domain.working_days import local_date


class TaskUseCases(UseCases):
    def initiate(self, actor: Actor, *, items: list[str], responding_departments: list[str],
                 **fields: Any) -> CommandResult:
        """R-JOINT-1..3: a lead department (or the office) pushes a joint task to existing departments, for items
        on the checklist (R-ITEM-3: 清单之外无事项), read through the checklist port in this unit of work; the task
        takes the year's next number (联检〔2026〕0042号), kept in its Initiated event."""
        with self.transaction():
            known = self.checklist.known_departments(responding_departments)
            unknown = [c for c in responding_departments if c not in known]
            if unknown:
                raise errors.Invalid(f"以下部门代码不存在：{'、'.join(unknown)}，请核对后重试。",
                                     code="unknown_department", unknown=unknown)
            parties = [actor.department, *responding_departments]
            item_ids = check_task_items(items, *self.checklist.task_items(items, parties), parties)
            year = local_date(self.clock.now()).year
            return self.initiate_task(actor, items=list(item_ids), responding_departments=responding_departments,
                                      number=task_number(year, self.task_numbers.next(year)), **fields)

    def initiate_task(self, actor: Actor, **fields: Any) -> CommandResult:
        """Record a new joint task whose departments and items the caller has checked (`initiate` does; tests and
        loaders of fixtures call this directly with items of their own)."""
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
        (read through the checklist port in this transaction). A department joins only its own items."""
        def command(task: JointTask, now: datetime) -> None:
            named = item_ids
            if any(not _looks_like_id(i) for i in item_ids):
                named = resolve_task_item_names(item_ids, task.items, self.checklist.names(list(task.items)))
            if decision == "accept":
                check_own_items(named, self.checklist.item_refs(named), actor.department)
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
        with self.transaction():
            merged, survivor = self.get_task(task_id), self.get_task(into_task_id)
            leads = {merged.lead_department, survivor.lead_department}
            if not actor.is_office and leads != {actor.department}:
                raise errors.NotTheLeadDepartment("只有两个任务共同的牵头部门或联席会议办公室可以融合任务。")
            now = self.clock.now()
            survivor.absorb(other=merged, now=now, actor=actor.as_record())
            merged.mark_merged_into(survivor=survivor, now=now, actor=actor.as_record())
            return self._save(survivor, merged, result_id=survivor.id)


def _looks_like_id(entry: str) -> bool:
    """Check items are keyed by UUIDs; anything else a response names is an item's name."""
    try:
        UUID(entry)
    except ValueError:
        return False
    return True
