"""The notices read model: every notice (通报) with its acknowledgement (R-JOINT-4, R-OVER-1)."""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from domain.joint_task import JointTask
from domain.notice import Notice
from domain.working_calendar import WorkingCalendar
from projections.handlers import AFTERLIFE, EventHandlers, handles
from projections.queries import Page
from projections.tables import notices


class NoticesProjection(EventHandlers):
    """Feeds the notices table from Notice events, one statement per event."""

    name = "notices"
    tables = (notices,)
    aggregate = Notice
    ignores = (JointTask, WorkingCalendar, *AFTERLIFE)  # a notice's rows carry its task ids, nothing read from the tasks

    def apply_batch(self, conn: Connection, items: list[tuple[Any, int]]) -> None:
        for event, position, handler in self.handled(items):
            handler(conn, event, position)

    @handles(Notice.Issued)
    def _on_Issued(self, conn: Connection, e: Any, position: int) -> None:
        conn.execute(insert(notices).values(
            notice_id=str(e.originator_id), department=e.department, subject=e.subject, body=e.body,
            task_ids=json.dumps(e.task_ids), issued_at=e.at, issued_by=e.actor["user"], acknowledged_at=None,
            position=position))

    @handles(Notice.Acknowledged)
    def _on_Acknowledged(self, conn: Connection, e: Any, position: int) -> None:
        conn.execute(update(notices).where(notices.c.notice_id == str(e.originator_id))
                     .values(acknowledged_at=e.at, position=position))


def list_notices(engine: Engine, *, department: str | None, offset: int, limit: int) -> Page:
    """Newest first; department=None lists every department's (the office's view)."""
    where = notices.c.department == department if department else True
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(notices).where(where)).scalar_one()
        rows = conn.execute(select(notices).where(where).order_by(notices.c.issued_at.desc(), notices.c.notice_id)
                            .offset(offset).limit(limit)).mappings().all()
    return Page(items=[dict(r) | {"task_ids": json.loads(r["task_ids"])} for r in rows], total=total)
