"""Reads of the directories: filtered, searched, sorted pages; single records; change history; import records."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select
from sqlalchemy.engine import Connection

from api.directory.specs import Spec
from api.storage.tables import import_rejections, imports, inspectors, subjects
from api.directory.values import split_tags
from api.storage.tables import change_log, departments
from domain.codes import SUBJECT_KINDS

SUBJECT_FLAGS = ("abnormal_operation", "key_attention", "dishonest", "serious_violation", "exempt", "deregistered")
PUBLIC_INSPECTOR_FIELDS = ("name", "gender", "department_code", "post", "certificate_no")  # R-INSP-3


@dataclass
class Page:
    items: list[dict]
    total: int


@dataclass
class SubjectFilter:
    kinds: list[str] = field(default_factory=list)  # any of them (R-SUBJ-3)
    region: str | None = None
    industry: str | None = None
    credit_classes: list[str] = field(default_factory=list)
    risk_level: str | None = None
    flags: list[str] = field(default_factory=list)  # each must be set
    tag: str | None = None
    q: str | None = None  # part of the name, or the start of the code


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def has_tag(column: Any, tag: str) -> ColumnElement[bool]:
    """Tags are stored joined by ','; match one whole tag."""
    return (literal(",") + column + literal(",")).like(f"%,{_like_escape(tag)},%", escape="\\")


def _page(conn: Connection, query: Select, conditions: list, order: list, offset: int, limit: int) -> Page:
    where = and_(True, *conditions)
    total = conn.execute(select(func.count()).select_from(query.where(where).subquery())).scalar_one()
    rows = conn.execute(query.where(where).order_by(*order).offset(offset).limit(limit)).mappings().all()
    return Page([dict(r) for r in rows], int(total))


def list_subjects(conn: Connection, f: SubjectFilter, sort: str, descending: bool, offset: int, limit: int) -> Page:
    conditions: list = []
    if f.kinds:
        conditions.append(subjects.c.subject_kind.in_(f.kinds))
    if f.region:
        conditions.append(subjects.c.region == f.region)
    if f.industry:
        conditions.append(subjects.c.industry == f.industry)
    if f.credit_classes:
        conditions.append(subjects.c.credit_class.in_(f.credit_classes))
    if f.risk_level:
        conditions.append(subjects.c.risk_level == f.risk_level)
    conditions += [subjects.c[flag].is_(True) for flag in f.flags]
    if f.tag:
        conditions.append(has_tag(subjects.c.tags, f.tag))
    if f.q:
        conditions.append(or_(subjects.c.name.like(f"%{_like_escape(f.q)}%", escape="\\"),
                              subjects.c.code.like(f"{_like_escape(f.q.upper())}%", escape="\\")))
    column = subjects.c[sort]
    order = [column.desc() if descending else column.asc(), subjects.c.code.asc()]
    page = _page(conn, select(subjects), conditions, order, offset, limit)
    page.items = [subject_view(r) for r in page.items]
    return page


def subject_view(row: Any) -> dict:
    """A subject as the API shows it: tags as a list, the kind also by its Chinese name (R-SUBJ-3)."""
    item = dict(row)
    item["tags"] = split_tags(item["tags"])
    item["subject_kind_name"] = SUBJECT_KINDS.get(item["subject_kind"], item["subject_kind"])
    return item


def get_record(conn: Connection, spec: Spec, key: str) -> dict | None:
    row = conn.execute(select(spec.table).where(spec.table.c[spec.key] == key)).mappings().first()
    return dict(row) if row else None


def list_inspectors(conn: Connection, department: str | None, q: str | None, status: str | None,
                    qualification: str | None, area: str | None, sort: str, descending: bool, offset: int,
                    limit: int) -> Page:
    conditions = _inspector_conditions(department, q)
    if status:
        conditions.append(inspectors.c.status == status)
    if qualification:
        conditions.append(has_tag(inspectors.c.qualifications, qualification))
    if area:
        conditions.append(inspectors.c.area == area)
    column = inspectors.c[sort]
    order = [column.desc() if descending else column.asc(), inspectors.c.resident_id.asc()]
    return _page(conn, select(inspectors), conditions, order, offset, limit)


def inspector_view(row: dict, today: date) -> dict:
    """An inspector for department staff, with whether they can serve today (R-INSP-2, R-MATCH-2)."""
    item = dict(row)
    item["qualifications"] = split_tags(item["qualifications"])
    expires = item["certificate_expires"]
    item["certified"] = bool(item["certificate_no"]) and (expires is None or expires >= today)
    until = item["unavailable_until"]
    item["available"] = item["status"] == "active" or (until is not None and until < today)
    return item


def _inspector_conditions(department: str | None, q: str | None) -> list:
    """A department's inspectors, and/or those whose name or certificate number contains q."""
    conditions: list = []
    if department:
        conditions.append(inspectors.c.department_code == department)
    if q:
        like = f"%{_like_escape(q)}%"
        conditions.append(or_(inspectors.c.name.like(like, escape="\\"),
                              inspectors.c.certificate_no.like(like, escape="\\")))
    return conditions


def list_public_inspectors(conn: Connection, department: str | None, q: str | None, offset: int,
                           limit: int) -> Page:
    """Name, gender, department, post and certificate number only: never the ID number or contact (R-INSP-3)."""
    columns = [inspectors.c[f] for f in PUBLIC_INSPECTOR_FIELDS] + [departments.c.name.label("department_name")]
    query = select(*columns).select_from(
        inspectors.outerjoin(departments, departments.c.code == inspectors.c.department_code))
    conditions = _inspector_conditions(department, q)
    order = [inspectors.c.department_code, inspectors.c.name, inspectors.c.certificate_no]
    return _page(conn, query, conditions, order, offset, limit)


def changes(conn: Connection, spec: Spec, key: str, offset: int, limit: int) -> Page:
    """The record's change history, newest first. A record created by an import has no "created" row of its own
    (see api.directory.importer): its creation is shown from the import, with the initial values derived by
    undoing every later change on the current record."""
    where = and_(change_log.c.entity == spec.entity, change_log.c.entity_key == key)
    logged = conn.execute(select(func.count()).select_from(change_log).where(where)).scalar_one()
    rows = conn.execute(select(change_log).where(where).order_by(change_log.c.id.desc())
                        .offset(offset).limit(limit)).mappings().all()
    items = [_change_view(r) for r in rows]
    created = _derived_creation(conn, spec, key)
    total = logged + (created is not None)
    if created is not None and offset <= logged < offset + limit:  # the oldest entry: on the last page
        items.append(created)
    return Page(items, int(total))


def _change_view(row: Any) -> dict:
    """A change-log row; credit feedback's citation (the result, its task and outcome, R-OVER-2) is `source`, apart
    from the {field: [before, after]} changes."""
    logged = json.loads(row.changes)
    changes = {name: pair for name, pair in logged.items() if isinstance(pair, list)}
    source = {name: value for name, value in logged.items() if not isinstance(value, list)} or None
    return {"id": row.id, "action": row.action, "changes": changes, "actor_user": row.actor_user,
            "actor_department": row.actor_department, "at": row.at, "import_id": row.batch, "derived": False,
            "source": source}


def _derived_creation(conn: Connection, spec: Spec, key: str) -> dict | None:
    record = get_record(conn, spec, key)
    if record is None or not record["created_by_import"]:
        return None
    where = and_(change_log.c.entity == spec.entity, change_log.c.entity_key == key)
    if conn.execute(select(change_log.c.id).where(where, change_log.c.action == "created").limit(1)).first():
        return None  # the import logged it row by row
    values = dict(record)
    for row in conn.execute(select(change_log.c.changes).where(where).order_by(change_log.c.id.desc())):
        for name, pair in json.loads(row.changes).items():
            if isinstance(pair, list):  # not credit feedback's citation
                values[name] = pair[0]
    source = conn.execute(select(imports).where(imports.c.id == record["created_by_import"])).mappings().first()
    fields = [f for f in spec.names if f != spec.key]
    return {"id": None, "action": "created",
            "changes": {f: [None, values[f].isoformat() if isinstance(values[f], date) else values[f]]
                        for f in fields},
            "actor_user": source["actor_user"] if source else "", "at": record["created_at"],
            "actor_department": source["actor_department"] if source else "",
            "import_id": record["created_by_import"], "derived": True, "source": None}


def import_record(conn: Connection, import_id: str) -> dict | None:
    row = conn.execute(select(imports).where(imports.c.id == import_id)).mappings().first()
    return dict(row) if row else None


def rejections(conn: Connection, import_id: str, offset: int, limit: int) -> Page:
    where = import_rejections.c.import_id == import_id
    total = conn.execute(select(func.count()).select_from(import_rejections).where(where)).scalar_one()
    rows = conn.execute(select(import_rejections.c.line, import_rejections.c.key, import_rejections.c.reason)
                        .where(where).order_by(import_rejections.c.line).offset(offset).limit(limit)).mappings()
    return Page([dict(r) for r in rows], int(total))

