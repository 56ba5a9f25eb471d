"""Notice (通报): the joint meeting office names a department's unexcused late responses (R-JOINT-4)."""
from __future__ import annotations

from datetime import datetime

from eventsourcing.domain import Aggregate, event

from domain import errors


class Notice(Aggregate):
    """Issued by the office to one department; the department acknowledges it once."""

    @classmethod
    def issue(cls, *, department: str, subject: str, body: str, task_ids: list[str], now: datetime,
              actor: dict) -> "Notice":
        subject, body = subject.strip(), body.strip()
        if not subject:
            raise errors.Invalid("请填写通报标题。", field="subject")
        if not body:
            raise errors.Invalid("请填写通报内容。", field="body")
        unique = list(dict.fromkeys(task_ids))
        if not unique:
            raise errors.Invalid("通报须列明至少一个逾期未响应的任务。", field="task_ids")
        return cls(department=department, subject=subject, body=body, task_ids=unique, at=now, actor=actor)

    @event("Issued")
    def __init__(self, *, department: str, subject: str, body: str, task_ids: list[str], at: datetime,
                 actor: dict) -> None:
        self.department = department
        self.subject = subject
        self.body = body
        self.task_ids = list(task_ids)
        self.issued_at = at
        self.acknowledged_at: datetime | None = None

    def acknowledge(self, *, department: str, now: datetime, actor: dict) -> None:
        if department != self.department:
            raise errors.Forbidden("只有被通报的部门可以签收该通报。")
        if self.acknowledged_at is not None:
            raise errors.Conflict("该通报已签收。")
        self._acknowledged(department=department, at=now, actor=actor)

    @event("Acknowledged")
    def _acknowledged(self, department: str, at: datetime, actor: dict) -> None:
        self.acknowledged_at = at
