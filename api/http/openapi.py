"""The OpenAPI schema tells the truth (issue 13 item 8): exports declare their CSV and XLSX bodies, and every
operation declares the error statuses it can answer, each with the one error shape (api/http/errors.py), derived from what the operation is:

- every API operation: 422 (the edge refuses unacceptable text in any parameter, api/input_checks.py) and 503
  (the database is unreachable, a read waits too long or too many wait);
- with a bearer token: 401 and 403; with a path parameter: 404;
- a command (POST, PUT, DELETE): 400 (a body that cannot be parsed), 404 (an id in the body names nothing),
  409 (a rule of the task's state) and 413 (a body or upload over its limit);
- login: 401 (wrong credentials) and 429 (too many failed attempts); a password change: 429 too;
- the enterprise's forms by its notice code (/public/visits/…): 410 (the code has expired) and 429 (too many failed
  attempts).
"""
from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_SCHEMA = {
    "title": "ErrorOut",
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object",
        "required": ["code", "message", "details"],
        "properties": {
            "code": {"type": "string", "description": "machine-readable code, e.g. validation_error"},
            "message": {"type": "string", "description": "a Chinese sentence a person can act on"},
            "details": {"description": "what exactly was refused (fields, limits, positions), or null"},
        },
    }},
}
DESCRIPTIONS = {
    400: "请求体无法解析", 401: "未登录或登录已失效", 403: "无权办理", 404: "对象不存在", 409: "与当前状态冲突",
    410: "已失效", 413: "请求体或上传文件过大", 422: "参数或内容无效", 429: "尝试过于频繁",
    503: "暂时无法服务（数据库不可用或读模型同步中），可稍后重试",
}


def install_openapi(app: FastAPI) -> None:
    """Replace app.openapi with one that declares exports and error responses (built once, then cached)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes,
                                 description=app.description)
            declare_errors(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


EXPORTS = {"text/csv": {"schema": {"type": "string"}},
           "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
               {"schema": {"type": "string", "format": "binary"}}}


def declare_errors(schema: dict[str, Any]) -> None:
    schema.setdefault("components", {}).setdefault("schemas", {})["ErrorOut"] = ERROR_SCHEMA
    for schemas in ("HTTPValidationError", "ValidationError"):  # FastAPI's own 422 shape is never sent
        schema["components"]["schemas"].pop(schemas, None)
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if any(p.get("name") == "format" for p in operation.get("parameters", [])):  # ?format=csv|xlsx
                operation["responses"].get("200", {}).setdefault("content", {}).update(EXPORTS)
            for status in _statuses(path, method, operation):
                operation.setdefault("responses", {})[str(status)] = {
                    "description": DESCRIPTIONS[status],
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
                }


def _statuses(path: str, method: str, operation: dict[str, Any]) -> list[int]:
    if not path.startswith("/api/"):
        return []
    statuses = [422, 503]
    if operation.get("security"):
        statuses += [401, 403]
    if any(p.get("in") == "path" for p in operation.get("parameters", [])):
        statuses.append(404)
    if method in ("post", "put", "patch", "delete"):
        statuses += [400, 404, 409, 413]  # a command names other things by id in its body, too
    if path.endswith("/auth/login"):
        statuses += [401, 429]
    if path.endswith("/auth/password"):  # the current password is checked like a login, under the same limits
        statuses.append(429)
    if path.startswith("/api/v1/public/visits/"):
        statuses += [410, 429]
    return sorted(set(statuses))
