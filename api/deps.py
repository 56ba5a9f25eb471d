"""Annotated dependencies shared by the routes."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.accounts import Principal, principal_for_token
from api.errors import ApiError
from api.services import Services

_bearer = HTTPBearer(auto_error=False, description="POST /api/v1/auth/login 返回的 access_token")


def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_principal(services: ServicesDep,
                  credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
    if credentials is None:
        raise ApiError(401, "unauthenticated", "请先登录。")
    principal = principal_for_token(services.engine, credentials.credentials, services.clock.now())
    if principal is None:
        raise ApiError(401, "invalid_token", "登录已失效，请重新登录。")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def get_office(principal: CurrentPrincipal) -> Principal:
    if not principal.is_office:
        raise ApiError(403, "office_only", "只有联席会议办公室可以查看或办理此项。")
    return principal


OfficePrincipal = Annotated[Principal, Depends(get_office)]

IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", min_length=1, max_length=200,
           description="重试同一命令时带上相同的键：返回第一次的结果，不会重复记录"),
]
