"""Create or replace one directory record (PUT), checked by the import's own rules and logged (全程留痕)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from api.directory import queries
from api.directory.specs import SUBJECT, CodeProblem, Context, Spec
from api.storage.audit import record_changes
from api.storage.ports import current_connection
from domain.usecases.base import diff
from api.directory.values import Invalid
from api.http.errors import ApiError
from domain.usecases import Actor

LIST_FIELDS = ("tags", "qualifications")


def validate_key(spec: Spec, raw: str, ctx: Context) -> str:
    """The path's code, normalised and checked (R-INSP-1: a resident ID); a subject's code only for its shape here,
    its fit with the kind in validate_body (R-SUBJ-1, R-SUBJ-3)."""
    try:
        return spec.field(spec.key).make_parser(ctx)(raw)
    except Invalid as exc:
        raise ApiError(422, "invalid_code", f"{spec.field(spec.key).label}{exc}。",
                       [{"field": spec.key, "message": f"{spec.field(spec.key).label}{exc}"}]) from None


def validate_body(spec: Spec, key: str, body: Any, ctx: Context) -> dict:
    """The whole record as PUT gives it; a field left out takes its empty value (PUT replaces the record)."""
    if not isinstance(body, dict):
        raise ApiError(422, "validation_error", "请求体须为 JSON 对象。")
    fields = spec.fields[1:]
    known = {f.name for f in fields}
    problems = [{"field": k, "message": f"不认识的字段：{k}"} for k in body if k not in known]
    row: dict[str, Any] = {spec.key: key}
    for f in fields:
        raw = body.get(f.name)
        if f.name in LIST_FIELDS and isinstance(raw, list) and all(isinstance(t, str) for t in raw):
            raw = ",".join(raw)
        if isinstance(raw, (dict, list)):
            problems.append({"field": f.name, "message": f"{f.label}须为文本、数字或是否值"})
            continue
        try:
            row[f.name] = f.make_parser(ctx)("" if raw is None else raw)
        except Invalid as exc:
            problems.append({"field": f.name, "message": f"{f.label}{exc}"})
    if not problems and spec.check_row is not None and (reason := spec.check_row(row, ctx)):
        if isinstance(reason, CodeProblem):  # the path's code does not fit the subject's kind (R-SUBJ-3)
            raise ApiError(422, "invalid_code", f"{reason}。", [{"field": spec.key, "message": str(reason)}])
        problems.append({"field": None, "message": reason})
    if problems:
        raise ApiError(422, "validation_error", "；".join(p["message"] for p in problems) + "。", problems)
    return row


def put(spec: Spec, row: dict, actor: Actor, now: datetime, ctx: Context) -> tuple[int, dict]:
    """The directory's write use case: create or replace one record in the command's unit of work, and answer
    with the record as stored (201 created, 200 replaced or unchanged)."""
    conn = current_connection()
    created, changes = put_record(conn, spec, row, actor, now, ctx)
    record = queries.get_record(conn, spec, row[spec.key])
    view = queries.subject_view(record) if spec is SUBJECT else queries.inspector_view(record, ctx.today)
    return (201 if created else 200), {"record": view, "created": created, "changes": changes}


def put_record(conn: Connection, spec: Spec, row: dict, actor: Actor, now: datetime,
               ctx: Context) -> tuple[bool, dict]:
    """Create or replace the record; returns (created, {field: [before, after]}). Logged iff something changed."""
    table, key = spec.table, row[spec.key]
    fields = [f for f in spec.names if f != spec.key]
    before = _locked(conn, spec, key)
    if before is None:
        insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        inserted = conn.execute(insert(table).values(**row, created_at=now, updated_at=now)
                                .on_conflict_do_nothing(index_elements=[spec.key])
                                .returning(table.c[spec.key])).first()
        if inserted is not None:
            changes = diff(None, row, fields)
            _log(conn, spec, key, "created", changes, actor, now)
            return True, changes
        before = _locked(conn, spec, key)  # created meanwhile by someone else: now it is an update
        if before is None:
            raise ApiError(409, "concurrent_update", "该记录正被其他操作同时修改，请稍后重试。")
    if spec.check_existing is not None and (reason := spec.check_existing(before, row, ctx)):
        raise ApiError(403, "other_department", reason + "。")
    changes = diff(before, row, fields)
    if changes:
        conn.execute(update(table).where(table.c[spec.key] == key).values(
            **{f: row[f] for f in fields}, updated_at=now))
        _log(conn, spec, key, "updated", changes, actor, now)
    return False, changes


def _locked(conn: Connection, spec: Spec, key: str) -> dict | None:
    """The stored record, row-locked on PostgreSQL (SQLite serialises writers anyway)."""
    row = conn.execute(select(spec.table).where(spec.table.c[spec.key] == key).with_for_update()).mappings().first()
    return dict(row) if row else None


def _log(conn: Connection, spec: Spec, key: str, action: str, changes: dict, actor: Actor, now: datetime) -> None:
    record_changes(conn, [{"entity": spec.entity, "entity_key": key, "action": action, "changes": changes}],
                   actor, now)
