"""The office's notices naming late responses without a reason, and their acknowledgement (R-JOINT-4)."""
from __future__ import annotations

from uuid import UUID

from domain import errors
from domain.notice import Notice
from domain.usecases.base import Actor, CommandResult, UseCases


class NoticeUseCases(UseCases):
    def issue_notice(self, actor: Actor, department: str, subject: str, body: str,
                     task_ids: list[UUID]) -> CommandResult:
        """The office names a department's late responses that came with no reason (R-JOINT-4)."""
        if not actor.is_office:
            raise errors.Forbidden("只有联席会议办公室可以发出通报。")
        with self.transaction():
            if not self.checklist.known_departments([department]):
                raise errors.Invalid(f"部门代码 {department} 不存在，请核对后重试。", code="unknown_department")
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
        with self.transaction():
            notice = self.get_notice(notice_id)
            notice.acknowledge(department=actor.department, now=self.clock.now(), actor=actor.as_record())
            return self._save(notice)
