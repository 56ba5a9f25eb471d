"""What operators scrape and probe: `/healthz`, `/readyz`, `/metrics` (prometheus-client), and the middleware that
times every request (issue 13 item 7; README "Operations").

Several API processes (`serve --workers N`) share their counters and histograms through prometheus-client's
multiprocess mode: `serve` points PROMETHEUS_MULTIPROC_DIR at a fresh directory before the workers start, and a
scrape of any process reads every process's files. What the database knows (projection lag, parked events, open
late responses) is read at scrape time by `StoreCollector`, once, whichever process answers.
"""
from __future__ import annotations

import os
import time
from datetime import datetime, timezone
from typing import Any, Iterable

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.clock import SHANGHAI
from projections import failures
from projections.queries import open_late_responses

router = APIRouter(tags=["运行状态"])
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The process's metrics, on a registry of the app's own (tests build many apps in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram("jointinspect_http_request_duration_seconds", "HTTP request latency by route",
                                 ["method", "route", "status"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.commands = Counter("jointinspect_commands_total", "Commands (POST, PUT, DELETE) by route and outcome",
                                ["command", "outcome"], registry=self.registry)
        self.ws_clients = Gauge("jointinspect_websocket_clients", "Connected websocket clients",
                                registry=self.registry, multiprocess_mode="livesum")
        self.replica_reads = Counter(  # with JOINTINSPECT_READ_DATABASE_URL (api/storage/replica.py)
            "jointinspect_replica_reads_total",
            "Reads that may lag, by where they were answered: the replica, or the primary as a fallback",
            ["answered_by"], registry=self.registry)


class RequestMetrics:
    """Pure ASGI middleware: each HTTP request's latency by route template; each command's outcome."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def noting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting)
        finally:
            self._observe(scope, status, time.perf_counter() - started)

    def _observe(self, scope: Scope, status: int, seconds: float) -> None:
        route = route_template(scope)
        method = scope["method"]
        self.metrics.latency.labels(method, route, str(status)).observe(seconds)
        if method in ("POST", "PUT", "PATCH", "DELETE") and route.startswith("/api/"):
            outcome = "ok" if status < 400 else "refused" if status < 500 else "error"
            self.metrics.commands.labels(f"{method} {route}", outcome).inc()


def route_template(scope: Scope) -> str:
    """The matched route's path with its parameters as `{name}` (few label values, whatever the ids): rebuilt
    from the path, since an included router's route knows only its own part of it."""
    route = scope.get("route")
    if route is None:
        return "unmatched"
    if isinstance(route, Mount):
        return f"{route.path}/{{path}}"
    names = {str(value): name for name, value in (scope.get("path_params") or {}).items()}
    return "/".join(f"{{{names[part]}}}" if part in names else part for part in scope["path"].split("/"))


class StoreCollector(Collector):
    """Read at scrape time: each projection's lag (events, seconds), failed events, halt; open late responses; the
    read replica's status and lag, when there is one."""

    def __init__(self, services: Any) -> None:
        self.services = services

    def collect(self) -> Iterable[GaugeMetricFamily]:
        lag_events = GaugeMetricFamily("jointinspect_projection_lag_events", "Events not yet applied",
                                       labels=["projection"])
        lag_seconds = GaugeMetricFamily("jointinspect_projection_lag_seconds",
                                        "Age of the oldest event not yet applied", labels=["projection"])
        failed = GaugeMetricFamily("jointinspect_projection_failed_events",
                                   "Events a projection could not apply as recorded (parked or sanitised)",
                                   labels=["projection", "action"])
        halted = GaugeMetricFamily("jointinspect_projection_halted", "1 when a projection stopped on its own fault",
                                   labels=["projection"])
        for row in self.services.runner.status(datetime.now(timezone.utc)):
            lag_events.add_metric([row["name"]], row["lag_events"])
            lag_seconds.add_metric([row["name"]], row["lag_seconds"])
            for action in (failures.PARKED, failures.SANITISED):
                failed.add_metric([row["name"], action], row[action])
            halted.add_metric([row["name"]], 1 if row["halted"] else 0)
        late = GaugeMetricFamily("jointinspect_open_late_responses",
                                 "Responses past their deadline and still not given (R-JOINT-4)")
        today = self.services.clock.now().astimezone(SHANGHAI).date()
        late.add_metric([], open_late_responses(self.services.engine, today))
        yield from (lag_events, lag_seconds, failed, halted, late)
        if self.services.replica is not None:
            yield from _replica_gauges(self.services.replica.state())


def _replica_gauges(state: Any) -> Iterable[GaugeMetricFamily]:
    """The read replica as this scrape finds it: 1 for its status (ok, behind, unavailable); its replay lag."""
    status = GaugeMetricFamily("jointinspect_replica_status", "1 for the read replica's current status",
                               labels=["status"])
    for name in ("ok", "behind", "unavailable"):
        status.add_metric([name], 1 if state.status == name else 0)
    yield status
    if state.lag_seconds is not None:
        yield GaugeMetricFamily("jointinspect_replica_lag_seconds", "The read replica's replay lag",
                                value=state.lag_seconds)


@router.get("/healthz", summary="进程存活")
def healthz() -> dict:
    """200 while the process answers (liveness): nothing else is checked."""
    return {"status": "ok"}


@router.get("/readyz", summary="可以接收流量", responses={503: {"description": "数据库不可用或读模型落后；body 说明原因"}})
def readyz(request: Request) -> JSONResponse:
    """200 when the database answers and every projection is within its lag bound and running; else 503 with the
    reasons. Parked and sanitised events are listed but do not fail it (the projections went on past them). With a
    read replica, its state (`replica`) and, when reads fall back to the primary, why (`notes`)."""
    services = request.app.state.services
    bound = services.settings.ready_max_lag_seconds
    try:
        rows = services.runner.status(datetime.now(timezone.utc))
        with services.engine.connect() as conn:
            latest = failures.latest(conn, 5)
    except Exception as exc:  # the database is down or unreachable
        return JSONResponse({"status": "unavailable", "reasons": [f"数据库无法访问：{type(exc).__name__}"]},
                            status_code=503, headers={"Retry-After": "5"})
    reasons = [f"读模型 {r['name']} 已停止：{r['halted']}" for r in rows if r["halted"]]
    reasons += [f"读模型 {r['name']} 落后 {r['lag_events']} 个事件、{r['lag_seconds']} 秒（上限 {bound:g} 秒）"
                for r in rows if not r["halted"] and r["lag_seconds"] > bound]
    body = {"status": "not_ready" if reasons else "ready", "reasons": reasons,
            "database": services.engine.dialect.name, "projections": rows,
            "recent_failures": [{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in f.items()}
                                for f in latest]}
    if services.replica is not None:  # reads fall back to the primary: a replica's trouble is said, not failed on
        state = services.replica.state()
        body["replica"] = state.view() | {"served": dict(services.replica.served)}
        if state.status != "ok":
            body["notes"] = [{"unavailable": "只读副本无法访问，读取改由主库完成。",
                              "behind": "只读副本未在同步或落后过多，读取改由主库完成。"}[state.status]]
    return JSONResponse(body, status_code=503 if reasons else 200)


@router.get("/metrics", summary="Prometheus 指标", response_class=Response)
def metrics(request: Request) -> Response:
    """Prometheus text exposition: this process's (or, with several workers, every process's) request and command
    metrics, and the store's gauges."""
    processes = request.app.state.metrics.registry
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
    store = CollectorRegistry()
    store.register(StoreCollector(request.app.state.services))
    return Response(generate_latest(processes) + generate_latest(store), media_type=CONTENT_TYPE_LATEST)
