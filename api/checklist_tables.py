"""Checklist and annual plans as reference data: tables, row views and queries (R-ITEM-1..4, R-PLAN-1).

Not event-sourced: every change goes through api.audit.record_changes into change_log, in the same transaction.
Ratios are stored as whole hundredths of a percent (10.01 % → 1001), exact on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Iterable

from sqlalchemy import (
    JSON, Boolean, Column, Index, Integer, MetaData, String, Table, Text, UniqueConstraint, and_, bindparam, func,
    insert, or_, select,
)
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select

from api.audit import diff, record_changes
from api.tables import change_log, departments
from domain.application import Actor
from domain.checklist_rules import CheckItemFields, ItemRef
from domain.clock import SHANGHAI
from projections.sqltypes import UTCDateTime

metadata = MetaData()

check_items = Table(
    "check_items", metadata,
    Column("id", String(36), primary_key=True),
    Column("department_code", String(32), nullable=False),
    Column("code", String(64), nullable=False),  # the department's own item number
    Column("name", String(200), nullable=False),
    Column("subject_type", String(200), nullable=False),
    Column("content", Text, nullable=False),
    Column("category", String(100), nullable=False),
    Column("methods", JSON, nullable=False),  # list of R-EXEC-1 methods
    Column("level", String(16), nullable=False),
    Column("legal_basis", Text, nullable=False),
    Column("ratio_hundredths", Integer, nullable=False),
    Column("frequency", Integer, nullable=False),
    Column("item_class", String(1), nullable=False),
    Column("unannounced", Boolean, nullable=False),
    Column("exemption_override", String(20)),
    Column("partner_departments", JSON, nullable=False),
    Column("status", String(10), nullable=False),  # active / retired
    Column("retired_at", UTCDateTime()),
    Column("retirement_reason", Text),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("updated_by", String(64), nullable=False),
    UniqueConstraint("department_code", "code", name="uq_check_items_department_code"),
    Index("ix_check_items_class_status", "item_class", "status"),
)

plans = Table(
    "plans", metadata,
    Column("id", String(36), primary_key=True),
    Column("department_code", String(32), nullable=False),
    Column("year", Integer, nullable=False),
    Column("name", String(200), nullable=False),
    Column("item_ids", JSON, nullable=False),
    Column("subject_scope", Text, nullable=False),
    Column("ratio_hundredths", Integer, nullable=False),
    Column("credit_risk_grading", Text, nullable=False),
    Column("lead_office", String(100), nullable=False),
    Column("cooperating_offices", JSON, nullable=False),
    Column("schedule", JSON, nullable=False),  # {"quarters": [..]} or {"start", "end"}
    Column("status", String(10), nullable=False),  # draft / published
    Column("published_at", UTCDateTime()),
    Column("published_late", Boolean, nullable=False),
    Column("adjustment_count", Integer, nullable=False),
    Column("adjusted_at", UTCDateTime()),
    Column("adjustment_reason", Text),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("updated_by", String(64), nullable=False),
    UniqueConstraint("department_code", "year", "name", name="uq_plans_department_year_name"),
    Index("ix_plans_year_status", "year", "status"),
)

ITEM_FIELDS = ("code", "name", "subject_type", "content", "category", "methods", "level", "legal_basis", "ratio",
               "frequency", "item_class", "unannounced", "exemption_override", "partner_departments")
PUBLIC_ITEM_FIELDS = ("id", "department_code", "department_name", "code", "name", "subject_type", "content",
                      "category", "methods", "level", "legal_basis", "ratio", "frequency", "item_class",
                      "partner_departments", "status", "retired_at", "updated_at")
PLAN_FIELDS = ("year", "name", "item_ids", "subject_scope", "ratio", "credit_risk_grading", "lead_office",
               "cooperating_offices", "schedule")
PUBLIC_PLAN_FIELDS = ("id", "department_code", "department_name", "year", "name", "items", "classes",
                      "subject_scope", "ratio", "credit_risk_grading", "lead_office", "cooperating_offices",
                      "schedule", "published_at", "adjustment_count", "adjusted_at", "adjustment_reason")


@dataclass(frozen=True)
class Page:
    items: list[Any]  # rows
    total: int


def to_hundredths(ratio: Decimal) -> int:
    return int(ratio * 100)


def ratio_text(hundredths: int) -> str:
    """The ratio as an exact decimal string with two places ("10.00"), never a float."""
    return str((Decimal(hundredths) / 100).quantize(Decimal("0.01")))


def item_view(row: Any, names: dict[str, str]) -> dict:
    """A check item as staff see it: every column, the ratio as exact text, instants as ISO strings."""
    return _row_view(row, names)


def _row_view(row: Any, names: dict[str, str]) -> dict:
    item = {"id": row.id, "department_code": row.department_code,
            "department_name": names.get(row.department_code, row.department_code)}
    for key, value in row._mapping.items():
        if key == "ratio_hundredths":
            item["ratio"] = ratio_text(value)
        elif key not in item:
            item[key] = _iso(value)
    return item


def public_item(item: dict) -> dict:
    """What the public may see of an item: no authors, versions or drawing flags (R-ITEM-3, R-PUB-3)."""
    return {k: item[k] for k in PUBLIC_ITEM_FIELDS}


def department_kinds(conn: Connection) -> dict[str, str]:
    return {r.code: r.kind for r in conn.execute(select(departments.c.code, departments.c.kind))}


def department_names(conn: Connection) -> dict[str, str]:
    return {r.code: r.name for r in conn.execute(select(departments.c.code, departments.c.name))}


# ---- check items ----------------------------------------------------------------------------------------
def get_item(conn: Connection, item_id: str) -> Any:
    return conn.execute(select(check_items).where(check_items.c.id == item_id)).first()


def code_taken(conn: Connection, department: str, code: str, other_than: str | None = None) -> bool:
    query = select(check_items.c.id).where(check_items.c.department_code == department, check_items.c.code == code)
    if other_than:
        query = query.where(check_items.c.id != other_than)
    return conn.execute(query).first() is not None


def list_items(conn: Connection, *, department: str | None, item_class: str | None, status: str | None,
               q: str | None, offset: int, limit: int) -> Page:
    """Items filtered by department, class, status and a search text, ordered by department and code."""
    conditions = []
    if department:
        conditions.append(check_items.c.department_code == department)
    if item_class:
        conditions.append(check_items.c.item_class == item_class)
    if status:
        conditions.append(check_items.c.status == status)
    if q:
        conditions.append(or_(*(column.icontains(q, autoescape=True) for column in (
            check_items.c.code, check_items.c.name, check_items.c.subject_type, check_items.c.content,
            check_items.c.category))))
    return _page(conn, select(check_items).where(*conditions), offset, limit)


def joint_items(conn: Connection, year: int, offset: int, limit: int) -> tuple[Page, list[dict]]:
    """The year's joint checklist (R-ITEM-4): every department's C items in force at some time in the year.

    Also returns, per subject type, the departments with C items for it: where joint tasks can be formed.
    """
    start = datetime(year, 1, 1, tzinfo=SHANGHAI)
    end = datetime(year + 1, 1, 1, tzinfo=SHANGHAI)
    in_force = and_(check_items.c.item_class == "C", check_items.c.created_at < end,
                    or_(check_items.c.retired_at.is_(None), check_items.c.retired_at >= start))
    page = _page(conn, select(check_items).where(in_force), offset, limit,
                 order=(check_items.c.subject_type, check_items.c.department_code, check_items.c.code))
    grouped: dict[str, set[str]] = {}
    for row in conn.execute(select(check_items.c.subject_type, check_items.c.department_code).where(in_force)):
        grouped.setdefault(row.subject_type, set()).add(row.department_code)
    groups = [{"subject_type": s, "departments": sorted(d)} for s, d in sorted(grouped.items())]
    return page, groups


def item_record(fields: CheckItemFields) -> dict:
    """An item's fields as the change log records them (the ratio as exact text)."""
    return {"code": fields.code, "name": fields.name, "subject_type": fields.subject_type, "content": fields.content,
            "category": fields.category, "methods": list(fields.methods), "level": fields.level,
            "legal_basis": fields.legal_basis, "ratio": str(fields.ratio), "frequency": fields.frequency,
            "item_class": fields.item_class, "unannounced": fields.unannounced,
            "exemption_override": fields.exemption_override, "partner_departments": list(fields.partner_departments)}


def item_columns(fields: CheckItemFields) -> dict:
    record = item_record(fields)
    del record["ratio"]
    return record | {"ratio_hundredths": to_hundredths(fields.ratio)}


def add_item(conn: Connection, fields: CheckItemFields, department: str, actor: Actor, now: datetime,
             item_id: str) -> None:
    """Insert an active item of `department` and log its creation (the caller has checked the store rules)."""
    conn.execute(insert(check_items).values(
        id=item_id, department_code=department, **item_columns(fields), status="active", version=1,
        created_at=now, created_by=actor.user, updated_at=now, updated_by=actor.user))
    record_changes(conn, [{"entity": "check_item", "entity_key": item_id, "action": "created",
                           "changes": diff(None, item_record(fields), ITEM_FIELDS)}], actor, now)


def item_labels(conn: Connection, item_ids: Iterable[str]) -> list[dict]:
    """A task's items as people read them: id, department, code and name, in the order given.

    Items are never deleted (R-ITEM-3), so every id a task records resolves; an entry that is not an item id
    (a task initiated before the checklist existed) is shown as its own name.
    """
    ids = list(dict.fromkeys(item_ids))
    rows = {r.id: r for r in conn.execute(select(
        check_items.c.id, check_items.c.department_code, check_items.c.code, check_items.c.name,
        check_items.c.status).where(check_items.c.id.in_(ids)))} if ids else {}
    return [{"id": i, "department_code": rows[i].department_code, "code": rows[i].code, "name": rows[i].name,
             "status": rows[i].status} if i in rows else
            {"id": i, "department_code": None, "code": None, "name": i, "status": None} for i in ids]


def item_names(conn: Connection, item_ids: Iterable[str]) -> dict[str, str]:
    return {label["id"]: label["name"] for label in item_labels(conn, item_ids)}


# Built once, like accounts._DEPARTMENT_CODES: every `initiate` runs it
_ITEM_REFS = select(check_items.c.id, check_items.c.department_code, check_items.c.item_class,
                    check_items.c.status).where(check_items.c.id.in_(bindparam("ids", expanding=True)))


def item_refs(conn: Connection, item_ids: Iterable[str]) -> dict[str, ItemRef]:
    ids = list(item_ids)
    rows = conn.execute(_ITEM_REFS, {"ids": ids}) if ids else []
    return {r.id: ItemRef(r.department_code, r.item_class, r.status == "active") for r in rows}


def task_item_lookup(conn: Connection, entries: Iterable[str],
                     departments_in: Iterable[str]) -> tuple[dict[str, ItemRef], dict[str, list[str]]]:
    """What rules.check_task_items needs: refs of the entries that are item ids (and of the items their names
    resolve to), and the active C items of the given departments by exact name (for pre-checklist clients)."""
    entries = list(entries)
    by_id = item_refs(conn, entries)
    by_name: dict[str, list[str]] = {}
    names = [e for e in entries if e not in by_id]
    if names:
        query = select(check_items.c.id, check_items.c.name).where(
            check_items.c.name.in_(names), check_items.c.department_code.in_(list(departments_in)),
            check_items.c.item_class == "C", check_items.c.status == "active").order_by(check_items.c.id)
        for row in conn.execute(query):
            by_name.setdefault(row.name, []).append(row.id)
        by_id |= item_refs(conn, [i for ids in by_name.values() for i in ids])
    return by_id, by_name


# ---- plans ----------------------------------------------------------------------------------------------
def get_plan(conn: Connection, plan_id: str) -> Any:
    return conn.execute(select(plans).where(plans.c.id == plan_id)).first()


def plan_name_taken(conn: Connection, department: str, year: int, name: str, other_than: str | None = None) -> bool:
    query = select(plans.c.id).where(plans.c.department_code == department, plans.c.year == year,
                                     plans.c.name == name)
    if other_than:
        query = query.where(plans.c.id != other_than)
    return conn.execute(query).first() is not None


def list_plans(conn: Connection, *, published_or_department: str | None, department: str | None,
               year: int | None, status: str | None, offset: int, limit: int) -> Page:
    """Plans, newest year first; `published_or_department` limits drafts to that department's own."""
    conditions = []
    if published_or_department is not None:
        conditions.append(or_(plans.c.status == "published", plans.c.department_code == published_or_department))
    if department:
        conditions.append(plans.c.department_code == department)
    if year:
        conditions.append(plans.c.year == year)
    if status:
        conditions.append(plans.c.status == status)
    return _page(conn, select(plans).where(*conditions), offset, limit,
                 order=(plans.c.year.desc(), plans.c.department_code, plans.c.name))


def plan_view(conn: Connection, row: Any, names: dict[str, str]) -> dict:
    """A plan with its items named (code, name, class, status) and the classes it covers (R-PLAN-2)."""
    return plan_views(conn, [row], names)[0]


def plan_views(conn: Connection, rows: list[Any], names: dict[str, str]) -> list[dict]:
    """Several plans, their items read in one query."""
    ids = sorted({i for row in rows for i in row.item_ids})
    found = {r.id: r for r in conn.execute(select(
        check_items.c.id, check_items.c.department_code, check_items.c.code, check_items.c.name,
        check_items.c.item_class, check_items.c.status).where(check_items.c.id.in_(ids)))} if ids else {}
    views = []
    for row in rows:
        plan = _row_view(row, names)
        plan["items"] = [{"id": i, "department_code": found[i].department_code, "code": found[i].code,
                          "name": found[i].name, "item_class": found[i].item_class, "status": found[i].status}
                         for i in row.item_ids if i in found]
        plan["classes"] = sorted({i["item_class"] for i in plan["items"]})
        views.append(plan)
    return views


def public_plan(plan: dict) -> dict:
    """What the public may see of a published plan: no authors or versions (R-PLAN-1, R-PUB-3)."""
    return {k: plan[k] for k in PUBLIC_PLAN_FIELDS}


def changes(conn: Connection, entity: str, key: str, public: bool = False) -> list[dict]:
    """The change log of one item or plan, oldest first; the public version names no person."""
    rows = conn.execute(select(change_log).where(change_log.c.entity == entity, change_log.c.entity_key == key)
                        .order_by(change_log.c.id)).mappings().all()
    entries = [{"action": r["action"], "at": _iso(r["at"]), "changes": json.loads(r["changes"]),
                "actor_user": r["actor_user"], "actor_department": r["actor_department"]} for r in rows]
    if public:
        return [{"action": e["action"], "at": e["at"], "fields": sorted(e["changes"]),
                 "reason": (e["changes"].get("adjustment_reason") or [None, None])[1]}
                for e in entries if e["action"] == "adjusted"]
    return entries


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _page(conn: Connection, query: Select, offset: int, limit: int, order: tuple = ()) -> Page:
    table = query.get_final_froms()[0]
    total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    order = order or (table.c.department_code, table.c.code)
    rows = conn.execute(query.order_by(*order, table.c.id).offset(offset).limit(limit)).all()
    return Page(items=rows, total=int(total))

