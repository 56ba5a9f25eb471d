"""The subject and inspector directories record by record, on SQLite and PostgreSQL (R-SUBJ-1..4, R-INSP-1..3)."""
from __future__ import annotations

from datetime import datetime

from domain.codes import generate_resident_id, generate_uscc
from tests.support import assert_error, created, idempotency

CODE = generate_uscc(42)
INDIVIDUAL = generate_resident_id(1234)  # an individual business keyed by its owner's resident ID (R-SUBJ-1)
SUBJECT = {"name": "示范市幸福餐饮有限公司", "address": "示范市东城区幸福路 1 号", "legal_representative": "张三",
           "contact": "0571-88888888", "region": "东城区", "industry": "餐饮服务", "risk_level": "high",
           "credit_class": "C", "abnormal_operation": False, "key_attention": True, "dishonest": False,
           "serious_violation": False, "complaints_count": 2, "exempt": False, "deregistered": False,
           "tags": ["食品", "校园周边"]}
INSPECTOR_ID = generate_resident_id(7)  # male
INSPECTOR = {"name": "李四", "post": "执法科科员", "certificate_no": "33010020180001",
             "certificate_expires": "2028-12-31", "qualifications": ["食品"], "area": "东城区",
             "contact": "13900000000"}


def put(server, code: str, user: str = "scjg", **changes):  # type: ignore[no-untyped-def]
    return server.client(user).put(f"/subjects/{code}", json=SUBJECT | changes)


def put_inspector(server, resident_id: str = INSPECTOR_ID, user: str = "scjg",  # type: ignore[no-untyped-def]
                  **changes):
    return server.client(user).put(f"/inspectors/{resident_id}", json=INSPECTOR | changes)


# ---- subjects -------------------------------------------------------------------------------------------
def test_put_creates_a_subject_then_replaces_it_logging_who_when_and_what(server, clock):  # R-SUBJ-1, R-SUBJ-4
    first = created(put(server, CODE), 201)
    assert first["created"] is True and first["record"]["credit_class"] == "C"
    second = created(put(server, CODE, user="wlj", credit_class="D", dishonest=True), 200)
    assert second["changes"] == {"credit_class": ["C", "D"], "dishonest": [False, True]}
    history = created(server.client("office").get(f"/subjects/{CODE}/changes"), 200)
    assert history["total"] == 2
    latest, creation = history["items"]
    assert (latest["action"], latest["actor_user"], latest["actor_department"]) == ("updated", "wlj", "wlj")
    assert latest["changes"] == {"credit_class": ["C", "D"], "dishonest": [False, True]}
    assert datetime.fromisoformat(latest["at"]) == clock.now()
    assert creation["action"] == "created" and creation["changes"]["name"] == [None, SUBJECT["name"]]


def test_put_with_nothing_changed_logs_nothing(server):
    created(put(server, CODE), 201)
    assert created(put(server, CODE), 200)["changes"] == {}
    assert created(server.client("scjg").get(f"/subjects/{CODE}/changes"), 200)["total"] == 1


def test_an_individual_is_keyed_by_a_valid_resident_id(server):  # R-SUBJ-1
    created(put(server, INDIVIDUAL.lower()), 201)
    assert created(server.client("scjg").get(f"/subjects/{INDIVIDUAL}"), 200)["code"] == INDIVIDUAL


def test_a_code_with_a_wrong_check_character_is_refused(server):  # R-SUBJ-1
    wrong = CODE[:17] + ("0" if CODE[17] != "0" else "1")
    error = assert_error(put(server, wrong), 422, "invalid_code")
    assert "校验位" in error["message"]


def test_invalid_fields_are_each_named_in_chinese(server):  # R-SUBJ-4
    response = put(server, CODE, credit_class="E", complaints_count=-1, exempt="也许", colour="红")
    error = assert_error(response, 422, "validation_error")
    fields = {p["field"] for p in error["details"]}
    assert fields == {"credit_class", "complaints_count", "exempt", "colour"}
    assert "信用等级" in error["message"]
    assert_error(server.client("scjg").put(f"/subjects/{CODE}", json=SUBJECT | {"name": ""}), 422)


def test_reading_subjects_needs_a_login_and_writing_a_writing_role(server):
    assert_error(server.client().get("/subjects"), 401, "unauthenticated")
    assert_error(server.client().put(f"/subjects/{CODE}", json=SUBJECT), 401)
    assert_error(put(server, CODE, user="admin"), 403, "no_write_role")


def test_an_unknown_subject_is_404_and_so_is_its_history(server):
    assert_error(server.client("scjg").get(f"/subjects/{CODE}"), 404, "subject_not_found")
    assert_error(server.client("scjg").get(f"/subjects/{CODE}/changes"), 404, "subject_not_found")


def test_subjects_are_filtered_searched_sorted_and_paginated(server):  # R-SUBJ-2, R-SUBJ-4
    for n, (region, credit, flagged, tags) in enumerate([("东城区", "A", False, ["食品"]), ("东城区", "C", True, []),
                                                          ("西城区", "C", False, ["食品", "冷链"]),
                                                          ("东城区", "D", True, ["冷链"])]):
        created(put(server, generate_uscc(n), name=f"企业{n}", region=region, credit_class=credit,
                    abnormal_operation=flagged, tags=tags, complaints_count=n), 201)
    client = server.client("wlj")

    def codes(query: str) -> list[str]:
        return [i["code"] for i in created(client.get(f"/subjects?{query}"), 200)["items"]]

    assert codes("region=东城区&industry=餐饮服务") == [generate_uscc(n) for n in (0, 1, 3)]
    assert codes("credit_class=C&credit_class=D") == [generate_uscc(n) for n in (1, 2, 3)]
    assert codes("flag=abnormal_operation&region=东城区") == [generate_uscc(n) for n in (1, 3)]
    assert codes("tag=冷链") == [generate_uscc(n) for n in (2, 3)]
    assert codes("q=企业2") == [generate_uscc(2)]
    assert codes(f"q={generate_uscc(3)[:16]}") == [generate_uscc(3)]
    assert codes("sort=complaints_count&order=desc&page=2&page_size=2") == [generate_uscc(n) for n in (1, 0)]
    assert created(client.get("/subjects?page_size=2"), 200)["total"] == 4
    assert_error(client.get("/subjects?credit_class=E"), 422, "validation_error")


def test_idempotent_put_returns_the_first_answer(server):
    client = server.client("scjg")
    first = client.put(f"/subjects/{CODE}", json=SUBJECT, headers=idempotency("s-1"))
    again = client.put(f"/subjects/{CODE}", json=SUBJECT, headers=idempotency("s-1"))
    assert created(again, 201) == created(first, 201) and again.headers["Idempotent-Replay"] == "true"


# ---- inspectors -----------------------------------------------------------------------------------------
def test_a_department_registers_its_own_inspector_with_gender_from_the_id(server):  # R-INSP-1
    body = created(put_inspector(server), 201)["record"]
    assert (body["department_code"], body["gender"], body["status"]) == ("scjg", "male", "active")
    assert body["certified"] is True and body["available"] is True
    renamed = created(put_inspector(server, department_code="市场监督管理局", name="李四四"), 200)
    assert renamed["changes"] == {"name": ["李四", "李四四"]}  # its own department, given by name


def test_a_department_cannot_register_or_change_another_departments_inspector(server):  # R-INSP-1
    assert_error(put_inspector(server, department_code="wlj"), 403, "other_department")
    created(put_inspector(server, user="office", department_code="wlj"), 201)
    assert_error(put_inspector(server, name="改名"), 403, "other_department")


def test_inspector_lists_are_department_scoped_and_the_office_sees_all(server):
    created(put_inspector(server), 201)
    created(put_inspector(server, generate_resident_id(9), user="wlj", name="王五"), 201)
    assert [i["name"] for i in created(server.client("scjg").get("/inspectors"), 200)["items"]] == ["李四"]
    assert created(server.client("office").get("/inspectors"), 200)["total"] == 2
    assert [i["name"] for i in created(server.client("office").get("/inspectors?department=wlj"), 200)["items"]] \
        == ["王五"]
    assert_error(server.client("scjg").get("/inspectors?department=wlj"), 403, "other_department")
    assert_error(server.client("scjg").get(f"/inspectors/{generate_resident_id(9)}"), 404, "inspector_not_found")
    assert created(server.client("wlj").get(f"/inspectors/{generate_resident_id(9)}"), 200)["name"] == "王五"


def test_an_inspector_is_unavailable_until_a_date_and_must_say_which(server, clock):  # R-INSP-1
    assert_error(put_inspector(server, status="unavailable"), 422, "validation_error")
    record = created(put_inspector(server, status="unavailable", unavailable_until="2026-03-10"), 201)["record"]
    assert record["available"] is False and record["unavailable_until"] == "2026-03-10"
    clock.set(datetime(2026, 3, 11, 9, tzinfo=clock.now().tzinfo))
    assert created(server.client("scjg").get(f"/inspectors/{INSPECTOR_ID}"), 200)["available"] is True


def test_an_inspector_with_a_wrong_gender_or_id_is_refused(server):  # R-INSP-1
    assert_error(put_inspector(server, gender="female"), 422, "validation_error")
    wrong = INSPECTOR_ID[:17] + ("0" if INSPECTOR_ID[17] != "0" else "1")
    assert_error(put_inspector(server, wrong), 422, "invalid_code")


def test_inspector_changes_are_logged(server):  # R-INSP-1
    created(put_inspector(server), 201)
    created(put_inspector(server, post="执法科科长"), 200)
    items = created(server.client("scjg").get(f"/inspectors/{INSPECTOR_ID}/changes"), 200)["items"]
    assert items[0]["changes"] == {"post": ["执法科科员", "执法科科长"]} and items[0]["actor_user"] == "scjg"


def test_the_public_sees_name_gender_department_post_and_certificate_only(server):  # R-INSP-3
    created(put_inspector(server), 201)
    response = server.client().get("/public/inspectors")
    body = created(response, 200)
    assert body["items"] == [{"name": "李四", "gender": "male", "department_code": "scjg",
                              "department_name": "市场监督管理局", "post": "执法科科员",
                              "certificate_no": "33010020180001"}]
    assert INSPECTOR_ID not in response.text and INSPECTOR["contact"] not in response.text
    searched = server.client().get(f"/public/inspectors?q={INSPECTOR_ID[:10]}")
    assert created(searched, 200)["total"] == 0  # the ID number is not even searchable
