"""What every HTTP response carries (issue 18): a request id (taken from a well-formed `X-Request-ID`, else made
here) in the `X-Request-ID` header, in every error body and on every log line of the request; and the security
headers — a Content-Security-Policy the UI passes (no inline script or style, nothing from elsewhere, no framing),
`X-Content-Type-Options`, `Referrer-Policy`, `X-Frame-Options`; with a read replica, `X-Read-From` on the reads
that could go there (replica or primary)."""
from __future__ import annotations

import contextvars
import logging
import re
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{8,64}")
# The UI is same-origin ES modules and a stylesheet; images are its own, data: (the notice's QR code, the favicon) or
# blob: (downloads); its websocket is the page's own host. /docs (Swagger UI) loads from a CDN: left out of it.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "connect-src 'self' {ws}; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
NO_CSP = ("/docs", "/redoc")


def current_request_id() -> str | None:
    return REQUEST_ID.get()


class RequestIdFilter(logging.Filter):
    """Puts the request id (or "-") on every log record, for the formatters (api/logs.py)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get() or "-"
        return True


class Edge:
    """ASGI middleware: the request id and the security headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = given if WELL_FORMED.fullmatch(given) else uuid.uuid4().hex
        # set for this request's task (and the threads it hands work to): not reset at the end, so the error
        # handler of the outermost middleware (a 500) still logs it; each request runs in a task of its own
        REQUEST_ID.set(request_id)
        host = headers.get(b"host", b"").decode("latin-1")
        csp = None if scope["path"].startswith(NO_CSP) else CSP.format(
            ws=f"ws://{host} wss://{host}" if re.fullmatch(r"[A-Za-z0-9.:\[\]-]{1,255}", host) else "")

        state = scope.setdefault("state", {})  # request.state: the read's source is noted there (api/http/deps.py)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [(b"x-request-id", request_id.encode()), (b"x-content-type-options", b"nosniff"),
                         (b"referrer-policy", b"same-origin"), (b"x-frame-options", b"DENY")]
                if csp is not None:
                    extra.append((b"content-security-policy", csp.encode("latin-1")))
                if "read_from" in state:  # with a read replica: which database answered (replica or primary)
                    extra.append((b"x-read-from", state["read_from"].encode()))
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
