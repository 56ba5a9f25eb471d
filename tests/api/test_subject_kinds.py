"""Subjects of every kind — enterprises, individuals, institutions, products, projects, behaviours — in the
directory, its imports, lists and draws, on SQLite and PostgreSQL (R-SUBJ-3)."""
from __future__ import annotations

import json
import uuid
from unittest import mock

import pytest
from sqlalchemy import delete, select

from api.directory import importer
from api.directory.importer import ImportJob, run_import
from api.directory.stage_generic import SpoolStage
from api.storage.tables import imports, subjects
from api.storage.tables import change_log
from domain.usecases import Actor
from domain.codes import generate_resident_id, generate_uscc
from tests.api.test_imports import imported, write_csv, write_xlsx
from tests.support import assert_error, created

ENTERPRISE = generate_uscc(1)
PERSON = generate_resident_id(2)
INSTITUTION = generate_uscc(3, authority="1", kind="2", region="330106")  # 机构编制 authority, 事业单位
PRODUCT, PROJECT, BEHAVIOUR = "SC10633010600123", "2026-330106-47-01-000123", "HD-2026-0007"
HEADER = ["对象类型", "统一社会信用代码", "名称", "所属区域"]
EVERY_KIND = [["企业", ENTERPRISE, "示范餐饮有限公司", "东城区"], ["个体", PERSON, "张三小吃店", "东城区"],
              ["机关事业单位", INSTITUTION, "示范市第一中学", "西城区"], ["产品", PRODUCT, "示范牌酱油", "东城区"],
              ["项目", PROJECT, "幸福路改造工程", "西城区"], ["行为", BEHAVIOUR, "迎春灯会", "东城区"]]
KINDS = {ENTERPRISE: "enterprise", PERSON: "individual", INSTITUTION: "institution", PRODUCT: "product",
         PROJECT: "project", BEHAVIOUR: "behaviour"}
BASE = {"name": "示范牌酱油", "region": "东城区"}
WITNESSES = [{"name": "张律师", "role": "legal_adviser"}]


def kind_of(server, code: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    subject = created(server.client("wlj").get(f"/subjects/{code}"), 200)
    return subject["subject_kind"], subject["subject_kind_name"]


def rejected(view: dict) -> dict[int, str]:
    return {r["line"]: r["reason"] for r in view["rejected"]}


# ---- import ---------------------------------------------------------------------------------------------
def test_rows_of_every_kind_are_imported_with_their_kind_in_chinese(server, tmp_path):  # R-SUBJ-3
    view = imported(server, write_csv(tmp_path / "s.csv", HEADER, EVERY_KIND))
    assert view["status"] == "succeeded" and view["rows_created"] == 6, view
    assert {code: kind_of(server, code)[0] for code in KINDS} == KINDS
    assert kind_of(server, INSTITUTION) == ("institution", "机关事业单位")
    assert kind_of(server, PRODUCT) == ("product", "产品")


def test_a_product_is_imported_with_its_registry_number_from_xlsx_with_english_headers(server, tmp_path):
    # R-SUBJ-3: the English ids, lower-case registry numbers upper-cased
    rows = [["product", PRODUCT.lower(), "示范牌酱油"], ["behavior", BEHAVIOUR, "迎春灯会"], ["", ENTERPRISE, "甲公司"]]
    view = imported(server, write_xlsx(tmp_path / "s.xlsx", ["subject_kind", "code", "name"], rows))
    assert view["status"] == "succeeded", view
    assert kind_of(server, PRODUCT) == ("product", "产品") and kind_of(server, BEHAVIOUR)[0] == "behaviour"
    assert kind_of(server, ENTERPRISE)[0] == "enterprise"  # an empty kind is inferred from a valid USCC


def test_a_product_code_that_looks_like_a_uscc_is_rejected_with_its_line_number(server, tmp_path):  # R-SUBJ-3
    rows = [EVERY_KIND[3], ["产品", generate_uscc(7), "示范牌醋", ""], ["项目", "ABCDEFGHJKLMNPQRTU", "某工程", ""]]
    view = imported(server, write_csv(tmp_path / "s.csv", HEADER, rows))
    assert view["status"] == "failed" and view["rows_rejected"] == 2
    reasons = rejected(view)
    assert set(reasons) == {3, 4}
    assert "对象类型为「产品」" in reasons[3] and "同形" in reasons[3] and "统一社会信用代码" in reasons[3]
    assert "对象类型为「项目」" in reasons[4]
    assert view["rejected"][0]["key"] == generate_uscc(7)
    assert_error(server.client("scjg").get(f"/subjects/{PRODUCT}"), 404)  # a failed import changes nothing


def test_a_bad_uscc_for_an_institution_is_rejected_with_its_line_number(server, tmp_path):  # R-SUBJ-3
    wrong = INSTITUTION[:17] + ("0" if INSTITUTION[17] != "0" else "1")
    rows = [["机关事业单位", wrong, "示范市第一中学", ""], ["机关", PERSON, "示范市第二中学", ""],
            ["个人", ENTERPRISE, "李四", ""], EVERY_KIND[0]]
    view = imported(server, write_csv(tmp_path / "s.csv", HEADER, rows), allow_partial=True)
    assert view["status"] == "succeeded" and view["rows_created"] == 1
    reasons = rejected(view)
    assert set(reasons) == {2, 3, 4}
    assert "对象类型为「机关事业单位」" in reasons[2] and "校验位" in reasons[2]
    assert "它是有效的身份证号" in reasons[3]
    assert "对象类型为「个人」" in reasons[4] and "个体工商户请填对象类型「企业」" in reasons[4]


def test_a_registry_number_without_a_kind_or_an_unknown_kind_is_rejected(server, tmp_path):  # R-SUBJ-3
    rows = [["", PRODUCT, "示范牌酱油", ""], ["宇宙飞船", ENTERPRISE, "甲公司", ""], ["产品", "国械注准2015", "器械", ""]]
    reasons = rejected(imported(server, write_csv(tmp_path / "s.csv", HEADER, rows)))
    assert "须注明对象类型" in reasons[2]
    assert "对象类型「宇宙飞船」不是" in reasons[3]
    assert "1–32 位大写字母、数字" in reasons[4]


def test_without_the_kind_column_new_subjects_get_the_inferred_kind_and_others_keep_theirs(server, tmp_path):
    # R-SUBJ-3: a column left out leaves the field as it was
    assert imported(server, write_csv(tmp_path / "a.csv", HEADER, EVERY_KIND))["status"] == "succeeded"
    rows = [[INSTITUTION, "示范市第一中学（新校区）"], [generate_uscc(8), "乙公司"], [generate_resident_id(9), "王五"]]
    view = imported(server, write_csv(tmp_path / "b.csv", ["统一社会信用代码", "名称"], rows))
    assert (view["rows_created"], view["rows_updated"]) == (2, 1), view
    assert kind_of(server, INSTITUTION)[0] == "institution"
    assert kind_of(server, generate_uscc(8))[0] == "enterprise"
    assert kind_of(server, generate_resident_id(9))[0] == "individual"
    history = created(server.client("scjg").get(f"/subjects/{INSTITUTION}/changes"), 200)["items"]
    assert history[0]["changes"] == {"name": ["示范市第一中学", "示范市第一中学（新校区）"]}


def test_a_change_of_kind_is_in_the_change_log(server, tmp_path):  # R-SUBJ-3
    imported(server, write_csv(tmp_path / "a.csv", ["统一社会信用代码", "名称"], [[INSTITUTION, "示范市第一中学"]]))
    assert kind_of(server, INSTITUTION)[0] == "enterprise"  # what a valid USCC alone tells
    view = imported(server, write_csv(tmp_path / "b.csv", HEADER, [EVERY_KIND[2]]), user="wlj")
    assert view["rows_updated"] == 1
    update, creation = created(server.client("scjg").get(f"/subjects/{INSTITUTION}/changes"), 200)["items"]
    assert update["changes"] == {"subject_kind": ["enterprise", "institution"], "region": ["", "西城区"]}
    assert update["actor_user"] == "wlj"
    assert creation["derived"] is True and creation["changes"]["subject_kind"] == [None, "enterprise"]


def test_the_postgresql_fast_path_and_the_portable_path_give_the_same_directory_and_log(services, clock, tmp_path):
    # R-SUBJ-3 on both import paths: PostgreSQL takes COPY + one set-based statement, SQLite the portable one
    if services.settings.is_sqlite:
        pytest.skip("SQLite has the portable path only")
    files = [write_csv(tmp_path / "a.csv", ["统一社会信用代码", "名称"], [[ENTERPRISE, "甲"], [INSTITUTION, "乙"]]),
             write_csv(tmp_path / "b.csv", HEADER, EVERY_KIND + [["", ENTERPRISE, "甲公司", "北区"]]),
             write_csv(tmp_path / "c.csv", ["统一社会信用代码", "名称"], [[INSTITUTION, "丙"], [generate_uscc(8), "丁"]])]

    def run_all() -> tuple[list, list]:
        log = []
        for path in files:
            job = ImportJob(id=uuid.uuid4().hex, kind="subjects", path=path, filename=path.name,
                            actor=Actor("scjg", "scjg"), scope_department="scjg", log_each_created=True)
            assert run_import(services.engine, job, clock).status == "succeeded"
            with services.engine.connect() as conn:  # each import's log, by code (the paths write it in any order)
                log += [(r.entity_key, r.action, json.loads(r.changes)) for r in conn.execute(
                    select(change_log).where(change_log.c.batch == job.id).order_by(change_log.c.entity_key))]
        with services.engine.begin() as conn:
            rows = [dict(r) for r in conn.execute(select(subjects).order_by(subjects.c.code)).mappings()]
            for table in (change_log, subjects, imports):
                conn.execute(delete(table))
        return [{k: v for k, v in r.items() if k != "created_by_import"} for r in rows], log

    fast = run_all()
    portable = mock.patch.object(importer, "_stage", lambda conn, spec, present, applying: SpoolStage(
        spec, present, applying))
    with portable:
        assert run_all() == fast
    assert {r["code"]: r["subject_kind"] for r in fast[0]}[INSTITUTION] == "institution"


# ---- one record -----------------------------------------------------------------------------------------
def test_a_product_is_put_with_its_registry_number(server):  # R-SUBJ-3
    body = created(server.client("scjg").put(f"/subjects/{PRODUCT.lower()}", json=BASE | {"subject_kind": "产品"}), 201)
    assert body["record"]["code"] == PRODUCT and body["record"]["subject_kind_name"] == "产品"
    assert body["changes"]["subject_kind"] == [None, "product"]


def test_a_put_whose_code_does_not_fit_its_kind_is_an_invalid_code(server):  # R-SUBJ-3
    client = server.client("scjg")
    error = assert_error(client.put(f"/subjects/{ENTERPRISE}", json=BASE | {"subject_kind": "product"}), 422,
                         "invalid_code")
    assert "同形" in error["message"] and error["details"][0]["field"] == "code"
    assert "须注明对象类型" in assert_error(client.put(f"/subjects/{PRODUCT}", json=BASE), 422, "invalid_code")["message"]
    assert_error(client.put(f"/subjects/{PRODUCT}", json=BASE | {"subject_kind": "飞船"}), 422, "validation_error")
    assert_error(client.put("/subjects/" + "A" * 33, json=BASE | {"subject_kind": "product"}), 422, "invalid_code")


# ---- lists and draws ------------------------------------------------------------------------------------
def test_subjects_are_filtered_by_kind(server, tmp_path):  # R-SUBJ-3
    imported(server, write_csv(tmp_path / "s.csv", HEADER, EVERY_KIND))
    client = server.client("wlj")

    def codes(query: str) -> set[str]:
        return {i["code"] for i in created(client.get(f"/subjects?{query}"), 200)["items"]}

    assert codes("subject_kind=product&subject_kind=project") == {PRODUCT, PROJECT}
    assert codes("subject_kind=institution") == {INSTITUTION}
    assert codes("subject_kind=behaviour&region=东城区") == {BEHAVIOUR}
    assert len(codes("")) == 6
    assert_error(client.get("/subjects?subject_kind=产品"), 422, "validation_error")


def test_a_draw_pool_can_be_limited_to_some_kinds(server, tmp_path):  # R-SUBJ-3, R-DRAW-1
    imported(server, write_csv(tmp_path / "s.csv", HEADER, EVERY_KIND))
    lead = server.client("scjg")
    task = created(lead.initiate())
    criteria = {"subject_kinds": ["product", "project"], "count": 2}
    committed = lead.post(f"/joint-tasks/{task['id']}/draws", json={"criteria": criteria, "witnesses": WITNESSES})
    draw_id = created(committed)["draw_id"]
    result = created(lead.post(f"/joint-tasks/{task['id']}/draws/{draw_id}/execution"))
    assert result["pool_size"] == 2, result
    record = lead.get(f"/draws/{draw_id}").json()
    assert set(record["drawn"]) == {PRODUCT, PROJECT} and record["criteria"]["subject_kinds"] == ["product", "project"]
    assert lead.get(f"/draws/{draw_id}/verification").json()["match"] is True
    bad = lead.post(f"/joint-tasks/{task['id']}/draws",
                    json={"criteria": {"subject_kinds": ["飞船"], "count": 1}, "witnesses": WITNESSES})
    assert_error(bad, 422)
