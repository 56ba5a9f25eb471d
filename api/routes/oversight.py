"""The joint meeting office's view (R-JOINT-4, R-OVER-1)."""
from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.commands import iso
from api.deps import OfficePrincipal, ReadAfter, ServicesDep
from api.errors import ApiError
from api.export import Format, table_response
from api.routes.departments import department_ids, department_names
from domain.working_days import end_of_day, local_date
from projections import oversight, queries, subject_draws

router = APIRouter(prefix="/oversight", tags=["督导"])


@router.get("/late-responses")
def late_responses(principal: OfficePrincipal, services: ServicesDep,
                   department: Annotated[str | None, Query(max_length=32)] = None,
                   page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                   page_size: Annotated[int, Query(ge=1, le=500)] = 50,
                   _: ReadAfter = None, format: Format = "json") -> Response:
    """Every response past its deadline (still pending) or given after it, oldest deadline first."""
    today = local_date(services.clock.now())
    result = queries.late_responses(services.engine, today=today, department=department,
                                    offset=(page - 1) * page_size, limit=page_size)
    ids, names = department_ids(services), department_names(services)
    items = []
    for r in result.items:
        pending = r["response_status"] == "pending"
        items.append({
            "task_id": r["task_id"], "task_title": r["title"], "department_id": ids.get(r["department"]),
            "department_code": r["department"], "department_name": names.get(r["department"]),
            "deadline": iso(end_of_day(r["response_deadline"])), "responded_at": iso(r["responded_at"]),
            "reason": r["late_reason"], "response_status": r["response_status"],
            "state": "late_with_reason" if r["late_reason"] else ("overdue" if pending else "late"),
        })
    return table_response({"items": items, "total": result.total, "page": page, "page_size": page_size}, items, [
        ("task_id", "任务编号"), ("task_title", "任务名称"), ("department_name", "部门"), ("deadline", "响应期限"),
        ("responded_at", "响应时间"), ("state", "情形"), ("reason", "逾期理由")], format, "late-responses")


@router.get("/tasks-without-day")
def tasks_without_day(principal: OfficePrincipal, services: ServicesDep, _: ReadAfter = None,
                      format: Format = "json") -> Response:
    """Live tasks whose responses are in (or overdue) but whose joint inspection day is not agreed (R-JOINT-5)."""
    names = department_names(services)
    rows = [r | {"lead_department_name": names.get(r["lead_department"]), "pushed_at": iso(r["pushed_at"])}
            for r in oversight.tasks_without_day(services.engine, today=local_date(services.clock.now()))]
    return table_response({"items": rows, "total": len(rows)}, rows, [
        ("task_id", "任务编号"), ("title", "任务名称"), ("lead_department_name", "牵头部门"), ("status", "状态"),
        ("pushed_at", "推送时间"), ("response_deadline", "响应期限"), ("pending", "未响应部门数"),
        ("proposed_day", "提议检查日"), ("window_days_left", "距窗口结束天数")], format, "tasks-without-day")


@router.get("/overdue-results")
def overdue_results(principal: OfficePrincipal, services: ServicesDep, _: ReadAfter = None,
                    format: Format = "json") -> Response:
    """Results not entered after the visit, or not published within 20 working days of it (R-PUB-1)."""
    names = department_names(services)
    rows = [r | {"department_name": names.get(r["department"])}
            for r in oversight.overdue_results(services.engine, today=local_date(services.clock.now()))]
    return table_response({"items": rows, "total": len(rows)}, rows, [
        ("task_id", "任务编号"), ("title", "任务名称"), ("department_name", "部门"), ("agreed_day", "联合检查日"),
        ("inspected_on", "检查完成日期"), ("publish_deadline", "公示期限"), ("state", "情形")], format,
        "overdue-results")


@router.get("/department-figures")
def department_figures(principal: OfficePrincipal, services: ServicesDep,
                       from_: Annotated[date, Query(alias="from")], to: date, _: ReadAfter = None,
                       format: Format = "json") -> Response:
    """Per department, for tasks pushed in a period: received, % answered on time, median response time in
    working hours, late responses without reason, notices received (R-OVER-1)."""
    if to < from_:
        raise ApiError(422, "invalid_range", "结束日期不能早于开始日期。")
    names = department_names(services)
    rows = [r | {"department_name": names.get(r["department"])} for r in oversight.department_figures(
        services.engine, start=from_, end=to, today=local_date(services.clock.now()),
        calendar=services.app.calendar())]
    return table_response({"items": rows, "total": len(rows), "from": from_, "to": to}, rows, [
        ("department_name", "部门"), ("received", "收到任务数"), ("answered", "已响应"), ("on_time", "按时响应"),
        ("on_time_percent", "按时响应率%"), ("median_response_working_hours", "响应用时中位数（工作小时）"),
        ("late_without_reason", "逾期且未说明理由"), ("notices_received", "被通报次数")], format,
        "department-figures")


@router.get("/fusion-suggestions")
def fusion_suggestions(principal: OfficePrincipal, services: ServicesDep, _: ReadAfter = None) -> dict:
    """Open tasks of this year that drew the same subjects in overlapping windows: merge them into one visit
    (R-JOINT-8, R-DRAW-6); the lead of both, or the office, merges with POST /joint-tasks/{id}/merge."""
    items = subject_draws.fusion_suggestions(services.engine, year=local_date(services.clock.now()).year)
    return {"items": items, "total": len(items)}
