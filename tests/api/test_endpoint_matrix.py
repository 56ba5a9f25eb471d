"""Refusals every endpoint shares: 401 for anonymous callers, 404 for an unknown task, 422 for a malformed id."""
from __future__ import annotations

import uuid

from domain.working_calendar import CALENDAR_ID
from tests.support import assert_error, created, nothing_recorded, pushed_task


def _task_commands(task_id: str, other_id: str) -> list[tuple[str, str, dict | None]]:
    """Every command on one task, each with a well-formed body."""
    base = f"/joint-tasks/{task_id}"
    return [
        ("POST", f"{base}/responses", {"decision": "accept", "item_ids": ["食品经营检查"], "reason": ""}),
        ("POST", f"{base}/late-reason", {"reason": "人员外出执法"}),
        ("POST", f"{base}/inspection-day/proposals", {"day": "2026-03-10"}),
        ("POST", f"{base}/inspection-day/agreements", None),
        ("POST", f"{base}/inspections", {"completed_on": "2026-03-10", "note": ""}),
        ("POST", f"{base}/publications", {"note": ""}),
        ("POST", f"{base}/cancellation", {"reason": "上级专项行动已覆盖"}),
        ("POST", f"{base}/merge", {"into_task_id": other_id}),
        ("POST", f"{base}/chase", None),
        ("POST", f"{base}/requests", {"subject_code": "91110000000000001X", "content": "咨询"}),
        ("POST", f"{base}/archives", None),
    ]


def _task_reads(task_id: str) -> list[tuple[str, str, dict | None]]:
    return [("GET", f"/joint-tasks/{task_id}", None), ("GET", f"/joint-tasks/{task_id}/timeline", None),
            ("GET", f"/joint-tasks/{task_id}/result-progress", None), ("GET", f"/joint-tasks/{task_id}/archives", None)]


def _send(client, method: str, path: str, body: dict | None):
    return client.request(method, path, json=body) if body is not None else client.request(method, path)


def test_every_endpoint_except_login_health_and_calendar_reads_refuses_anonymous_callers(server):
    task_id, other_id = pushed_task(server), pushed_task(server)
    endpoints = [
        ("POST", "/joint-tasks", {"title": "联合检查", "responding_departments": ["wlj"], "window_start": "2026-03-09",
                                  "window_end": "2026-04-30", "items": ["食品经营检查"]}),
        ("GET", "/joint-tasks", None),
        *_task_reads(task_id),
        *_task_commands(task_id, other_id),
        ("POST", "/calendar/years", {"year": 2027, "holidays": ["2027-01-01"]}),
        ("POST", "/calendar/amendments", {"day": "2026-03-04", "working": False, "reason": "临时停工"}),
        ("GET", "/oversight/late-responses", None),
        ("GET", "/departments", None),
        ("POST", "/auth/logout", None),
        ("GET", "/auth/me", None),
    ]
    anonymous = server.client()
    with nothing_recorded(server, task_id, other_id):
        for method, path, body in endpoints:
            response = _send(anonymous, method, path, body)
            assert response.status_code == 401, (method, path, response.text)
            assert_error(response, 401, "unauthenticated")
            assert response.headers["WWW-Authenticate"] == "Bearer"
    for path in ("/calendar/deadline?start=2026-03-02T09:00:00%2B08:00&working_days=2",
                 "/calendar/days?from=2026-03-02&to=2026-03-08"):
        assert anonymous.get(path).status_code == 200, path


def test_every_task_endpoint_answers_404_for_an_unknown_task(server):
    known = pushed_task(server)
    unknown = str(uuid.uuid4())
    calls = [(user, m, p, b) for m, p, b in _task_reads(unknown) for user in ("scjg", "office")]
    calls += [("scjg", m, p, b) for m, p, b in _task_commands(unknown, known)]
    calls += [("scjg", "POST", f"/joint-tasks/{known}/merge", {"into_task_id": unknown})]
    with nothing_recorded(server, known):
        for user, method, path, body in calls:
            response = _send(server.client(user), method, path, body)
            assert response.status_code == 404, (user, method, path, response.text)
            error = assert_error(response, 404, "task_not_found")
            assert error["details"] == {"task_id": unknown}


def test_a_task_id_that_is_not_a_uuid_is_422(server):
    known = pushed_task(server)
    with nothing_recorded(server, known):
        for method, path, body in [*_task_reads("task-1"), *_task_commands("task-1", known)]:
            error = assert_error(_send(server.client("scjg"), method, path, body), 422, "validation_error")
            assert error["details"][0]["field"] == "task_id", path


def test_the_working_calendar_is_not_a_task(server):
    created(server.client("office").post("/calendar/amendments",
                                          json={"day": "2026-03-04", "working": False, "reason": "临时停工"}))
    for path in (f"/joint-tasks/{CALENDAR_ID}", f"/joint-tasks/{CALENDAR_ID}/timeline"):
        assert_error(server.client("office").get(path), 404, "task_not_found")
    with nothing_recorded(server):
        assert_error(server.client("scjg").post(f"/joint-tasks/{CALENDAR_ID}/cancellation", json={"reason": "误发"}),
                     404, "task_not_found")
