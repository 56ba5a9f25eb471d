"""Importing the subject and inspector directories from CSV and XLSX, on SQLite and PostgreSQL (R-SUBJ-1..4, R-INSP-1).

Codes are made by domain.codes' generators (valid by construction); a wrong check character is made by changing the
last character of a valid one.
"""
from __future__ import annotations

import csv
import hashlib
import json
import sqlite3
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import func, select, text

from api.directory.importer import ImportJob, run_import
from api.storage.tables import subjects
from api.storage.tables import change_log
from domain.usecases import Actor
from domain.codes import generate_resident_id, generate_uscc
from tests.support import assert_error, created, idempotency

HEADER = ["统一社会信用代码", "名称", "住所", "法定代表人", "联系电话", "所属区域", "所属行业", "风险等级", "信用等级",
          "经营异常名录", "重点关注", "失信", "严重违法", "投诉次数", "免检", "注销吊销", "标签"]
CODES = [generate_uscc(n) for n in range(10)]
WRONG_CHECK = CODES[9][:17] + ("0" if CODES[9][17] != "0" else "1")


def subject_row(n: int, **changes: str) -> list[str]:
    row = {"code": CODES[n], "name": f"示范餐饮有限公司{n}号店", "address": f"幸福路{n}号", "rep": "张三",
           "contact": "0571-88888888", "region": "东城区" if n % 2 else "西城区", "industry": "餐饮服务",
           "risk": "中", "credit": "ABCD"[n % 4], "abnormal": "否", "key": "是" if n == 3 else "否", "dishonest": "否",
           "serious": "否", "complaints": str(n), "exempt": "否", "deregistered": "否", "tags": "食品;校园周边"}
    row.update(changes)
    return list(row.values())


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8-sig") -> Path:
    with open(path, "w", newline="", encoding=encoding) as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list]) -> Path:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("检查对象")
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def upload(client, path: Path, kind: str = "subjects", allow_partial: bool = False,  # type: ignore[no-untyped-def]
           **kwargs):
    with open(path, "rb") as f:
        return client.post(f"/{kind}/imports", files={"file": (path.name, f.read())},
                           data={"allow_partial": "true" if allow_partial else "false"}, **kwargs)


def finished(client, response, timeout: float = 30) -> dict:  # type: ignore[no-untyped-def]
    """The import's view once it is no longer running."""
    import_id = created(response, 202)["id"]
    deadline = time.monotonic() + timeout
    while True:
        view = created(client.get(f"/imports/{import_id}"), 200)
        if view["status"] != "running":
            return view
        assert time.monotonic() < deadline, view
        time.sleep(0.02)


def imported(server, path: Path, user: str = "scjg", **kwargs) -> dict:  # type: ignore[no-untyped-def]
    client = server.client(user)
    return finished(client, upload(client, path, **kwargs))


def directory_checksum(server) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    """Every subject row and the change log's size: equal before and after means the directory was untouched."""
    with server.services.engine.connect() as conn:
        rows = conn.execute(select(subjects).order_by(subjects.c.code)).mappings().all()
        logged = conn.execute(select(func.count()).select_from(change_log)).scalar_one()
    blob = json.dumps([dict(r) for r in rows], default=str, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest(), logged


def test_csv_import_creates_every_subject_and_reports_the_counts(server, tmp_path):  # R-SUBJ-1, R-SUBJ-4
    view = imported(server, write_csv(tmp_path / "s.csv", HEADER, [subject_row(n) for n in range(5)]))
    assert view["status"] == "succeeded", view
    assert (view["rows_total"], view["rows_ok"], view["rows_rejected"], view["rows_created"]) == (5, 5, 0, 5)
    assert view["percent"] == 100.0 and view["file_format"] == "csv" and view["actor_user"] == "scjg"
    subject = created(server.client("wlj").get(f"/subjects/{CODES[3]}"), 200)
    assert subject["name"] == "示范餐饮有限公司3号店" and subject["credit_class"] == "D"
    assert subject["key_attention"] is True and subject["abnormal_operation"] is False
    assert subject["complaints_count"] == 3 and subject["risk_level"] == "medium"
    assert subject["tags"] == ["食品", "校园周边"]


def test_xlsx_import_reads_the_first_sheet_as_it_streams(server, tmp_path):  # R-SUBJ-1
    rows = [[CODES[n], f"药店{n}", "", "", "", "南湖区", "药品零售", "低", "B", n == 1, False, False, False, n, False,
             False, "药品"] for n in range(3)]
    view = imported(server, write_xlsx(tmp_path / "s.xlsx", HEADER, rows))
    assert view["status"] == "succeeded", view
    assert (view["file_format"], view["rows_created"]) == ("xlsx", 3)
    subject = created(server.client("scjg").get(f"/subjects/{CODES[1]}"), 200)
    assert subject["abnormal_operation"] is True and subject["complaints_count"] == 1


def test_english_headers_are_accepted_and_unknown_columns_reported(server, tmp_path):
    path = write_csv(tmp_path / "s.csv", ["code", "name", "credit_class", "备注"], [[CODES[0], "甲公司", "a", "x"]])
    view = imported(server, path)
    assert view["status"] == "succeeded", view
    assert view["ignored_columns"] == ["备注"]
    assert created(server.client("scjg").get(f"/subjects/{CODES[0]}"), 200)["credit_class"] == "A"


def test_a_wrong_check_character_fails_the_import_with_its_line_and_leaves_the_directory_as_it_was(server, tmp_path):
    # R-SUBJ-1: GB 32100-2015 check character
    assert imported(server, write_csv(tmp_path / "a.csv", HEADER, [subject_row(n) for n in range(3)]))["status"] \
        == "succeeded"
    before = directory_checksum(server)
    rows = [subject_row(0, name="改名了"), subject_row(5), subject_row(9, code=WRONG_CHECK)]
    view = imported(server, write_csv(tmp_path / "b.csv", HEADER, rows))
    assert view["status"] == "failed"
    assert "1 行未通过校验" in view["error"] and "未作任何改动" in view["error"]
    assert view["rejected"] == [{"line": 4, "key": WRONG_CHECK, "reason": view["rejected"][0]["reason"]}]
    assert "校验位" in view["rejected"][0]["reason"]
    assert (view["rows_created"], view["rows_updated"]) == (0, 0)
    assert directory_checksum(server) == before


def test_every_rejected_row_is_listed_with_its_line_number_and_reasons(server, tmp_path):  # R-SUBJ-1, R-SUBJ-4
    rows = [subject_row(0), subject_row(1, credit="E"), subject_row(2, name="", abnormal="也许"),
            subject_row(3, complaints="-1"), subject_row(4, code="")]
    view = imported(server, write_csv(tmp_path / "s.csv", HEADER, rows))
    assert view["status"] == "failed" and view["rows_rejected"] == 4 and view["rows_ok"] == 1
    reasons = {r["line"]: r["reason"] for r in view["rejected"]}
    assert set(reasons) == {3, 4, 5, 6}
    assert "信用等级" in reasons[3] and "名称不能为空" in reasons[4] and "经营异常名录" in reasons[4]
    assert "投诉次数" in reasons[5] and "不能为空" in reasons[6]
    page = created(server.client("scjg").get(f"/imports/{view['id']}/rejections?page=2&page_size=3"), 200)
    assert page["total"] == 4 and [r["line"] for r in page["items"]] == [6]
    assert_error(server.client("scjg").get(f"/subjects/{CODES[0]}"), 404, "subject_not_found")


def test_allow_partial_imports_the_valid_rows_and_still_lists_the_rejected_ones(server, tmp_path):
    rows = [subject_row(0), subject_row(9, code=WRONG_CHECK), subject_row(2)]
    view = imported(server, write_csv(tmp_path / "s.csv", HEADER, rows), allow_partial=True)
    assert view["status"] == "succeeded" and view["allow_partial"] is True
    assert (view["rows_created"], view["rows_rejected"]) == (2, 1)
    assert [r["line"] for r in view["rejected"]] == [3]
    created(server.client("scjg").get(f"/subjects/{CODES[2]}"), 200)


def test_reimport_upserts_by_code_and_logs_who_when_and_what_changed(server, tmp_path, clock):  # R-SUBJ-2
    imported(server, write_csv(tmp_path / "a.csv", HEADER, [subject_row(n) for n in range(3)]))
    rows = [subject_row(0), subject_row(1, credit="D", abnormal="是"), subject_row(5)]
    view = imported(server, write_csv(tmp_path / "b.csv", HEADER, rows), user="wlj")
    assert (view["rows_created"], view["rows_updated"], view["rows_unchanged"]) == (1, 1, 1)
    history = created(server.client("scjg").get(f"/subjects/{CODES[1]}/changes"), 200)
    assert [e["action"] for e in history["items"]] == ["updated", "created"]
    update = history["items"][0]
    assert update["changes"] == {"credit_class": ["B", "D"], "abnormal_operation": [False, True]}
    assert (update["actor_user"], update["actor_department"], update["import_id"]) == ("wlj", "wlj", view["id"])
    assert datetime.fromisoformat(update["at"]) == clock.now()
    creation = history["items"][1]  # derived from the first import: initial values = current minus later changes
    assert creation["derived"] is True and creation["actor_user"] == "scjg"
    assert creation["changes"]["credit_class"] == [None, "B"] and creation["changes"]["name"] == [None, "示范餐饮有限公司1号店"]


def test_columns_the_file_leaves_out_are_left_as_they_were(server, tmp_path):  # R-SUBJ-2
    imported(server, write_csv(tmp_path / "a.csv", HEADER, [subject_row(3)]))
    view = imported(server, write_csv(tmp_path / "b.csv", ["统一社会信用代码", "名称", "信用等级"],
                                      [[CODES[3], "示范餐饮有限公司3号店", "A"]]))
    assert view["rows_updated"] == 1
    subject = created(server.client("scjg").get(f"/subjects/{CODES[3]}"), 200)
    assert subject["credit_class"] == "A" and subject["key_attention"] is True and subject["region"] == "东城区"


def test_a_later_row_with_the_same_code_wins(server, tmp_path):
    rows = [subject_row(0, name="旧名称"), subject_row(0, name="新名称")]
    assert imported(server, write_csv(tmp_path / "s.csv", HEADER, rows))["status"] == "succeeded"
    assert created(server.client("scjg").get(f"/subjects/{CODES[0]}"), 200)["name"] == "新名称"


def test_a_gb18030_csv_saved_by_excel_is_read(server, tmp_path):
    path = write_csv(tmp_path / "gbk.csv", HEADER, [subject_row(0)], encoding="gb18030")
    assert imported(server, path)["status"] == "succeeded"
    assert created(server.client("scjg").get(f"/subjects/{CODES[0]}"), 200)["region"] == "西城区"


def test_line_numbers_count_physical_lines_when_a_quoted_cell_spans_two(server, tmp_path):
    rows = [subject_row(0, address="幸福路\n1号"), subject_row(1, credit="X")]
    view = imported(server, write_csv(tmp_path / "s.csv", HEADER, rows))
    assert [r["line"] for r in view["rejected"]] == [4]


def test_a_file_without_the_code_column_fails_saying_which_column_is_missing(server, tmp_path):
    view = imported(server, write_csv(tmp_path / "s.csv", ["名称", "地址"], [["甲", "乙"]]))
    assert view["status"] == "failed" and "缺少「统一社会信用代码/身份证号/登记编号」列" in view["error"]


def test_an_old_xls_or_an_empty_file_fails_with_a_readable_reason(server, tmp_path):
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    assert ".xlsx" in imported(server, old)["error"]
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert "空" in imported(server, empty)["error"]
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04not really a zip")
    assert "XLSX" in imported(server, broken)["error"]


def test_import_progress_is_reported_while_it_runs(server, tmp_path):
    """The import waits on SQLite's write lock or on the PostgreSQL import lock, which the test holds a moment."""
    services = server.services
    path = write_csv(tmp_path / "s.csv", HEADER, [subject_row(n) for n in range(3)])
    client = server.client("scjg")  # logged in before the lock is taken
    release = _hold_import_lock(services)
    try:
        import_id = created(upload(client, path), 202)["id"]
        time.sleep(0.2)
        view = created(client.get(f"/imports/{import_id}"), 200)
        assert view["status"] == "running" and view["phase"] in ("queued", "reading")
        assert 0 <= view["percent"] < 100
    finally:
        release()
    deadline = time.monotonic() + 30
    while created(client.get(f"/imports/{import_id}"), 200)["status"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert created(client.get(f"/imports/{import_id}"), 200)["rows_created"] == 3


def _hold_import_lock(services):  # type: ignore[no-untyped-def]
    if services.settings.is_sqlite:  # SQLite's one writer slot: the import's first write waits (busy timeout 5 s)
        holder = sqlite3.connect(services.settings.database_url.split("sqlite:///", 1)[1], isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")

        def release_sqlite() -> None:
            holder.execute("ROLLBACK")
            holder.close()
        return release_sqlite
    conn = services.engine.connect()
    conn.exec_driver_sql("SELECT pg_advisory_lock(hashtext('jointinspect.import.subjects'))")

    def release() -> None:
        conn.exec_driver_sql("SELECT pg_advisory_unlock(hashtext('jointinspect.import.subjects'))")
        conn.close()
    return release


def test_a_cancelled_import_fails_and_changes_nothing(services, clock, tmp_path):
    path = write_csv(tmp_path / "s.csv", HEADER, [subject_row(n) for n in range(4)])
    cancelled = threading.Event()
    cancelled.set()
    job = ImportJob(id=uuid.uuid4().hex, kind="subjects", path=path, filename="s.csv", actor=Actor("scjg", "scjg"),
                    scope_department="scjg")
    result = run_import(services.engine, job, clock, cancelled=cancelled)
    assert result.status == "failed" and "中止" in result.error
    with services.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(subjects)).scalar_one() == 0
        assert conn.execute(text("SELECT status FROM directory_imports")).scalar_one() == "failed"


def test_each_created_subject_can_be_logged_row_by_row(services, clock, tmp_path):
    path = write_csv(tmp_path / "s.csv", HEADER, [subject_row(n) for n in range(4)])
    job = ImportJob(id=uuid.uuid4().hex, kind="subjects", path=path, filename="s.csv", actor=Actor("scjg", "scjg"),
                    scope_department="scjg", log_each_created=True)
    assert run_import(services.engine, job, clock).status == "succeeded"
    with services.engine.connect() as conn:
        rows = conn.execute(select(change_log).where(change_log.c.entity_key == CODES[2])).mappings().all()
    assert [r["action"] for r in rows] == ["created"] and rows[0]["batch"] == job.id
    assert json.loads(rows[0]["changes"])["credit_class"] == [None, "C"]


def test_imports_need_a_login_and_a_writing_role(server, tmp_path):
    path = write_csv(tmp_path / "s.csv", HEADER, [subject_row(0)])
    assert_error(upload(server.client(), path), 401, "unauthenticated")
    assert_error(upload(server.client("admin"), path), 403, "no_write_role")


def test_an_import_is_seen_by_its_department_and_the_office_only(server, tmp_path):
    view = imported(server, write_csv(tmp_path / "s.csv", HEADER, [subject_row(0)]))
    assert_error(server.client("wlj").get(f"/imports/{view['id']}"), 403, "not_your_import")
    created(server.client("office").get(f"/imports/{view['id']}"), 200)
    assert_error(server.client("scjg").get("/imports/nonexistent"), 404, "import_not_found")


def test_a_retried_upload_with_the_same_idempotency_key_starts_nothing_new(server, tmp_path):
    path = write_csv(tmp_path / "s.csv", HEADER, [subject_row(0)])
    client = server.client("scjg")
    first = created(upload(client, path, headers=idempotency("up-1")), 202)
    again = upload(client, path, headers=idempotency("up-1"))
    assert created(again, 202)["id"] == first["id"] and again.headers["Idempotent-Replay"] == "true"


# ---- inspectors (R-INSP-1) ------------------------------------------------------------------------------
INSPECTOR_HEADER = ["身份证号", "姓名", "性别", "部门", "职务", "执法证号", "执法证有效期", "资质", "区域", "联系电话",
                    "状态", "不可用截止"]
IDS = [generate_resident_id(n) for n in range(1, 6)]  # made from n = 1..5: IDS[0], IDS[2], IDS[4] are men


def inspector_row(n: int, **changes: str) -> list[str]:
    row = {"id": IDS[n], "name": f"执法员{n}", "gender": "", "department": "", "post": "科员",
           "certificate": f"33010020{n:04d}", "expires": "2028-12-31", "skills": "食品,药品", "area": "东城区",
           "contact": f"1390000000{n}", "status": "在岗", "until": ""}
    row.update(changes)
    return list(row.values())


def test_a_department_imports_its_own_inspectors_with_gender_from_the_id(server, tmp_path):  # R-INSP-1
    path = write_csv(tmp_path / "i.csv", INSPECTOR_HEADER, [inspector_row(0), inspector_row(1, department="scjg")])
    view = imported(server, path, kind="inspectors")
    assert view["status"] == "succeeded" and view["rows_created"] == 2, view
    items = created(server.client("scjg").get("/inspectors"), 200)["items"]
    assert {i["department_code"] for i in items} == {"scjg"}
    assert items[0]["gender"] == "male" and items[0]["qualifications"] == ["食品", "药品"]


def test_a_department_cannot_import_another_departments_inspectors(server, tmp_path):  # R-INSP-1
    office = write_csv(tmp_path / "o.csv", INSPECTOR_HEADER, [inspector_row(2, department="wlj")])
    assert imported(server, office, user="office", kind="inspectors")["status"] == "succeeded"
    rows = [inspector_row(0, department="文化和旅游局"), inspector_row(2, name="改名")]
    view = imported(server, write_csv(tmp_path / "i.csv", INSPECTOR_HEADER, rows), kind="inspectors",
                    allow_partial=True)
    reasons = {r["line"]: r["reason"] for r in view["rejected"]}
    assert "只能导入本部门" in reasons[2] and "其他部门（wlj）" in reasons[3]
    assert view["rows_created"] == 0 and view["rows_ok"] == 0


def test_an_invalid_resident_id_or_wrong_gender_is_rejected_by_line(server, tmp_path):  # R-INSP-1
    bad_id = IDS[0][:17] + ("0" if IDS[0][17] != "0" else "1")
    rows = [inspector_row(0, id=bad_id), inspector_row(2, gender="女"), inspector_row(1, status="不可用")]
    view = imported(server, write_csv(tmp_path / "i.csv", INSPECTOR_HEADER, rows), kind="inspectors")
    reasons = {r["line"]: r["reason"] for r in view["rejected"]}
    assert "身份证号" in reasons[2] and "性别与身份证号不一致" in reasons[3] and "截止日期" in reasons[4]


def test_the_office_must_name_each_inspectors_department(server, tmp_path):
    view = imported(server, write_csv(tmp_path / "i.csv", INSPECTOR_HEADER, [inspector_row(0)]), user="office",
                    kind="inspectors")
    assert view["status"] == "failed" and "所属部门不能为空" in view["rejected"][0]["reason"]
