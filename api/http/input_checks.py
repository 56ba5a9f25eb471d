"""Hostile input at the edge: text no clerk types is refused before anything is recorded (ARCHITECTURE.md,
"Hostile input"; issue 13).

Refused in every string a request carries — JSON body fields at any depth, query and path parameters:
- C0 and C1 control characters (NUL included): tab, line feed and carriage return only in multi-line fields;
- lone surrogates (UTF-16 halves that JSON `\\ud800` escapes can smuggle in; no encoder can store them);
- bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069: "Trojan Source" text that reads one way
  and is stored another);
- the noncharacters U+FFFE and U+FFFF.
Private-use characters stay allowed: registries use them for rare characters in names (生僻字).
"""
from __future__ import annotations

import json
import re
from typing import Any, Iterable

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http.errors import FIELD_LABELS, ApiError, error_body, shown

# Multi-line fields (text areas): tab and line breaks allowed. Everything else is one line.
MULTILINE_FIELDS = frozenset({
    "note", "reason", "body", "content", "legal_basis", "subject_scope", "credit_risk_grading", "findings",
    "measures", "confidential_note", "description",
})
MAX_STRING = 10_000  # no string of any request may be longer, whatever its field declares (a list's items too)

_BAD = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069\ufffe\uffff"
_BAD_LINE = re.compile(f"[{_BAD}\t\n\r]")
_BAD_MULTILINE = re.compile(f"[{_BAD}]")
# What any refused character looks like in a JSON body's UTF-8 bytes: an escape (\u…, \t, \n, \r), or the
# encoding of a C1 control, a bidirectional control or a noncharacter (raw C0 controls are not valid JSON at all)
_MAYBE_HOSTILE = re.compile(rb"\\[utnr]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]|\xef\xbf[\xbe\xbf]")


def text_problem(value: str, multiline: bool = False) -> str | None:
    """What is wrong with `value` as a clerk's text, in Chinese, or None when it is acceptable."""
    if len(value) > MAX_STRING:
        return f"不能超过 {MAX_STRING} 个字符"
    found = (_BAD_MULTILINE if multiline else _BAD_LINE).search(value)
    if found is None:
        return None
    char = found.group()
    code = f"U+{ord(char):04X}"
    if char in "\t\n\r":
        return f"不能包含换行或制表符（{code}），请写在一行内"
    if "\ud800" <= char <= "\udfff":
        return f"含有无效的 Unicode 字符（孤立代理项 {code}），请重新输入"
    if "\u202a" <= char <= "\u202e" or "\u2066" <= char <= "\u2069":
        return f"含有改变文字方向的隐藏字符（{code}），请删除后重新输入"
    return f"含有不可见的控制字符（{code}），请删除后重新输入"


async def refuse_hostile_input(request: Request) -> None:
    """Every API route's first dependency: 422 for unacceptable text anywhere in the request, before any other
    validation or business rule runs (so nothing is recorded). The body was read by FastAPI already: this reads its
    cached bytes (or form)."""
    refuse_params(request.query_params.multi_items(), "查询")
    refuse_params(request.path_params.items(), "路径")
    key = request.headers.get("idempotency-key")
    if key is not None:
        refuse_params([("Idempotency-Key", key)], "请求头")
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        body = await request.body()
        if len(body) <= MAX_STRING and not _MAYBE_HOSTILE.search(body):
            return  # the usual command: no escape and no odd character in its bytes, nothing to parse twice
        try:
            parsed = json.loads(body)
        except ValueError:
            return  # FastAPI answers a malformed body itself
        _walk(parsed, "", False)
    elif content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        for name, value in (await request.form()).multi_items():
            _walk(value.filename or "" if isinstance(value, UploadFile) else value, name, False)


def _walk(value: Any, path: str, multiline: bool) -> None:
    """Check every string of a parsed JSON value; `path` names the field as the error details do (a.0.b)."""
    if isinstance(value, str):
        problem = text_problem(value, multiline)
        if problem:
            _refuse(path, problem)
    elif isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            problem = text_problem(str(key))
            if problem:
                _refuse(here, problem)
            _walk(item, here, key in MULTILINE_FIELDS)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, f"{path}.{index}" if path else str(index), multiline)


def _refuse(path: str, problem: str) -> None:
    path = shown(path)
    names = [part for part in path.split(".") if part and not part.isdigit()]
    label = FIELD_LABELS.get(names[-1], names[-1]) if names else "请求体"
    raise ApiError(422, "invalid_text", f"{label}：{problem}。", [{"field": path, "message": f"{label}：{problem}"}])


def refuse_params(params: Iterable[tuple[str, str]], where: str) -> None:
    """422 for the first query or path parameter (name or value) that is not acceptable text."""
    for name, value in params:
        for text in (name, value):
            problem = text_problem(text)
            if problem:
                label = FIELD_LABELS.get(name, shown(name)) if text is value else "参数名"
                raise ApiError(422, "invalid_text", f"{where}参数 {label}：{problem}。",
                               [{"field": shown(name), "message": f"{label}：{problem}"}])


class BodyLimit:
    """Refuse a request body over `limit` bytes with 413 (multipart uploads: `upload_limit`) before the app reads
    it whole: by its Content-Length at once, or when the streamed bytes pass the limit."""

    def __init__(self, app: ASGIApp, limit: int, upload_limit: int) -> None:
        self.app, self.limit, self.upload_limit = app, limit, upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        upload = headers.get(b"content-type", b"").startswith(b"multipart/")
        limit = self.upload_limit if upload else self.limit
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit, upload)
            return
        received = 0
        refused = False

        async def counted() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    raise _BodyTooLarge()
            return message

        async def guarded(message: Message) -> None:
            if not refused:  # once the body is refused, whatever the app answers (it may wrap our signal) is not sent
                await send(message)

        try:
            await self.app(scope, counted, guarded)
        except _BodyTooLarge:
            pass
        except Exception:
            if not refused:
                raise
        if refused:
            await _too_large(send, limit, upload)


class _BodyTooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int, upload: bool) -> None:
    import json

    what = "上传文件" if upload else "请求体"
    size = f"{limit / (1 << 20):g} MB" if limit >= 1 << 20 else f"{limit // 1024} KB"
    code = "upload_too_large" if upload else "body_too_large"
    body = json.dumps(error_body(code, f"{what}过大：不能超过 {size}。", {"limit_bytes": limit}),
                      ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
