"""Annual plans over HTTP: drafting, publication, adjustment with a reason, public reads (R-PLAN-1, R-PLAN-2)."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from domain.clock import SHANGHAI
from tests.api.test_checklist import ITEM, JOINT, add_item, log_of, nothing_changed
from tests.support import LiveServer, assert_error, created, idempotency

PLAN = {"year": 2026, "name": "2026年度市场监管随机抽查工作计划", "subject_scope": "全市食品经营者、餐饮服务单位",
        "ratio": "5", "credit_risk_grading": "信用A级抽查比例3%，B级5%，C级10%，D级全覆盖",
        "lead_office": "执法稽查科", "cooperating_offices": ["食品经营监管科", "网络交易监管科"],
        "schedule": {"quarters": [2, 3]}}
PUBLIC_FIELDS = {"id", "department_code", "department_name", "year", "name", "items", "classes", "subject_scope",
                 "ratio", "credit_risk_grading", "lead_office", "cooperating_offices", "schedule", "published_at",
                 "adjustment_count", "adjusted_at", "adjustment_reason"}


def items_of(server: LiveServer, department: str = "scjg") -> list[str]:
    """One A and one C item of the department."""
    prefix = department.upper()
    return [add_item(server, department, code=f"{prefix}-A-001")["id"],
            add_item(server, department, **(JOINT | {"code": f"{prefix}-C-001", "partner_departments": []}))["id"]]


def draft(server: LiveServer, department: str = "scjg", **overrides: Any) -> dict:
    body = PLAN | {"item_ids": overrides.pop("item_ids", None) or items_of(server, department)} | overrides
    return created(server.client(department).post("/plans", json=body))


def published(server: LiveServer, **overrides: Any) -> dict:
    plan = draft(server, **overrides)
    return created(server.client(plan["department_code"]).post(f"/plans/{plan['id']}/publication"))


def body_of(plan: dict, **overrides: Any) -> dict:
    return PLAN | {"item_ids": plan["item_ids"]} | overrides


# ---- drafting -------------------------------------------------------------------------------------------
def test_a_department_drafts_a_plan_with_every_field_of_r_plan_1(server):  # R-PLAN-1 R-PLAN-2
    plan = draft(server)
    assert plan["status"] == "draft" and plan["year"] == 2026 and plan["ratio"] == "5.00" and plan["version"] == 1
    assert plan["lead_office"] == "执法稽查科" and plan["cooperating_offices"] == PLAN["cooperating_offices"]
    assert plan["schedule"] == {"quarters": [2, 3]} and plan["credit_risk_grading"] == PLAN["credit_risk_grading"]
    assert [(i["code"], i["item_class"]) for i in plan["items"]] == [("SCJG-A-001", "A"), ("SCJG-C-001", "C")]
    assert plan["classes"] == ["A", "C"] and plan["published_at"] is None
    [entry] = log_of(server, plan["id"])
    assert (entry["entity"], entry["action"], entry["actor_user"]) == ("plan", "created", "scjg")
    assert entry["changes"]["schedule"] == [None, {"quarters": [2, 3]}]


def test_malformed_plans_are_422_and_change_nothing(server):  # R-PLAN-1
    ids = items_of(server)
    valid = PLAN | {"item_ids": ids}
    cases = [
        ({k: v for k, v in valid.items() if k != "lead_office"}, "validation_error"),
        (valid | {"schedule": {"quarters": [5]}}, "validation_error"),
        (valid | {"item_ids": []}, "validation_error"),
        (valid | {"unexpected": 1}, "validation_error"),
        (valid | {"year": 2030}, "invalid_plan"),
        (valid | {"year": 2025}, "invalid_plan"),
        (valid | {"ratio": "0"}, "invalid_plan"),
        (valid | {"credit_risk_grading": "  "}, "invalid_plan"),
        (valid | {"schedule": {}}, "invalid_plan"),
        (valid | {"schedule": {"start": "2026-12-01", "end": "2027-01-31"}}, "invalid_plan"),
        (valid | {"cooperating_offices": ["执法稽查科"]}, "invalid_plan"),
    ]
    with nothing_changed(server):
        for body, code in cases:
            assert_error(server.client("scjg").post("/plans", json=body), 422, code)


def test_a_plan_lists_only_items_on_its_departments_checklist(server):  # R-ITEM-3 R-PLAN-2
    ids = items_of(server)
    other = add_item(server, "wlj", code="WLJ-A-001")["id"]
    with nothing_changed(server):
        error = assert_error(server.client("scjg").post("/plans", json=PLAN | {"item_ids": [ids[0], "no-such-item"]}),
                             422, "items_not_on_checklist")
        assert error["details"]["unknown"] == ["no-such-item"] and "清单之外无事项" in error["message"]
        assert_error(server.client("scjg").post("/plans", json=PLAN | {"item_ids": [ids[0], other]}), 422,
                     "items_not_on_checklist")


def test_the_office_drafts_the_joint_plan_from_c_items_of_every_department(server):  # R-PLAN-2 R-ITEM-4
    scjg, wlj = items_of(server, "scjg"), items_of(server, "wlj")
    plan = created(server.client("office").post("/plans", json=PLAN | {
        "name": "2026年度部门联合抽查计划", "item_ids": [scjg[1], wlj[1]]}))
    assert plan["department_code"] == "lhbgs" and plan["classes"] == ["C"]
    assert [i["department_code"] for i in plan["items"]] == ["scjg", "wlj"]
    with nothing_changed(server):
        assert_error(server.client("office").post("/plans", json=PLAN | {"name": "另一计划", "item_ids": [scjg[0]]}),
                     422, "items_not_on_checklist")


def test_drafting_needs_a_planner(server):
    body = PLAN | {"item_ids": items_of(server)}
    with nothing_changed(server):
        assert_error(server.client().post("/plans", json=body), 401, "unauthenticated")
        assert_error(server.client("admin").post("/plans", json=body), 403, "not_a_planner")


def test_a_plan_name_is_unique_per_department_and_year(server):  # R-PLAN-1
    plan = draft(server)
    with nothing_changed(server):
        assert_error(server.client("scjg").post("/plans", json=body_of(plan)), 409, "duplicate_plan_name")
    assert draft(server, "wlj")["name"] == PLAN["name"]


def test_a_retried_plan_creation_is_recorded_once(server):
    body = PLAN | {"item_ids": items_of(server)}
    first = server.client("scjg").post("/plans", json=body, headers=idempotency("plan-1"))
    again = server.client("scjg").post("/plans", json=body, headers=idempotency("plan-1"))
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert len(log_of(server, first.json()["id"])) == 1


def test_editing_a_draft_is_recorded_as_an_update(server):  # R-PLAN-1
    plan = draft(server)
    dates = {"start": "2027-04-01", "end": "2027-09-30"}
    edited = created(server.client("scjg").put(f"/plans/{plan['id']}", json=body_of(plan, ratio="6", year=2027,
                                                                                    schedule=dates)), 200)
    assert edited["status"] == "draft" and edited["ratio"] == "6.00" and edited["version"] == 2
    assert edited["adjustment_count"] == 0
    entry = log_of(server, plan["id"])[-1]
    assert entry["action"] == "updated" and entry["changes"] == {
        "year": [2026, 2027], "ratio": ["5.00", "6.00"], "schedule": [{"quarters": [2, 3]}, dates]}


# ---- publication ----------------------------------------------------------------------------------------
def test_only_published_plans_are_public_and_without_internal_fields(server):  # R-PLAN-1 R-PUB-3
    plan = draft(server)
    assert created(server.client().get("/public/plans"), 200)["total"] == 0
    assert_error(server.client().get(f"/public/plans/{plan['id']}"), 404, "plan_not_found")
    plan = created(server.client("scjg").post(f"/plans/{plan['id']}/publication"))
    assert plan["status"] == "published" and plan["published_late"] is False and plan["version"] == 2
    assert log_of(server, plan["id"])[-1]["action"] == "published"
    public = created(server.client().get("/public/plans"), 200)
    assert public["total"] == 1 and set(public["items"][0]) == PUBLIC_FIELDS
    assert public["items"][0]["items"][0]["code"] == "SCJG-A-001"
    one = created(server.client().get(f"/public/plans/{plan['id']}"), 200)
    assert set(one) == PUBLIC_FIELDS | {"adjustments"} and one["adjustments"] == []
    assert server.client().get("/public/plans", params={"year": 2027}).json()["total"] == 0
    assert server.client().get("/public/plans", params={"department": "wlj"}).json()["total"] == 0


def test_publishing_twice_is_409(server):  # R-PLAN-1
    plan = published(server)
    with nothing_changed(server):
        assert_error(server.client("scjg").post(f"/plans/{plan['id']}/publication"), 409, "plan_already_published")


def test_a_plan_published_after_the_first_quarter_is_flagged_late(server):  # R-PLAN-1
    server.services.clock.set(datetime(2026, 3, 31, 23, 59, tzinfo=SHANGHAI))
    on_time = published(server)
    server.services.clock.set(datetime(2026, 4, 1, 0, 1, tzinfo=SHANGHAI))
    late = created(server.client("scjg").post("/plans/{}/publication".format(
        draft(server, name="第二季度补充计划", item_ids=on_time["item_ids"])["id"])))
    assert on_time["published_late"] is False and late["published_late"] is True
    assert log_of(server, late["id"])[-1]["changes"]["published_late"] == [False, True]


def test_a_plan_whose_item_was_retired_is_not_published(server):  # R-ITEM-3
    plan = draft(server)
    created(server.client("scjg").post(f"/check-items/{plan['item_ids'][0]}/retirement", json={"reason": "撤销"}))
    with nothing_changed(server):
        assert_error(server.client("scjg").post(f"/plans/{plan['id']}/publication"), 422, "items_not_on_checklist")


# ---- adjustment -----------------------------------------------------------------------------------------
def test_adjusting_a_published_plan_records_the_reason(server):  # R-PLAN-1
    plan = published(server)
    body = body_of(plan, schedule={"quarters": [2, 3, 4]}, reason="上级部署第四季度专项抽查")
    adjusted = created(server.client("scjg").put(f"/plans/{plan['id']}", json=body), 200)
    assert adjusted["status"] == "published" and adjusted["adjustment_count"] == 1
    assert adjusted["adjustment_reason"] == "上级部署第四季度专项抽查"
    entry = log_of(server, plan["id"])[-1]
    assert entry["action"] == "adjusted" and entry["changes"] == {
        "schedule": [{"quarters": [2, 3]}, {"quarters": [2, 3, 4]}],
        "adjustment_reason": [None, "上级部署第四季度专项抽查"]}
    public = created(server.client().get(f"/public/plans/{plan['id']}"), 200)
    assert [(a["fields"], a["reason"]) for a in public["adjustments"]] == \
        [(["adjustment_reason", "schedule"], "上级部署第四季度专项抽查")]
    assert "actor_user" not in json.dumps(public)


def test_adjusting_a_published_plan_without_a_reason_is_422(server):  # R-PLAN-1
    plan = published(server)
    with nothing_changed(server):
        assert_error(server.client("scjg").put(f"/plans/{plan['id']}", json=body_of(plan, ratio="8")), 422,
                     "invalid_plan")


def test_a_published_plan_keeps_its_year(server):  # R-PLAN-1
    plan = published(server)
    with nothing_changed(server):
        assert_error(server.client("scjg").put(f"/plans/{plan['id']}", json=body_of(plan, year=2027, reason="改")),
                     409, "published_plan_year_fixed")


def test_an_adjustment_from_a_stale_version_is_409(server):  # R-PLAN-1
    plan = published(server)
    with nothing_changed(server):
        stale = body_of(plan, ratio="8", reason="风险上升", version=1)
        assert_error(server.client("scjg").put(f"/plans/{plan['id']}", json=stale), 409, "version_conflict")


def test_another_department_cannot_change_or_publish_a_plan(server):
    plan = draft(server)
    with nothing_changed(server):
        assert_error(server.client("wlj").put(f"/plans/{plan['id']}", json=body_of(plan)), 403, "not_own_department")
        assert_error(server.client("wlj").post(f"/plans/{plan['id']}/publication"), 403, "not_own_department")


def test_an_unknown_plan_is_404(server):
    unknown = "00000000-0000-4000-8000-000000000000"
    assert_error(server.client("scjg").get(f"/plans/{unknown}"), 404, "plan_not_found")
    assert_error(server.client("scjg").put(f"/plans/{unknown}", json=PLAN | {"item_ids": ["x"]}), 404)
    assert_error(server.client("scjg").post(f"/plans/{unknown}/publication"), 404, "plan_not_found")
    assert_error(server.client().get(f"/public/plans/{unknown}"), 404, "plan_not_found")


# ---- reading --------------------------------------------------------------------------------------------
def test_departments_see_their_drafts_and_everyones_published_plans(server):  # R-PLAN-1
    mine = draft(server)
    theirs_draft = draft(server, "wlj")
    theirs = created(server.client("gxj").post(f"/plans/{draft(server, 'gxj')['id']}/publication"))
    listed = created(server.client("scjg").get("/plans"), 200)
    assert {p["id"] for p in listed["items"]} == {mine["id"], theirs["id"]}
    assert created(server.client("office").get("/plans"), 200)["total"] == 3
    assert created(server.client("office").get("/plans", params={"status": "draft"}), 200)["total"] == 2
    assert created(server.client("scjg").get(f"/plans/{theirs['id']}"), 200)["status"] == "published"
    assert_error(server.client("scjg").get(f"/plans/{theirs_draft['id']}"), 403, "not_own_department")
    assert created(server.client("office").get(f"/plans/{theirs_draft['id']}"), 200)["department_code"] == "wlj"
    assert_error(server.client().get("/plans"), 401)


def test_the_plan_history_is_for_its_department_and_the_office(server):  # R-PLAN-1
    plan = published(server)
    history = created(server.client("office").get(f"/plans/{plan['id']}/changes"), 200)
    assert [e["action"] for e in history["items"]] == ["created", "published"]
    assert_error(server.client("wlj").get(f"/plans/{plan['id']}/changes"), 403, "not_own_department")


def test_an_adjustment_may_add_an_item_put_on_the_checklist_since(server):  # R-ITEM-3
    plan = published(server)
    extra = add_item(server, code="SCJG-B-001", ratio="20", item_class="B")
    adjusted = created(server.client("scjg").put(f"/plans/{plan['id']}", json=body_of(
        plan, item_ids=plan["item_ids"] + [extra["id"]], reason="新增重点事项")), 200)
    assert adjusted["classes"] == ["A", "B", "C"]
    assert ITEM["name"] in [i["name"] for i in adjusted["items"]]


def test_a_plan_whose_year_is_over_is_neither_published_nor_adjusted(server):  # R-PLAN-1
    server.services.clock.set(datetime(2026, 12, 31, 9, tzinfo=SHANGHAI))
    plan = draft(server)
    server.services.clock.set(datetime(2027, 1, 4, 9, tzinfo=SHANGHAI))
    with nothing_changed(server):
        assert_error(server.client("scjg").post(f"/plans/{plan['id']}/publication"), 409, "plan_year_closed")
        assert_error(server.client("scjg").put(f"/plans/{plan['id']}", json=body_of(plan, ratio="7")), 409,
                     "plan_year_closed")
