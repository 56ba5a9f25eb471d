"""Test support: a live uvicorn server in a thread and a small HTTP client that logs in as a department."""
from __future__ import annotations

import asyncio
import functools
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterator

import httpx
import uvicorn
from sqlalchemy import create_engine, text

from api.http.app import create_app
from api.demo import CHECKLIST, DEMO_PASSWORD
from api.bootstrap import Services
from domain.clock import SHANGHAI


class _QuickServer(uvicorn.Server):
    """uvicorn that looks at should_exit every 10 ms instead of every 100 ms: the suite stops hundreds of servers."""

    async def main_loop(self) -> None:
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864000
            await asyncio.sleep(0.01)


@dataclass
class LiveServer:
    base_url: str
    services: Services
    _tokens: dict[str, str] = field(default_factory=dict)
    _clients: dict[str, "Client"] = field(default_factory=dict)

    @classmethod
    @contextmanager
    def start(cls, services: Services) -> Iterator["LiveServer"]:
        port = _free_port()
        app = create_app(services.settings, services=services)
        server = _QuickServer(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                             lifespan="on"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("test server did not start")
            time.sleep(0.01)
        live = cls(base_url=f"http://127.0.0.1:{port}", services=services)
        try:
            yield live
        finally:
            for client in live._clients.values():
                client.http.close()
            server.should_exit = True
            thread.join(timeout=10)

    def client(self, username: str | None = None) -> "Client":
        """A client logged in as `username` (password: the demo password), or anonymous; one per user, reused."""
        name = username or ""
        if name not in self._clients:
            headers = {}
            if username is not None:
                if username not in self._tokens:
                    response = self.client().http.post("/auth/login",
                                                       json={"username": username, "password": DEMO_PASSWORD})
                    response.raise_for_status()
                    self._tokens[username] = response.json()["access_token"]
                headers["Authorization"] = f"Bearer {self._tokens[username]}"
            self._clients[name] = Client(httpx.Client(base_url=self.base_url + "/api/v1", headers=headers,
                                                      timeout=30, verify=_tls_context()), name)
        return self._clients[name]

    def log_in_again(self) -> None:
        """Forget every login, e.g. after moving the clock past the tokens' lifetime."""
        for client in self._clients.values():
            client.http.close()
        self._clients.clear()
        self._tokens.clear()


class Client:
    """httpx with the API prefix, plus helpers for the calls most tests make."""

    def __init__(self, http: httpx.Client, username: str = "") -> None:
        self.http = http
        self.username = username

    def __getattr__(self, name: str) -> Any:
        return getattr(self.http, name)

    def initiate(self, **overrides: Any) -> httpx.Response:
        """Initiate; by default the lead's and each responder's first demo joint item (R-ITEM-3)."""
        body = {"title": "餐饮单位食品安全联合检查", "responding_departments": ["wlj", "gxj"],
                "window_start": "2026-03-09", "window_end": "2026-04-30", "planned": True, "note": ""}
        body.update(overrides)
        body.setdefault("items", default_items([self.username, *body["responding_departments"]]))
        return self.http.post("/joint-tasks", json=body)

    def respond(self, task_id: str, decision: str = "accept", item_ids: list[str] | None = None,
                reason: str = "", **kwargs: Any) -> httpx.Response:
        if item_ids is None:  # by default the responder's own items on the task (R-JOINT-3)
            task = self.http.get(f"/joint-tasks/{task_id}")  # an outsider's 403 is the POST's to give
            item_ids = [i["id"] for i in task.json()["item_details"] if i["department_code"] == self.username] \
                if decision == "accept" and task.status_code == 200 else []
        body = {"decision": decision, "item_ids": item_ids, "reason": reason}
        return self.http.post(f"/joint-tasks/{task_id}/responses", json=body, **kwargs)


@contextmanager
def api_process(database_url: str, **env: str) -> Iterator[str]:
    """`jointinspect serve` in a process of its own on `database_url`; yields its base URL once it answers HTTP.

    `env` adds JOINTINSPECT_* variables, e.g. JOINTINSPECT_RUN_PROJECTIONS="false".
    """
    port = _free_port()
    environ = dict(os.environ, JOINTINSPECT_DATABASE_URL=database_url, JOINTINSPECT_ENV="test",
                   JOINTINSPECT_NOW="2026-03-02T09:00:00+08:00", JOINTINSPECT_PORT=str(port),
                   JOINTINSPECT_LOG_LEVEL="warning", **env)
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve"], env=environ)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _answers(base):
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("API process did not start")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def _answers(base: str) -> bool:
    """Whether the process serves requests; uvicorn accepts none before the app's startup has finished."""
    try:
        return httpx.get(base + "/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One TLS context for every test client: building one per client (loading the CA bundle) costs ~35 ms."""
    return ssl.create_default_context()


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


# ---- helpers for the HTTP suite (tests/api) ------------------------------------------------------------
def idempotency(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


def created(response: httpx.Response, status: int = 201) -> dict:
    """The body of a successful answer; fails with the server's error body otherwise."""
    assert response.status_code == status, response.text
    return response.json()


def head(server: LiveServer) -> int:
    """The notification log's head: it moves iff something was recorded."""
    return int(server.services.app.recorder.max_notification_id() or 0)


def office_view(server: LiveServer, task_id: str) -> dict:
    """The task as the office sees it (every department's details)."""
    return created(server.client("office").get(f"/joint-tasks/{task_id}"), 200)


@contextmanager
def nothing_recorded(server: LiveServer, *task_ids: str) -> Iterator[None]:
    """Asserts that the block records no event and leaves the given tasks exactly as they were."""
    before_head, before = head(server), [office_view(server, t) for t in task_ids]
    yield
    assert head(server) == before_head, "a refused command recorded something"
    assert [office_view(server, t) for t in task_ids] == before


def wait_for_read_models(server: LiveServer) -> int:
    """Block until the projections have applied everything recorded so far; returns that position."""
    position = server.services.app.recorder.max_notification_id() or 0
    assert server.services.runner.wait_for(position, timeout=10)
    return position


# The default task of Client.initiate: scjg leads, wlj and gxj respond by Wed 2026-03-04 (pushed Mon 2026-03-02).
INSPECTION_DAY = "2026-03-10"  # a Tuesday inside the default window 2026-03-09 .. 2026-04-30


def default_items(departments: list[str]) -> list[str]:
    """Each department's first joint item in the demo checklist (scjg, wlj, gxj: 食品经营检查, 文化市场经营检查,
    工业产品生产许可检查); the office has none."""
    first: dict[str, str] = {}
    for code, _, name, *_ in CHECKLIST:
        first.setdefault(code, name)
    return [first[c] for c in departments if c in first]


def item_names(view: dict, ids: list[str] | None = None) -> list[str]:
    """The names of a task's items, or of the given item ids, as the task's item_details tell them."""
    names = {i["id"]: i["name"] for i in view["item_details"]}
    return [names[i] for i in (view["items"] if ids is None else ids)]


def pushed_task(server: LiveServer, lead: str = "scjg", **overrides: Any) -> str:
    return str(created(server.client(lead).initiate(**overrides))["id"])


def responded_task(server: LiveServer) -> str:
    """wlj accepts its 文化市场经营检查, gxj declines: participants are scjg and wlj."""
    task_id = pushed_task(server)
    created(server.client("wlj").respond(task_id))
    created(server.client("gxj").respond(task_id, "decline", [], reason="本季度无相关检查任务"))
    return task_id


def day_agreed_task(server: LiveServer) -> str:
    """responded_task with scjg proposing INSPECTION_DAY and wlj agreeing."""
    task_id = responded_task(server)
    created(server.client("scjg").post(f"/joint-tasks/{task_id}/inspection-day/proposals",
                                       json={"day": INSPECTION_DAY}))
    created(server.client("wlj").post(f"/joint-tasks/{task_id}/inspection-day/agreements"))
    return task_id


def inspected_task(server: LiveServer) -> str:
    """day_agreed_task inspected on INSPECTION_DAY by both participants; the clock stands on the next morning."""
    task_id = day_agreed_task(server)
    server.services.clock.set(datetime(2026, 3, 11, 10, tzinfo=SHANGHAI))  # type: ignore[attr-defined]
    for code in ("scjg", "wlj"):
        created(server.client(code).post(f"/joint-tasks/{task_id}/inspections",
                                         json={"completed_on": INSPECTION_DAY, "note": "现场检查完成"}))
    return task_id


def empty_schema(url: str) -> str:
    """A PostgreSQL database's public schema dropped and made again, empty: a clean store at `url` (returned)."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
    return url
