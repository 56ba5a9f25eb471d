"""Matching inspectors over HTTP: teams for every drawn subject, recusal, replacement, direct assignment (R-MATCH-*)."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timezone

from sqlalchemy import insert

from api.storage.tables import inspectors
from domain.codes import generate_resident_id
from tests.api.test_draws import _draw, _subjects
from tests.support import assert_error, head


def _inspectors(server, department: str, n: int, start: int = 0, **fields) -> list[str]:  # type: ignore[no-untyped-def]
    now = datetime.now(timezone.utc)
    ids = [generate_resident_id(start + i) for i in range(n)]
    rows = [{"resident_id": r, "name": f"检查员{start + i}", "gender": "male", "department_code": department,
             "post": "科员", "certificate_no": f"执法证{start + i:05d}", "certificate_expires": date(2027, 12, 31),
             "status": "active", "created_at": now, "updated_at": now} | fields for i, r in enumerate(ids)]
    with server.services.engine.begin() as conn:
        conn.execute(insert(inspectors), rows)
    return ids


def _ready_task(server, clock, subjects: int = 6) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    """A task whose day is agreed (Tue 10 Mar) and whose subjects are drawn; wlj joined, gxj declined."""
    codes = _subjects(server, subjects)
    lead, wlj = server.client("scjg"), server.client("wlj")
    task_id = lead.initiate().json()["id"]
    wlj.respond(task_id)
    server.client("gxj").respond(task_id, decision="decline", item_ids=[], reason="无相关事项")
    lead.post(f"/joint-tasks/{task_id}/inspection-day/proposals", json={"day": "2026-03-10"})
    wlj.post(f"/joint-tasks/{task_id}/inspection-day/agreements")
    _draw(server, task_id, {"count": subjects})
    return task_id, codes


def _match(server, task_id: str, department: str, team_size: int = 2) -> dict:  # type: ignore[no-untyped-def]
    client = server.client(department)
    match_id = client.post(f"/joint-tasks/{task_id}/matchings", json={"team_size": team_size}).json()["match_id"]
    response = client.post(f"/joint-tasks/{task_id}/matchings/{match_id}/execution")
    return response.json() | {"status_code": response.status_code}


def test_each_joining_department_matches_its_own_inspectors_to_every_subject(server, clock):  # R-MATCH-1 R-JOINT-6
    task_id, codes = _ready_task(server, clock)
    own = _inspectors(server, "wlj", 4)
    _inspectors(server, "scjg", 3, start=100)
    assert _match(server, task_id, "wlj")["status_code"] == 201
    teams = server.client("wlj").get(f"/joint-tasks/{task_id}/matchings").json()["departments"]["wlj"]["teams"]
    assert set(teams) == set(codes)
    assert all(len(t) == 2 and set(t) <= set(own) for t in teams.values())
    assert max(Counter(i for t in teams.values() for i in t).values()) <= 3  # ceil(6 × 2 / 4)
    assert server.client("office").get(f"/joint-tasks/{task_id}/matchings/wlj/verification").json()["match"]


def test_expired_certificates_and_unavailable_inspectors_are_not_matched(server, clock):  # R-INSP-2 R-MATCH-1
    task_id, _ = _ready_task(server, clock, subjects=2)
    good = _inspectors(server, "wlj", 2)
    _inspectors(server, "wlj", 2, start=10, certificate_expires=date(2026, 3, 9))
    _inspectors(server, "wlj", 1, start=20, status="unavailable", unavailable_until=date(2026, 3, 20))
    _match(server, task_id, "wlj")
    teams = server.client("wlj").get(f"/joint-tasks/{task_id}/matchings").json()["departments"]["wlj"]["teams"]
    assert {i for t in teams.values() for i in t} == set(good)


def test_too_few_inspectors_names_the_shortfall_and_records_nothing(server, clock):  # R-MATCH-4
    task_id, _ = _ready_task(server, clock, subjects=2)
    _inspectors(server, "wlj", 1)
    before = head(server)
    result = _match(server, task_id, "wlj")
    assert result["status_code"] == 422 and "不足" in result["error"]["message"]
    assert result["error"]["details"]["eligible"] == 1
    assert head(server) == before + 1  # only the commitment


def test_a_declared_conflict_keeps_the_inspector_off_that_subject(server, clock):  # R-MATCH-3
    task_id, codes = _ready_task(server, clock, subjects=1)
    ids = _inspectors(server, "wlj", 3)
    wlj = server.client("wlj")
    assert wlj.post("/conflicts", json={"inspector_id": ids[0], "subject_code": codes[0],
                                        "reason": "配偶在该企业任职"}).status_code == 201
    assert_error(wlj.post("/conflicts", json={"inspector_id": ids[0], "subject_code": codes[0],
                                              "reason": "重复"}), 409)
    assert_error(server.client("gxj").post("/conflicts", json={"inspector_id": ids[1], "subject_code": codes[0],
                                                               "reason": "x"}), 403)
    _match(server, task_id, "wlj")
    team = wlj.get(f"/joint-tasks/{task_id}/matchings").json()["departments"]["wlj"]["teams"][codes[0]]
    assert ids[0] not in team and sorted(team) == sorted(ids[1:])


def test_a_replacement_is_drawn_and_recorded_with_reason_and_approver(server, clock):  # R-MATCH-2
    task_id, codes = _ready_task(server, clock, subjects=1)
    _inspectors(server, "wlj", 5)
    _match(server, task_id, "wlj")
    wlj = server.client("wlj")
    team = wlj.get(f"/joint-tasks/{task_id}/matchings").json()["departments"]["wlj"]["teams"][codes[0]]
    body = {"subject_code": codes[0], "inspector": team[1], "reason": "health", "approver": "科长"}
    assert_error(wlj.post(f"/joint-tasks/{task_id}/matchings/replacements", json=body | {"reason": "busy"}), 422)
    replaced = wlj.post(f"/joint-tasks/{task_id}/matchings/replacements", json=body)
    assert replaced.status_code == 201
    after = wlj.get(f"/joint-tasks/{task_id}/matchings").json()["departments"]["wlj"]
    assert after["teams"][codes[0]] == [team[0], replaced.json()["replacement"]]
    assert after["replacements"][0]["approver"] == "科长"


def test_an_approved_direct_assignment_staffs_teams_when_too_few(server, clock):  # R-MATCH-4
    task_id, codes = _ready_task(server, clock, subjects=1)
    own = _inspectors(server, "wlj", 1)
    other = _inspectors(server, "scjg", 1, start=50)
    wlj = server.client("wlj")
    body = {"teams": {codes[0]: own + other}, "reason": "本部门在岗执法人员不足，跨单位匹配", "approver": "分管局长"}
    assert wlj.post(f"/joint-tasks/{task_id}/matchings/assignment", json=body).status_code == 201
    assert_error(wlj.post(f"/joint-tasks/{task_id}/matchings/assignment", json=body), 409)


def test_a_department_that_declined_cannot_match(server, clock):  # R-JOINT-6
    task_id, _ = _ready_task(server, clock, subjects=1)
    assert_error(server.client("gxj").post(f"/joint-tasks/{task_id}/matchings", json={"team_size": 2}), 409,
                 "department_declined")


def test_other_parties_see_team_sizes_but_not_resident_ids(server, clock):  # R-INSP-3
    task_id, codes = _ready_task(server, clock, subjects=1)
    ids = _inspectors(server, "wlj", 2)
    _match(server, task_id, "wlj")
    seen_by_lead = server.client("scjg").get(f"/joint-tasks/{task_id}/matchings").text
    assert all(i not in seen_by_lead for i in ids)
    assert server.client("scjg").get(f"/joint-tasks/{task_id}/matchings").json()["departments"]["wlj"][
        "team_sizes"] == {codes[0]: 2}
