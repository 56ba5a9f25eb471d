"""Test support: a live uvicorn server in a thread and a small HTTP client that logs in as a department."""
from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

import httpx
import uvicorn

from api.app import create_app
from api.demo import DEMO_PASSWORD
from api.services import Services


@dataclass
class LiveServer:
    base_url: str
    services: Services
    _tokens: dict[str, str] = field(default_factory=dict)

    @classmethod
    @contextmanager
    def start(cls, services: Services) -> Iterator["LiveServer"]:
        port = _free_port()
        app = create_app(services.settings, services=services)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                               lifespan="on"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("test server did not start")
            time.sleep(0.01)
        try:
            yield cls(base_url=f"http://127.0.0.1:{port}", services=services)
        finally:
            server.should_exit = True
            thread.join(timeout=10)

    def client(self, username: str | None = None) -> "Client":
        """A client logged in as `username` (password: the demo password), or anonymous."""
        headers = {}
        if username is not None:
            if username not in self._tokens:
                response = httpx.post(f"{self.base_url}/api/v1/auth/login",
                                      json={"username": username, "password": DEMO_PASSWORD})
                response.raise_for_status()
                self._tokens[username] = response.json()["access_token"]
            headers["Authorization"] = f"Bearer {self._tokens[username]}"
        return Client(httpx.Client(base_url=self.base_url + "/api/v1", headers=headers, timeout=30))


class Client:
    """httpx with the API prefix, plus helpers for the calls most tests make."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def __getattr__(self, name: str) -> Any:
        return getattr(self.http, name)

    def initiate(self, **overrides: Any) -> httpx.Response:
        body = {"title": "餐饮单位食品安全联合检查", "responding_departments": ["wlj", "gxj"],
                "window_start": "2026-03-09", "window_end": "2026-04-30",
                "items": ["食品经营检查", "消防安全检查", "文化市场经营检查"], "planned": True, "note": ""}
        body.update(overrides)
        return self.http.post("/joint-tasks", json=body)

    def respond(self, task_id: str, decision: str = "accept", item_ids: list[str] | None = None,
                reason: str = "", **kwargs: Any) -> httpx.Response:
        body = {"decision": decision, "item_ids": item_ids if item_ids is not None else ["食品经营检查"],
                "reason": reason}
        return self.http.post(f"/joint-tasks/{task_id}/responses", json=body, **kwargs)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict:
    """The one error shape: {"error": {"code", "message" (Chinese), "details"}}."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"]), error["message"]
    if code is not None:
        assert error["code"] == code, error
    return error
