"""The HTTP contract of ARCHITECTURE.md, end to end over a real server, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

from tests.support import assert_error, item_names


def test_login_returns_bearer_token_department_and_roles(server):
    response = server.client().post("/auth/login", json={"username": "scjg", "password": "jointinspect-demo"})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["access_token"]
    assert body["department_code"] == "scjg" and isinstance(body["department_id"], int)
    assert body["roles"] == ["department_staff"]


def test_login_with_wrong_password_is_401_with_chinese_message(server):
    response = server.client().post("/auth/login", json={"username": "scjg", "password": "wrong"})
    assert_error(response, 401, "invalid_credentials")


def test_calendar_deadline_counts_two_working_days_after_start(server):  # R-CAL-1 R-JOINT-3
    response = server.client().get("/calendar/deadline",
                                   params={"start": "2026-02-12T10:00:00+08:00", "working_days": 2})
    assert response.status_code == 200
    assert response.json()["deadline"] == "2026-02-14T23:59:59+08:00"  # Saturday 14 Feb is a make-up working day
    assert response.json()["provisional"] is False


def test_calendar_deadline_in_2027_is_provisional(server):  # R-CAL-2
    response = server.client().get("/calendar/deadline",
                                   params={"start": "2027-03-01T10:00:00+08:00", "working_days": 2})
    assert response.json() == {"deadline": "2027-03-03T23:59:59+08:00", "provisional": True,
                               "start": "2027-03-01T10:00:00+08:00", "working_days": 2}


def test_initiate_returns_id_position_and_response_deadline(server):  # R-JOINT-1 R-JOINT-3
    response = server.client("scjg").initiate()
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["position"] >= 1
    assert body["response_deadline"] == "2026-03-04T23:59:59+08:00"  # pushed Mon 2 Mar → Wed 4 Mar


def test_response_is_201_then_second_response_is_409(server):  # R-JOINT-3
    task_id = server.client("scjg").initiate().json()["id"]
    wlj = server.client("wlj")
    first = wlj.respond(task_id)
    assert first.status_code == 201 and first.json()["late"] is False
    assert_error(wlj.respond(task_id), 409, "already_responded")


def test_response_after_deadline_is_late_and_listed_for_the_office(server, clock):  # R-JOINT-4 R-OVER-1
    task_id = server.client("scjg").initiate().json()["id"]
    clock.advance(timedelta(days=3))  # Thu 5 Mar: the deadline (Wed 4 Mar) has passed
    response = server.client("wlj").respond(task_id)
    assert response.json()["late"] is True
    late = server.client("office").get("/oversight/late-responses",
                                        params={"min_position": response.json()["position"]}).json()
    rows = {(r["task_id"], r["department_code"]): r for r in late["items"]}
    assert late["total"] == 2
    assert rows[(task_id, "wlj")]["responded_at"] is not None
    assert rows[(task_id, "gxj")]["responded_at"] is None and rows[(task_id, "gxj")]["reason"] is None
    assert rows[(task_id, "gxj")]["deadline"] == "2026-03-04T23:59:59+08:00"


def test_get_task_requires_login_and_a_part_in_the_task(server):
    task_id = server.client("scjg").initiate().json()["id"]
    assert_error(server.client().get(f"/joint-tasks/{task_id}"), 401)
    assert_error(server.client("zjj").get(f"/joint-tasks/{task_id}"), 403, "not_a_party")
    body = server.client("wlj").get(f"/joint-tasks/{task_id}").json()
    assert item_names(body) == ["食品经营检查", "文化市场经营检查", "工业产品生产许可检查"]
    assert body["response_deadline"] == "2026-03-04T23:59:59+08:00"
    assert {r["department_code"]: r["status"] for r in body["responses"]} == {"wlj": "pending", "gxj": "pending"}


def test_every_instant_the_api_returns_is_in_shanghai_time(server, clock):
    lead = server.client("scjg")
    task = lead.initiate().json()
    clock.advance(timedelta(days=3))
    late = server.client("wlj").respond(task["id"]).json()
    office = server.client("office")
    listed = lead.get("/joint-tasks", params={"min_position": late["position"]}).json()["items"][0]
    timeline = office.get(f"/joint-tasks/{task['id']}/timeline").json()["items"]
    late_rows = office.get("/oversight/late-responses").json()["items"]
    detail = office.get(f"/joint-tasks/{task['id']}").json()
    instants = [listed["pushed_at"], listed["updated_at"], detail["pushed_at"], *(t["at"] for t in timeline),
                *(r["responded_at"] for r in late_rows if r["responded_at"]),
                *(r["responded_at"] for r in detail["responses"] if r.get("responded_at"))]
    assert instants and all(i.endswith("+08:00") for i in instants), instants
    assert listed["pushed_at"] == "2026-03-02T09:00:00+08:00"


def test_the_task_list_marks_a_pending_response_late_once_its_deadline_has_passed(server, clock):  # R-JOINT-4
    task = server.client("scjg").initiate().json()
    lead = server.client("scjg")

    def lateness() -> dict:
        item = lead.get("/joint-tasks", params={"min_position": task["position"]}).json()["items"][0]
        return {d["department"]: d["late"] for d in item["departments"] if d["role"] == "responder"}

    assert lateness() == {"wlj": False, "gxj": False}
    clock.advance(timedelta(days=3))
    assert lateness() == {"wlj": True, "gxj": True}


def test_a_token_stops_working_at_once_after_logout(server):
    token = server.client().post("/auth/login", json={"username": "wlj", "password": "jointinspect-demo"}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    me = server.client()
    assert me.get("/auth/me", headers=headers).status_code == 200  # now cached
    assert me.post("/auth/logout", headers=headers).status_code == 204
    assert_error(me.get("/auth/me", headers=headers), 401, "invalid_token")


def test_a_token_expires_with_the_clock_even_when_cached(server, clock):
    token = server.client().post("/auth/login", json={"username": "wlj", "password": "jointinspect-demo"}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert server.client().get("/auth/me", headers=headers).status_code == 200
    clock.advance(timedelta(days=31))  # past the 30-day test TTL
    assert_error(server.client().get("/auth/me", headers=headers), 401, "invalid_token")
