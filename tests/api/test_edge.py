"""What every response carries (issue 18): a request id in the header, in error bodies and on log lines; the security
headers with a CSP (the Chromium tests fail on any console error, so every page is checked against it); JSON logs."""
from __future__ import annotations

import json
import logging

from api.http.edge import RequestIdFilter
from api.logs import JsonFormatter
from tests.support import assert_error


def test_every_answer_has_a_request_id_that_its_error_body_repeats(server):
    anonymous = server.client()
    ok = anonymous.get("/public/results")
    assert len(ok.headers["X-Request-ID"]) == 32
    refused = server.client("wlj").get("/joint-tasks/00000000-0000-4000-8000-000000000000")
    assert_error(refused, 404)
    assert refused.json()["request_id"] == refused.headers["X-Request-ID"]
    given = anonymous.get("/public/results", headers={"X-Request-ID": "gateway-7f3a9c21"})
    assert given.headers["X-Request-ID"] == "gateway-7f3a9c21"  # a proxy's id is kept
    forged = anonymous.get("/public/results", headers={"X-Request-ID": "<script>"})
    assert forged.headers["X-Request-ID"] != "<script>" and len(forged.headers["X-Request-ID"]) == 32


def test_pages_and_the_api_carry_the_security_headers(server):
    import httpx

    page = httpx.get(server.base_url + "/web/", timeout=10)
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    for response in (page, httpx.get(server.base_url + "/api/v1/public/results", timeout=10)):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" not in httpx.get(server.base_url + "/docs", timeout=10).headers  # its CDN


def test_a_log_line_is_one_json_object_with_the_request_id_and_the_traceback_once():
    record = logging.LogRecord("jointinspect.api", logging.ERROR, __file__, 1, "失败：%s", ("原因",), None)
    try:
        raise ValueError("boom")
    except ValueError:
        import sys
        record.exc_info = sys.exc_info()
    RequestIdFilter().filter(record)  # outside a request: "-"
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert "\n" not in line and entry["message"] == "失败：原因" and entry["request_id"] == "-"
    assert entry["level"] == "ERROR" and entry["traceback"].count("ValueError: boom") == 1
