"""Check items (抽查事项清单), the annual joint checklist and annual plans (抽查工作计划) over HTTP.

Departments manage their own items (created, updated, retired — never deleted: R-ITEM-3) and plans (drafted,
published, adjusted with a reason: R-PLAN-1); the office reads the joint checklist (R-ITEM-4); the public reads
active items, the joint checklist and published plans without logging in. Every change is in change_log.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Callable, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictBool, StrictInt

from api.accounts import Principal
from api.http.idempotency import fingerprint, run_command
from api.http.deps import CurrentPrincipal, IdempotencyKey, OfficePrincipal, ServicesDep
from api.http.errors import ApiError
from api.http.schemas import Day, In
from api.bootstrap import Services
from api.storage import checklist as store
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
    return _run(services, principal, request, body, key,
                lambda: (201, services.app.create_item(principal.actor, **body.model_dump())))


@router.put("/check-items/{item_id}")
def update_item(item_id: UUID, body: CheckItemUpdateIn, request: Request, principal: CurrentPrincipal,
                services: ServicesDep, key: IdempotencyKey = None) -> JSONResponse:
    """Change an active item of my department (dynamic management, R-ITEM-3); the diff goes to the change log."""
    _require_staff(principal)
    return _run(services, principal, request, body, key,
                lambda: (200, services.app.update_item(principal.actor, str(item_id), **body.model_dump())))


@router.post("/check-items/{item_id}/retirement", status_code=201)
def retire_item(item_id: UUID, body: RetirementIn, request: Request, principal: CurrentPrincipal,
                services: ServicesDep, key: IdempotencyKey = None) -> JSONResponse:
    """Take an item off the active checklist with a reason; it stays on record, never deleted (R-ITEM-3)."""
    _require_staff(principal)
    return _run(services, principal, request, body, key,
                lambda: (201, services.app.retire_item(principal.actor, str(item_id), body.reason)))


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
    return _item_out(services, str(item_id))


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
    return _run(services, principal, request, body, key,
                lambda: (201, services.app.create_plan(principal.actor, **body.model_dump())))


@router.put("/plans/{plan_id}")
def update_plan(plan_id: UUID, body: PlanUpdateIn, request: Request, principal: CurrentPrincipal,
                services: ServicesDep, key: IdempotencyKey = None) -> JSONResponse:
    """Edit a draft, or adjust a published plan with a reason that is recorded (004 §27)."""
    _require_planner(principal)
    return _run(services, principal, request, body, key,
                lambda: (200, services.app.update_plan(principal.actor, str(plan_id), **body.model_dump())))


@router.post("/plans/{plan_id}/publication", status_code=201)
def publish_plan(plan_id: UUID, request: Request, principal: CurrentPrincipal, services: ServicesDep,
                 key: IdempotencyKey = None) -> JSONResponse:
    """Publish a draft plan; after the first quarter it is flagged as late (004 §25, §45)."""
    _require_planner(principal)
    return _run(services, principal, request, None, key,
                lambda: (201, services.app.publish_plan(principal.actor, str(plan_id))))


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


def _item_out(services: Services, item_id: str) -> dict:
    with services.engine.connect() as conn:
        return store.item_view(_found(store.get_item(conn, item_id), "抽查事项"), store.department_names(conn))


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
         command: Callable[[], tuple[int, dict]]) -> JSONResponse:
    return run_command(services, principal, key, fingerprint(request.method, request.url.path, body), command)
