"""Reading tasks over HTTP: one task, its timeline, and the filtered, sorted, paginated list."""
from __future__ import annotations

from datetime import timedelta

from tests.support import (
    INSPECTION_DAY, assert_error, created, head, item_names, pushed_task, responded_task, wait_for_read_models,
)


# ---- one task -------------------------------------------------------------------------------------------
def test_a_responder_sees_every_status_but_only_its_own_details(server):  # R-JOINT-2
    task_id = responded_task(server)
    view = created(server.client("wlj").get(f"/joint-tasks/{task_id}"), 200)
    responses = {r["department_code"]: r for r in view["responses"]}
    assert item_names(view, responses["wlj"]["item_ids"]) == ["文化市场经营检查"] and responses["gxj"]["status"] == "declined"
    assert responses["gxj"]["department_name"] == "工业和信息化局"
    assert "reason" not in responses["gxj"] and "item_ids" not in responses["gxj"]
    lead_view = created(server.client("scjg").get(f"/joint-tasks/{task_id}"), 200)
    assert {r["department_code"]: r["reason"] for r in lead_view["responses"]}["gxj"] == "本季度无相关检查任务"


def test_a_department_with_no_part_in_the_task_may_not_read_it_or_its_timeline(server):
    task_id = pushed_task(server)
    for path in (f"/joint-tasks/{task_id}", f"/joint-tasks/{task_id}/timeline"):
        error = assert_error(server.client("zjj").get(path), 403, "not_a_party")
        assert error["details"] is None
        assert created(server.client("office").get(path), 200)


def test_an_overdue_pending_response_reads_as_late_once_the_deadline_passes(server, clock):  # R-JOINT-4
    task_id = pushed_task(server)
    before = created(server.client("scjg").get(f"/joint-tasks/{task_id}"), 200)
    assert [r["late"] for r in before["responses"]] == [False, False]
    clock.advance(timedelta(days=2, hours=15))  # Wed 4 Mar 24:00: the deadline day is over
    after = created(server.client("scjg").get(f"/joint-tasks/{task_id}"), 200)
    assert [r["late"] for r in after["responses"]] == [True, True]


# ---- timeline -------------------------------------------------------------------------------------------
def test_the_timeline_tells_the_story_one_chinese_sentence_per_event_in_order(server, clock):
    task_id = pushed_task(server)
    created(server.client("wlj").respond(task_id))
    clock.advance(timedelta(days=3))
    created(server.client("gxj").respond(task_id, "decline", [], reason="本季度无相关检查任务"))
    created(server.client("scjg").post(f"/joint-tasks/{task_id}/inspection-day/proposals",
                                       json={"day": INSPECTION_DAY}))
    position = created(server.client("wlj").post(f"/joint-tasks/{task_id}/inspection-day/agreements"))["position"]
    timeline = created(server.client("scjg").get(f"/joint-tasks/{task_id}/timeline",
                                                params={"min_position": position}), 200)
    rows = timeline["items"]
    assert [(r["actor_department"], r["summary"]) for r in rows] == [
        ("scjg", "市场监督管理局发起联合任务“餐饮单位食品安全联合检查”，推送给文化和旅游局、工业和信息化局，响应期限 2026-03-04"),
        ("wlj", "文化和旅游局响应：参加（事项：文化市场经营检查）"),
        ("gxj", "工业和信息化局响应：不参加（理由：本季度无相关检查任务），已逾期"),
        ("scjg", "市场监督管理局提议联合检查日为 2026-03-10"),
        ("wlj", "文化和旅游局同意联合检查日 2026-03-10"),
        ("wlj", "各参与部门已商定联合检查日为 2026-03-10"),
    ]
    assert timeline["total"] == 6 and rows[-1]["position"] == position == head(server)
    assert [r["position"] for r in rows] == sorted(r["position"] for r in rows)
    assert [r["event_type"] for r in rows][:2] == ["Initiated", "Responded"]
    assert rows[0]["actor_user"] == "scjg" and rows[2]["at"].startswith("2026-03-05")


def test_the_timeline_names_merges_cancellations_and_late_reasons(server, clock):  # R-JOINT-4 R-JOINT-8
    survivor = pushed_task(server, responding_departments=["wlj"])
    merged = pushed_task(server, responding_departments=["yjj"])
    clock.advance(timedelta(days=3))
    created(server.client("wlj").post(f"/joint-tasks/{survivor}/late-reason", json={"reason": "人员外出执法"}))
    created(server.client("scjg").post(f"/joint-tasks/{merged}/merge", json={"into_task_id": survivor}))
    created(server.client("office").post(f"/joint-tasks/{survivor}/cancellation", json={"reason": "上级专项已覆盖"}))
    position = wait_for_read_models(server)
    sentences = {task: [r["summary"] for r in created(server.client("office").get(
        f"/joint-tasks/{task}/timeline", params={"min_position": position}), 200)["items"]][1:]
        for task in (survivor, merged)}
    assert sentences[survivor] == [
        "文化和旅游局说明逾期理由：人员外出执法",
        f"市场监督管理局将任务 {merged} 并入本任务，新增部门：应急管理局",
        "联席会议办公室撤销任务：上级专项已覆盖",
    ]
    assert sentences[merged] == [f"市场监督管理局将本任务并入任务 {survivor}"]


# ---- the list -------------------------------------------------------------------------------------------
def _four_tasks(server, clock) -> dict[str, str]:
    """T1 scjg→wlj,gxj; T2 wlj→scjg,yjj; T3 gxj→yjj; T4 office→scjg,wlj; pushed an hour apart."""
    tasks = {"T1": pushed_task(server)}
    clock.advance(timedelta(hours=1))
    tasks["T2"] = pushed_task(server, lead="wlj", title="旅游景区消防安全联合检查", responding_departments=["scjg", "yjj"],
                              window_start="2026-03-16")
    clock.advance(timedelta(hours=1))
    tasks["T3"] = pushed_task(server, lead="gxj", title="工业企业安全生产联合检查", responding_departments=["yjj"],
                              window_start="2026-03-23")
    clock.advance(timedelta(hours=1))
    tasks["T4"] = pushed_task(server, lead="office", title="年度计划：商超食品安全联合抽查",
                              responding_departments=["scjg", "wlj"], window_start="2026-03-12")
    return tasks


def _list(server, user: str, **params) -> tuple[list[str], int]:
    params.setdefault("min_position", wait_for_read_models(server))
    page = created(server.client(user).get("/joint-tasks", params=params), 200)
    return [t["task_id"] for t in page["items"]], page["total"]


def test_the_list_shows_my_tasks_by_role_and_the_office_sees_all(server, clock):  # R-OVER-1
    t = _four_tasks(server, clock)
    assert _list(server, "scjg") == ([t["T4"], t["T2"], t["T1"]], 3)
    assert _list(server, "scjg", role="lead") == ([t["T1"]], 1)
    assert _list(server, "scjg", role="responder") == ([t["T4"], t["T2"]], 2)
    assert _list(server, "yjj", role="lead") == ([], 0)
    assert _list(server, "zjj") == ([], 0)
    assert _list(server, "office") == ([t["T4"], t["T3"], t["T2"], t["T1"]], 4)
    assert _list(server, "office", role="lead") == ([t["T4"]], 1)


def test_the_list_filters_by_status_and_searches_titles(server, clock):
    t = _four_tasks(server, clock)
    created(server.client("wlj").respond(t["T1"]))
    created(server.client("gxj").respond(t["T1"], "decline", [], reason="无相关事项"))
    assert _list(server, "office", status="responded") == ([t["T1"]], 1)
    assert _list(server, "office", status="awaiting_responses") == ([t["T4"], t["T3"], t["T2"]], 3)
    assert _list(server, "scjg", status="awaiting_responses", role="responder") == ([t["T4"], t["T2"]], 2)
    assert _list(server, "office", q="食品安全") == ([t["T4"], t["T1"]], 2)
    assert _list(server, "wlj", q="消防") == ([t["T2"]], 1)
    assert _list(server, "office", q="%") == ([], 0)  # a wildcard is searched for literally


def test_the_list_sorts_and_paginates(server, clock):
    t = _four_tasks(server, clock)
    assert _list(server, "office", sort="pushed_at", order="asc") == ([t["T1"], t["T2"], t["T3"], t["T4"]], 4)
    assert _list(server, "office", sort="window_start", order="asc")[0] == [t["T1"], t["T4"], t["T2"], t["T3"]]
    assert _list(server, "office", sort="window_start")[0] == [t["T3"], t["T2"], t["T4"], t["T1"]]
    by_title = _list(server, "office", sort="title", order="asc")[0]  # the order of Chinese text is the collation's
    assert sorted(by_title) == sorted(t.values()) and _list(server, "office", sort="title")[0] == by_title[::-1]
    pages = [_list(server, "office", page=n, page_size=3) for n in (1, 2, 3)]
    assert pages == [([t["T4"], t["T3"], t["T2"]], 4), ([t["T1"]], 4), ([], 4)]
    page = created(server.client("office").get("/joint-tasks", params={"page": 2, "page_size": 3}), 200)
    assert page["page"] == 2 and page["page_size"] == 3


def test_list_items_carry_deadline_and_departments(server):
    task_id = responded_task(server)
    item = created(server.client("wlj").get("/joint-tasks", params={"min_position": head(server)}), 200)["items"][0]
    assert item["task_id"] == task_id and item["status"] == "responded"
    assert item["response_deadline"] == "2026-03-04T23:59:59+08:00"
    assert item_names(item) == ["食品经营检查", "文化市场经营检查", "工业产品生产许可检查"]
    assert [(d["department"], d["role"], d["response_status"]) for d in item["departments"]] == [
        ("scjg", "lead", "lead"), ("gxj", "responder", "declined"), ("wlj", "responder", "accepted")]


def test_malformed_list_queries_are_422(server):
    malformed = [{"page_size": 0}, {"page_size": 201}, {"page": 0}, {"page": "first"}, {"sort": "task_id"},
                 {"order": "up"}, {"role": "boss"}, {"min_position": -1}, {"q": "查" * 101}]
    for params in malformed:
        error = assert_error(server.client("scjg").get("/joint-tasks", params=params), 422, "validation_error")
        assert error["details"][0]["field"] == next(iter(params)), params
    assert_error(server.client().get("/joint-tasks"), 401, "unauthenticated")


def test_a_responders_timeline_hides_what_its_responses_table_hides(server):  # R-JOINT-2, issue 15 item 6
    task_id = responded_task(server)  # gxj declined with a reason
    position = wait_for_read_models(server)
    lines = {(r["actor_department"], r["event_type"]): r for r in created(server.client("wlj").get(
        f"/joint-tasks/{task_id}/timeline", params={"min_position": position}), 200)["items"]}
    gxj = lines[("gxj", "Responded")]
    assert gxj["summary"] == "工业和信息化局响应：不参加" and "reason" not in gxj["data"]
    assert "（事项：文化市场经营检查）" in lines[("wlj", "Responded")]["summary"]  # its own, in full
    lead = {(r["actor_department"], r["event_type"]): r for r in created(server.client("scjg").get(
        f"/joint-tasks/{task_id}/timeline", params={"min_position": position}), 200)["items"]}
    assert lead[("gxj", "Responded")]["summary"] == "工业和信息化局响应：不参加（理由：本季度无相关检查任务）"
