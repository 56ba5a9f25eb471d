"""The checklist and annual plans as reference data: reads, writes and row views (R-ITEM-1..4, R-PLAN-1).

Not event-sourced: every change is logged into change_log (api.storage.audit), in the same transaction. The tables
are in api.storage.tables; ratios are whole hundredths of a percent there and exact decimal text everywhere else.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Iterable

from eventsourcing.persistence import IntegrityError as RetryableConflict
from sqlalchemy import Table, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select

from api.accounts import department_kinds, department_names, known_department_codes
from api.storage.audit import record_changes
from api.storage.ports import current_connection
from api.storage.tables import change_log, check_items, plans
from domain.usecases.base import Actor
from domain.checklist_rules import ITEM_FIELDS, PLAN_FIELDS, ItemRef
from domain.clock import SHANGHAI

PUBLIC_ITEM_FIELDS = ("id", "department_code", "department_name", "code", "name", "subject_type", "content",
                      "category", "methods", "level", "legal_basis", "ratio", "frequency", "item_class",
                      "partner_departments", "status", "retired_at", "updated_at")
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
                    check_items.c.status, check_items.c.unannounced
                    ).where(check_items.c.id.in_(bindparam("ids", expanding=True)))


def item_refs(conn: Connection, item_ids: Iterable[str]) -> dict[str, ItemRef]:
    ids = list(item_ids)
    rows = conn.execute(_ITEM_REFS, {"ids": ids}) if ids else []
    return {r.id: ItemRef(r.department_code, r.item_class, r.status == "active", bool(r.unannounced)) for r in rows}


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



# ---- the Checklist port (domain.ports) -------------------------------------------------------------------
class SqlChecklist:
    """The Checklist port on these tables, in the command's transaction (domain.usecases)."""

    def names(self, item_ids: list[str]) -> dict[str, str]:
        return item_names(current_connection(), item_ids)

    def department_kinds(self) -> dict[str, str]:
        return department_kinds(current_connection())

    def known_departments(self, codes: Iterable[str]) -> set[str]:
        return known_department_codes(current_connection(), codes)

    def task_items(self, entries: Iterable[str],
                   departments: Iterable[str]) -> tuple[dict[str, ItemRef], dict[str, list[str]]]:
        return task_item_lookup(current_connection(), entries, departments)

    def item(self, item_id: str) -> Any:
        return get_item(current_connection(), item_id)

    def item_code_taken(self, department: str, code: str, other_than: str | None = None) -> bool:
        return code_taken(current_connection(), department, code, other_than)

    def item_refs(self, item_ids: Iterable[str]) -> dict[str, ItemRef]:
        return item_refs(current_connection(), item_ids)

    def item_record(self, row: Any) -> dict:
        return _record(row, ITEM_FIELDS)

    def add_item(self, department: str, record: dict, actor: Actor, now: datetime, item_id: str) -> None:
        _insert(check_items, id=item_id, department_code=department, **_columns(record), status="active",
                version=1, created_at=now, created_by=actor.user, updated_at=now, updated_by=actor.user)

    def change_item(self, row: Any, actor: Actor, now: datetime, **values: Any) -> None:
        _bump(check_items, row, actor, now, **_columns(values))

    def item_view(self, item_id: str) -> dict:
        conn = current_connection()
        return item_view(get_item(conn, item_id), department_names(conn))

    def plan(self, plan_id: str) -> Any:
        return get_plan(current_connection(), plan_id)

    def plan_name_taken(self, department: str, year: int, name: str, other_than: str | None = None) -> bool:
        return plan_name_taken(current_connection(), department, year, name, other_than)

    def plan_record(self, row: Any) -> dict:
        return _record(row, PLAN_FIELDS)

    def add_plan(self, department: str, record: dict, actor: Actor, now: datetime, plan_id: str) -> None:
        _insert(plans, id=plan_id, department_code=department, **_columns(record), status="draft",
                published_late=False, adjustment_count=0, version=1, created_at=now, created_by=actor.user,
                updated_at=now, updated_by=actor.user)

    def change_plan(self, row: Any, actor: Actor, now: datetime, **values: Any) -> None:
        _bump(plans, row, actor, now, **_columns(values))

    def plan_view(self, plan_id: str) -> dict:
        conn = current_connection()
        return plan_view(conn, get_plan(conn, plan_id), department_names(conn))

    def log(self, entity: str, key: str, action: str, changes: dict, actor: Actor, now: datetime) -> None:
        record_changes(current_connection(), [{"entity": entity, "entity_key": key, "action": action,
                                               "changes": changes}], actor, now)


def _record(row: Any, fields: tuple[str, ...]) -> dict:
    return {f: ratio_text(row.ratio_hundredths) if f == "ratio" else getattr(row, f) for f in fields}


def _columns(values: dict) -> dict:
    """A record's values as columns: the ratio's exact text as whole hundredths."""
    if "ratio" not in values:
        return values
    columns = {k: v for k, v in values.items() if k != "ratio"}
    return columns | {"ratio_hundredths": to_hundredths(Decimal(values["ratio"]))}


def _insert(table: Table, **values: Any) -> None:
    """Insert; a unique-key race with a concurrent writer is retried from a fresh read (run_command)."""
    try:
        current_connection().execute(insert(table).values(**values))
    except IntegrityError as exc:
        raise RetryableConflict(exc) from exc


def _bump(table: Table, row: Any, actor: Actor, now: datetime, **values: Any) -> None:
    """Update the row if nobody changed it since it was read (optimistic); otherwise retry the whole command."""
    try:
        result = current_connection().execute(update(table).where(
            table.c.id == row.id, table.c.version == row.version).values(
            **values, version=row.version + 1, updated_at=now, updated_by=actor.user))
    except IntegrityError as exc:
        raise RetryableConflict(exc) from exc
    if result.rowcount != 1:
        raise RetryableConflict("concurrent update")


# What a subject is told of each item before an announced visit (R-EXEC-3): the documents follow its methods
DOCUMENTS_BY_METHOD = {
    "written": "与检查事项相关的许可证照、制度文件和台账记录",
    "on_site": "经营（生产）场所、设施设备及现场记录，以便现场核查",
    "online": "网站、网店等网络经营信息及后台记录",
    "sampling": "抽样所需的产品、进货查验记录及检验报告",
    "third_party": "第三方机构出具的检测、评估或审计报告",
}


def notice_items(conn: Connection, item_ids: Iterable[str]) -> list[dict]:
    """The task's items as a combined notice lists them: department, name, content, legal basis and the documents
    to prepare (from the item's methods), in the order given."""
    ids = list(dict.fromkeys(item_ids))
    rows = {r.id: r for r in conn.execute(select(
        check_items.c.id, check_items.c.department_code, check_items.c.name, check_items.c.content,
        check_items.c.legal_basis, check_items.c.methods).where(check_items.c.id.in_(ids)))} if ids else {}
    return [{"id": i, "department_code": r.department_code, "name": r.name, "content": r.content,
             "legal_basis": r.legal_basis,
             "documents": [DOCUMENTS_BY_METHOD[m] for m in (r.methods or []) if m in DOCUMENTS_BY_METHOD]}
            for i in ids if (r := rows.get(i)) is not None]


def all_item_names(conn: Connection) -> dict[str, str]:
    """Every check item's name by id (a province's checklist: thousands of rows at most)."""
    return {r.id: r.name for r in conn.execute(select(check_items.c.id, check_items.c.name))}
