"""create_app: the composition root. Nothing connects at import time."""
from __future__ import annotations

import gc
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from api.http.errors import install_error_handlers
from api.http.input_checks import BodyLimit, refuse_hostile_input
from api.http.openapi import install_openapi
from api.http.operations import Metrics, RequestMetrics
from api.http.operations import router as operations_router
from api.http.routes import (
    admin, afterlife, auth, calendar, checklist, departments, directory, draws, inbox, joint_tasks, matchings, notices,
    oversight, enterprise, public, results, visits,
)
from api.http.edge import Edge
from api.logs import configure_logging
from api.processes import die_with_supervisor, is_worker
from api.scheduler import DeadlineWatcher
from api.bootstrap import Services, build_services
from api.settings import Settings
from api.http.ws import Hub
from api.http.ws import router as ws_router
from domain.usecases import Clock

WEB_DIR = Path(__file__).resolve().parents[2] / "web"


def create_app(settings: Settings | None = None, clock: Clock | None = None,
               services: Services | None = None) -> FastAPI:
    """Build the HTTP app over a store chosen by settings.database_url (SQLite or PostgreSQL)."""
    settings = settings or Settings.from_env()
    if is_worker():  # of `serve --workers N`, started afresh: dies with its supervisor, logs as it does
        die_with_supervisor()
        configure_logging(settings.log_level, settings.log_format)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        built = services or build_services(settings, clock)
        app.state.services = built
        app.state.hub = Hub(built, settings.poll_seconds, settings.ws_heartbeat_seconds)
        await app.state.hub.start()
        built.start_token_listener()  # PostgreSQL: a logout in any process empties this one's token cache
        # What startup made lives as long as the process: frozen, no full collection walks it again (a view of
        # 2,000 rows made the collector's pauses its p99: bench/afterlife_views.py)
        gc.freeze()
        watcher = DeadlineWatcher(built, settings.deadline_check_seconds)
        if settings.run_projections:
            built.runner.start()
            built.start_listening()  # PostgreSQL: NOTIFY wakes the runner (and the hub); SQLite: they poll
            watcher.start()
        try:
            yield
        finally:
            await app.state.hub.stop()
            watcher.stop()
            if services is None:
                built.close()
            elif settings.run_projections:
                built.runner.stop()

    app = FastAPI(title="jointinspect 部门联合双随机抽查协同平台", version="0.1.0", lifespan=lifespan,
                  docs_url="/docs", openapi_url="/openapi.json")
    install_error_handlers(app)
    app.state.metrics = Metrics()
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes, upload_limit=settings.max_upload_bytes)
    app.add_middleware(RequestMetrics, metrics=app.state.metrics)  # it times the refusals too
    app.add_middleware(Edge)  # outermost: every answer, a refusal at the edge too, has its request id and headers
    api = APIRouter(prefix="/api/v1", dependencies=[Depends(refuse_hostile_input)])
    # Routes are matched in order: the joint-task commands, the busiest calls, are tried first.
    for module in (joint_tasks, results, visits, afterlife, enterprise, auth, calendar, checklist, departments,
                   directory, draws, inbox, matchings, notices, oversight, public, admin):
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(operations_router)
    install_openapi(app)
    app.include_router(ws_router)
    if WEB_DIR.is_dir():
        app.mount("/web", StaticFiles(directory=WEB_DIR, html=True), name="web")
        app.add_api_route("/", lambda: RedirectResponse("/web/"), include_in_schema=False)
    return app
