"""Login, logout, who-am-I, the department list and the one error shape for refusals outside any rule."""
from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from api.demo import DEMO_PASSWORD
from tests.support import assert_error, created


def _login(server, username: str = "scjg") -> str:
    body = created(server.client().post("/auth/login", json={"username": username, "password": DEMO_PASSWORD}), 200)
    return body["access_token"]


def _as(server, token: str) -> httpx.Client:
    return httpx.Client(base_url=server.base_url + "/api/v1", headers={"Authorization": f"Bearer {token}"})


def test_office_login_carries_the_office_role_and_an_expiry(server, clock):
    body = created(server.client().post("/auth/login", json={"username": "office", "password": DEMO_PASSWORD}), 200)
    assert body["roles"] == ["office"] and body["department_code"] == "lhbgs"
    assert body["department_name"] == "联席会议办公室" and body["username"] == "office"
    assert datetime.fromisoformat(body["expires_at"]) == clock.now() + server.services.token_ttl


def test_login_of_an_unknown_user_is_401_like_a_wrong_password(server):
    error = assert_error(server.client().post("/auth/login", json={"username": "nobody", "password": "x"}),
                         401, "invalid_credentials")
    assert error["details"] is None


def test_malformed_login_is_422_naming_the_field(server):
    anonymous = server.client()
    error = assert_error(anonymous.post("/auth/login", json={"username": "scjg"}), 422, "validation_error")
    assert error["details"] == [{"field": "password", "message": "缺少必填项：密码"}]
    error = assert_error(anonymous.post("/auth/login", json={"username": "scjg", "password": DEMO_PASSWORD,
                                                             "remember": True}), 422, "validation_error")
    assert error["details"][0]["field"] == "remember"
    assert_error(anonymous.post("/auth/login", content=b"username=scjg", headers={"Content-Type": "application/json"}),
                 422, "validation_error")


def test_me_names_the_user_and_department(server):
    body = created(server.client("wlj").get("/auth/me"), 200)
    assert body == {"username": "wlj", "department_id": body["department_id"], "department_code": "wlj",
                    "department_name": "文化和旅游局", "roles": ["department_staff"], "must_change_password": False}


def test_me_refuses_a_missing_unknown_or_non_bearer_token_with_401(server):
    response = server.client().get("/auth/me")
    assert_error(response, 401, "unauthenticated")
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert_error(_as(server, "not-a-token").get("/auth/me"), 401, "invalid_token")
    basic = httpx.get(server.base_url + "/api/v1/auth/me", headers={"Authorization": "Basic c2NqZzp4"})
    assert_error(basic, 401, "unauthenticated")


def test_logout_revokes_the_token_used_and_no_other(server):
    first, second = _login(server), _login(server)
    assert _as(server, first).post("/auth/logout").status_code == 204
    assert_error(_as(server, first).get("/auth/me"), 401, "invalid_token")
    assert_error(_as(server, first).post("/auth/logout"), 401, "invalid_token")
    assert _as(server, second).get("/auth/me").status_code == 200


def test_a_token_expires_after_its_lifetime(server, clock):
    token = _login(server)
    clock.advance(server.services.token_ttl - timedelta(minutes=1))
    assert _as(server, token).get("/auth/me").status_code == 200
    clock.advance(timedelta(minutes=2))
    assert_error(_as(server, token).get("/auth/me"), 401, "invalid_token")


def test_departments_lists_every_department_ordered_by_code_to_logged_in_users(server):
    body = created(server.client("scjg").get("/departments"), 200)
    codes = [d["code"] for d in body["items"]]
    assert codes == sorted(["lhbgs", "scjg", "wlj", "gxj", "yjj", "sthj", "wjw", "jtj", "zjj"])
    assert body["total"] == 9
    office = next(d for d in body["items"] if d["code"] == "lhbgs")
    assert office["kind"] == "office" and office["name"] == "联席会议办公室"
    assert_error(server.client().get("/departments"), 401, "unauthenticated")


def test_an_unknown_address_or_method_answers_in_the_one_error_shape(server):
    assert_error(server.client("scjg").get("/no-such-thing"), 404, "not_found")
    not_allowed = server.client("scjg").delete("/departments")
    assert_error(not_allowed, 405, "method_not_allowed")
    assert not_allowed.headers["Allow"] == "GET"  # the methods the path does allow (RFC 9110 §15.5.6)


def test_an_admin_account_without_a_business_role_cannot_act_for_a_department(server):
    from tests.support import assert_error

    from tests.support import head

    before = head(server)
    assert_error(server.client("admin").initiate(), 403, "no_business_role")
    assert head(server) == before
