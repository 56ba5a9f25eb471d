"""The checklist over HTTP: department items, retirement, the joint checklist and public reads (R-ITEM-1..4)."""
from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Iterator

import pytest
from sqlalchemy import func, select

from api.storage.checklist import check_items, plans, task_item_lookup
from api.storage.tables import change_log
from domain.checklist_rules import check_task_items
from domain.clock import SHANGHAI
from tests.support import LiveServer, assert_error, created, idempotency

ITEM = {"code": "SCJG-A-001", "name": "食品经营许可事项检查", "subject_type": "食品经营者",
        "content": "许可证件、经营场所与许可一致性", "category": "食品安全", "methods": ["on_site", "written"],
        "level": "city", "legal_basis": "《食品安全法》第一百一十条", "ratio": "10", "frequency": 2,
        "item_class": "A"}
JOINT = ITEM | {"code": "SCJG-C-001", "name": "餐饮单位联合检查", "subject_type": "餐饮服务单位",
                "item_class": "C", "ratio": "20", "partner_departments": ["wlj"]}
PUBLIC_FIELDS = {"id", "department_code", "department_name", "code", "name", "subject_type", "content", "category",
                 "methods", "level", "legal_basis", "ratio", "frequency", "item_class", "partner_departments",
                 "status", "retired_at", "updated_at"}
PRIVATE_FIELDS = {"created_by", "updated_by", "version", "unannounced", "exemption_override", "retirement_reason"}


@pytest.fixture(autouse=True)
def empty_checklist(services) -> None:  # type: ignore[no-untyped-def]
    """These tests build the checklist from nothing: remove the demo items every other test starts with."""
    with services.engine.begin() as conn:
        conn.execute(check_items.delete())


def add_item(server: LiveServer, department: str = "scjg", **overrides: Any) -> dict:
    return created(server.client(department).post("/check-items", json=ITEM | overrides))


def log_of(server: LiveServer, key: str) -> list[dict]:
    with server.services.engine.connect() as conn:
        rows = conn.execute(select(change_log).where(change_log.c.entity_key == key).order_by(change_log.c.id))
        return [dict(r._mapping) | {"changes": json.loads(r.changes)} for r in rows]


@contextmanager
def nothing_changed(server: LiveServer) -> Iterator[None]:
    """Asserts the block leaves the checklist, the plans and the change log exactly as they were."""
    def snapshot() -> tuple:
        with server.services.engine.connect() as conn:
            return (conn.execute(select(func.count()).select_from(change_log)).scalar_one(),
                    [tuple(r) for r in conn.execute(select(check_items).order_by(check_items.c.id))],
                    [tuple(r) for r in conn.execute(select(plans).order_by(plans.c.id))])
    before = snapshot()
    yield
    assert snapshot() == before, "a refused command changed something"


# ---- adding ---------------------------------------------------------------------------------------------
def test_a_department_adds_an_item_and_the_change_log_records_it(server):  # R-ITEM-1 R-ITEM-2
    item = add_item(server, unannounced=True, exemption_override="safety")
    assert item["department_code"] == "scjg" and item["department_name"] == "市场监督管理局"
    assert item["ratio"] == "10.00" and item["item_class"] == "A" and item["status"] == "active"
    assert item["methods"] == ["on_site", "written"] and item["version"] == 1 and item["created_by"] == "scjg"
    assert item["unannounced"] is True and item["exemption_override"] == "safety"
    assert created(server.client("wlj").get(f"/check-items/{item['id']}"), 200) == item
    [entry] = log_of(server, item["id"])
    assert (entry["entity"], entry["action"], entry["actor_user"], entry["actor_department"]) == \
        ("check_item", "created", "scjg", "scjg")
    assert entry["changes"]["ratio"] == [None, "10.00"] and entry["changes"]["name"] == [None, ITEM["name"]]


def test_ten_percent_is_class_a_and_ten_point_zero_one_is_class_b(server):  # R-ITEM-2 R-CAL-3
    with nothing_changed(server):
        error = assert_error(server.client("scjg").post("/check-items", json=ITEM | {"item_class": "B"}), 422,
                             "class_ratio_mismatch")
        assert_error(server.client("scjg").post("/check-items", json=ITEM | {"ratio": "10.01"}), 422,
                     "class_ratio_mismatch")
    assert "10%以上（不含10%）" in error["message"] and error["details"]["field"] == "ratio"
    assert add_item(server)["item_class"] == "A"
    assert add_item(server, code="SCJG-B-001", ratio=10.01, item_class="B")["ratio"] == "10.01"


MALFORMED = [
    ({k: v for k, v in ITEM.items() if k != "legal_basis"}, "validation_error"),
    (ITEM | {"methods": ["telepathy"]}, "validation_error"),
    (ITEM | {"methods": []}, "validation_error"),
    (ITEM | {"level": "galaxy"}, "validation_error"),
    (ITEM | {"ratio": "abc"}, "validation_error"),
    (ITEM | {"frequency": 0}, "validation_error"),
    (ITEM | {"item_class": "D"}, "validation_error"),
    (ITEM | {"priority": "high"}, "validation_error"),
    (ITEM | {"name": "   "}, "invalid_check_item"),
    (ITEM | {"ratio": "0"}, "invalid_check_item"),
    (ITEM | {"ratio": "10.001"}, "invalid_check_item"),
    (ITEM | {"ratio": "100.5", "item_class": "B"}, "invalid_check_item"),
    (ITEM | {"partner_departments": ["wlj"]}, "invalid_check_item"),
    (JOINT | {"partner_departments": ["nope"]}, "unknown_department"),
    (JOINT | {"partner_departments": ["lhbgs"]}, "unknown_department"),
]


def test_malformed_items_are_422_with_the_error_shape_and_change_nothing(server):  # R-ITEM-1
    with nothing_changed(server):
        for body, code in MALFORMED:
            assert_error(server.client("scjg").post("/check-items", json=body), 422, code)


def test_adding_needs_a_department_staff_login(server):  # R-ITEM-4
    with nothing_changed(server):
        assert_error(server.client().post("/check-items", json=ITEM), 401, "unauthenticated")
        assert_error(server.client("office").post("/check-items", json=JOINT), 403, "not_department_staff")


def test_an_item_code_is_unique_in_a_department_but_not_across(server):  # R-ITEM-1
    add_item(server)
    with nothing_changed(server):
        assert_error(server.client("scjg").post("/check-items", json=ITEM), 409, "duplicate_item_code")
    assert add_item(server, "wlj")["code"] == ITEM["code"]


def test_concurrent_adds_of_one_code_make_one_item(server):  # R-ITEM-1
    answers: list[int] = []

    def post() -> None:
        answers.append(server.client("scjg").post("/check-items", json=ITEM).status_code)
    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [201, 409, 409, 409]


# ---- changing and retiring ------------------------------------------------------------------------------
def test_an_update_records_only_the_changed_fields(server):  # R-ITEM-3
    item = add_item(server)
    body = ITEM | {"ratio": "15", "item_class": "B", "content": "许可证件与实际经营一致", "version": 1}
    updated = created(server.client("scjg").put(f"/check-items/{item['id']}", json=body), 200)
    assert updated["version"] == 2 and updated["item_class"] == "B" and updated["ratio"] == "15.00"
    entry = log_of(server, item["id"])[-1]
    assert entry["action"] == "updated" and entry["changes"] == {
        "content": [ITEM["content"], "许可证件与实际经营一致"], "ratio": ["10.00", "15.00"], "item_class": ["A", "B"]}


def test_an_update_that_changes_nothing_records_nothing(server):  # R-ITEM-3
    item = add_item(server)
    with nothing_changed(server):
        assert created(server.client("scjg").put(f"/check-items/{item['id']}", json=ITEM), 200)["version"] == 1


def test_an_update_from_a_stale_version_is_409(server):  # R-ITEM-3
    item = add_item(server)
    created(server.client("scjg").put(f"/check-items/{item['id']}", json=ITEM | {"frequency": 3}), 200)
    with nothing_changed(server):
        error = assert_error(server.client("scjg").put(f"/check-items/{item['id']}",
                                                       json=ITEM | {"frequency": 4, "version": 1}), 409,
                             "version_conflict")
    assert error["details"] == {"current_version": 2}


def test_concurrent_updates_both_land_in_order(server):  # R-ITEM-3
    item = add_item(server)
    answers: list[int] = []

    def put(frequency: int) -> None:
        answers.append(server.client("scjg").put(f"/check-items/{item['id']}",
                                                 json=ITEM | {"frequency": frequency}).status_code)
    threads = [threading.Thread(target=put, args=(f,)) for f in (5, 6, 7)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == [200, 200, 200]
    assert created(server.client("scjg").get(f"/check-items/{item['id']}"), 200)["version"] == 4
    assert [e["action"] for e in log_of(server, item["id"])] == ["created", "updated", "updated", "updated"]


def test_another_department_cannot_change_or_retire_an_item(server):
    item = add_item(server)
    with nothing_changed(server):
        assert_error(server.client("wlj").put(f"/check-items/{item['id']}", json=ITEM), 403, "not_own_department")
        assert_error(server.client("wlj").post(f"/check-items/{item['id']}/retirement", json={"reason": "不需要"}),
                     403, "not_own_department")


def test_an_unknown_item_is_404_and_a_malformed_id_422(server):
    unknown = "00000000-0000-4000-8000-000000000000"
    assert_error(server.client("scjg").get(f"/check-items/{unknown}"), 404, "check_item_not_found")
    assert_error(server.client("scjg").put(f"/check-items/{unknown}", json=ITEM), 404, "check_item_not_found")
    assert_error(server.client("scjg").post(f"/check-items/{unknown}/retirement", json={"reason": "无"}), 404)
    assert_error(server.client("scjg").get("/check-items/not-a-uuid"), 422, "validation_error")


def test_a_retired_item_stays_on_record_and_cannot_be_changed(server):  # R-ITEM-3
    item = add_item(server)
    retired = created(server.client("scjg").post(f"/check-items/{item['id']}/retirement",
                                                 json={"reason": "法规修订，并入新事项"}))
    assert retired["status"] == "retired" and retired["retirement_reason"] == "法规修订，并入新事项"
    assert created(server.client("scjg").get(f"/check-items/{item['id']}"), 200)["status"] == "retired"
    with nothing_changed(server):
        assert_error(server.client("scjg").put(f"/check-items/{item['id']}", json=ITEM), 409, "check_item_retired")
        assert_error(server.client("scjg").post(f"/check-items/{item['id']}/retirement", json={"reason": "再次"}),
                     409, "check_item_retired")
    assert log_of(server, item["id"])[-1]["changes"] == {"status": ["active", "retired"],
                                                         "retirement_reason": [None, "法规修订，并入新事项"]}


def test_retirement_needs_a_reason(server):  # R-ITEM-3
    item = add_item(server)
    with nothing_changed(server):
        assert_error(server.client("scjg").post(f"/check-items/{item['id']}/retirement", json={"reason": "  "}), 422)
        assert_error(server.client("scjg").post(f"/check-items/{item['id']}/retirement", json={}), 422,
                     "validation_error")


def test_a_retried_command_returns_the_first_answer_and_records_once(server):
    first = server.client("scjg").post("/check-items", json=ITEM, headers=idempotency("item-1"))
    again = server.client("scjg").post("/check-items", json=ITEM, headers=idempotency("item-1"))
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    assert again.headers["Idempotent-Replay"] == "true" and len(log_of(server, first.json()["id"])) == 1
    assert_error(server.client("scjg").post("/check-items", json=ITEM | {"code": "other"},
                                            headers=idempotency("item-1")), 422, "idempotency_key_reused")


# ---- reading --------------------------------------------------------------------------------------------
def test_items_are_listed_filtered_searched_and_paginated(server):  # R-ITEM-3
    a = add_item(server)
    c = add_item(server, **JOINT)
    w = add_item(server, "wlj", code="WLJ-B-001", name="娱乐场所经营检查", ratio="30", item_class="B")
    created(server.client("scjg").post(f"/check-items/{a['id']}/retirement", json={"reason": "合并"}))
    client = server.client("gxj")
    everything = created(client.get("/check-items"), 200)
    assert everything["total"] == 3 and [i["id"] for i in everything["items"]] == [a["id"], c["id"], w["id"]]
    assert [i["id"] for i in client.get("/check-items", params={"department": "scjg"}).json()["items"]] == \
        [a["id"], c["id"]]
    assert [i["id"] for i in client.get("/check-items", params={"item_class": "C"}).json()["items"]] == [c["id"]]
    assert [i["id"] for i in client.get("/check-items", params={"status": "active"}).json()["items"]] == \
        [c["id"], w["id"]]
    assert [i["id"] for i in client.get("/check-items", params={"q": "娱乐"}).json()["items"]] == [w["id"]]
    assert [i["id"] for i in client.get("/check-items", params={"q": "100%"}).json()["items"]] == []
    page = client.get("/check-items", params={"page": 2, "page_size": 2}).json()
    assert page["total"] == 3 and [i["id"] for i in page["items"]] == [w["id"]]
    assert [i["id"] for i in server.client("wlj").get("/check-items", params={"scope": "own"}).json()["items"]] == \
        [w["id"]]
    assert_error(client.get("/check-items", params={"item_class": "Z"}), 422, "validation_error")
    assert_error(server.client().get("/check-items"), 401)


def test_the_change_log_is_read_by_the_department_and_the_office_only(server):  # R-ITEM-3
    item = add_item(server)
    for user in ("scjg", "office"):
        entries = created(server.client(user).get(f"/check-items/{item['id']}/changes"), 200)
        assert [e["action"] for e in entries["items"]] == ["created"] and entries["items"][0]["actor_user"] == "scjg"
    assert_error(server.client("wlj").get(f"/check-items/{item['id']}/changes"), 403, "not_own_department")


def test_the_joint_checklist_is_every_departments_c_items(server):  # R-ITEM-4
    add_item(server)
    c1 = add_item(server, **JOINT)
    c2 = add_item(server, "wlj", **(JOINT | {"code": "WLJ-C-001", "name": "娱乐场所联合检查",
                                             "partner_departments": ["scjg"]}))
    c3 = add_item(server, "gxj", **(JOINT | {"code": "GXJ-C-001", "subject_type": "工业企业",
                                             "partner_departments": []}))
    joint = created(server.client("office").get("/joint-checklist"), 200)
    assert joint["year"] == 2026 and joint["total"] == 3
    assert [i["id"] for i in joint["items"]] == [c3["id"], c1["id"], c2["id"]]  # by subject type, department
    assert joint["subject_types"] == [{"subject_type": "工业企业", "departments": ["gxj"]},
                                      {"subject_type": "餐饮服务单位", "departments": ["scjg", "wlj"]}]


def test_the_joint_checklist_of_a_year_holds_the_items_in_force_that_year(server):  # R-ITEM-4 R-ITEM-3
    server.services.clock.set(datetime(2026, 12, 31, 9, tzinfo=SHANGHAI))
    item = add_item(server, **JOINT)
    server.services.clock.set(datetime(2026, 12, 31, 23, 30, tzinfo=SHANGHAI))  # 15:30 UTC: still 2026 in Shanghai
    created(server.client("scjg").post(f"/check-items/{item['id']}/retirement", json={"reason": "年底撤销"}))
    office = server.client("office")
    assert [i["status"] for i in office.get("/joint-checklist", params={"year": 2026}).json()["items"]] == ["retired"]
    assert office.get("/joint-checklist", params={"year": 2027}).json()["total"] == 0
    assert office.get("/joint-checklist", params={"year": 2025}).json()["total"] == 0


def test_the_joint_checklist_is_for_the_office(server):  # R-ITEM-4
    assert_error(server.client("scjg").get("/joint-checklist"), 403, "office_only")
    assert_error(server.client().get("/joint-checklist"), 401, "unauthenticated")


# ---- public ---------------------------------------------------------------------------------------------
def test_the_public_reads_active_items_of_every_department_without_internal_fields(server):  # R-ITEM-3 R-PUB-3
    a = add_item(server, unannounced=True, exemption_override="complaint")
    w = add_item(server, "wlj", code="WLJ-B-001", ratio="30", item_class="B")
    gone = add_item(server, code="SCJG-A-002")
    created(server.client("scjg").post(f"/check-items/{gone['id']}/retirement", json={"reason": "内部原因：人手不足"}))
    public = created(server.client().get("/public/check-items"), 200)
    assert [i["id"] for i in public["items"]] == [a["id"], w["id"]] and public["total"] == 2
    for entry in public["items"]:
        assert set(entry) == PUBLIC_FIELDS and not PRIVATE_FIELDS & set(entry)
    assert "内部原因" not in json.dumps(public, ensure_ascii=False)
    filtered = server.client().get("/public/check-items", params={"department": "wlj", "item_class": "B"}).json()
    assert [i["id"] for i in filtered["items"]] == [w["id"]]


def test_the_public_reads_the_joint_checklist_without_internal_fields(server):  # R-ITEM-4 R-PUB-3
    add_item(server)
    c = add_item(server, **JOINT, unannounced=True)
    public = created(server.client().get("/public/joint-checklist", params={"year": 2026}), 200)
    assert [i["id"] for i in public["items"]] == [c["id"]] and set(public["items"][0]) == PUBLIC_FIELDS
    assert public["subject_types"] == [{"subject_type": "餐饮服务单位", "departments": ["scjg"]}]
    assert_error(server.client().get("/public/joint-checklist", params={"year": 1900}), 422, "validation_error")


def test_joint_task_items_resolve_against_the_stored_checklist(server):  # R-ITEM-3 R-JOINT-2
    c = add_item(server, **JOINT)
    add_item(server, "wlj", **(JOINT | {"code": "WLJ-C-001", "partner_departments": []}))  # same name, wlj
    a = add_item(server)
    entries = [c["id"], JOINT["name"]]
    with server.services.engine.connect() as conn:
        by_id, by_name = task_item_lookup(conn, entries, ["scjg", "gxj"])
    assert check_task_items(entries, by_id, by_name, ["scjg", "gxj"]) == (c["id"],)
    with server.services.engine.connect() as conn:
        by_id, by_name = task_item_lookup(conn, [JOINT["name"], a["id"]], ["scjg", "wlj"])
    assert by_name[JOINT["name"]] and len(by_name[JOINT["name"]]) == 2 and by_id[a["id"]].item_class == "A"
