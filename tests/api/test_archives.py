"""The archive (R-ARCH-1): one sealed file per subject of a completed task, due within 30 working days of its
completion, downloadable by the parties and the office, checked against the hash its task recorded; overdue ones in
oversight, now and as of a past date (R-OVER-1)."""
from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import datetime

from sqlalchemy import update

from api.storage.tables import archive_files
from domain.clock import SHANGHAI
from tests.api.test_matchings import _ready_task
from tests.api.test_objections_and_requests import CONTACT, _published
from tests.support import assert_error, created, head, nothing_recorded


def test_a_completed_task_seals_one_file_per_subject_with_a_manifest_of_hashes(server, clock):  # R-ARCH-1
    case = _published(server, clock, subjects=2)
    task_id, lead = case["task_id"], server.client("scjg")
    created(server.client("wlj").post(f"/results/{case['ids']['wlj', case['codes'][0]]}/objections",
                                      json={"reason": "结果有误"} | CONTACT))
    listing = lead.get(f"/joint-tasks/{task_id}/archives").json()
    assert listing["archive_due"] == "2026-04-23" and listing["items"] == []  # Wed 11 Mar + 30 working days
    assert_error(server.client("wlj").post(f"/joint-tasks/{task_id}/archives"), 403)
    sealed = created(lead.post(f"/joint-tasks/{task_id}/archives"))
    assert sorted(sealed["archived"]) == sorted(case["codes"])
    assert_error(lead.post(f"/joint-tasks/{task_id}/archives"), 409, "already_archived")
    subject = case["codes"][0]
    download = server.client("gxj").get(f"/joint-tasks/{task_id}/archives/{subject}")  # a party: it declined
    assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
    recorded = {i["subject_code"]: i for i in lead.get(f"/joint-tasks/{task_id}/archives").json()["items"]}
    assert hashlib.sha256(download.content).hexdigest() == recorded[subject]["sha256"]
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert set(manifest["parts"]) == {"task.json", "draw.json", "notice.json", "results.json", "objections.json",
                                          "requests.json", "timeline.json", "record.html"}
        for name, part in manifest["parts"].items():
            assert hashlib.sha256(archive.read(name)).hexdigest() == part["sha256"] == recorded[subject]["parts"][name]
        results = json.loads(archive.read("results.json"))
        objections = json.loads(archive.read("objections.json"))
        assert {r["department"] for r in results} == {"市场监督管理局", "文化和旅游局"}
        assert [o["reason"] for o in objections] == ["结果有误"]
        assert "检查档案" in archive.read("record.html").decode("utf-8")
    assert_error(server.client("sthj").get(f"/joint-tasks/{task_id}/archives/{subject}"), 403)


def test_archiving_before_every_result_is_published_is_refused(server, clock):  # R-ARCH-1
    task_id, _ = _ready_task(server, clock, subjects=1)
    with nothing_recorded(server, task_id):
        assert_error(server.client("scjg").post(f"/joint-tasks/{task_id}/archives"), 409, "not_completed")
    assert server.client("scjg").get(f"/joint-tasks/{task_id}/archives").json()["archive_due"] is None


def test_a_file_that_no_longer_matches_its_recorded_hash_is_not_served(server, clock):  # R-ARCH-1
    case = _published(server, clock, subjects=1)
    task_id, subject = case["task_id"], case["codes"][0]
    created(server.client("scjg").post(f"/joint-tasks/{task_id}/archives"))
    with server.services.engine.begin() as conn:
        conn.execute(update(archive_files).values(content=b"PK tampered"))
    assert_error(server.client("office").get(f"/joint-tasks/{task_id}/archives/{subject}"), 409, "archive_mismatch")


def test_overdue_archives_show_in_oversight_now_and_as_of_a_past_date(server, clock):  # R-ARCH-1 R-OVER-1
    case = _published(server, clock, subjects=1)
    server.services.clock.set(datetime(2026, 4, 24, 10, tzinfo=SHANGHAI))  # due Thu 23 Apr
    server.log_in_again()
    office = server.client("office")
    now = office.get("/oversight/overdue-archives", params={"min_position": head(server)}).json()
    assert [(r["task_id"], r["archived"], r["subjects"]) for r in now["items"]] == [(case["task_id"], 0, 1)]
    before = office.get("/oversight/overdue-archives", params={"as_of": "2026-04-23T18:00:00+08:00"}).json()
    assert before["items"] == []
    created(server.client("scjg").post(f"/joint-tasks/{case['task_id']}/archives"))
    assert office.get("/oversight/overdue-archives", params={"min_position": head(server)}).json()["items"] == []


def test_a_calendar_change_moves_the_due_day_of_an_archive_not_yet_sealed(server, clock):  # R-ARCH-1 R-CAL-2
    case = _published(server, clock, subjects=1)
    task_id, office = case["task_id"], server.client("office")
    amended = created(office.post("/calendar/amendments", json={
        "day": "2026-04-01", "working": False, "reason": "临时调整为休息日"}))
    assert amended["moved_deadlines"] == 1
    assert [(m["kind"], m["task_id"], m["previous"], m["deadline"]) for m in amended["moves"]] == [
        ("archive", task_id, "2026-04-23", "2026-04-24")]
    assert server.client("scjg").get(f"/joint-tasks/{task_id}/archives").json()["archive_due"] == "2026-04-24"
    timeline = office.get(f"/joint-tasks/{task_id}/timeline", params={"min_position": amended["position"]}).json()
    assert timeline["items"][-1]["summary"] == "工作日历调整，档案归档期限由 2026-04-23 改为 2026-04-24"
    server.services.clock.set(datetime(2026, 4, 24, 10, tzinfo=SHANGHAI))  # overdue under the old day, not the new
    server.log_in_again()
    office = server.client("office")
    assert office.get("/oversight/overdue-archives", params={"min_position": head(server)}).json()["items"] == []
    created(server.client("scjg").post(f"/joint-tasks/{task_id}/archives"))
    sealed = created(office.post("/calendar/amendments", json={
        "day": "2026-04-02", "working": False, "reason": "临时调整为休息日"}))
    assert (sealed["moved_deadlines"], sealed["moves"]) == (0, [])  # every file sealed: nothing left to move
    assert server.client("scjg").get(f"/joint-tasks/{task_id}/archives").json()["archive_due"] == "2026-04-24"
