"""Check items (抽查事项清单), the annual joint checklist and annual plans (抽查工作计划) over HTTP.

Departments manage their own items (created, updated, retired — never deleted: R-ITEM-3) and plans (drafted,
published, adjusted with a reason: R-PLAN-1); the office reads the joint checklist (R-ITEM-4); the public reads
active items, the joint checklist and published plans without logging in. Every change is in change_log.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Callable, Literal
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError as RetryableConflict
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictBool, StrictInt
from sqlalchemy import insert, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api import checklist_tables as store
from api.accounts import Principal
from api.audit import diff, record_changes
from api.commands import fingerprint, run_command
from api.deps import CurrentPrincipal, IdempotencyKey, OfficePrincipal, ServicesDep
from api.errors import ApiError
from api.schemas import Day, In
from api.services import Services
from domain import checklist_rules as rules
from domain.working_days import local_date

router = APIRouter(tags=["抽查事项清单与计划"])

PageNo = Annotated[int, Query(ge=1, le=100_000)]
PageSize = Annotated[int, Query(ge=1, le=500)]
YearQuery = Annotated[int | None, Query(ge=2000, le=2100, description="年度；默认为今年")]
Search = Annotated[str | None, Query(max_length=100, description="按编码、名称、检查对象、内容、类别检索")]
DepartmentQuery = Annotated[str | None, Query(max_length=32, description="部门代码")]
ItemClass = Literal["A", "B", "C"]
Code32 = Annotated[str, Field(min_length=1, max_length=32)]
Office100 = Annotated[str, Field(min_length=1, max_length=100)]
Method = Literal[rules.METHODS]  # type: ignore[valid-type]
Level = Literal[rules.LEVELS]  # type: ignore[valid-type]
ExemptionOverride = Literal[rules.EXEMPTION_OVERRIDES]  # type: ignore[valid-type]


class CheckItemIn(In):
    code: str = Field(min_length=1, max_length=64, description="事项编码，本部门内唯一")
    name: str = Field(min_length=1, max_length=200, description="抽查事项名称")
    subject_type: str = Field(min_length=1, max_length=200, description="检查对象（类型）")
    content: str = Field(min_length=1, max_length=2000, description="检查内容")
    category: str = Field(min_length=1, max_length=100, description="事项类别（业务领域）")
    methods: list[Method] = Field(min_length=1, max_length=5, description="检查方式")
    level: Level = Field(description="实施层级")
    legal_basis: str = Field(min_length=1, max_length=2000, description="检查依据")
    ratio: Decimal = Field(description="年度抽查比例，百分数，最多两位小数：A类≤10，B类>10")
    frequency: StrictInt = Field(ge=1, le=rules.MAX_FREQUENCY, description="抽查频次（每年轮次）")
    item_class: ItemClass = Field(description="A 一般、B 重点、C 联合（004 §14）")
    unannounced: StrictBool = Field(default=False, description="不事先告知的检查（R-EXEC-3）")
    exemption_override: ExemptionOverride | None = Field(default=None, description="免检名单不免除的情形（R-DRAW-4）")
    partner_departments: list[Code32] = Field(default_factory=list, max_length=50,
                                              description="C类：有交叉监管职责的部门代码")


class CheckItemUpdateIn(CheckItemIn):
    version: StrictInt | None = Field(default=None, ge=1, description="读取时的版本号；已被他人修改则 409")


class RetirementIn(In):
    reason: str = Field(min_length=1, max_length=1000, description="退出清单的理由")


class ScheduleIn(In):
    quarters: list[Annotated[int, Field(ge=1, le=4)]] = Field(default_factory=list, max_length=4)
    start: Day | None = None
    end: Day | None = None


class PlanIn(In):
    year: StrictInt = Field(ge=2000, le=2100)
    name: str = Field(min_length=1, max_length=200, description="计划名称")
    item_ids: list[Annotated[str, Field(max_length=64)]] = Field(min_length=1, max_length=500)
    subject_scope: str = Field(min_length=1, max_length=2000, description="抽查对象")
    ratio: Decimal = Field(description="抽查比例（百分数）")
    credit_risk_grading: str = Field(min_length=1, max_length=2000, description="信用风险等级区分")
    lead_office: str = Field(min_length=1, max_length=100, description="牵头处室")
    cooperating_offices: list[Office100] = Field(default_factory=list, max_length=50, description="配合处室")
    schedule: ScheduleIn


class PlanUpdateIn(PlanIn):
    reason: str = Field(default="", max_length=1000, description="调整理由；已公示的计划必填（004 §27）")
    version: StrictInt | None = Field(default=None, ge=1)


# ---- check items ----------------------------------------------------------------------------------------
@router.post("/check-items", status_code=201)
def create_item(body: CheckItemIn, request: Request, principal: CurrentPrincipal, services: ServicesDep,
                key: IdempotencyKey = None) -> JSONResponse:
    """Add an item to my department's checklist (R-ITEM-1, R-ITEM-2)."""
    _require_staff(principal)
    fields = _item_fields(body, principal)

    def command(session: Session) -> tuple[int, dict]:
        conn, now = session.connection(), services.clock.now()
        _check_item_store_rules(conn, principal, fields)
        item_id = str(uuid4())
        try:
            store.add_item(conn, fields, principal.department_code, principal.actor, now, item_id)
        except IntegrityError as exc:  # a concurrent writer took the code: retried from a fresh read
            raise RetryableConflict(exc) from exc
        return 201, _item_out(conn, item_id)

    return _run(services, principal, request, body, key, command)


@router.put("/check-items/{item_id}")
def update_item(item_id: UUID, body: CheckItemUpdateIn, request: Request, principal: CurrentPrincipal,
                services: ServicesDep, key: IdempotencyKey = None) -> JSONResponse:
    """Change an active item of my department (dynamic management, R-ITEM-3); the diff goes to the change log."""
    _require_staff(principal)

    def command(session: Session) -> tuple[int, dict]:
        conn, now = session.connection(), services.clock.now()
        row = _own_item(conn, principal, str(item_id), body.version)
        fields = _item_fields(body, principal)
        _check_item_store_rules(conn, principal, fields, other_than=row.id)
        changes = diff(_row_record(row), store.item_record(fields), store.ITEM_FIELDS)
        if changes:
            _bump(conn, store.check_items, row, principal, now, **store.item_columns(fields))
            _log(conn, principal, now, "check_item", row.id, "updated", changes)
        return 200, _item_out(conn, row.id)

    return _run(services, principal, request, body, key, command)


@router.post("/check-items/{item_id}/retirement", status_code=201)
def retire_item(item_id: UUID, body: RetirementIn, request: Request, principal: CurrentPrincipal,
                services: ServicesDep, key: IdempotencyKey = None) -> JSONResponse:
    """Take an item off the active checklist with a reason; it stays on record, never deleted (R-ITEM-3)."""
    _require_staff(principal)
    reason = _nonblank(body.reason, "退出理由")

    def command(session: Session) -> tuple[int, dict]:
        conn, now = session.connection(), services.clock.now()
        row = _own_item(conn, principal, str(item_id))
        _bump(conn, store.check_items, row, principal, now, status="retired", retired_at=now,
              retirement_reason=reason)
        _log(conn, principal, now, "check_item", row.id, "retired",
             {"status": ["active", "retired"], "retirement_reason": [None, reason]})
        return 201, _item_out(conn, row.id)

    return _run(services, principal, request, body, key, command)


@router.get("/check-items")
def list_items(principal: CurrentPrincipal, services: ServicesDep, scope: Literal["all", "own"] = "all",
               department: DepartmentQuery = None, item_class: ItemClass | None = None,
               status: Literal["active", "retired"] | None = None, q: Search = None,
               page: PageNo = 1, page_size: PageSize = 20) -> dict:
    """Every department's items (or my own), filtered by department, class, status and search text."""
    chosen = principal.department_code if scope == "own" else department
    with services.engine.connect() as conn:
        found = store.list_items(conn, department=chosen, item_class=item_class, status=status, q=q,
                                 offset=(page - 1) * page_size, limit=page_size)
        names = store.department_names(conn)
    return _paged([store.item_view(r, names) for r in found.items], found.total, page, page_size)


@router.get("/check-items/{item_id}")
def get_item(item_id: UUID, principal: CurrentPrincipal, services: ServicesDep) -> dict:
    """One item, retired or active."""
    with services.engine.connect() as conn:
        return _item_out(conn, str(item_id))


@router.get("/check-items/{item_id}/changes")
def item_changes(item_id: UUID, principal: CurrentPrincipal, services: ServicesDep) -> dict:
    """Who changed the item, when and what (全程留痕): my department's items, or any for the office."""
    with services.engine.connect() as conn:
        row = _found(store.get_item(conn, str(item_id)), "抽查事项")
        _require_own_or_office(principal, row.department_code)
        entries = store.changes(conn, "check_item", row.id)
    return {"items": entries, "total": len(entries)}


@router.get("/joint-checklist")
def joint_checklist(principal: OfficePrincipal, services: ServicesDep, year: YearQuery = None,
                    page: PageNo = 1, page_size: PageSize = 100) -> dict:
    """The annual joint checklist: every department's C items in force during the year (R-ITEM-4, 004 §34, §38)."""
    return _joint(services, year, page, page_size, public=False)


# ---- plans ----------------------------------------------------------------------------------------------
@router.post("/plans", status_code=201)
def create_plan(body: PlanIn, request: Request, principal: CurrentPrincipal, services: ServicesDep,
                key: IdempotencyKey = None) -> JSONResponse:
    """Draft my department's annual plan (R-PLAN-1); the office drafts the annual joint plan from C items."""
    _require_planner(principal)

    def command(session: Session) -> tuple[int, dict]:
        conn, now = session.connection(), services.clock.now()
        record = _plan_record(conn, body, principal, rules.check_plan_year(body.year, local_date(now)))
        _check_plan_name(conn, principal, record)
        plan_id = str(uuid4())
        _write(conn, insert(store.plans).values(
            id=plan_id, department_code=principal.department_code, **_plan_columns(record), status="draft",
            published_late=False, adjustment_count=0, version=1, created_at=now, created_by=principal.username,
            updated_at=now, updated_by=principal.username))
        _log(conn, principal, now, "plan", plan_id, "created", diff(None, record, store.PLAN_FIELDS))
        return 201, _plan_out(conn, plan_id)

    return _run(services, principal, request, body, key, command)


@router.put("/plans/{plan_id}")
def update_plan(plan_id: UUID, body: PlanUpdateIn, request: Request, principal: CurrentPrincipal,
                services: ServicesDep, key: IdempotencyKey = None) -> JSONResponse:
    """Edit a draft, or adjust a published plan with a reason that is recorded (004 §27)."""
    _require_planner(principal)

    def command(session: Session) -> tuple[int, dict]:
        conn, now = session.connection(), services.clock.now()
        row = _own_plan(conn, principal, str(plan_id), body.version)
        published, today = row.status == "published", local_date(now)
        reason = rules.check_adjustment(published, row.year, body.year, body.reason, today)
        year = body.year if published or body.year == row.year else rules.check_plan_year(body.year, today)
        record = _plan_record(conn, body, principal, year)
        _check_plan_name(conn, principal, record, other_than=row.id)
        changes = diff(_plan_row_record(row), record, store.PLAN_FIELDS)
        if not changes:
            return 200, _plan_out(conn, row.id)
        extra: dict[str, Any] = {}
        if published:
            changes["adjustment_reason"] = [row.adjustment_reason, reason]
            extra = {"adjustment_count": row.adjustment_count + 1, "adjusted_at": now, "adjustment_reason": reason}
        _bump(conn, store.plans, row, principal, now, **_plan_columns(record), **extra)
        _log(conn, principal, now, "plan", row.id, "adjusted" if published else "updated", changes)
        return 200, _plan_out(conn, row.id)

    return _run(services, principal, request, body, key, command)


@router.post("/plans/{plan_id}/publication", status_code=201)
def publish_plan(plan_id: UUID, request: Request, principal: CurrentPrincipal, services: ServicesDep,
                 key: IdempotencyKey = None) -> JSONResponse:
    """Publish a draft plan; after the first quarter it is flagged as late (004 §25, §45)."""
    _require_planner(principal)

    def command(session: Session) -> tuple[int, dict]:
        conn, now = session.connection(), services.clock.now()
        row = _own_plan(conn, principal, str(plan_id))
        if row.status == "published":
            raise ApiError(409, "plan_already_published", "该计划已经公示；如需变更请提交调整并说明理由。")
        rules.check_plan_items(row.item_ids, store.item_refs(conn, row.item_ids), row.department_code,
                               principal.is_office)
        late = rules.check_publication(row.year, local_date(now))
        _bump(conn, store.plans, row, principal, now, status="published", published_at=now, published_late=late)
        changes: dict[str, list] = {"status": ["draft", "published"], "published_at": [None, now]}
        if late:
            changes["published_late"] = [False, True]
        _log(conn, principal, now, "plan", row.id, "published", changes)
        return 201, _plan_out(conn, row.id)

    return _run(services, principal, request, None, key, command)


@router.get("/plans")
def list_plans(principal: CurrentPrincipal, services: ServicesDep, department: DepartmentQuery = None,
               year: YearQuery = None, status: Literal["draft", "published"] | None = None,
               page: PageNo = 1, page_size: PageSize = 20) -> dict:
    """My department's plans (drafts included) and every published plan; the office sees all drafts too."""
    with services.engine.connect() as conn:
        found = store.list_plans(conn, department=department, year=year, status=status,
                                 published_or_department=None if principal.is_office else principal.department_code,
                                 offset=(page - 1) * page_size, limit=page_size)
        names = store.department_names(conn)
        items = store.plan_views(conn, found.items, names)
    return _paged(items, found.total, page, page_size)


@router.get("/plans/{plan_id}")
def get_plan(plan_id: UUID, principal: CurrentPrincipal, services: ServicesDep) -> dict:
    """One plan: any published plan, or a draft of my department (the office: any)."""
    with services.engine.connect() as conn:
        row = _found(store.get_plan(conn, str(plan_id)), "抽查工作计划")
        if row.status != "published":
            _require_own_or_office(principal, row.department_code)
        return store.plan_view(conn, row, store.department_names(conn))


@router.get("/plans/{plan_id}/changes")
def plan_changes(plan_id: UUID, principal: CurrentPrincipal, services: ServicesDep) -> dict:
    """The plan's history: drafting, publication and every adjustment with its reason (004 §27)."""
    with services.engine.connect() as conn:
        row = _found(store.get_plan(conn, str(plan_id)), "抽查工作计划")
        _require_own_or_office(principal, row.department_code)
        entries = store.changes(conn, "plan", row.id)
    return {"items": entries, "total": len(entries)}


# ---- public (anonymous) reads ---------------------------------------------------------------------------
@router.get("/public/check-items", tags=["公开"])
def public_items(services: ServicesDep, department: DepartmentQuery = None, item_class: ItemClass | None = None,
                 q: Search = None, page: PageNo = 1, page_size: PageSize = 20) -> dict:
    """The public checklist: every department's active items, without internal fields (R-ITEM-3, 004 §44)."""
    with services.engine.connect() as conn:
        found = store.list_items(conn, department=department, item_class=item_class, status="active", q=q,
                                 offset=(page - 1) * page_size, limit=page_size)
        names = store.department_names(conn)
    return _paged([store.public_item(store.item_view(r, names)) for r in found.items], found.total, page, page_size)


@router.get("/public/joint-checklist", tags=["公开"])
def public_joint_checklist(services: ServicesDep, year: YearQuery = None, page: PageNo = 1,
                           page_size: PageSize = 100) -> dict:
    """The annual joint checklist as published: C items of every department (R-ITEM-4)."""
    return _joint(services, year, page, page_size, public=True)


@router.get("/public/plans", tags=["公开"])
def public_plans(services: ServicesDep, department: DepartmentQuery = None, year: YearQuery = None,
                 page: PageNo = 1, page_size: PageSize = 20) -> dict:
    """Published annual plans only (004 §45), newest year first."""
    with services.engine.connect() as conn:
        found = store.list_plans(conn, published_or_department=None, department=department,
                                 year=year, status="published", offset=(page - 1) * page_size, limit=page_size)
        names = store.department_names(conn)
        items = [store.public_plan(p) for p in store.plan_views(conn, found.items, names)]
    return _paged(items, found.total, page, page_size)


@router.get("/public/plans/{plan_id}", tags=["公开"])
def public_plan(plan_id: UUID, services: ServicesDep) -> dict:
    """One published plan with its adjustments (when, which fields, why) — no names of staff."""
    with services.engine.connect() as conn:
        row = store.get_plan(conn, str(plan_id))
        if row is None or row.status != "published":
            raise ApiError(404, "plan_not_found", "找不到该已公示的抽查工作计划，请核对编号。")
        plan = store.public_plan(store.plan_view(conn, row, store.department_names(conn)))
        return plan | {"adjustments": store.changes(conn, "plan", row.id, public=True)}


# ---- helpers: who may act -------------------------------------------------------------------------------
def _require_staff(principal: Principal) -> None:
    if "department_staff" not in principal.roles:
        raise ApiError(403, "not_department_staff", "只有部门经办人员可以编制本部门的抽查事项清单；"
                       "年度联合抽查事项清单由各部门的C类事项汇总生成。")


def _require_planner(principal: Principal) -> None:
    if "department_staff" not in principal.roles and not principal.is_office:
        raise ApiError(403, "not_a_planner", "只有部门经办人员或联席会议办公室可以编制抽查工作计划。")


def _require_own_or_office(principal: Principal, department: str) -> None:
    if not principal.is_office and principal.department_code != department:
        raise ApiError(403, "not_own_department", "这是其他部门的数据，本部门无权查看或修改。")


def _found(row: Any, what: str) -> Any:
    if row is None:
        raise ApiError(404, "check_item_not_found" if what == "抽查事项" else "plan_not_found",
                       f"找不到该{what}，请核对编号。")
    return row


def _own_item(conn: Connection, principal: Principal, item_id: str, version: int | None = None) -> Any:
    row = _found(store.get_item(conn, item_id), "抽查事项")
    _require_own(principal, row.department_code)
    if row.status == "retired":
        raise ApiError(409, "check_item_retired", "该事项已退出清单，不能再修改；如需恢复请新增事项。")
    _check_version(row, version)
    return row


def _own_plan(conn: Connection, principal: Principal, plan_id: str, version: int | None = None) -> Any:
    row = _found(store.get_plan(conn, plan_id), "抽查工作计划")
    _require_own(principal, row.department_code)
    _check_version(row, version)
    return row


def _require_own(principal: Principal, department: str) -> None:
    if principal.department_code != department:
        raise ApiError(403, "not_own_department", "只能修改本部门的事项和计划。")


def _check_version(row: Any, version: int | None) -> None:
    if version is not None and version != row.version:
        raise ApiError(409, "version_conflict", f"该记录已被修改（当前版本 {row.version}），请刷新后再提交。",
                       {"current_version": row.version})


# ---- helpers: validation and records --------------------------------------------------------------------
def _item_fields(body: CheckItemIn, principal: Principal) -> rules.CheckItemFields:
    return rules.check_item(department=principal.department_code, **body.model_dump(exclude={"version"}))


def _check_item_store_rules(conn: Connection, principal: Principal, fields: rules.CheckItemFields,
                            other_than: str | None = None) -> None:
    kinds = store.department_kinds(conn)
    unknown = [c for c in fields.partner_departments if kinds.get(c) != "department"]
    if unknown:
        raise ApiError(422, "unknown_department", f"以下部门代码不存在或不是监管部门：{'、'.join(unknown)}。",
                       {"unknown": unknown})
    if store.code_taken(conn, principal.department_code, fields.code, other_than):
        raise ApiError(409, "duplicate_item_code", f"本部门已有编码为 {fields.code} 的事项（含已退出清单的），请换用新编码。")


def _row_record(row: Any) -> dict:
    return {f: store.ratio_text(row.ratio_hundredths) if f == "ratio" else getattr(row, f) for f in store.ITEM_FIELDS}


def _plan_record(conn: Connection, body: PlanIn, principal: Principal, year: int) -> dict:
    texts, offices = rules.check_plan_texts(
        name=body.name, subject_scope=body.subject_scope, credit_risk_grading=body.credit_risk_grading,
        lead_office=body.lead_office, cooperating_offices=body.cooperating_offices)
    ratio = rules.parse_ratio(body.ratio, rules.InvalidPlan)
    schedule = rules.check_schedule(year, body.schedule.quarters, body.schedule.start, body.schedule.end)
    item_ids = rules.check_plan_items(body.item_ids, store.item_refs(conn, body.item_ids),
                                      principal.department_code, principal.is_office)
    return {"year": year, **texts, "item_ids": list(item_ids), "ratio": str(ratio),
            "cooperating_offices": list(offices), "schedule": schedule.as_record()}


def _plan_row_record(row: Any) -> dict:
    return {f: store.ratio_text(row.ratio_hundredths) if f == "ratio" else getattr(row, f) for f in store.PLAN_FIELDS}


def _plan_columns(record: dict) -> dict:
    columns = {k: v for k, v in record.items() if k != "ratio"}
    return columns | {"ratio_hundredths": store.to_hundredths(Decimal(record["ratio"]))}


def _check_plan_name(conn: Connection, principal: Principal, record: dict, other_than: str | None = None) -> None:
    if store.plan_name_taken(conn, principal.department_code, record["year"], record["name"], other_than):
        raise ApiError(409, "duplicate_plan_name", f"本部门 {record['year']} 年已有名为“{record['name']}”的计划。")


def _nonblank(value: str, label: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise rules.InvalidCheckItem(f"请填写{label}。", field="reason")
    return cleaned


# ---- helpers: writing and answering ---------------------------------------------------------------------
def _write(conn: Connection, statement: Any) -> Any:
    """Execute; a unique-key race with a concurrent writer is retried from a fresh read by run_command."""
    try:
        return conn.execute(statement)
    except IntegrityError as exc:
        raise RetryableConflict(exc) from exc


def _bump(conn: Connection, table: Any, row: Any, principal: Principal, now: Any, **values: Any) -> None:
    """Update the row if nobody changed it since it was read (optimistic); otherwise retry the whole command."""
    result = _write(conn, update(table).where(table.c.id == row.id, table.c.version == row.version).values(
        **values, version=row.version + 1, updated_at=now, updated_by=principal.username))
    if result.rowcount != 1:
        raise RetryableConflict("concurrent update")


def _log(conn: Connection, principal: Principal, now: Any, entity: str, key: str, action: str,
         changes: dict) -> None:
    record_changes(conn, [{"entity": entity, "entity_key": key, "action": action, "changes": changes}],
                   principal.actor, now)


def _item_out(conn: Connection, item_id: str) -> dict:
    return store.item_view(_found(store.get_item(conn, item_id), "抽查事项"), store.department_names(conn))


def _plan_out(conn: Connection, plan_id: str) -> dict:
    return store.plan_view(conn, _found(store.get_plan(conn, plan_id), "抽查工作计划"), store.department_names(conn))


def _joint(services: Services, year: int | None, page: int, page_size: int, public: bool) -> dict:
    year = year or local_date(services.clock.now()).year
    with services.engine.connect() as conn:
        found, groups = store.joint_items(conn, year, (page - 1) * page_size, page_size)
        names = store.department_names(conn)
    items = [store.item_view(r, names) for r in found.items]
    if public:
        items = [store.public_item(i) for i in items]
    return {"year": year, "subject_types": groups} | _paged(items, found.total, page, page_size)


def _paged(items: list[dict], total: int, page: int, page_size: int) -> dict:
    return {"items": items, "total": total, "page": page, "page_size": page_size}


def _run(services: Services, principal: Principal, request: Request, body: BaseModel | None, key: str | None,
         command: Callable[[Session], tuple[int, dict]]) -> JSONResponse:
    return run_command(services, principal, key, fingerprint(request.method, request.url.path, body), command)
