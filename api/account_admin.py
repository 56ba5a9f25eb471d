"""The office's administration of departments and accounts (issue 18): create and edit departments (code, name,
kind, region, level, parent) and users (username, name, department, roles), reset a password to a one-time one the
user must change, disable and re-enable accounts, import both from a sheet. Every change is a change-log row
(entity `department` / `user`, the administrator as actor), never with a password in it.

Two rules hold whatever the request: an administrator cannot give themselves a role they lack, and the last active
administrator can be neither disabled nor stripped of the role (on PostgreSQL the check and the write hold an
advisory lock, so two administrators removing each other at once cannot both succeed; SQLite has one writer).

Errors are `Refused` with a status, a code and a Chinese message a clerk can act on; nothing is written then.
"""
from __future__ import annotations

import json
import secrets
import string
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable

from argon2 import PasswordHasher
from sqlalchemy import and_, delete, func, or_, select, text, update
from sqlalchemy.engine import Connection

from api.accounts import ROLES, TOKENS_CHANNEL, add_department, add_user, hash_password
from api.storage.audit import record_changes
from api.storage.tables import auth_tokens, change_log, departments, users
from domain.usecases.base import Actor

ROLE_LABELS = {"department_staff": "部门工作人员", "approver": "审核人", "office": "联席会议办公室", "admin": "系统管理员"}
KIND_LABELS = {"department": "部门", "office": "联席会议办公室"}
LEVEL_LABELS = {"": "", "province": "省级", "city": "市级", "county": "县级"}
CODE_CHARS = set(string.ascii_letters + string.digits + "_")
MIN_PASSWORD = 12
ADMIN_LOCK = 7_318_201  # pg_advisory_xact_lock key of account administration
ONE_TIME_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"  # no 0/O, 1/l/I
ONE_TIME_LENGTH = 14  # 56^14: about 81 bits
# A one-time password is random (81 bits), not chosen by a person: guessing it is hopeless at any hashing cost, so it
# is hashed cheaply (an import of hundreds of accounts takes seconds, not minutes at 0.26 s a hash). The user's own
# password, chosen at first login, gets the full cost (api.accounts, argon2-cffi's defaults).
_one_time_hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


@dataclass(frozen=True)
class DepartmentFields:
    code: str
    name: str
    kind: str = "department"
    region: str = ""
    level: str = ""
    parent_code: str | None = None


@dataclass(frozen=True)
class UserFields:
    username: str
    display_name: str
    department_code: str
    roles: tuple[str, ...]


PASSWORD_PROBLEMS = {"too_short": f"密码至少 {MIN_PASSWORD} 个字符。",
                     "one_kind": "密码须包含字母、数字、其他符号中的至少两类。"}


def password_problem(password: str) -> str | None:
    """Why a password a person chose is refused (a key of PASSWORD_PROBLEMS), or None. The policy: at least
    MIN_PASSWORD characters, mixing at least two of letters, digits and other characters."""
    if len(password) < MIN_PASSWORD:
        return "too_short"
    kinds = [any(c.isdigit() for c in password), any(c.isalpha() for c in password),
             any(not c.isalnum() for c in password)]
    return "one_kind" if sum(kinds) < 2 else None


def one_time_password() -> tuple[str, str]:
    """A fresh one-time password and its hash; it has letters and digits, so it passes the policy too."""
    while True:
        password = "".join(secrets.choice(ONE_TIME_ALPHABET) for _ in range(ONE_TIME_LENGTH))
        if any(c.isdigit() for c in password) and any(c.isalpha() for c in password):
            return password, _one_time_hasher.hash(password)


# ---- reads -------------------------------------------------------------------------------------------------------
def list_departments(conn: Connection, q: str | None, kind: str | None, offset: int, limit: int,
                     code: str | None = None) -> tuple[list[dict], int]:
    conditions = [] if code is None else [departments.c.code == code]
    if q:
        conditions.append(or_(departments.c.code.contains(q, autoescape=True),
                              departments.c.name.contains(q, autoescape=True),
                              departments.c.region.contains(q, autoescape=True)))
    if kind:
        conditions.append(departments.c.kind == kind)
    where = and_(*conditions) if conditions else True
    counts = select(users.c.department_id, func.count().label("users")).group_by(users.c.department_id).subquery()
    rows = conn.execute(select(departments, func.coalesce(counts.c.users, 0).label("users"))
                        .select_from(departments.outerjoin(counts, counts.c.department_id == departments.c.id))
                        .where(where).order_by(departments.c.code).offset(offset).limit(limit)).mappings().all()
    total = conn.execute(select(func.count()).select_from(departments).where(where)).scalar_one()
    return [_department_view(r) for r in rows], int(total)


def get_department(conn: Connection, code: str) -> dict:
    found, _ = list_departments(conn, None, None, 0, 1, code=code)
    if not found:
        raise Refused(404, "department_not_found", f"找不到部门 {code}，请核对部门代码。")
    return found[0]


def _department_view(row: Any) -> dict:
    return {k: row[k] for k in ("code", "name", "kind", "region", "level", "parent_code")} | {
        "users": int(row["users"])}


def list_users(conn: Connection, q: str | None, department: str | None, role: str | None, active: bool | None,
               offset: int, limit: int) -> tuple[list[dict], int]:
    conditions = []
    if q:
        conditions.append(or_(users.c.username.contains(q, autoescape=True),
                              users.c.display_name.contains(q, autoescape=True)))
    if department:
        conditions.append(departments.c.code == department)
    if role:  # roles is "a,b,c": match the whole name
        conditions.append(("," + users.c.roles + ",").contains(f",{role},", autoescape=True))
    if active is not None:
        conditions.append(users.c.active.is_(active))
    where = and_(*conditions) if conditions else True
    joined = users.join(departments, departments.c.id == users.c.department_id)
    rows = conn.execute(_user_query().select_from(joined).where(where).order_by(users.c.username)
                        .offset(offset).limit(limit)).mappings().all()
    total = conn.execute(select(func.count()).select_from(joined).where(where)).scalar_one()
    return [_user_view(r) for r in rows], int(total)


def get_user(conn: Connection, username: str) -> dict:
    row = conn.execute(_user_query().select_from(users.join(departments, departments.c.id == users.c.department_id))
                       .where(users.c.username == username)).mappings().first()
    if row is None:
        raise Refused(404, "user_not_found", f"找不到账号 {username}，请核对用户名。")
    return _user_view(row)


def _user_query() -> Any:
    return select(users.c.id, users.c.username, users.c.display_name, users.c.roles, users.c.active,
                  users.c.must_change_password, departments.c.code.label("department_code"),
                  departments.c.name.label("department_name"))


def _user_view(row: Any) -> dict:
    return {"username": row["username"], "display_name": row["display_name"],
            "department_code": row["department_code"], "department_name": row["department_name"],
            "roles": [r for r in row["roles"].split(",") if r], "active": bool(row["active"]),
            "must_change_password": bool(row["must_change_password"])}


def history(conn: Connection, entity: str, key: str, offset: int, limit: int) -> tuple[list[dict], int]:
    """A department's or an account's change-log rows, newest first."""
    where = and_(change_log.c.entity == entity, change_log.c.entity_key == key)
    rows = conn.execute(select(change_log).where(where).order_by(change_log.c.id.desc())
                        .offset(offset).limit(limit)).all()
    total = conn.execute(select(func.count()).select_from(change_log).where(where)).scalar_one()
    return [{"id": r.id, "action": r.action, "changes": json.loads(r.changes), "actor_user": r.actor_user,
             "actor_department": r.actor_department, "at": r.at} for r in rows], int(total)


# ---- departments -------------------------------------------------------------------------------------------------
def create_department(conn: Connection, fields: DepartmentFields, actor: Actor, now: datetime) -> dict:
    d = _checked_department(conn, fields, new=True)
    add_department(conn, d.code, d.name, kind=d.kind, region=d.region, level=d.level)
    if d.parent_code:
        conn.execute(update(departments).where(departments.c.code == d.code).values(parent_code=d.parent_code))
    record_changes(conn, [{"entity": "department", "entity_key": d.code, "action": "created", "changes": {
        k: [None, v] for k, v in _department_fields(d).items() if v}}], actor, now)
    return get_department(conn, d.code)


def update_department(conn: Connection, code: str, changes: dict, actor: Actor, now: datetime) -> dict:
    """Change a department's name, kind, region, level or parent (its code is its identity: never changed)."""
    before = get_department(conn, code)
    fields = DepartmentFields(**{**{k: before[k] for k in ("name", "kind", "region", "level", "parent_code")},
                                 **changes, "code": code})
    d = _checked_department(conn, fields, new=False)
    diff = {k: [before[k], v] for k, v in _department_fields(d).items() if before[k] != v}
    if diff:
        conn.execute(update(departments).where(departments.c.code == code).values(
            **{k: pair[1] for k, pair in diff.items()}))
        record_changes(conn, [{"entity": "department", "entity_key": code, "action": "updated",
                               "changes": diff}], actor, now)
    return get_department(conn, code)


def _department_fields(d: DepartmentFields) -> dict:
    return {"code": d.code, "name": d.name, "kind": d.kind, "region": d.region, "level": d.level,
            "parent_code": d.parent_code}


def _checked_department(conn: Connection, f: DepartmentFields, new: bool) -> DepartmentFields:
    code, name, region = f.code.strip(), f.name.strip(), f.region.strip()
    parent = (f.parent_code or "").strip() or None
    problems = []
    if new and (not code or len(code) > 32 or not set(code) <= CODE_CHARS):
        problems.append(("code", "部门代码为 1–32 位字母、数字或下划线。"))
    if not name or len(name) > 100:
        problems.append(("name", "请填写部门名称（最多 100 个字）。"))
    if f.kind not in KIND_LABELS:
        problems.append(("kind", "部门类型只能是“部门”或“联席会议办公室”。"))
    if f.level not in LEVEL_LABELS:
        problems.append(("level", "层级只能是省级、市级或县级（或不填）。"))
    if len(region) > 100:
        problems.append(("region", "地区最多 100 个字。"))
    if problems:
        raise Refused(422, "invalid_department", "；".join(m for _, m in problems),
                      [{"field": field, "message": m} for field, m in problems])
    if new and conn.execute(select(departments.c.id).where(departments.c.code == code)).first():
        raise Refused(409, "department_exists", f"部门代码 {code} 已被使用，请换一个代码。", {"field": "code"})
    if parent is not None:
        if parent == code:
            raise Refused(422, "invalid_parent", "上级部门不能是本部门自己。", {"field": "parent_code"})
        parents = dict(conn.execute(select(departments.c.code, departments.c.parent_code)).all())
        if parent not in parents:
            raise Refused(422, "invalid_parent", f"上级部门 {parent} 不存在，请先添加上级部门。", {"field": "parent_code"})
        seen, at = set(), parent
        while at is not None and at not in seen:  # the new parent must not be below this department
            if at == code:
                raise Refused(422, "invalid_parent", f"{parent} 是本部门的下级，不能作为上级部门。",
                              {"field": "parent_code"})
            seen.add(at)
            at = parents.get(at)
    return DepartmentFields(code=code, name=name, kind=f.kind, region=region, level=f.level, parent_code=parent)


# ---- users -------------------------------------------------------------------------------------------------------
def create_user(conn: Connection, fields: UserFields, actor: Actor, now: datetime) -> tuple[dict, str]:
    """The new account and its one-time password (shown once; the user must change it at first login)."""
    f = _checked_user(conn, fields, new=True)
    password, hashed = one_time_password()
    user_id = add_user(conn, f.username, None, _department_id(conn, f.department_code), list(f.roles),
                       f.display_name, password_hash=hashed)
    conn.execute(update(users).where(users.c.id == user_id).values(must_change_password=True))
    record_changes(conn, [{"entity": "user", "entity_key": f.username, "action": "created", "changes": {
        "display_name": [None, f.display_name], "department": [None, f.department_code],
        "roles": [None, list(f.roles)]}}], actor, now)
    return get_user(conn, f.username), password


def update_user(conn: Connection, username: str, changes: dict, actor: Actor, now: datetime) -> dict:
    """Change an account's name, department or roles; its tokens then carry the new ones (caches are emptied)."""
    _lock(conn)
    before = get_user(conn, username)
    merged = {"display_name": before["display_name"], "department_code": before["department_code"],
              "roles": tuple(before["roles"]), **{k: v for k, v in changes.items() if v is not None}}
    f = _checked_user(conn, UserFields(username=username, **merged), new=False)
    if username == actor.user:
        gained = sorted(set(f.roles) - set(before["roles"]))
        if gained:
            raise Refused(403, "cannot_grant_self",
                          "不能给自己增加本人没有的角色：" + "、".join(ROLE_LABELS[r] for r in gained) + "。请由其他管理员办理。",
                          {"roles": gained})
    if "admin" in before["roles"] and "admin" not in f.roles and before["active"]:
        _keep_an_admin(conn, username)
    diff = {}
    if f.display_name != before["display_name"]:
        diff["display_name"] = [before["display_name"], f.display_name]
    if f.department_code != before["department_code"]:
        diff["department"] = [before["department_code"], f.department_code]
    if list(f.roles) != before["roles"]:
        diff["roles"] = [before["roles"], list(f.roles)]
    if diff:
        conn.execute(update(users).where(users.c.username == username).values(
            display_name=f.display_name, department_id=_department_id(conn, f.department_code),
            roles=",".join(f.roles)))
        record_changes(conn, [{"entity": "user", "entity_key": username, "action": "updated", "changes": diff}],
                       actor, now)
        _tokens_changed(conn)
    return get_user(conn, username)


def set_active(conn: Connection, username: str, active: bool, actor: Actor, now: datetime) -> dict:
    """Disable (its tokens are revoked at once, everywhere) or re-enable an account."""
    _lock(conn)
    before = get_user(conn, username)
    if before["active"] == active:
        return before
    if not active:
        if username == actor.user:
            raise Refused(409, "cannot_disable_self", "不能停用自己正在使用的账号。请由其他管理员办理。")
        if "admin" in before["roles"]:
            _keep_an_admin(conn, username)
    conn.execute(update(users).where(users.c.username == username).values(active=active))
    if not active:
        _revoke_all(conn, username)
    record_changes(conn, [{"entity": "user", "entity_key": username, "action": "enabled" if active else "disabled",
                           "changes": {"active": [not active, active]}}], actor, now)
    return get_user(conn, username)


def reset_password(conn: Connection, username: str, actor: Actor, now: datetime) -> tuple[dict, str]:
    """A new one-time password; the account's sessions end and the user must change it at the next login."""
    get_user(conn, username)
    password, hashed = one_time_password()
    conn.execute(update(users).where(users.c.username == username).values(password_hash=hashed,
                                                                         must_change_password=True))
    _revoke_all(conn, username)
    record_changes(conn, [{"entity": "user", "entity_key": username, "action": "password_reset",
                           "changes": {"must_change_password": [None, True]}}], actor, now)
    return get_user(conn, username), password


def change_own_password(conn: Connection, user_id: int, new_password: str, actor: Actor, now: datetime) -> None:
    """The user's own new password (the current one was checked by the caller): full-cost hash, the one-time flag
    cleared, every session of the account ended (the caller issues a new token)."""
    problem = password_problem(new_password)
    if problem:
        raise Refused(422, "weak_password", PASSWORD_PROBLEMS[problem], {"field": "new_password"})
    row = conn.execute(select(users.c.username).where(users.c.id == user_id)).one()
    conn.execute(update(users).where(users.c.id == user_id).values(password_hash=hash_password(new_password),
                                                                  must_change_password=False))
    _revoke_all(conn, row.username)
    record_changes(conn, [{"entity": "user", "entity_key": row.username, "action": "password_changed",
                           "changes": {"must_change_password": [None, False]}}], actor, now)


def _checked_user(conn: Connection, f: UserFields, new: bool) -> UserFields:
    username, name = f.username.strip(), f.display_name.strip()
    roles = tuple(dict.fromkeys(r.strip() for r in f.roles if r.strip()))
    problems = []
    if new and (not username or len(username) > 64 or not set(username) <= CODE_CHARS | {".", "-"}):
        problems.append(("username", "用户名为 1–64 位字母、数字或 . _ -。"))
    if not name or len(name) > 100:
        problems.append(("display_name", "请填写姓名（最多 100 个字）。"))
    unknown = [r for r in roles if r not in ROLES]
    if not roles or unknown:
        problems.append(("roles", "请至少选择一个角色" + (f"（不认识的角色：{'、'.join(unknown)}）" if unknown else "") +
                         "；可选：" + "、".join(ROLE_LABELS.values()) + "。"))
    if problems:
        raise Refused(422, "invalid_user", "；".join(m for _, m in problems),
                      [{"field": field, "message": m} for field, m in problems])
    if conn.execute(select(departments.c.id).where(departments.c.code == f.department_code)).first() is None:
        raise Refused(422, "unknown_department", f"部门 {f.department_code} 不存在，请先添加该部门。",
                      {"field": "department_code"})
    if new and conn.execute(select(users.c.id).where(users.c.username == username)).first():
        raise Refused(409, "user_exists", f"用户名 {username} 已被使用，请换一个用户名。", {"field": "username"})
    return UserFields(username=username, display_name=name, department_code=f.department_code,
                      roles=tuple(r for r in ROLES if r in roles))


def _department_id(conn: Connection, code: str) -> int:
    return int(conn.execute(select(departments.c.id).where(departments.c.code == code)).scalar_one())


def _lock(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADMIN_LOCK})


def _keep_an_admin(conn: Connection, leaving: str) -> None:
    others = conn.execute(select(func.count()).select_from(users).where(
        users.c.active.is_(True), users.c.username != leaving,
        ("," + users.c.roles + ",").contains(",admin,"))).scalar_one()
    if not others:
        raise Refused(409, "last_admin", "这是最后一个可用的系统管理员账号，不能停用或撤销其管理员角色。请先为另一个账号授予系统管理员角色。")


def _revoke_all(conn: Connection, username: str) -> None:
    user_id = conn.execute(select(users.c.id).where(users.c.username == username)).scalar_one()
    conn.execute(delete(auth_tokens).where(auth_tokens.c.user_id == user_id))
    _tokens_changed(conn)


def _tokens_changed(conn: Connection) -> None:
    """Tell every API process to empty its token cache at commit (PostgreSQL; the caller empties its own)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_notify(:channel, 'revoked')"), {"channel": TOKENS_CHANNEL})


# ---- imports -----------------------------------------------------------------------------------------------------
DEPARTMENT_COLUMNS = {"部门代码": "code", "部门名称": "name", "类型": "kind", "地区": "region", "层级": "level",
                      "上级部门代码": "parent_code"}
USER_COLUMNS = {"用户名": "username", "姓名": "display_name", "部门代码": "department_code", "角色": "roles"}
_KIND_BY_LABEL = {v: k for k, v in KIND_LABELS.items()}
_LEVEL_BY_LABEL = {v: k for k, v in LEVEL_LABELS.items() if v}
_ROLE_BY_LABEL = {v: k for k, v in ROLE_LABELS.items()}


def import_rows(conn: Connection, entity: str, header: list[Any], rows: Iterable[tuple[int, list[Any]]],
                actor: Actor, now: datetime) -> list[dict]:
    """Create every row's department or account, or none: any row refused → Refused 422 listing every problem
    with its line. Departments are created in file order, so a parent may come earlier in the same file. Returns
    what was created (accounts with their one-time passwords)."""
    columns = DEPARTMENT_COLUMNS if entity == "department" else USER_COLUMNS
    names = [str(h).strip() if h is not None else "" for h in header]
    missing = [c for c, field in columns.items() if c not in names and field not in ("kind", "region", "level",
                                                                                     "parent_code")]
    if missing:
        raise Refused(422, "import_columns_missing", "表头缺少列：" + "、".join(missing) + "。表头应为：" +
                      "、".join(columns) + "。", {"missing": missing})
    at = {field: names.index(c) for c, field in columns.items() if c in names}
    created, problems = [], []
    for line, row in rows:
        cell = {field: _text(row[i]) if i < len(row) else "" for field, i in at.items()}
        try:  # a refused row writes nothing (every check comes before the writes); the others go on being checked
            created.append(_import_one(conn, entity, cell, actor, now))
        except Refused as refused:
            problems.append({"line": line, "message": refused.message})
        if len(problems) >= 100:
            break
    if problems:
        raise Refused(422, "import_rejected", f"有 {len(problems)} 行无法导入，整个文件未导入。请按提示改正后重新上传。",
                      {"rows": problems})
    if not created:
        raise Refused(422, "import_empty", "文件中除表头外没有数据行。")
    return created


def _import_one(conn: Connection, entity: str, cell: dict, actor: Actor, now: datetime) -> dict:
    if entity == "department":
        kind = _KIND_BY_LABEL.get(cell.get("kind", ""), cell.get("kind") or "department")
        level = _LEVEL_BY_LABEL.get(cell.get("level", ""), cell.get("level", ""))
        return create_department(conn, DepartmentFields(code=cell["code"], name=cell["name"], kind=kind,
                                                        region=cell.get("region", ""), level=level,
                                                        parent_code=cell.get("parent_code") or None), actor, now)
    roles = tuple(_ROLE_BY_LABEL.get(r.strip(), r.strip())
                  for r in cell["roles"].replace("，", ",").replace("、", ",").split(","))
    user, password = create_user(conn, UserFields(username=cell["username"], display_name=cell["display_name"],
                                                  department_code=cell["department_code"], roles=roles), actor, now)
    return user | {"one_time_password": password}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()
