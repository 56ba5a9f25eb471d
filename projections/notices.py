"""The notices read model: every notice (通报) with its acknowledgement (R-JOINT-4, R-OVER-1)."""
from __future__ import annotations

import json
from typing import Any

from eventsourcing.utils import get_topic
from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from domain.notice import Notice
from projections.queries import Page
from projections.tables import notices


class NoticesProjection:
    name = "notices"
    tables = (notices,)
    topics = (get_topic(Notice.Issued), get_topic(Notice.Acknowledged))  # the runner reads no other events

    def apply(self, conn: Connection, event: Any, position: int) -> None:
        if isinstance(event, Notice.Issued):
            conn.execute(insert(notices).values(
                notice_id=str(event.originator_id), department=event.department, subject=event.subject,
                body=event.body, task_ids=json.dumps(event.task_ids), issued_at=event.at,
                issued_by=event.actor["user"], acknowledged_at=None, position=position))
        elif isinstance(event, Notice.Acknowledged):
            conn.execute(update(notices).where(notices.c.notice_id == str(event.originator_id))
                         .values(acknowledged_at=event.at, position=position))


def list_notices(engine: Engine, *, department: str | None, offset: int, limit: int) -> Page:
    """Newest first; department=None lists every department's (the office's view)."""
    where = notices.c.department == department if department else True
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(notices).where(where)).scalar_one()
        rows = conn.execute(select(notices).where(where).order_by(notices.c.issued_at.desc(), notices.c.notice_id)
                            .offset(offset).limit(limit)).mappings().all()
    return Page(items=[dict(r) | {"task_ids": json.loads(r["task_ids"])} for r in rows], total=total)
