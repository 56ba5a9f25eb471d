"""Annotated dependencies shared by the routes."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.accounts import Principal
from api.http.errors import ApiError
from api.bootstrap import Services
from api.storage.replica import READ_ENGINE

_bearer = HTTPBearer(auto_error=False, description="POST /api/v1/auth/login 返回的 access_token")


async def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


# What an account with a one-time password (set by an administrator) may do before it chooses its own
PASSWORD_CHANGE_PATHS = frozenset({"/api/v1/auth/password", "/api/v1/auth/me", "/api/v1/auth/logout"})


async def get_principal(request: Request, services: ServicesDep,
                        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
    if credentials is None:
        raise ApiError(401, "unauthenticated", "请先登录。")
    # async: no thread-pool hop per request; a cache miss costs one indexed lookup on the event loop (~1 ms)
    principal = services.tokens.principal(services.engine, credentials.credentials, services.clock.now())
    if principal is None:
        raise ApiError(401, "invalid_token", "登录已失效，请重新登录。")
    if principal.must_change_password and request.url.path not in PASSWORD_CHANGE_PATHS:
        raise ApiError(403, "password_change_required", "您正在使用管理员设置的一次性密码，请先修改密码再办理业务。")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


async def get_office(principal: CurrentPrincipal) -> Principal:
    if not principal.is_office:
        raise ApiError(403, "office_only", "只有联席会议办公室可以查看或办理此项。")
    return principal


OfficePrincipal = Annotated[Principal, Depends(get_office)]

IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", min_length=1, max_length=200,
           description="重试同一命令时带上相同的键：返回第一次的结果，不会重复记录"),
]


async def _read_after(request: Request, services: ServicesDep, min_position: Annotated[int | None, Query(
        ge=0, le=2**62, description="先等读模型追上这个位置（命令返回的 position），保证读到自己刚办理的结果；"
                                    "超出已记录的最新位置为 422")] = None) -> None:
    if min_position:
        await services.read_waits.until(min_position)
    if services.replica is not None:  # the replica if it has applied min_position (api/storage/replica.py)
        engine = await services.replica.choose(min_position or None)
        READ_ENGINE.set(engine)
        request.state.read_from = "replica" if engine is not None else "primary"
        request.app.state.metrics.replica_reads.labels(request.state.read_from).inc()


ReadAfter = Annotated[None, Depends(_read_after)]


def wait_for_read_models(services: Services, position: int | None = None) -> None:
    """Block (in a sync command's worker thread) until the read models include `position` (default: everything
    recorded so far), else 503; bounded per process like every wait (api/read_waits.py)."""
    services.read_waits.within(position)
