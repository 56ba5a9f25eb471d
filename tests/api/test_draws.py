"""Drawing subjects over HTTP: commit, execute, verify; cap, exemptions, redraws (R-DRAW-1..6, R-JOINT-6)."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import insert

from api.storage.tables import subjects
from domain import draw as algorithm
from domain.codes import generate_uscc
from tests.support import assert_error, head

WITNESSES = [{"name": "张律师", "role": "legal_adviser"}, {"name": "王代表", "role": "public_representative"}]


def _subjects(server, n: int, **fields) -> list[str]:  # type: ignore[no-untyped-def]
    now = datetime.now(timezone.utc)
    start = fields.pop("start", 0)
    codes = [generate_uscc(start + i) for i in range(n)]
    rows = [{"code": c, "name": f"检查对象{i}", "region": "城关区", "industry": "餐饮", "credit_class": "B",
             "risk_level": "medium", "created_at": now, "updated_at": now} | fields for i, c in enumerate(codes)]
    with server.services.engine.begin() as conn:
        conn.execute(insert(subjects), rows)
    return codes


def _draw(server, task_id: str, criteria: dict, lead: str = "scjg", **extra) -> tuple[str, dict]:  # type: ignore[no-untyped-def]
    client = server.client(lead)
    committed = client.post(f"/joint-tasks/{task_id}/draws",
                            json={"criteria": criteria, "witnesses": WITNESSES} | extra)
    assert committed.status_code == 201, committed.text
    draw_id = committed.json()["draw_id"]
    executed = client.post(f"/joint-tasks/{task_id}/draws/{draw_id}/execution")
    return draw_id, executed.json() | {"status_code": executed.status_code}


def test_a_draw_is_committed_executed_and_verified_by_recomputing_it(server):  # R-DRAW-1 R-DRAW-5 R-JOINT-6
    _subjects(server, 40)
    task = server.client("scjg").initiate().json()
    draw_id, result = _draw(server, task["id"], {"region": "城关区", "industry": "餐饮", "ratio": "10"})
    assert result["status_code"] == 201 and result["pool_size"] == 40 and result["drawn_count"] == 4
    office = server.client("office")
    record = office.get(f"/draws/{draw_id}").json()
    assert record["algorithm"] == algorithm.ALGORITHM and algorithm.commitment(record["seed"]) == record["commitment"]
    assert record["witnesses"] == WITNESSES
    pool = office.get(f"/draws/{draw_id}/pool").text
    assert algorithm.verify(record, algorithm.parse_pool(pool)).match  # a witness's own recomputation
    assert office.get(f"/draws/{draw_id}/verification").json() == {
        "match": True, "commitment_ok": True, "fingerprint_ok": True, "drawn_ok": True,
        "algorithm": algorithm.ALGORITHM, "version": algorithm.VERSION}


def test_executing_a_draw_a_second_time_is_refused_as_already_executed_and_records_nothing(server):  # R-DRAW-5
    _subjects(server, 20)
    task = server.client("scjg").initiate().json()
    draw_id, first = _draw(server, task["id"], {"region": "城关区", "industry": "餐饮", "ratio": "10"})
    assert first["status_code"] == 201
    before = head(server)
    again = server.client("scjg").post(f"/joint-tasks/{task['id']}/draws/{draw_id}/execution")
    assert assert_error(again, 409, "conflict")["message"] == "该次抽取已执行，不能重复执行。"
    assert head(server) == before


def test_the_seed_stays_secret_until_the_draw_is_executed(server):  # R-DRAW-5
    _subjects(server, 10)
    task = server.client("scjg").initiate().json()
    committed = server.client("scjg").post(f"/joint-tasks/{task['id']}/draws",
                                           json={"criteria": {"count": 2}, "witnesses": WITNESSES}).json()
    record = server.client("office").get(f"/draws/{committed['draw_id']}").json()
    assert record["status"] == "committed" and "seed" not in record
    assert record["commitment"] == committed["commitment"]
    assert_error(server.client("office").get(f"/draws/{committed['draw_id']}/verification"), 409)


def test_exempt_subjects_are_replaced_unless_the_item_overrides_exemption(server):  # R-DRAW-4
    exempt = _subjects(server, 20, exempt=True)
    plain = _subjects(server, 20, start=100)
    task = server.client("scjg").initiate().json()
    draw_id, result = _draw(server, task["id"], {"count": 10})
    record = server.client("scjg").get(f"/draws/{draw_id}").json()
    assert set(record["drawn"]) <= set(plain) and set(record["replaced"]) <= set(exempt)
    other = server.client("scjg").initiate().json()
    draw_id, _ = _draw(server, other["id"], {"count": 40, "exemption_override": "safety"})
    assert set(server.client("scjg").get(f"/draws/{draw_id}").json()["drawn"]) == set(exempt) | set(plain)


def test_a_subject_drawn_twice_this_year_is_left_out_unless_high_risk(server):  # R-DRAW-2
    capped = _subjects(server, 3)
    risky = _subjects(server, 1, start=50, risk_level="high")
    for _ in range(2):
        task = server.client("scjg").initiate().json()
        _draw(server, task["id"], {"count": 4})
    third = server.client("scjg").initiate().json()
    draw_id, result = _draw(server, third["id"], {"count": 1})
    assert result["left_out_for_yearly_cap"] == 3 and result["pool_size"] == 1
    assert server.client("scjg").get(f"/draws/{draw_id}").json()["drawn"] == risky
    assert capped  # the three ordinary subjects were drawn twice already


def test_each_drawn_subject_is_flagged_with_other_tasks_this_year(server):  # R-DRAW-6
    codes = _subjects(server, 5)
    first = server.client("scjg").initiate().json()
    _draw(server, first["id"], {"count": 5})
    second = server.client("wjw").initiate(responding_departments=["wlj"]).json()
    draw_id, result = _draw(server, second["id"], {"count": 5}, lead="wjw")
    flags = server.client("wjw").get(f"/draws/{draw_id}").json()["flags"]
    assert result["flagged"] == 5 and set(flags) == set(codes)
    assert flags[codes[0]][0]["task_id"] == first["id"] and flags[codes[0]][0]["lead_department"] == "scjg"


def test_per_credit_class_ratios_draw_from_each_class(server):  # R-DRAW-3
    _subjects(server, 10, credit_class="A")
    d_class = _subjects(server, 10, start=100, credit_class="D")
    task = server.client("scjg").initiate().json()
    draw_id, result = _draw(server, task["id"], {"ratios_by_credit": {"A": "10", "D": "50"}})
    record = server.client("scjg").get(f"/draws/{draw_id}").json()
    assert record["counts"] == {"A": 1, "D": 5} and len(set(record["drawn"]) & set(d_class)) == 5


def test_a_draw_by_credit_class_leaves_unclassified_subjects_out_of_its_pool_and_verifies(server):  # R-DRAW-3
    _subjects(server, 10, credit_class="A")
    unclassified = _subjects(server, 5, start=200, credit_class="")  # not yet classified: no class, no ratio
    task = server.client("scjg").initiate().json()
    draw_id, result = _draw(server, task["id"], {"ratios_by_credit": {"A": "20"}})
    assert result["status_code"] == 201 and result["pool_size"] == 10
    lead = server.client("scjg")
    pool = lead.get(f"/draws/{draw_id}/pool").text
    assert not any(code in pool for code in unclassified)
    assert lead.get(f"/draws/{draw_id}/verification").json()["match"] is True


def test_a_redraw_needs_reason_and_approver_and_both_draws_stay_visible(server):  # R-DRAW-5
    _subjects(server, 30)
    task = server.client("scjg").initiate().json()
    first, _ = _draw(server, task["id"], {"count": 3})
    lead = server.client("scjg")
    assert_error(lead.post(f"/joint-tasks/{task['id']}/draws",
                           json={"criteria": {"count": 3}, "witnesses": WITNESSES}), 409)
    assert_error(lead.post(f"/joint-tasks/{task['id']}/draws",
                           json={"criteria": {"count": 3}, "witnesses": WITNESSES, "redraw_of": first}), 422)
    second, result = _draw(server, task["id"], {"count": 3}, redraw_of=first, reason="名录库地址有误",
                           approver="分管副局长")
    assert result["status_code"] == 201
    assert lead.get(f"/draws/{first}").json()["status"] == "superseded"
    assert lead.get(f"/draws/{second}").json()["approver"] == "分管副局长"


def test_too_few_candidates_is_a_clear_error_that_records_nothing(server):  # R-DRAW-1
    _subjects(server, 2)
    task = server.client("scjg").initiate().json()
    lead = server.client("scjg")
    draw_id = lead.post(f"/joint-tasks/{task['id']}/draws",
                        json={"criteria": {"count": 5}, "witnesses": WITNESSES}).json()["draw_id"]
    before = head(server)
    error = assert_error(lead.post(f"/joint-tasks/{task['id']}/draws/{draw_id}/execution"), 422)
    assert "不足" in error["message"]
    assert head(server) == before


def test_a_commitment_too_few_subjects_match_is_replaced_by_naming_it_and_the_task_draws_again(server):  # R-DRAW-5
    _subjects(server, 2)
    task = server.client("scjg").initiate().json()
    lead = server.client("scjg")
    stuck = lead.post(f"/joint-tasks/{task['id']}/draws",
                      json={"criteria": {"count": 5}, "witnesses": WITNESSES}).json()["draw_id"]
    assert_error(lead.post(f"/joint-tasks/{task['id']}/draws/{stuck}/execution"), 422)
    assert_error(lead.post(f"/joint-tasks/{task['id']}/draws",
                           json={"criteria": {"count": 2}, "witnesses": WITNESSES}), 409)
    draw_id, result = _draw(server, task["id"], {"count": 2}, redraw_of=stuck, reason="符合条件的对象不足",
                            approver="分管副局长")
    assert result["status_code"] == 201 and result["drawn_count"] == 2
    assert lead.get(f"/draws/{stuck}").json()["status"] == "abandoned"
    assert lead.get(f"/draws/{draw_id}/verification").json()["match"] is True


def test_only_the_lead_draws_and_outsiders_cannot_read_the_record(server):  # R-JOINT-6
    _subjects(server, 5)
    task = server.client("scjg").initiate().json()
    assert_error(server.client("wlj").post(f"/joint-tasks/{task['id']}/draws",
                                           json={"criteria": {"count": 1}, "witnesses": WITNESSES}), 403)
    draw_id, _ = _draw(server, task["id"], {"count": 1})
    assert_error(server.client("zjj").get(f"/draws/{draw_id}"), 403)
    assert server.client("wlj").get(f"/draws/{draw_id}").status_code == 200


def test_criteria_must_name_exactly_one_size(server):
    task = server.client("scjg").initiate().json()
    body = {"criteria": {"count": 2, "ratio": "5"}, "witnesses": WITNESSES}
    assert_error(server.client("scjg").post(f"/joint-tasks/{task['id']}/draws", json=body), 422, "validation_error")
    body = {"criteria": {"count": 2}, "witnesses": []}
    assert_error(server.client("scjg").post(f"/joint-tasks/{task['id']}/draws", json=body), 422)


def test_verify_draw_cli_says_match_for_the_record_and_mismatch_when_tampered(server, tmp_path):  # R-DRAW-5
    import json
    import subprocess
    import sys

    _subjects(server, 12)
    task = server.client("scjg").initiate().json()
    draw_id, _ = _draw(server, task["id"], {"count": 3})
    office = server.client("office")
    record, pool = office.get(f"/draws/{draw_id}").json(), office.get(f"/draws/{draw_id}/pool").text
    (tmp_path / "record.json").write_text(json.dumps(record), encoding="utf-8")
    (tmp_path / "pool.tsv").write_text(pool, encoding="utf-8")

    def verify() -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "api.cli", "verify-draw", str(tmp_path / "record.json"),
                               str(tmp_path / "pool.tsv")], capture_output=True, text=True)

    ok = verify()
    assert ok.returncode == 0 and ok.stdout.startswith("match: 3 drawn from a pool of 12")
    (tmp_path / "pool.tsv").write_text("".join(pool.splitlines(keepends=True)[1:]), encoding="utf-8")
    tampered = verify()
    assert tampered.returncode == 1 and "fingerprint" in tampered.stdout


def test_tasks_that_drew_the_same_subjects_in_overlapping_windows_are_suggested_for_fusion(server):  # R-JOINT-8
    codes = _subjects(server, 4, risk_level="high")  # high risk: exempt from the yearly cap, so all three draw them
    first = server.client("scjg").initiate().json()
    apart = server.client("yjj").initiate(window_start="2026-06-01", window_end="2026-06-30").json()
    second = server.client("wjw").initiate(responding_departments=["wlj"]).json()
    results = [_draw(server, task["id"], {"count": 4}, lead=lead)[1]
               for task, lead in ((first, "scjg"), (apart, "yjj"), (second, "wjw"))]
    assert [r["status_code"] for r in results] == [201, 201, 201]
    suggestions = server.client("office").get("/oversight/fusion-suggestions",
                                              params={"min_position": results[-1]["position"]}).json()["items"]
    assert len(suggestions) == 1  # the June task overlaps neither window
    assert {t["task_id"] for t in suggestions[0]["tasks"]} == {first["id"], second["id"]}
    assert sorted(suggestions[0]["shared_subjects"]) == sorted(codes)
    assert_error(server.client("scjg").get("/oversight/fusion-suggestions"), 403)


def test_a_draw_records_the_log_position_its_cap_and_flags_were_read_at_after_every_earlier_draw(server):
    """Issue 14: the draw reads the yearly cap and overlap flags from the projections; it records which prefix of
    the log they reflected, and that prefix holds every draw executed before it (R-DRAW-2, R-DRAW-6)."""
    _subjects(server, 10)
    first = server.client("scjg").initiate().json()
    first_id, done = _draw(server, first["id"], {"count": 3})
    assert done["status_code"] == 201
    second = server.client("scjg").initiate().json()
    second_id, _ = _draw(server, second["id"], {"count": 3})
    office = server.client("office")
    assert office.get(f"/draws/{first_id}").json()["read_position"] < done["position"]
    assert office.get(f"/draws/{second_id}").json()["read_position"] >= done["position"]  # it saw the first draw
    third = server.client("scjg").initiate().json()
    committed = server.client("scjg").post(f"/joint-tasks/{third['id']}/draws",
                                           json={"criteria": {"count": 1}, "witnesses": WITNESSES}).json()
    assert office.get(f"/draws/{committed['draw_id']}").json()["read_position"] is None  # not executed yet
