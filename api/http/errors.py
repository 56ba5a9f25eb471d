"""One error shape everywhere: {"error": {"code", "message" (Chinese, actionable), "details"}}."""
from __future__ import annotations

import logging
import re
from typing import Any

from eventsourcing import persistence
from fastapi import FastAPI, Request, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sql
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.http.edge import current_request_id
from domain.errors import DomainError
from projections.failures import first_line, is_transient

log = logging.getLogger("jointinspect.api")

# The database away (projections.failures.is_transient): answered by a handler of their own classes, which runs
# inside the app. The catch-all handler of `Exception` runs in Starlette's ServerErrorMiddleware, which re-raises
# what it answered: uvicorn then logged "Exception in ASGI application" with a traceback after every 503 and closed
# the client's keep-alive connection (tests/faults/test_outages.py)
UNAVAILABLE = (sql.OperationalError, sql.InterfaceError, persistence.OperationalError, persistence.InterfaceError)

STATUS_BY_KIND = {"not_found": 404, "forbidden": 403, "conflict": 409, "invalid": 422}

FIELD_LABELS = {
    "title": "任务名称", "responding_departments": "响应部门", "window_start": "开始日期",
    "window_end": "结束日期", "items": "抽查事项", "planned": "是否计划内", "note": "备注",
    "decision": "响应结果", "item_ids": "参加事项", "reason": "理由", "day": "检查日",
    "completed_on": "完成日期", "username": "用户名", "password": "密码", "start": "起算时间",
    "working_days": "工作日天数", "year": "年份", "holidays": "节假日", "makeup_workdays": "调休上班日",
    "working": "是否上班", "page": "页码", "page_size": "每页条数", "into_task_id": "目标任务编号",
    "task_id": "任务编号", "Idempotency-Key": "幂等键", "status": "状态", "role": "角色", "sort": "排序字段",
    "category": "事项类别", "code": "编号", "content": "检查内容", "cooperating_offices": "配合科室",
    "credit_risk_grading": "信用风险分类", "end": "结束日期", "exemption_override": "免检例外类别",
    "frequency": "抽查频次", "item_class": "事项类别（A/B/C）", "lead_office": "牵头科室", "legal_basis": "检查依据",
    "level": "层级", "methods": "检查方式", "name": "名称", "partner_departments": "联合部门", "quarters": "季度",
    "ratio": "抽查比例", "schedule": "时间安排", "subject_scope": "检查对象范围",
    "subject_type": "检查对象类型", "unannounced": "是否不预先告知", "version": "版本号", "scope": "范围", "q": "关键词",
    "team_size": "每组人数", "inspector": "检查人员", "teams": "检查组",
    "inspector_id": "检查人员身份证号", "subject_code": "检查对象代码", "redraw_of": "被替代的抽取",
    "order": "排序方向", "department": "部门", "subject": "通报标题", "body": "通报内容", "task_ids": "任务编号", "criteria": "抽取条件", "witnesses": "见证人", "approver": "批准人", "min_position": "最小位置", "from": "开始日期", "to": "结束日期",
    "outcome": "检查结果", "findings": "检查情况", "measures": "处理措施", "transferred_to": "接收机关及案件编号",
    "confidential_note": "内部备注", "inspector_ids": "参加检查人员", "inspected_on": "检查日期", "results": "检查结果",
    "changes": "更正内容",
}


class ApiError(Exception):
    """An HTTP-level refusal raised by routes and dependencies."""

    def __init__(self, status: int, code: str, message: str, details: Any = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details
        self.headers = dict(headers or {})


def error_body(code: str, message: str, details: Any = None) -> dict:
    body: dict = {"error": {"code": code, "message": message, "details": details}}
    request_id = current_request_id()
    if request_id:  # the id the response header and the request's log lines carry (api/http/edge.py)
        body["request_id"] = request_id
    return body


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for unavailable in UNAVAILABLE:
        app.add_exception_handler(unavailable, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected)


async def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
    headers.update(exc.headers)
    return JSONResponse(error_body(exc.code, exc.message, exc.details), status_code=exc.status, headers=headers)


async def _domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return JSONResponse(error_body(exc.code, exc.message, exc.details or None),
                        status_code=STATUS_BY_KIND.get(exc.kind, 409))


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [{"field": _field(e), "message": _message(e)} for e in exc.errors()]
    message = "；".join(p["message"] for p in problems) + "。"  # every problem: the clerk fixes them in one go
    return JSONResponse(error_body("validation_error", message, problems), status_code=422)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:  # Starlette names the methods of one route only; a path may have several routes
        headers["Allow"] = ", ".join(allowed_methods(request)) or headers.get("Allow", "")
    messages = {404: ("not_found", "请求的地址不存在。"), 405: ("method_not_allowed", "该地址不支持此操作。"),
                401: ("unauthenticated", "请先登录。"), 403: ("forbidden", "无权进行此操作。")}
    code, message = messages.get(exc.status_code, ("http_error", "请求无法处理。"))
    # keep the exception's headers: a 405 says which methods the path allows (Allow), a 401 how to log in
    return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method the schema documents for the request's path (RFC 9110 §15.5.6: a 405 lists them all). Where a
    literal path and a template both fit (/subjects/imports, /subjects/{code}), the one with fewer parameters is
    the resource, as in routing."""
    patterns = getattr(request.app.state, "path_patterns", None)
    if patterns is None:
        patterns = [(path.count("{"), re.compile("^" + re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(path)) + "$"),
                     sorted(ops)) for path, ops in request.app.openapi().get("paths", {}).items()]
        request.app.state.path_patterns = patterns
    fitting = [(params, methods) for params, pattern, methods in patterns if pattern.match(request.url.path)]
    fewest = min((params for params, _ in fitting), default=0)
    return sorted({m.upper() for params, methods in fitting if params == fewest for m in methods})


async def _database_unavailable(conn: Request | WebSocket, exc: Exception) -> JSONResponse | None:
    """503 with Retry-After; a websocket (opening while the database is away) is closed with 1013, try again later."""
    if isinstance(conn, WebSocket):
        log.warning("database unavailable: %s", first_line(exc))
        try:
            await conn.close(code=1013, reason="database unavailable; reconnect later")
        except RuntimeError:  # closed already
            pass
        return None
    return _unavailable(exc)


def _unavailable(exc: Exception) -> JSONResponse:
    log.warning("database unavailable: %s", first_line(exc))
    return JSONResponse(error_body("database_unavailable", "数据库暂时无法访问，请稍后重试。"), status_code=503,
                        headers={"Retry-After": "5"})


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    if is_transient(exc):  # the database away, not a bug: the client may retry (projections.failures decides)
        return _unavailable(exc)
    # one line with the request id; the traceback is the server's to log (Starlette raises it on), once
    log.error("unexpected error: %s", type(exc).__name__)
    return JSONResponse(error_body("internal_error", "服务器内部错误，请稍后重试；如仍失败请联系管理员。"), status_code=500)


def _field(error: dict) -> str:
    loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "header")]
    return shown(".".join(loc))


def shown(text: str, limit: int = 80) -> str:
    """A name taken from the request, safe to echo in an error: cut short, odd characters as \\uXXXX escapes
    (a lone surrogate cannot even be encoded as UTF-8)."""
    cut = text if len(text) <= limit else text[:limit] + "…"
    return "".join(c if c.isprintable() and not "\ud800" <= c <= "\udfff" else f"\\u{ord(c):04x}" for c in cut)


def _message(error: dict) -> str:
    field = _field(error)
    name = FIELD_LABELS.get(field.split(".")[0], field) or "请求体"
    ctx = error.get("ctx") or {}
    kind = error.get("type", "")
    if "input" in error and error["input"] is None and kind.endswith("_type"):  # an empty field sent as null
        return f"请选择{name}" if kind.startswith("date") else f"请填写{name}"
    templates = {
        "missing": f"缺少必填项：{name}",
        "string_too_short": f"{name}不能为空",
        "string_too_long": f"{name}不能超过 {ctx.get('max_length')} 个字符",
        "too_short": f"{name}至少需要 {ctx.get('min_length')} 项",
        "too_long": f"{name}最多 {ctx.get('max_length')} 项",
        "date_parsing": f"{name}不是有效日期，格式应为 YYYY-MM-DD",
        "date_from_datetime_parsing": f"{name}不是有效日期，格式应为 YYYY-MM-DD",
        "date_type": f"{name}不是有效日期，格式应为 YYYY-MM-DD",
        "datetime_parsing": f"{name}不是有效的日期时间，格式应为 ISO 8601（如 2026-03-02T09:00:00+08:00）",
        "datetime_from_date_parsing": f"{name}不是有效的日期时间，格式应为 ISO 8601",
        "int_parsing": f"{name}须为整数",
        "int_type": f"{name}须为整数",
        "greater_than_equal": f"{name}不能小于 {ctx.get('ge')}",
        "less_than_equal": f"{name}不能大于 {ctx.get('le')}",
        "literal_error": f"{name}的取值须为 {ctx.get('expected')}",
        "bool_parsing": f"{name}须为 true 或 false",
        "bool_type": f"{name}须为 true 或 false",
        "uuid_parsing": f"{name}不是有效的编号",
        "uuid_type": f"{name}不是有效的编号",
        "list_type": f"{name}须为列表",
        "string_type": f"{name}须为文本",
        "string_unicode": f"{name}含有无效的 Unicode 字符，请重新输入",
        "json_invalid": "请求体不是有效的 JSON",
        "model_attributes_type": "请求体须为 JSON 对象",
        "dict_type": "请求体须为 JSON 对象",
        "extra_forbidden": f"不认识的字段：{field}",
        "enum": f"{name}的取值须为 {ctx.get('expected')}",
        "value_error": f"{name}：{str(ctx.get('error', '')).removeprefix('Value error, ')}",
        "greater_than": f"{name}须大于 {ctx.get('gt')}",
        "decimal_parsing": f"{name}须为数字",
    }
    return templates.get(kind, f"{name}的值无效")
