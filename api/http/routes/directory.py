"""The subject and inspector directories over HTTP (R-SUBJ-1..4, R-INSP-1..3): imports, lists, records, history."""
from __future__ import annotations

import uuid
from contextlib import asynccontextmanager
from typing import Annotated, Any, AsyncIterator, Callable, Literal

from fastapi import APIRouter, Body, FastAPI, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse

from api.accounts import Principal
from api.http.idempotency import fingerprint, run_command
from api.http.deps import CurrentPrincipal, IdempotencyKey, ServicesDep
from api.directory import http, queries, uploads
from api.directory.importer import ImportJob
from api.directory.queries import SUBJECT_FLAGS, SubjectFilter
from api.directory.registry import ImportRegistry
from api.directory.specs import INSPECTOR, SUBJECT, Context, Spec
from api.directory.writes import put, validate_body, validate_key
from api.http.errors import ApiError
from api.bootstrap import Services
from domain.codes import SUBJECT_KINDS


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Runs inside the app's own lifespan: services exist; running imports are stopped before they close."""
    uploads.sweep_stale_uploads()  # copies a killed server left behind
    imports = ImportRegistry(app.state.services)
    app.state.directory_imports = imports
    try:
        yield
    finally:
        imports.shutdown()


router = APIRouter(tags=["名录库"], lifespan=_lifespan)

PageNo = Annotated[int, Query(ge=1, le=100_000)]
PageSize = Annotated[int, Query(ge=1, le=200)]
Search = Annotated[str | None, Query(max_length=100, description="名称包含，或代码开头")]
RecordBody = Annotated[dict[str, Any], Body(description="整条记录（PUT 为整体替换；省略的字段取空值）")]
Upload = Annotated[UploadFile, File(description="CSV（UTF-8 / UTF-8 BOM / GB18030）或 XLSX；首行为列名")]
# A form field is text: exactly "true" or "false" (a fuzzer found "0" taken as false without a word)
AllowPartial = Annotated[Literal["true", "false"], Form(
    description="true：只导入通过校验的行；默认 false：任一行被拒则整个导入不生效")]
CreditClasses = Annotated[list[Literal["A", "B", "C", "D"]], Query(description="可多选")]
Flags = Annotated[list[Literal[SUBJECT_FLAGS]], Query(description="可多选，须全部为是")]  # type: ignore[valid-type]
SubjectKinds = Annotated[list[Literal[tuple(SUBJECT_KINDS)]],  # type: ignore[valid-type]
                         Query(description="对象类型，可多选（R-SUBJ-3）：enterprise 企业、individual 个人、"
                                           "institution 机关事业单位、product 产品、project 项目、behaviour 行为")]


# ---- imports --------------------------------------------------------------------------------------------
@router.post("/subjects/imports", status_code=202)
def import_subjects(request: Request, principal: CurrentPrincipal, services: ServicesDep, file: Upload,
                    allow_partial: AllowPartial = "false", key: IdempotencyKey = None) -> JSONResponse:
    """Import subjects from CSV or XLSX in the background: 202 with the import's id; poll GET /imports/{id}."""
    return _start_import(request, principal, services, SUBJECT, file, allow_partial == "true", key)


@router.post("/inspectors/imports", status_code=202)
def import_inspectors(request: Request, principal: CurrentPrincipal, services: ServicesDep, file: Upload,
                      allow_partial: AllowPartial = "false", key: IdempotencyKey = None) -> JSONResponse:
    """Import inspectors (a department: its own staff only; the office: any department's)."""
    return _start_import(request, principal, services, INSPECTOR, file, allow_partial == "true", key)


@router.get("/imports/{import_id}")
def get_import(import_id: str, request: Request, principal: CurrentPrincipal, services: ServicesDep) -> dict:
    """Progress while running; afterwards the stored record with its first 100 rejected rows (line and reason)."""
    running = http.registry(request).get(import_id)
    if running is not None:
        http.visible_import(principal, running)
        return http.progress_view(running)
    with services.engine.connect() as conn:
        record = queries.import_record(conn, import_id)
        http.visible_import(principal, record)
        rejected = queries.rejections(conn, import_id, 0, http.FIRST_REJECTIONS).items
    return http.record_view(record, rejected)  # type: ignore[arg-type]


@router.get("/imports/{import_id}/rejections")
def import_rejections(import_id: str, principal: CurrentPrincipal, services: ServicesDep, page: PageNo = 1,
                      page_size: PageSize = 100) -> dict:
    """Every rejected row of a finished import, by line number."""
    with services.engine.connect() as conn:
        http.visible_import(principal, queries.import_record(conn, import_id))
        result = queries.rejections(conn, import_id, (page - 1) * page_size, page_size)
    return {"items": result.items, "total": result.total, "page": page, "page_size": page_size}


# ---- subjects -------------------------------------------------------------------------------------------
@router.get("/subjects")
def list_subjects(principal: CurrentPrincipal, services: ServicesDep, subject_kind: SubjectKinds = [],
                  region: str | None = None, industry: str | None = None, credit_class: CreditClasses = [],
                  risk_level: Literal["low", "medium", "high"] | None = None, flag: Flags = [],
                  tag: str | None = None, q: Search = None,
                  sort: Literal["code", "name", "updated_at", "complaints_count", "credit_class"] = "code",
                  order: Literal["asc", "desc"] = "asc", page: PageNo = 1, page_size: PageSize = 20) -> dict:
    """The master directory or a tag-cut sub-directory (R-SUBJ-2), of some kinds of subject (R-SUBJ-3): filtered,
    searched, sorted, paginated."""
    f = SubjectFilter(kinds=list(subject_kind), region=region, industry=industry, credit_classes=list(credit_class),
                      risk_level=risk_level, flags=list(flag), tag=tag, q=q)
    with services.engine.connect() as conn:
        result = queries.list_subjects(conn, f, sort, order == "desc", (page - 1) * page_size, page_size)
    return {"items": result.items, "total": result.total, "page": page, "page_size": page_size}


@router.get("/subjects/{code}")
def get_subject(code: str, principal: CurrentPrincipal, services: ServicesDep) -> dict:
    """One subject by its code: USCC, resident ID or registry number (R-SUBJ-3)."""
    return queries.subject_view(_record(services, SUBJECT, code.strip().upper()))


@router.put("/subjects/{code}")
def put_subject(code: str, body: RecordBody, request: Request, principal: CurrentPrincipal, services: ServicesDep,
                key: IdempotencyKey = None) -> JSONResponse:
    """Create (201) or replace (200) one subject; the code's check character is verified; every change is logged."""
    http.require_writer(principal)
    return _put(request, principal, services, SUBJECT, code, body, key)


@router.get("/subjects/{code}/changes")
def subject_changes(code: str, principal: CurrentPrincipal, services: ServicesDep, page: PageNo = 1,
                    page_size: PageSize = 50) -> dict:
    """Who changed what, when: newest first; each change is {field: [before, after]} (全程留痕)."""
    return _changes(services, SUBJECT, code.strip().upper(), page, page_size)


# ---- inspectors -----------------------------------------------------------------------------------------
@router.get("/inspectors")
def list_inspectors(principal: CurrentPrincipal, services: ServicesDep, department: str | None = None,
                    q: Annotated[str | None, Query(max_length=100)] = None,
                    status: Literal["active", "unavailable"] | None = None, qualification: str | None = None,
                    area: str | None = None,
                    sort: Literal["name", "department_code", "certificate_expires", "updated_at"] = "name",
                    order: Literal["asc", "desc"] = "asc", page: PageNo = 1, page_size: PageSize = 20) -> dict:
    """A department's own inspectors; the office sees every department's (filter with `department`)."""
    if not principal.is_office:
        if department not in (None, principal.department_code):
            raise ApiError(403, "other_department", "只能查看本部门的执法检查人员。")
        department = principal.department_code
    with services.engine.connect() as conn:
        result = queries.list_inspectors(conn, department, q, status, qualification, area, sort, order == "desc",
                                         (page - 1) * page_size, page_size)
    day = http.today(services)
    return {"items": [queries.inspector_view(r, day) for r in result.items], "total": result.total, "page": page,
            "page_size": page_size}


@router.get("/inspectors/{resident_id}")
def get_inspector(resident_id: str, principal: CurrentPrincipal, services: ServicesDep) -> dict:
    """One inspector of the caller's department (the office: any)."""
    return queries.inspector_view(_own_inspector(services, principal, resident_id), http.today(services))


@router.put("/inspectors/{resident_id}")
def put_inspector(resident_id: str, body: RecordBody, request: Request, principal: CurrentPrincipal,
                  services: ServicesDep, key: IdempotencyKey = None) -> JSONResponse:
    """Create (201) or replace (200) one inspector of the caller's department (the office: any department)."""
    http.require_writer(principal)
    return _put(request, principal, services, INSPECTOR, resident_id, body, key, guard=_own_department_only)


@router.get("/inspectors/{resident_id}/changes")
def inspector_changes(resident_id: str, principal: CurrentPrincipal, services: ServicesDep, page: PageNo = 1,
                      page_size: PageSize = 50) -> dict:
    """The inspector's change history, newest first."""
    record = _own_inspector(services, principal, resident_id)
    return _changes(services, INSPECTOR, record["resident_id"], page, page_size)


@router.get("/public/inspectors", tags=["公开"])
def public_inspectors(services: ServicesDep, department: str | None = None,
                      q: Annotated[str | None, Query(max_length=100)] = None, page: PageNo = 1,
                      page_size: PageSize = 20) -> dict:
    """Anyone may read: name, gender, department, post and certificate number; never ID number or contact (R-INSP-3)."""
    with services.engine.connect() as conn:
        result = queries.list_public_inspectors(conn, department, q, (page - 1) * page_size, page_size)
    return {"items": result.items, "total": result.total, "page": page, "page_size": page_size}


# ---- helpers --------------------------------------------------------------------------------------------
def _start_import(request: Request, principal: Principal, services: Services, spec: Spec, upload: UploadFile,
                  allow_partial: bool, key: str | None) -> JSONResponse:
    """413 past the upload limit, 422 when the XLSX's own index passes a row or cell limit; else 202. The upload
    copy is removed here on every path but a started import, whose thread removes it when the import ends."""
    http.require_writer(principal)
    imports = http.registry(request)
    filename = upload.filename or "upload"
    path, digest = uploads.save_upload(upload.file, filename, services.settings.max_upload_bytes)
    started = False
    try:
        limits = uploads.import_limits(services.settings)
        uploads.refuse_oversized(path, limits)
        import_id = uuid.uuid4().hex
        body = {"id": import_id, "kind": spec.kind, "status": "running", "status_url": f"/api/v1/imports/{import_id}"}
        same_upload = fingerprint(request.method, request.url.path, {"file": digest, "allow_partial": allow_partial})
        response = run_command(services, principal, key, same_upload, lambda: (202, body))
        if response.headers.get("Idempotent-Replay"):
            return response  # the first request's import already runs (or ran)
        imports.start(ImportJob(id=import_id, kind=spec.kind, path=path, filename=filename, actor=principal.actor,
                                scope_department=None if principal.is_office else principal.department_code,
                                allow_partial=allow_partial, limits=limits))
        started = True
        return response
    finally:
        if not started:
            uploads.discard(path)


def _own_department_only(body: dict, ctx: Context) -> None:
    """A department registers its own staff only (R-INSP-1); the office any department's."""
    named = body.get("department_code")
    if ctx.scope_department and isinstance(named, str) and named.strip():
        if ctx.departments.get(named.strip(), named) != ctx.scope_department:
            raise ApiError(403, "other_department", "只能登记本部门的执法检查人员。")


def _put(request: Request, principal: Principal, services: Services, spec: Spec, raw_key: str, body: dict,
         key: str | None, guard: Callable[[dict, Context], None] | None = None) -> JSONResponse:
    ctx = http.context(services, principal)
    if guard is not None:
        guard(body, ctx)
    code = validate_key(spec, raw_key, ctx)
    row = validate_body(spec, code, body, ctx)

    return run_command(services, principal, key, fingerprint(request.method, request.url.path, body),
                       lambda: put(spec, row, principal.actor, services.clock.now(), ctx))


def _record(services: Services, spec: Spec, key: str) -> dict:
    with services.engine.connect() as conn:
        record = queries.get_record(conn, spec, key)
    if record is None:
        what = "检查对象" if spec is SUBJECT else "执法检查人员"
        raise ApiError(404, f"{spec.entity}_not_found", f"名录库中没有该{what}，请核对代码。")
    return record


def _own_inspector(services: Services, principal: Principal, resident_id: str) -> dict:
    """Another department's inspector answers 404 like an unknown one: an ID number's presence is not disclosed."""
    record = _record(services, INSPECTOR, resident_id.strip().upper())
    if not principal.is_office and record["department_code"] != principal.department_code:
        raise ApiError(404, "inspector_not_found", "名录库中没有该执法检查人员，请核对代码。")
    return record


def _changes(services: Services, spec: Spec, key: str, page: int, page_size: int) -> dict:
    with services.engine.connect() as conn:
        result = queries.changes(conn, spec, key, (page - 1) * page_size, page_size)
    if result.total == 0:
        _record(services, spec, key)  # 404 for an unknown record; an unchanged one has an empty history
    return {"items": result.items, "total": result.total, "page": page, "page_size": page_size}
