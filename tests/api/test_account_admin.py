"""The office's administrators administer departments and accounts over HTTP (issue 18): create and edit, one-time
passwords a user must change, disable and re-enable, imports all or none, the change log; nobody gives themselves a
role they lack, the last administrator stays. On SQLite and PostgreSQL, against a real server."""
from __future__ import annotations

import io

import httpx
from openpyxl import Workbook

from api.demo import DEMO_PASSWORD, OFFICE_CODE
from tests.support import LiveServer, created

NEW_PASSWORD = "换一个新的登录密码2026!"


def _login(server: LiveServer, username: str, password: str) -> httpx.Response:
    return server.client().post("/auth/login", json={"username": username, "password": password})


def _as(server: LiveServer, token: str) -> httpx.Client:
    return httpx.Client(base_url=server.base_url + "/api/v1", headers={"Authorization": f"Bearer {token}"},
                        timeout=30)


def _sheet(rows: list[list]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _counts(server: LiveServer) -> tuple[int, int, int]:
    admin = server.client("admin")
    return (created(admin.get("/admin/departments", params={"page_size": 1}), 200)["total"],
            created(admin.get("/admin/users", params={"page_size": 1}), 200)["total"],
            created(admin.get("/admin/users/admin/history"), 200)["total"])


def test_an_administrator_adds_a_department_and_an_account_whose_one_time_password_must_be_changed_first(server):
    admin = server.client("admin")
    city = created(admin.post("/admin/departments", json={"code": "city_scjg", "name": "市市场监管局",
                                                          "region": "杭州市", "level": "city"}))
    county = created(admin.post("/admin/departments", json={"code": "county_scjg", "name": "县市场监管局",
                                                            "level": "county", "parent_code": "city_scjg"}))
    assert (city["users"], county["parent_code"]) == (0, "city_scjg")
    user = created(admin.post("/admin/users", json={"username": "li.si", "display_name": "李四",
                                                    "department_code": "county_scjg",
                                                    "roles": ["department_staff"]}))
    assert user["must_change_password"] is True and len(user["one_time_password"]) == 14

    login = created(_login(server, "li.si", user["one_time_password"]), 200)
    assert login["must_change_password"] is True
    with _as(server, login["access_token"]) as first:
        refused = first.get("/joint-tasks")
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "password_change_required"
        assert created(first.get("/auth/me"), 200)["must_change_password"] is True
        weak = first.post("/auth/password", json={"current_password": user["one_time_password"],
                                                  "new_password": "12345678901234"})
        assert weak.status_code == 422 and "至少两类" in weak.json()["error"]["message"]
        wrong = first.post("/auth/password", json={"current_password": "not-it", "new_password": NEW_PASSWORD})
        assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "wrong_password"
        changed = created(first.post("/auth/password", json={"current_password": user["one_time_password"],
                                                             "new_password": NEW_PASSWORD}), 200)
        assert changed["must_change_password"] is False
        assert first.get("/auth/me").status_code == 401  # every earlier session ended with the change
    with _as(server, changed["access_token"]) as second:
        assert created(second.get("/joint-tasks"), 200)["total"] == 0
    assert _login(server, "li.si", user["one_time_password"]).status_code == 401
    actions = [c["action"] for c in created(admin.get("/admin/users/li.si/history"), 200)["items"]]
    assert actions == ["password_changed", "created"]
    assert "one_time_password" not in str(created(admin.get("/admin/users/li.si/history"), 200))


def test_editing_a_department_records_the_change_and_refuses_a_parent_below_it(server):
    admin = server.client("admin")
    created(admin.post("/admin/departments", json={"code": "top", "name": "省局"}))
    created(admin.post("/admin/departments", json={"code": "mid", "name": "市局", "parent_code": "top"}))
    loop = admin.patch("/admin/departments/top", json={"parent_code": "mid"})
    assert loop.status_code == 422 and "下级" in loop.json()["error"]["message"]
    renamed = created(admin.patch("/admin/departments/mid", json={"name": "市级局", "region": "宁波市"}), 200)
    assert (renamed["name"], renamed["region"], renamed["parent_code"]) == ("市级局", "宁波市", "top")
    history = created(admin.get("/admin/departments/mid/history"), 200)["items"]
    assert history[0]["changes"] == {"name": ["市局", "市级局"], "region": ["", "宁波市"]}
    assert history[0]["actor_user"] == "admin"
    taken = admin.post("/admin/departments", json={"code": "mid", "name": "重复"})
    assert taken.status_code == 409 and "已被使用" in taken.json()["error"]["message"]


def test_a_disabled_account_is_logged_out_at_once_and_can_log_in_again_once_enabled(server):
    admin, wlj = server.client("admin"), server.client("wlj")
    assert wlj.get("/auth/me").status_code == 200
    assert created(admin.post("/admin/users/wlj/disable"), 200)["active"] is False
    assert wlj.get("/auth/me").status_code == 401
    assert _login(server, "wlj", DEMO_PASSWORD).status_code == 401
    assert created(admin.post("/admin/users/wlj/enable"), 200)["active"] is True
    assert created(_login(server, "wlj", DEMO_PASSWORD), 200)["must_change_password"] is False
    actions = [c["action"] for c in created(admin.get("/admin/users/wlj/history"), 200)["items"]]
    assert actions == ["enabled", "disabled"]


def test_a_password_reset_ends_the_sessions_and_gives_a_one_time_password_shown_once(server):
    admin, gxj = server.client("admin"), server.client("gxj")
    headers = {"Idempotency-Key": "reset-gxj-1"}
    reset = created(admin.post("/admin/users/gxj/password-reset", headers=headers), 200)
    assert gxj.get("/auth/me").status_code == 401 and _login(server, "gxj", DEMO_PASSWORD).status_code == 401
    retried = created(admin.post("/admin/users/gxj/password-reset", headers=headers), 200)
    assert "one_time_password" not in retried and retried["one_time_password_shown"] is True
    assert created(_login(server, "gxj", reset["one_time_password"]), 200)["must_change_password"] is True
    assert [c["action"] for c in created(admin.get("/admin/users/gxj/history"), 200)["items"]] == ["password_reset"]


def test_an_administrator_cannot_give_themselves_a_role_they_lack(server):
    admin = server.client("admin")
    refused = admin.patch("/admin/users/admin", json={"roles": ["admin", "office"]})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "cannot_grant_self"
    assert "联席会议办公室" in refused.json()["error"]["message"]
    assert created(admin.get("/admin/users/admin"), 200)["roles"] == ["admin"]
    with _administrator(server, "admin2", ["admin"]) as admin2:  # another administrator may grant it
        granted = created(admin2.patch("/admin/users/admin", json={"roles": ["admin", "office"]}), 200)
    assert granted["roles"] == ["office", "admin"]


def test_the_last_administrator_can_be_neither_disabled_nor_stripped_of_the_role(server):
    admin = server.client("admin")
    assert admin.post("/admin/users/admin/disable").json()["error"]["code"] == "cannot_disable_self"
    with _administrator(server, "admin2", ["office", "admin"]) as admin2:
        created(admin2.post("/admin/users/admin/disable"), 200)  # one of two: allowed
        demoted = admin2.patch("/admin/users/admin2", json={"roles": ["office"]})  # admin2 is the last one now
        assert demoted.status_code == 409 and demoted.json()["error"]["code"] == "last_admin"
        assert "最后一个" in demoted.json()["error"]["message"]
        created(admin2.post("/admin/users/admin/enable"), 200)
        assert created(admin2.patch("/admin/users/admin2", json={"roles": ["office"]}), 200)["roles"] == ["office"]


def _administrator(server: LiveServer, username: str, roles: list[str]) -> httpx.Client:
    """A second administrator, added by `admin`, past its first-login password change."""
    added = created(server.client("admin").post("/admin/users", json={
        "username": username, "display_name": "管理员二", "department_code": OFFICE_CODE, "roles": roles}))
    token = created(_login(server, username, added["one_time_password"]), 200)["access_token"]
    with _as(server, token) as first:
        token = created(first.post("/auth/password", json={"current_password": added["one_time_password"],
                                                           "new_password": NEW_PASSWORD}), 200)["access_token"]
    return _as(server, token)


def test_only_an_administrator_administers_and_bad_input_changes_nothing(server):
    before = _counts(server)
    assert server.client("office").get("/admin/users").json()["error"]["code"] == "admin_only"
    assert server.client("scjg").post("/admin/departments", json={"code": "x", "name": "x"}).status_code == 403
    assert server.client().get("/admin/users").status_code == 401
    admin = server.client("admin")
    for body in ({"code": "有 空格", "name": "部门"}, {"code": "ok", "name": "   "},
                 {"code": "ok", "name": "部门", "parent_code": "nowhere"}):
        refused = admin.post("/admin/departments", json=body)
        assert refused.status_code == 422 and refused.json()["error"]["message"], body
    for body in ({"username": "x", "display_name": "某", "department_code": "nowhere", "roles": ["approver"]},
                 {"username": "x", "display_name": "某", "department_code": "wlj", "roles": ["king"]},
                 {"username": "wlj", "display_name": "某", "department_code": "wlj", "roles": ["approver"]}):
        refused = admin.post("/admin/users", json=body)
        assert refused.status_code in (409, 422) and refused.json()["error"]["message"], body
    assert admin.get("/admin/users/nobody").status_code == 404
    assert _counts(server) == before


def test_an_account_import_creates_every_row_or_none_and_lists_each_bad_line(server):
    admin = server.client("admin")
    before = _counts(server)
    bad = _sheet([["用户名", "姓名", "部门代码", "角色"],
                  ["zhang.san", "张三", "wlj", "部门工作人员"],
                  ["wang.wu", "王五", "nowhere", "部门工作人员"],
                  ["zhang.san", "张三", "wlj", "审核人"]])
    refused = admin.post("/admin/users/import", files={"file": ("accounts.xlsx", bad)})
    assert refused.status_code == 422, refused.text
    lines = refused.json()["error"]["details"]["rows"]
    assert [row["line"] for row in lines] == [3, 4] and "nowhere" in lines[0]["message"]
    assert _counts(server) == before
    good = _sheet([["用户名", "姓名", "部门代码", "角色"],
                   ["zhang.san", "张三", "wlj", "部门工作人员、审核人"],
                   ["wang.wu", "王五", "gxj", "department_staff"]])
    result = created(admin.post("/admin/users/import", files={"file": ("accounts.xlsx", good)}))
    assert result["created"] == 2
    assert [(u["username"], u["roles"]) for u in result["items"]] == [
        ("zhang.san", ["department_staff", "approver"]), ("wang.wu", ["department_staff"])]
    assert all(created(_login(server, u["username"], u["one_time_password"]), 200)["must_change_password"]
               for u in result["items"])


def test_a_department_import_may_name_a_parent_given_earlier_in_the_same_file(server):
    admin = server.client("admin")
    sheet = "部门代码,部门名称,类型,地区,层级,上级部门代码\nhz,杭州市局,部门,杭州市,市级,\nxh,西湖区局,部门,西湖区,县级,hz\n"
    result = created(admin.post("/admin/departments/import",
                                files={"file": ("departments.csv", sheet.encode("utf-8"))}))
    assert [(d["code"], d["level"], d["parent_code"]) for d in result["items"]] == [
        ("hz", "city", None), ("xh", "county", "hz")]
    missing = admin.post("/admin/departments/import", files={"file": ("d.csv", "代码,名称\nq,q\n".encode())})
    assert missing.status_code == 422 and "部门代码" in missing.json()["error"]["message"]


def test_an_administrators_account_reads_no_task_even_one_its_own_office_leads(server):
    task = created(server.client("office").initiate(responding_departments=["wlj"]))
    assert created(server.client("office").get(f"/joint-tasks/{task['id']}"), 200)["id"] == task["id"]
    refused = server.client("admin").get(f"/joint-tasks/{task['id']}")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "no_business_role"
