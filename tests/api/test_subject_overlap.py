"""GET /subjects/{code}/overlap and the draw-time flags over HTTP (R-DRAW-2, R-DRAW-6, R-JOINT-8)."""
from __future__ import annotations

from datetime import datetime

from domain.clock import SHANGHAI
from tests.api.test_draws import _draw, _subjects
from tests.api.test_matchings import _inspectors, _match
from tests.api.test_results import _entry
from tests.support import INSPECTION_DAY, assert_error, created, office_view


def _overlap(server, code: str, user: str = "scjg"):  # type: ignore[no-untyped-def]
    return server.client(user).get(f"/subjects/{code}/overlap",
                                   params={"min_position": server.services.app.recorder.max_notification_id() or 0})


def test_a_subject_shows_its_tasks_inspections_by_department_and_item_and_pending_visits(server):  # R-DRAW-6
    codes = _subjects(server, 2, risk_level="high")
    task = server.client("wjw").initiate(responding_departments=["wlj"]).json()
    _draw(server, task["id"], {"count": 2}, lead="wjw")
    body = created(_overlap(server, codes[0].lower(), "office"), 200)  # codes are matched case-insensitively
    assert body["code"] == codes[0] and body["year"] == 2026
    assert [t["task_id"] for t in body["tasks"]] == [task["id"]] and body["inspections"] == []
    (visit,) = body["pending_visits"]
    assert visit["task_id"] == task["id"] and visit["day"] is None
    assert visit["departments"] == [{"department": "wjw", "items": office_view(server, task["id"])["items"]}]


def test_after_the_visit_the_subject_counts_as_inspected_per_department_and_item(server):  # R-DRAW-2 R-DRAW-6
    codes = _subjects(server, 3)
    task = server.client("scjg").initiate().json()
    _draw(server, task["id"], {"count": 3})
    created(server.client("wlj").respond(task["id"]))
    created(server.client("gxj").respond(task["id"], "decline", [], reason="本季度无相关检查任务"))
    created(server.client("scjg").post(f"/joint-tasks/{task['id']}/inspection-day/proposals",
                                       json={"day": INSPECTION_DAY}))
    assert _overlap(server, codes[0]).json()["pending_visits"][0]["day_state"] == "proposed"
    created(server.client("wlj").post(f"/joint-tasks/{task['id']}/inspection-day/agreements"))
    _inspectors(server, "scjg", 2, start=100)
    _inspectors(server, "wlj", 2, start=200)
    for department in ("scjg", "wlj"):
        assert _match(server, task["id"], department)["status_code"] == 201
    server.services.clock.set(datetime(2026, 3, 11, 10, tzinfo=SHANGHAI))
    teams = {d: server.client(d).get(f"/joint-tasks/{task['id']}/matchings").json()["departments"][d]["teams"]
             for d in ("scjg", "wlj")}
    for department in ("scjg", "wlj"):  # each department's one result per subject completes its inspection
        for code in codes:
            created(server.client(department).post(f"/joint-tasks/{task['id']}/results",
                                                   json=_entry(server, task["id"], department, code, teams)))
    body = created(_overlap(server, codes[1]), 200)
    assert body["pending_visits"] == []
    view = office_view(server, task["id"])
    accepted = next(r["item_ids"] for r in view["responses"] if r["department_code"] == "wlj")
    assert {(g["department"], g["item"], g["count"]) for g in body["inspections"]} == (
        {("scjg", item, 1) for item in view["items"]} | {("wlj", item, 1) for item in accepted})
    assert body["inspections"][0]["last_inspected_on"] == INSPECTION_DAY


def test_draw_time_flags_name_this_years_inspections_and_pending_visits_elsewhere(server):  # R-DRAW-6
    codes = _subjects(server, 4, risk_level="high")  # high risk: exempt from the yearly cap
    first = server.client("scjg").initiate().json()
    _draw(server, first["id"], {"count": 4})
    second = server.client("wjw").initiate(responding_departments=["wlj"]).json()
    draw_id, result = _draw(server, second["id"], {"count": 4}, lead="wjw")
    flags = server.client("wjw").get(f"/draws/{draw_id}").json()["flags"]
    assert result["flagged"] == 4 and set(flags) == set(codes)
    (other,) = flags[codes[0]]
    assert other["task_id"] == first["id"] and other["inspections"] == []
    assert other["pending_visit"] == {"day": None, "day_state": None, "departments": ["scjg"]}


def test_an_unknown_code_is_404_and_a_known_but_never_drawn_subject_has_no_overlap(server):
    (code,) = _subjects(server, 1)
    assert created(_overlap(server, code), 200) == {"code": code, "year": 2026, "tasks": [],
                                                        "inspections": [], "pending_visits": []}
    error = assert_error(_overlap(server, "91110000000000999X"), 404, "subject_not_found")
    assert error["details"] == {"code": "91110000000000999X"}
    assert_error(_overlap(server, "X" * 40), 422)


def test_only_staff_and_the_office_may_look_at_a_subjects_overlap(server):
    (code,) = _subjects(server, 1)
    assert_error(server.client().get(f"/subjects/{code}/overlap"), 401, "unauthenticated")
    assert_error(_overlap(server, code, "admin"), 403, "no_business_role")
    assert _overlap(server, code, "gxj").status_code == 200
