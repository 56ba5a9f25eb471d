"""The joint meeting office's view (R-JOINT-4, R-OVER-1), now or `?as_of=` a past instant."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime
from typing import Annotated, Any, Callable, Iterator

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.http.idempotency import iso
from api.http.deps import OfficePrincipal, ReadAfter, ServicesDep
from api.http.errors import ApiError
from api.http.export import Format, table_response
from api.http.routes.departments import department_ids, department_names
from api.bootstrap import Services
from domain.clock import SHANGHAI
from domain.working_days import Calendar, end_of_day, local_date
from projections import afterlife as afterlife_read
from projections import results as results_read
from projections import oversight, queries, subject_draws

router = APIRouter(prefix="/oversight", tags=["督导"])

AS_OF_FORMAT = "请用 ISO 8601 日期时间，如 2026-03-05T09:00:00+08:00（不写时区的按北京时间）"


def _as_of(services: ServicesDep, as_of: Annotated[str | None, Query(
        max_length=64, description="查看过去某一时刻办公室所见的情况（ISO 8601 日期时间；不写时区的按北京时间）。"
                                   "按事件日志重放到该时刻，耗时随事件数增长")] = None) -> datetime | None:
    """`as_of` as an aware instant (no offset: Asia/Shanghai); 422 when malformed or in the future (R-OVER-1)."""
    if as_of is None:
        return None
    text = as_of.strip().replace(" ", "+") if "T" in as_of else as_of.strip()  # an unescaped '+' arrives as ' '
    try:
        if "T" not in text:
            raise ValueError("a date alone is ambiguous")
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise ApiError(422, "invalid_as_of", f"as_of 不是有效的日期时间：{AS_OF_FORMAT}。",
                       {"field": "as_of", "value": as_of}) from None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=SHANGHAI)
    now = services.clock.now()
    if instant > now:
        raise ApiError(422, "as_of_in_future", f"as_of 不能晚于当前时间（{iso(now)}），只能查看已经发生的情况。",
                       {"field": "as_of", "value": as_of, "now": iso(now)})
    return instant


AsOf = Annotated[datetime | None, Depends(_as_of)]


@contextmanager
def _reading(services: Services, as_of: datetime | None) -> Iterator[tuple[Any, date, Callable[[], Calendar]]]:
    """The read store, today and the calendar: live, or replayed up to `as_of` (projections.as_of)."""
    if as_of is None:
        yield services.read_engine, local_date(services.clock.now()), services.app.calendar
        return
    assert services.past is not None
    store = services.past.at(as_of)
    with store.lock:
        yield store.engine, local_date(as_of), lambda: store.calendar


def _stamped(body: dict, as_of: datetime | None) -> dict:
    return body if as_of is None else body | {"as_of": iso(as_of)}


def _filename(name: str, as_of: datetime | None) -> str:
    return name if as_of is None else f"{name}-as-of-{as_of.astimezone(SHANGHAI):%Y%m%dT%H%M}"


@router.get("/late-responses")
def late_responses(principal: OfficePrincipal, services: ServicesDep,
                   department: Annotated[str | None, Query(max_length=32)] = None,
                   page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                   page_size: Annotated[int, Query(ge=1, le=500)] = 50,
                   _: ReadAfter = None, format: Format = "json", as_of: AsOf = None) -> Response:
    """Every response past its deadline (still pending) or given after it, oldest deadline first; with `as_of`,
    as the office would have seen it then."""
    with _reading(services, as_of) as (engine, today, _calendar):
        result = queries.late_responses(engine, today=today, department=department,
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
    body = _stamped({"items": items, "total": result.total, "page": page, "page_size": page_size}, as_of)
    return table_response(body, items, [
        ("task_id", "任务编号"), ("task_title", "任务名称"), ("department_name", "部门"), ("deadline", "响应期限"),
        ("responded_at", "响应时间"), ("state", "情形"), ("reason", "逾期理由")], format,
        _filename("late-responses", as_of))


@router.get("/tasks-without-day")
def tasks_without_day(principal: OfficePrincipal, services: ServicesDep, _: ReadAfter = None,
                      format: Format = "json", as_of: AsOf = None) -> Response:
    """Live tasks whose responses are in (or overdue) but whose joint inspection day is not agreed (R-JOINT-5)."""
    names = department_names(services)
    with _reading(services, as_of) as (engine, today, _calendar):
        found = oversight.tasks_without_day(engine, today=today)
    rows = [r | {"lead_department_name": names.get(r["lead_department"]), "pushed_at": iso(r["pushed_at"])}
            for r in found]
    return table_response(_stamped({"items": rows, "total": len(rows)}, as_of), rows, [
        ("task_id", "任务编号"), ("title", "任务名称"), ("lead_department_name", "牵头部门"), ("status", "状态"),
        ("pushed_at", "推送时间"), ("response_deadline", "响应期限"), ("pending", "未响应部门数"),
        ("proposed_day", "提议检查日"), ("window_days_left", "距窗口结束天数")], format,
        _filename("tasks-without-day", as_of))


@router.get("/overdue-results")
def overdue_results(principal: OfficePrincipal, services: ServicesDep, _: ReadAfter = None,
                    format: Format = "json", as_of: AsOf = None) -> Response:
    """Results not entered after the visit, or not published within 20 working days of it (R-PUB-1)."""
    names = department_names(services)
    with _reading(services, as_of) as (engine, today, _calendar):
        found = oversight.overdue_results(engine, today=today)
    rows = [r | {"department_name": names.get(r["department"])} for r in found]
    return table_response(_stamped({"items": rows, "total": len(rows)}, as_of), rows, [
        ("task_id", "任务编号"), ("title", "任务名称"), ("department_name", "部门"), ("agreed_day", "联合检查日"),
        ("inspected_on", "检查完成日期"), ("publish_deadline", "公示期限"), ("state", "情形")], format,
        _filename("overdue-results", as_of))


@router.get("/overdue-results/subjects")
def overdue_result_subjects(principal: OfficePrincipal, services: ServicesDep, _: ReadAfter = None,
                            department: Annotated[str | None, Query(max_length=32)] = None,
                            format: Format = "json", as_of: AsOf = None) -> Response:
    """Per subject and department: results recorded but not published within their deadline (R-PUB-1, R-OVER-1);
    earliest deadline first, at most 10,000 rows (the total says how many there are)."""
    names = department_names(services)
    with _reading(services, as_of) as (engine, today, _calendar):
        found = results_read.unpublished_results(engine, today=today, department=department, overdue_only=True,
                                                 offset=0, limit=10_000)
    rows = [r | {"department_name": names.get(r["department"], r["department"])} for r in found.items]
    return table_response(_stamped({"items": rows, "total": found.total}, as_of), rows, [
        ("task_id", "任务编号"), ("subject_name", "检查对象"), ("subject_code", "统一社会信用代码"),
        ("department_name", "部门"), ("inspected_on", "检查日期"), ("publish_deadline", "公示期限")], format,
        _filename("overdue-result-subjects", as_of))


@router.get("/department-figures")
def department_figures(principal: OfficePrincipal, services: ServicesDep,
                       from_: Annotated[date, Query(alias="from")], to: date, _: ReadAfter = None,
                       format: Format = "json", as_of: AsOf = None) -> Response:
    """Per department, for tasks pushed in a period: received, % answered on time, median response time in
    working hours, late responses without reason, notices received (R-OVER-1)."""
    if to < from_:
        raise ApiError(422, "invalid_range", "结束日期不能早于开始日期。")
    names = department_names(services)
    with _reading(services, as_of) as (engine, today, calendar):
        found = oversight.department_figures(engine, start=from_, end=to, today=today, calendar=calendar())
    rows = [r | {"department_name": names.get(r["department"])} for r in found]
    return table_response(_stamped({"items": rows, "total": len(rows), "from": from_, "to": to}, as_of), rows, [
        ("department_name", "部门"), ("received", "收到任务数"), ("answered", "已响应"), ("on_time", "按时响应"),
        ("on_time_percent", "按时响应率%"), ("median_response_working_hours", "响应用时中位数（工作小时）"),
        ("late_without_reason", "逾期且未说明理由"), ("notices_received", "被通报次数")], format,
        _filename("department-figures", as_of))


@router.get("/fusion-suggestions")
def fusion_suggestions(principal: OfficePrincipal, services: ServicesDep, _: ReadAfter = None) -> dict:
    """Open tasks of this year that drew the same subjects in overlapping windows: merge them into one visit
    (R-JOINT-8, R-DRAW-6); the lead of both, or the office, merges with POST /joint-tasks/{id}/merge."""
    items = subject_draws.fusion_suggestions(services.read_engine, year=local_date(services.clock.now()).year)
    return {"items": items, "total": len(items)}


@router.get("/overdue-objections")
def overdue_objections(principal: OfficePrincipal, services: ServicesDep, _: ReadAfter = None,
                       department: Annotated[str | None, Query(max_length=32)] = None,
                       format: Format = "json", as_of: AsOf = None) -> Response:
    """Objections not reviewed within 20 working days of receipt, or reviewed but not answered within 7 (or the
    department's 15) of the decision (R-OBJ-1, R-OVER-1); earliest due first, at most 10,000 rows."""
    names = department_names(services)
    with _reading(services, as_of) as (engine, today, _calendar):
        found = afterlife_read.list_objections(engine, today=today, department=department, overdue=True,
                                               offset=0, limit=10_000)
    rows = [r | {"department_name": names.get(r["department"], r["department"]),
                 "step": "复查" if r["status"] == "received" else "答复"} for r in found.items]
    for row in rows:
        row.pop("contact")  # the office's figures need no contact
    return table_response(_stamped({"items": rows, "total": found.total}, as_of), rows, [
        ("subject_name", "检查对象"), ("subject_code", "统一社会信用代码"), ("department_name", "部门"),
        ("step", "逾期环节"), ("lodged_at", "收到异议"), ("due", "期限")], format,
        _filename("overdue-objections", as_of))


@router.get("/overdue-requests")
def overdue_requests(principal: OfficePrincipal, services: ServicesDep, _: ReadAfter = None,
                     department: Annotated[str | None, Query(max_length=32)] = None,
                     format: Format = "json", as_of: AsOf = None) -> Response:
    """Enterprise requests not answered within 7 working days (of raising, or of their forwarding) (R-JOINT-9)."""
    names = department_names(services)
    with _reading(services, as_of) as (engine, today, _calendar):
        found = afterlife_read.list_requests(engine, today=today, department=department, overdue=True, offset=0,
                                             limit=10_000)
    rows = [r | {"department_name": names.get(r["department"], r["department"])} for r in found.items]
    for row in rows:
        row.pop("contact")
    return table_response(_stamped({"items": rows, "total": found.total}, as_of), rows, [
        ("subject_name", "检查对象"), ("subject_code", "统一社会信用代码"), ("department_name", "办理部门"),
        ("content", "诉求内容"), ("raised_at", "提出时间"), ("due", "期限")], format,
        _filename("overdue-requests", as_of))


@router.get("/requests-summary")
def requests_summary(principal: OfficePrincipal, services: ServicesDep,
                     year: Annotated[int, Query(ge=2000, le=2100)],
                     quarter: Annotated[int, Query(ge=1, le=4)], _: ReadAfter = None,
                     format: Format = "json", as_of: AsOf = None) -> Response:
    """Each department's requests of a quarter (004 §47: summarised to the office each quarter): by kind, the
    on-time rate of those settled, and how many are still open."""
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    names = department_names(services)
    with _reading(services, as_of) as (engine, _today, _calendar):
        found = afterlife_read.requests_summary(engine, start=start, end=end)
    rows = [r | {"department_name": names.get(r["department"], r["department"])} for r in found]
    body = _stamped({"items": rows, "total": len(rows), "year": year, "quarter": quarter}, as_of)
    return table_response(body, rows, [
        ("department_name", "部门"), ("total", "诉求总数"), ("on_spot", "现场解决"),
        ("answered_in_time", "按期答复"), ("answered_late", "逾期答复"), ("forwarded", "转交办理"),
        ("open", "尚未办结"), ("on_time_rate", "按期办结率（%）")], format,
        _filename(f"requests-summary-{year}Q{quarter}", as_of))


@router.get("/overdue-archives")
def overdue_archives(principal: OfficePrincipal, services: ServicesDep, _: ReadAfter = None,
                     format: Format = "json", as_of: AsOf = None) -> Response:
    """Completed tasks whose subjects' files are not all sealed within 30 working days of completion (R-ARCH-1)."""
    with _reading(services, as_of) as (engine, today, _calendar):
        found = afterlife_read.overdue_archives(engine, today=today)
    names = department_names(services)
    rows = [r | {"lead_department_name": names.get(r["lead_department"], r["lead_department"])} for r in found.items]
    return table_response(_stamped({"items": rows, "total": found.total}, as_of), rows, [
        ("title", "任务"), ("lead_department_name", "牵头部门"), ("completed_at", "任务完成"), ("archive_due", "归档期限"), ("subjects", "检查对象数"),
        ("archived", "已归档")], format, _filename("overdue-archives", as_of))
