"""The change log of reference data (directories, checklist, plans): who changed what, when (全程留痕)."""
from __future__ import annotations

import json
from datetime import datetime

from fastapi.encoders import jsonable_encoder
from sqlalchemy import insert
from sqlalchemy.engine import Connection

from api.storage.tables import change_log
from domain.usecases.base import Actor


def record_changes(conn: Connection, rows: list[dict], actor: Actor, at: datetime, batch: str | None = None) -> None:
    """Append change-log rows: each {entity, entity_key, action, changes}."""
    if not rows:
        return
    conn.execute(insert(change_log), [
        {"entity": r["entity"], "entity_key": r["entity_key"], "action": r["action"],
         "changes": json.dumps(jsonable_encoder(r["changes"]), ensure_ascii=False), "actor_user": actor.user,
         "actor_department": actor.department, "at": at, "batch": batch} for r in rows])
