"""Login, logout and who am I."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials

from api import account_admin, accounts
from api.http.deps import CurrentPrincipal, ServicesDep, _bearer
from api.http.errors import ApiError
from api.http.schemas import LoginIn, LoginOut, PasswordIn

router = APIRouter(prefix="/auth", tags=["登录"])


@router.post("/login", response_model=LoginOut)
def login(body: LoginIn, request: Request, services: ServicesDep) -> LoginOut:
    """Exchange a username and password for a bearer token.

    After too many failed logins within a minute, for the account or from the client's address, every login
    (even with the right password) is refused with 429 and a Retry-After header until the oldest counted failure
    is a minute old.
    """
    user_id = _checked_password(request, services, body.username, body.password)
    if user_id is None:
        raise ApiError(401, "invalid_credentials", "用户名或密码不正确，请核对后重试。")
    return _session(services, user_id)


def _checked_password(request: Request, services: ServicesDep, username: str, password: str) -> int | None:
    """The account's id if the password is its own, else None (a counted failure); 429 once too many failed."""
    address = request.client.host[:64] if request.client else ""
    attempt = accounts.LoginAttempt(username, address, services.clock.now())
    limits = accounts.LoginLimits(services.settings.login_failures_per_account,
                                  services.settings.login_failures_per_address)
    try:
        return accounts.log_in(services.engine, attempt, password, limits)
    except accounts.LoginThrottled as refused:
        raise _throttled(refused) from None


def _session(services: ServicesDep, user_id: int) -> LoginOut:
    now = services.clock.now()
    token = accounts.issue_token(services.engine, user_id, now, services.token_ttl)
    p = accounts.principal_for_user(services.engine, user_id)
    return LoginOut(access_token=token, department_id=p.department_id, department_code=p.department_code,
                    department_name=p.department_name, username=p.username, roles=list(p.roles),
                    expires_at=now + services.token_ttl, expires_in=int(services.token_ttl.total_seconds()),
                    must_change_password=p.must_change_password)


@router.post("/password", response_model=LoginOut)
def change_password(body: PasswordIn, request: Request, principal: CurrentPrincipal,
                    services: ServicesDep) -> LoginOut:
    """Choose a new password (the policy: at least 12 characters, two kinds of letters, digits, other characters).
    The current one is checked like a login (and counted against the same limits); every session of the account
    ends and a new one is returned. A one-time password set by an administrator must be changed this way first."""
    now = services.clock.now()
    user_id = _checked_password(request, services, principal.username, body.current_password)
    if user_id != principal.user_id:
        raise ApiError(422, "wrong_password", "当前密码不正确，请重新输入。", {"field": "current_password"})
    if body.new_password == body.current_password:
        raise ApiError(422, "same_password", "新密码不能与当前密码相同。", {"field": "new_password"})
    try:
        with services.engine.begin() as conn:
            account_admin.change_own_password(conn, user_id, body.new_password, principal.actor, now)
    except account_admin.Refused as refused:
        raise ApiError(refused.status, refused.code, refused.message, refused.details) from None
    services.tokens.clear()
    return _session(services, user_id)


def _throttled(refused: accounts.LoginThrottled) -> ApiError:
    wait = refused.retry_after
    if refused.busy:
        code, message = "login_busy", f"登录请求较多，请 {wait} 秒后再试。"
    else:
        code, message = "too_many_login_attempts", f"登录失败次数过多，请 {wait} 秒后再试。"
    return ApiError(429, code, message, {"retry_after": wait}, headers={"Retry-After": str(wait)})


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
            "roles": list(principal.roles), "must_change_password": principal.must_change_password}
