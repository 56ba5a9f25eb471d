"""The change log of reference data (directories, checklist, plans): who changed what, when (全程留痕)."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Iterable

from fastapi.encoders import jsonable_encoder
from sqlalchemy import insert
from sqlalchemy.engine import Connection

from api.tables import change_log
from domain.application import Actor


def diff(before: dict | None, after: dict | None, fields: Iterable[str]) -> dict[str, list[Any]]:
    """{field: [before, after]} for every field whose value differs."""
    before, after = before or {}, after or {}
    return {f: [before.get(f), after.get(f)] for f in fields if before.get(f) != after.get(f)}


def record_changes(conn: Connection, rows: list[dict], actor: Actor, at: datetime, batch: str | None = None) -> None:
    """Append change-log rows: each {entity, entity_key, action, changes}."""
    if not rows:
        return
    conn.execute(insert(change_log), [
        {"entity": r["entity"], "entity_key": r["entity_key"], "action": r["action"],
         "changes": json.dumps(jsonable_encoder(r["changes"]), ensure_ascii=False), "actor_user": actor.user,
         "actor_department": actor.department, "at": at, "batch": batch} for r in rows])
