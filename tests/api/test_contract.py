"""The HTTP contract of ARCHITECTURE.md, end to end over a real server, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

from tests.support import assert_error


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
    assert body["items"] == ["食品经营检查", "消防安全检查", "文化市场经营检查"]
    assert body["response_deadline"] == "2026-03-04T23:59:59+08:00"
    assert {r["department_code"]: r["status"] for r in body["responses"]} == {"wlj": "pending", "gxj": "pending"}
