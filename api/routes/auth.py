"""Login, logout and who am I."""
from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.security import HTTPAuthorizationCredentials

from api import accounts
from api.deps import CurrentPrincipal, ServicesDep, _bearer
from api.errors import ApiError
from api.schemas import LoginIn, LoginOut

router = APIRouter(prefix="/auth", tags=["登录"])


@router.post("/login", response_model=LoginOut)
def login(body: LoginIn, services: ServicesDep) -> LoginOut:
    """Exchange a username and password for a bearer token."""
    user_id = accounts.authenticate(services.engine, body.username, body.password)
    if user_id is None:
        raise ApiError(401, "invalid_credentials", "用户名或密码不正确，请核对后重试。")
    now = services.clock.now()
    token = accounts.issue_token(services.engine, user_id, now, services.token_ttl)
    p = accounts.principal_for_user(services.engine, user_id)
    return LoginOut(access_token=token, department_id=p.department_id, department_code=p.department_code,
                    department_name=p.department_name, username=p.username, roles=list(p.roles),
                    expires_at=now + services.token_ttl)


@router.post("/logout", status_code=204)
def logout(principal: CurrentPrincipal, services: ServicesDep,
           credentials: HTTPAuthorizationCredentials = Depends(_bearer)) -> None:
    """Revoke the token used for this request."""
    accounts.revoke_token(services.engine, credentials.credentials)
    services.tokens.forget(credentials.credentials)


@router.get("/me")
def me(principal: CurrentPrincipal) -> dict:
    """The logged-in user and their department."""
    return {"username": principal.username, "department_id": principal.department_id,
            "department_code": principal.department_code, "department_name": principal.department_name,
            "roles": list(principal.roles)}
