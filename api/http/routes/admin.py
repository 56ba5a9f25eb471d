"""Departments and accounts, administered by the office's administrators (issue 18; rules in api/account_admin.py).

Only an account with the admin role may call these. Each command takes an Idempotency-Key like every other; a
one-time password is in the first answer only (a retry says it was shown, and a reset gives a new one).
"""
from __future__ import annotations

from typing import Annotated, Any, Callable, Literal

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import Field

from api import account_admin as admin
from api.accounts import ROLES, Principal
from api.bootstrap import Services
from api.directory import uploads
from api.directory.limits import Limits, TooLarge
from api.directory.sources import Unreadable, detect_format, open_source
from api.http.deps import CurrentPrincipal, IdempotencyKey, ServicesDep
from api.http.errors import ApiError
from api.http.idempotency import fingerprint, run_command
from api.http.schemas import In
from api.storage.ports import current_connection

router = APIRouter(prefix="/admin", tags=["部门与账号管理"])

PageNo = Annotated[int, Query(ge=1, le=100_000)]
PageSize = Annotated[int, Query(ge=1, le=500)]
Search = Annotated[str | None, Query(max_length=100, description="按代码、名称检索")]
IMPORT_ROWS = 2_000  # accounts and departments are created in the request: a province's staff in a few files
IMPORT_BYTES = 5 * 1024 * 1024
Role = Literal[ROLES]  # type: ignore[valid-type]
Upload = Annotated[UploadFile, File(description="XLSX 或 CSV；首行为列名（下载模板查看列名）")]


async def _admin(principal: CurrentPrincipal) -> Principal:
    if "admin" not in principal.roles:
        raise ApiError(403, "admin_only", "只有系统管理员可以管理部门和账号。")
    return principal


AdminPrincipal = Annotated[Principal, Depends(_admin)]


class DepartmentIn(In):
    code: str = Field(min_length=1, max_length=32, description="部门代码：字母、数字或下划线，创建后不可更改")
    name: str = Field(min_length=1, max_length=100)
    kind: Literal["department", "office"] = "department"
    region: str = Field("", max_length=100)
    level: Literal["", "province", "city", "county"] = ""
    parent_code: str | None = Field(None, max_length=32, description="上级部门代码")


class DepartmentPatch(In):
    name: str | None = Field(None, min_length=1, max_length=100)
    kind: Literal["department", "office"] | None = None
    region: str | None = Field(None, max_length=100)
    level: Literal["", "province", "city", "county"] | None = None
    parent_code: str | None = Field(None, max_length=32, description="上级部门代码；空字符串表示无上级")


class UserIn(In):
    username: str = Field(min_length=1, max_length=64)
    display_name: str = Field(min_length=1, max_length=100)
    department_code: str = Field(min_length=1, max_length=32)
    roles: list[Role] = Field(min_length=1, max_length=len(ROLES))


class UserPatch(In):
    display_name: str | None = Field(None, min_length=1, max_length=100)
    department_code: str | None = Field(None, min_length=1, max_length=32)
    roles: list[Role] | None = Field(None, min_length=1, max_length=len(ROLES))


# ---- departments -------------------------------------------------------------------------------------------------
@router.get("/departments")
def list_departments(principal: AdminPrincipal, services: ServicesDep, q: Search = None,
                     kind: Literal["department", "office"] | None = None, page: PageNo = 1,
                     page_size: PageSize = 50) -> dict:
    """Departments by code, with how many accounts each has; searched by code, name or region."""
    with services.engine.connect() as conn:
        items, total = admin.list_departments(conn, q, kind, (page - 1) * page_size, page_size)
    return {"items": items, "total": total, "page": page, "page_size": page_size}


@router.post("/departments", status_code=201)
def create_department(body: DepartmentIn, request: Request, principal: AdminPrincipal, services: ServicesDep,
                      key: IdempotencyKey = None) -> JSONResponse:
    """Add a department (or an office); its code is its identity and never changes."""
    fields = admin.DepartmentFields(**body.model_dump())
    return _run(services, principal, request, body, key,
                lambda: (201, admin.create_department(current_connection(), fields, principal.actor, _now(services))))


@router.get("/departments/{code}")
def get_department(code: str, principal: AdminPrincipal, services: ServicesDep) -> dict:
    with services.engine.connect() as conn:
        return _refusing(lambda: admin.get_department(conn, code))


@router.patch("/departments/{code}")
def update_department(code: str, body: DepartmentPatch, request: Request, principal: AdminPrincipal,
                      services: ServicesDep, key: IdempotencyKey = None) -> JSONResponse:
    """Change the name, kind, region, level or parent; only the fields sent change."""
    changes = body.model_dump(exclude_unset=True)
    if "parent_code" in changes:
        changes["parent_code"] = changes["parent_code"] or None
    changes = {k: v for k, v in changes.items() if v is not None or k == "parent_code"}
    return _run(services, principal, request, body, key, lambda: (200, admin.update_department(
        current_connection(), code, changes, principal.actor, _now(services))))


@router.get("/departments/{code}/history")
def department_history(code: str, principal: AdminPrincipal, services: ServicesDep, page: PageNo = 1,
                       page_size: PageSize = 50) -> dict:
    """Every change to the department, newest first."""
    return _history(services, "department", code, page, page_size, admin.get_department)


# ---- users -------------------------------------------------------------------------------------------------------
@router.get("/users")
def list_users(principal: AdminPrincipal, services: ServicesDep, q: Search = None,
               department: Annotated[str | None, Query(max_length=32)] = None, role: Role | None = None,
               active: bool | None = None, page: PageNo = 1, page_size: PageSize = 50) -> dict:
    """Accounts by username, filtered by department, role and whether enabled; searched by username or name."""
    with services.engine.connect() as conn:
        items, total = admin.list_users(conn, q, department, role, active, (page - 1) * page_size, page_size)
    return {"items": items, "total": total, "page": page, "page_size": page_size}


@router.post("/users", status_code=201)
def create_user(body: UserIn, request: Request, principal: AdminPrincipal, services: ServicesDep,
                key: IdempotencyKey = None) -> JSONResponse:
    """Add an account with a one-time password, returned once: the user must change it at first login."""
    fields = admin.UserFields(username=body.username, display_name=body.display_name,
                              department_code=body.department_code, roles=tuple(body.roles))

    def command() -> tuple[int, dict]:
        user, password = admin.create_user(current_connection(), fields, principal.actor, _now(services))
        return 201, user | {"one_time_password": password}
    return _run(services, principal, request, body, key, command, kept=_without_password)


@router.get("/users/{username}")
def get_user(username: str, principal: AdminPrincipal, services: ServicesDep) -> dict:
    with services.engine.connect() as conn:
        return _refusing(lambda: admin.get_user(conn, username))


@router.patch("/users/{username}")
def update_user(username: str, body: UserPatch, request: Request, principal: AdminPrincipal,
                services: ServicesDep, key: IdempotencyKey = None) -> JSONResponse:
    """Change the name, department or roles. Nobody gives themselves a role they lack; the last administrator
    keeps the admin role."""
    changes = body.model_dump(exclude_unset=True)
    if changes.get("roles") is not None:
        changes["roles"] = tuple(changes["roles"])
    return _run(services, principal, request, body, key, lambda: (200, admin.update_user(
        current_connection(), username, changes, principal.actor, _now(services))))


@router.post("/users/{username}/disable")
def disable_user(username: str, request: Request, principal: AdminPrincipal, services: ServicesDep,
                 key: IdempotencyKey = None) -> JSONResponse:
    """Disable the account: it cannot log in and its sessions end at once. Never yourself, never the last admin."""
    return _run(services, principal, request, None, key, lambda: (200, admin.set_active(
        current_connection(), username, False, principal.actor, _now(services))))


@router.post("/users/{username}/enable")
def enable_user(username: str, request: Request, principal: AdminPrincipal, services: ServicesDep,
                key: IdempotencyKey = None) -> JSONResponse:
    return _run(services, principal, request, None, key, lambda: (200, admin.set_active(
        current_connection(), username, True, principal.actor, _now(services))))


@router.post("/users/{username}/password-reset")
def reset_password(username: str, request: Request, principal: AdminPrincipal, services: ServicesDep,
                   key: IdempotencyKey = None) -> JSONResponse:
    """A new one-time password, returned once; the account's sessions end and it must be changed at next login."""
    def command() -> tuple[int, dict]:
        user, password = admin.reset_password(current_connection(), username, principal.actor, _now(services))
        return 200, user | {"one_time_password": password}
    return _run(services, principal, request, None, key, command, kept=_without_password)


@router.get("/users/{username}/history")
def user_history(username: str, principal: AdminPrincipal, services: ServicesDep, page: PageNo = 1,
                 page_size: PageSize = 50) -> dict:
    """Every change to the account (created, roles, department, disabled, password reset), newest first."""
    return _history(services, "user", username, page, page_size, admin.get_user)


# ---- imports -----------------------------------------------------------------------------------------------------
@router.post("/departments/import", status_code=201)
def import_departments(request: Request, principal: AdminPrincipal, services: ServicesDep, file: Upload,
                       key: IdempotencyKey = None) -> JSONResponse:
    """Create the departments of a sheet (列：部门代码、部门名称、类型、地区、层级、上级部门代码), all or none."""
    return _import(request, principal, services, file, key, "department")


@router.post("/users/import", status_code=201)
def import_users(request: Request, principal: AdminPrincipal, services: ServicesDep, file: Upload,
                 key: IdempotencyKey = None) -> JSONResponse:
    """Create the accounts of a sheet (列：用户名、姓名、部门代码、角色), all or none; each with a one-time password,
    returned once."""
    return _import(request, principal, services, file, key, "user")


def _import(request: Request, principal: Principal, services: Services, upload: UploadFile, key: str | None,
            entity: str) -> JSONResponse:
    filename = upload.filename or "upload"
    path, digest = uploads.save_upload(upload.file, filename, IMPORT_BYTES)
    try:
        limits = Limits(rows=IMPORT_ROWS, columns=20, unpacked_bytes=IMPORT_BYTES * uploads.UNPACK_FACTOR)
        try:
            source = open_source(path, detect_format(path, filename), limits)
        except (Unreadable, TooLarge) as exc:
            raise ApiError(422, "import_unreadable", str(exc).rstrip("。") + "。") from None
        try:
            try:
                rows = [(line, list(row)) for lines, chunk in source.chunks(500) for line, row in zip(lines, chunk)]
            except (Unreadable, TooLarge) as exc:
                raise ApiError(422, "import_unreadable", str(exc).rstrip("。") + "。") from None
            header = list(source.header)
        finally:
            source.close()

        def command() -> tuple[int, dict]:
            created = admin.import_rows(current_connection(), entity, header, rows, principal.actor, _now(services))
            return 201, {"created": len(created), "items": created}
        same = fingerprint(request.method, request.url.path, {"file": digest})
        return _run(services, principal, request, None, key, command, kept=_without_password, same=same)
    finally:
        uploads.discard(path)


# ---- helpers -----------------------------------------------------------------------------------------------------
def _run(services: Services, principal: Principal, request: Request, body: In | None, key: str | None,
         command: Callable[[], tuple[int, dict]], kept: Callable[[dict], dict] | None = None,
         same: Callable[[], str] | None = None) -> JSONResponse:
    def refusing() -> tuple[int, dict]:
        return _refusing(command)
    try:
        return run_command(services, principal, key, same or fingerprint(request.method, request.url.path, body),
                           refusing, business=False, kept=kept)
    finally:
        services.tokens.clear()  # roles, departments or a disabled account: no cached principal outlives it


def _refusing(work: Callable[[], Any]) -> Any:
    try:
        return work()
    except admin.Refused as refused:
        raise ApiError(refused.status, refused.code, refused.message, refused.details) from None


def _without_password(body: dict) -> dict:
    """What a retry returns: the answer without the one-time password (shown once; reset for a new one)."""
    def strip(item: dict) -> dict:
        if "one_time_password" not in item:
            return item
        return {k: v for k, v in item.items() if k != "one_time_password"} | {"one_time_password_shown": True}
    if "items" in body:
        return body | {"items": [strip(i) for i in body["items"]]}
    return strip(body)


def _history(services: Services, entity: str, key: str, page: int, page_size: int,
             exists: Callable[[Any, str], dict]) -> dict:
    with services.engine.connect() as conn:
        _refusing(lambda: exists(conn, key))
        items, total = admin.history(conn, entity, key, (page - 1) * page_size, page_size)
    return {"items": items, "total": total, "page": page, "page_size": page_size}


def _now(services: Services) -> Any:
    return services.clock.now()
