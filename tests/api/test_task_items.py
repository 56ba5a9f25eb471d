"""A joint task names active joint (C) items of its departments' checklists: 清单之外无事项 (R-ITEM-3)."""
from __future__ import annotations

from api.demo import demo_item_id
from tests.support import assert_error, created, head, item_names, office_view, pushed_task

FOOD, CULTURE, INDUSTRY = demo_item_id("SCJG-C-01"), demo_item_id("WLJ-C-01"), demo_item_id("GXJ-C-01")


def _refused(server, items: list[str], kind: str, lead: str = "scjg") -> dict:  # type: ignore[no-untyped-def]
    before = head(server)
    error = assert_error(server.client(lead).initiate(items=items), 422, "items_not_on_checklist")
    assert head(server) == before, "a refused initiation recorded something"
    assert error["details"]["field"] == "items" and kind in error["details"], error
    return error


def test_a_task_records_the_ids_of_the_checklist_items_it_names(server):  # R-ITEM-3
    task_id = pushed_task(server, items=[FOOD, "文化市场经营检查", INDUSTRY])
    view = office_view(server, task_id)
    assert view["items"] == [FOOD, CULTURE, INDUSTRY]
    assert [(i["department_code"], i["code"], i["name"]) for i in view["item_details"]] == [
        ("scjg", "SCJG-C-01", "食品经营检查"), ("wlj", "WLJ-C-01", "文化市场经营检查"),
        ("gxj", "GXJ-C-01", "工业产品生产许可检查")]


def test_an_item_not_on_any_checklist_is_refused_and_nothing_is_recorded(server):  # R-ITEM-3
    error = _refused(server, [FOOD, "随手写的检查事项"], "unknown")
    assert error["details"]["unknown"] == ["随手写的检查事项"] and "随手写的检查事项" in error["message"]


def test_an_item_of_a_department_outside_the_task_is_refused(server):  # R-ITEM-3 R-JOINT-2
    # 消防安全检查 is yjj's; yjj neither leads nor is asked to respond: by name it is not found among the parties' items
    _refused(server, ["消防安全检查"], "unknown")
    # by id it is found, and refused as outside the task's departments
    error = _refused(server, [demo_item_id("YJJ-C-01")], "outside")
    assert "不属于牵头部门或响应部门" in error["message"]


def test_a_retired_item_is_refused(server):  # R-ITEM-3
    created(server.client("wlj").post(f"/check-items/{CULTURE}/retirement", json={"reason": "事项调整"}))
    error = _refused(server, [FOOD, CULTURE], "retired")
    assert error["details"]["retired"] == [CULTURE] and "已退出清单" in error["message"]


def test_a_general_item_is_refused_as_not_joint(server):  # R-ITEM-3 R-ITEM-2
    general = created(server.client("scjg").post("/check-items", json={
        "code": "SCJG-A-09", "name": "食品经营许可一般检查", "subject_type": "食品经营者", "content": "许可一致性",
        "category": "食品安全", "methods": ["on_site"], "level": "city", "legal_basis": "《食品安全法》",
        "ratio": "5", "frequency": 1, "item_class": "A"}))
    error = _refused(server, [FOOD, general["id"]], "not_joint")
    assert error["details"]["not_joint"] == [general["id"]]


def test_a_name_shared_by_two_items_of_the_parties_must_be_given_as_an_id(server):  # R-ITEM-3
    created(server.client("wlj").post("/check-items", json={
        "code": "WLJ-C-09", "name": "食品经营检查", "subject_type": "景区餐饮", "content": "景区内餐饮经营",
        "category": "旅游市场", "methods": ["on_site"], "level": "city", "legal_basis": "《旅游法》",
        "ratio": "5", "frequency": 1, "item_class": "C"}))
    error = _refused(server, ["食品经营检查"], "ambiguous")
    assert "请改用事项编号" in error["message"]
    assert office_view(server, pushed_task(server, items=[FOOD]))["items"] == [FOOD]


def test_a_responder_joins_items_by_id_or_by_their_name_in_the_task(server):  # R-ITEM-3 R-JOINT-3
    task_id = pushed_task(server)
    created(server.client("wlj").respond(task_id, "accept", [CULTURE]))
    created(server.client("gxj").respond(task_id, "accept", ["工业产品生产许可检查"]))
    view = office_view(server, task_id)
    responses = {r["department_code"]: r for r in view["responses"]}
    assert responses["wlj"]["item_ids"] == [CULTURE] and responses["gxj"]["item_ids"] == [INDUSTRY]
    assert item_names(view, responses["gxj"]["item_ids"]) == ["工业产品生产许可检查"]


def test_a_responder_cannot_join_an_item_outside_the_task(server):  # R-ITEM-3 R-JOINT-3
    task_id = pushed_task(server, items=[FOOD, CULTURE])
    before = head(server)
    assert_error(server.client("gxj").respond(task_id, "accept", [INDUSTRY]), 422, "invalid_response")
    assert_error(server.client("gxj").respond(task_id, "accept", ["工业产品生产许可检查"]), 422, "invalid_response")
    assert head(server) == before


def test_the_timeline_and_the_task_list_name_items_in_chinese(server):  # R-ITEM-3
    task_id = pushed_task(server)
    position = created(server.client("wlj").respond(task_id, "accept", [CULTURE]))["position"]
    timeline = created(server.client("scjg").get(f"/joint-tasks/{task_id}/timeline",
                                                 params={"min_position": position}), 200)["items"]
    assert "（事项：文化市场经营检查）" in timeline[-1]["summary"]
    listed = created(server.client("wlj").get("/joint-tasks", params={"min_position": position}), 200)["items"][0]
    assert item_names(listed) == ["食品经营检查", "文化市场经营检查", "工业产品生产许可检查"]
