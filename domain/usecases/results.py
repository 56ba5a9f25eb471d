"""Results (一公开): one per department per subject, published by the department that recorded it, corrected openly
(R-JOINT-7, R-EXEC-1, R-EXEC-2, R-PUB-1, R-PUB-2)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain import errors
from domain.joint_task import JointTask
from domain.result_rules import check_settings
from domain.usecases.base import Actor, CommandResult, UseCases
from domain.working_days import Calendar

APPROVER_ROLE = "approver"
BATCH_LIMIT = 1000


@dataclass(frozen=True)
class _Context:
    owners: dict[str, str]  # item id → its department
    names: dict[str, str]  # subject code → name
    calendar: Calendar
    settings: dict


class ResultUseCases(UseCases):
    def _item_owners(self, task: JointTask) -> dict[str, str]:
        return {i: ref.department for i, ref in self.checklist.item_refs(list(task.items)).items()}

    def _context(self, task: JointTask, actor: Actor, entries: list[dict[str, Any]]) -> _Context:
        """What every entry of a batch needs, read once: the items' departments, the entries' subject names, the
        calendar and the department's settings."""
        codes = [str(e.get("subject_code", "")).strip() for e in entries]
        return _Context(owners=self._item_owners(task),
                        names=self.subject_pool.names([c for c in codes if c in task.drawn_subjects]),
                        calendar=self.calendar(), settings=self.department_settings.get(actor.department))

    def _record_on(self, task: JointTask, actor: Actor, entry: dict[str, Any], context: _Context) -> UUID:
        subject = str(entry.get("subject_code", "")).strip()
        rid = task.record_result(
            department=actor.department, subject=subject, subject_name=context.names.get(subject, ""),
            item_ids=list(entry.get("item_ids") or []), item_owners=context.owners,
            methods=list(entry.get("methods") or []), outcome=entry.get("outcome", ""),
            findings=entry.get("findings", ""), measures=entry.get("measures", ""),
            transferred_to=entry.get("transferred_to", ""), confidential_note=entry.get("confidential_note", ""),
            inspector_ids=list(entry.get("inspector_ids") or []), inspected_on=entry["inspected_on"],
            calendar=context.calendar, now=self.clock.now(), actor=actor.as_record(), settings=context.settings)
        self.result_index.note(rid, task.id)
        return rid

    def record_result(self, task_id: UUID, actor: Actor, entry: dict[str, Any]) -> CommandResult:
        """A joining department records its result for one drawn subject (R-JOINT-7)."""
        with self.transaction():
            task = self.get_task(task_id)
            rid = self._record_on(task, actor, entry, self._context(task, actor, [entry]))
            saved = self._save(task)
            return CommandResult(aggregate_id=rid, position=saved.position, aggregate=task)

    def record_results(self, task_id: UUID, actor: Actor, entries: list[dict[str, Any]]) -> tuple[list[UUID], int]:
        """A batch of results, all or none: the first refused entry is named by its index and nothing is recorded."""
        if not entries or len(entries) > BATCH_LIMIT:
            raise errors.Invalid(f"一次可提交 1 至 {BATCH_LIMIT} 条结果。", field="results")
        with self.transaction():
            task = self.get_task(task_id)
            context = self._context(task, actor, entries)
            ids = []
            for index, entry in enumerate(entries):
                try:
                    ids.append(self._record_on(task, actor, entry, context))
                except errors.DomainError as error:
                    error.details = {**(error.details or {}), "index": index}
                    error.message = f"第 {index + 1} 条（{entry.get('subject_code', '')}）：{error.message}"
                    raise
            saved = self._save(task)
            return ids, saved.position

    def _on_result(self, result_id: UUID, command: Any) -> CommandResult:
        with self.transaction():
            task_id = self.result_index.task_of(result_id)
            if task_id is None:
                raise errors.NotFound("找不到该检查结果，请核对编号。", result_id=str(result_id))
            task = self.get_task(task_id)
            value = command(task)
            saved = self._save(task)
            return CommandResult(aggregate_id=result_id, position=saved.position, aggregate=value)

    def publish_result(self, result_id: UUID, actor: Actor) -> CommandResult:
        """The recording department publishes (谁检查、谁录入、谁公示, R-PUB-1); `aggregate` is whether it is late."""
        return self._on_result(result_id, lambda task: task.publish_result(
            result_id=str(result_id), department=actor.department, calendar=self.calendar(), now=self.clock.now(),
            actor=actor.as_record()))

    def approve_result(self, result_id: UUID, actor: Actor) -> CommandResult:
        """Where the department reviews before publication: an approver of it, not the recorder, approves."""
        def command(task: JointTask) -> None:
            task.approve_result(result_id=str(result_id), department=actor.department,
                                is_approver=self.staff.holds_role(actor.user, actor.department, APPROVER_ROLE),
                                now=self.clock.now(), actor=actor.as_record())

        return self._on_result(result_id, command)

    def set_department_settings(self, actor: Actor, department: str, *, review_required: bool,
                                report_days: int | None, publish_days: int, answer_days: int = 7) -> dict:
        """The office sets a department's result settings (R-PUB-1: stricter only); the change is logged."""
        if not actor.is_office:
            raise errors.Forbidden("只有联席会议办公室可以设置部门的结果公示规则。")
        settings = check_settings(review_required, report_days, publish_days, answer_days)
        with self.transaction():
            if not self.checklist.known_departments([department]):
                raise errors.NotFound(f"部门代码 {department} 不存在。", code="unknown_department")
            now = self.clock.now()
            before = self.department_settings.put(department, settings, actor.user, now)
            changes = {k: [before[k], v] for k, v in settings.items() if before[k] != v}
            if changes:
                self.checklist.log("department_settings", department, "update", changes, actor, now)
            return settings

    def correct_result(self, result_id: UUID, actor: Actor, *, changes: dict[str, Any], reason: str,
                       approver: str) -> CommandResult:
        """R-PUB-2: a new version with a reason and an approver holding the approver role in the same department
        (not the author); `aggregate` is the new version number."""
        return self._on_result(result_id, lambda task: self._correct(task, result_id, actor, changes=changes,
                                                                     reason=reason, approver=approver))

    def _correct(self, task: JointTask, result_id: UUID, actor: Actor, *, changes: dict[str, Any], reason: str,
                 approver: str, objection_id: str | None = None) -> int:
        """R-PUB-2 on a task read in this unit of work; the new version number."""
        approver = approver.strip()
        task.own_result(str(result_id), actor.department)  # another department's result: 403 first
        if approver and approver != actor.user and not self.staff.holds_role(approver, actor.department,
                                                                               APPROVER_ROLE):
            raise errors.Invalid("批准人须是本部门具有审核权限的其他工作人员，请核对用户名。", field="approver")
        return task.correct_result(result_id=str(result_id), department=actor.department, changes=changes,
                                   reason=reason, approver=approver, item_owners=self._item_owners(task),
                                   now=self.clock.now(), actor=actor.as_record(), objection_id=objection_id)
