"""The OpenAPI schema tells the truth (issue 13 item 8): every error status an operation answers is declared with
the error shape; an unsupported method, TRACE included, is a 405 naming every method of the path."""
from __future__ import annotations

import httpx

from tests.support import LiveServer, assert_error


def test_every_api_operation_declares_its_errors_with_the_error_shape(server: LiveServer) -> None:
    spec = httpx.get(server.base_url + "/openapi.json", timeout=30).json()
    error = {"$ref": "#/components/schemas/ErrorOut"}
    operations = [(path, method, op) for path, ops in spec["paths"].items() if path.startswith("/api/")
                  for method, op in ops.items()]
    assert len(operations) > 60
    for path, method, op in operations:
        declared = op["responses"]
        for status in ("422", "503"):
            assert declared[status]["content"]["application/json"]["schema"] == error, (method, path, status)
        if op.get("security"):
            assert {"401", "403"} <= set(declared), (method, path)
        if "{" in path:
            assert "404" in declared, (method, path)
        if method in ("post", "put"):
            assert {"400", "404", "409", "413"} <= set(declared), (method, path)
    assert "HTTPValidationError" not in spec["components"]["schemas"]  # FastAPI's own 422 shape is never sent
    assert {"401", "429"} <= set(spec["paths"]["/api/v1/auth/login"]["post"]["responses"])


def test_trace_and_other_unsupported_methods_are_405_listing_every_method_of_the_path(server: LiveServer) -> None:
    office = server.client("office")
    for method, path, allowed in (("TRACE", "/joint-tasks", "GET, POST"), ("DELETE", "/notices", "GET, POST"),
                                  ("OPTIONS", "/subjects/imports", "POST"),
                                  ("PATCH", "/subjects/91330100MA27XXXX0X", "GET, PUT")):
        response = office.request(method, path)
        assert_error(response, 405, "method_not_allowed")
        assert response.headers["Allow"] == allowed, (method, path)
