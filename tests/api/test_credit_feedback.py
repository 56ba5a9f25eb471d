"""Credit feedback over HTTP: a published result's outcome updates its subject in the directory, the subject's
history cites the result, a correction replaces the effect, the next draw's pool follows, and a replay from zero
gives the same rows (R-OVER-2, R-SUBJ-2, R-SUBJ-4, R-PUB-2)."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import uuid4

from sqlalchemy import delete, select

from api.demo import approver_username
from api.storage.tables import change_log, subjects
from domain.clock import SHANGHAI
from domain.codes import generate_uscc
from domain.joint_task import JointTask
from projections.credit_feedback import CreditFeedbackProjection, feedback_rows
from projections.tables import credit_feedback
from tests.api.test_draws import _draw, _subjects
from tests.api.test_results import _entry, _results_ready
from tests.support import created, wait_for_read_models

FEEDBACK_FIELDS = ("abnormal_operation", "deregistered", "risk_level", "tags", "updated_at")


def _record_and_publish(server, task_id: str, code: str, teams: dict, **fields) -> dict:  # type: ignore[no-untyped-def]
    wlj = server.client("wlj")
    result_id = created(wlj.post(f"/joint-tasks/{task_id}/results",
                                 json=_entry(server, task_id, "wlj", code, teams, **fields)))["id"]
    published = created(wlj.post(f"/results/{result_id}/publication"))
    wait_for_read_models(server)
    return {"id": result_id} | published


def _correct(server, result_id: str, changes: dict) -> None:  # type: ignore[no-untyped-def]
    created(server.client("wlj").post(f"/results/{result_id}/corrections", json={
        "reason": "地址核实有误，企业在登记住所正常经营", "approver": approver_username("wlj"), "changes": changes}))
    wait_for_read_models(server)


def _subject(server, code: str) -> dict:  # type: ignore[no-untyped-def]
    return created(server.client("scjg").get(f"/subjects/{code}"), 200)


def _history(server, code: str) -> list[dict]:  # type: ignore[no-untyped-def]
    return created(server.client("scjg").get(f"/subjects/{code}/changes"), 200)["items"]


def test_a_published_unreachable_result_lists_the_subject_as_abnormal_and_its_history_cites_it(server, clock):  # R-OVER-2 R-SUBJ-2 R-SUBJ-4
    task_id, codes, teams = _results_ready(server, clock, subjects=1)
    code = codes[0]
    wlj = server.client("wlj")
    result_id = created(wlj.post(f"/joint-tasks/{task_id}/results",
                                 json=_entry(server, task_id, "wlj", code, teams, outcome="unreachable")))["id"]
    wait_for_read_models(server)
    assert _subject(server, code)["abnormal_operation"] is False  # recorded, not yet published: nothing yet
    created(wlj.post(f"/results/{result_id}/publication"))
    wait_for_read_models(server)
    assert _subject(server, code)["abnormal_operation"] is True
    latest = _history(server, code)[0]
    assert latest["action"] == "credit_feedback" and latest["changes"] == {"abnormal_operation": [False, True]}
    assert latest["source"] == {"result_id": result_id, "task_id": task_id, "outcome": "unreachable"}
    assert (latest["actor_user"], latest["actor_department"]) == ("wlj", "wlj")


def test_a_correction_to_pass_reverts_what_the_result_set(server, clock):  # R-OVER-2 R-PUB-2
    task_id, codes, teams = _results_ready(server, clock, subjects=1)
    code = codes[0]
    published = _record_and_publish(server, task_id, code, teams, outcome="unreachable")
    _correct(server, published["id"], {"outcome": "pass"})
    assert _subject(server, code)["abnormal_operation"] is False
    history = _history(server, code)
    assert [h["changes"] for h in history[:2]] == [{"abnormal_operation": [True, False]},
                                                   {"abnormal_operation": [False, True]}]
    assert history[0]["source"]["outcome"] == "pass" and history[0]["source"]["result_id"] == published["id"]


def test_a_correction_to_a_transfer_replaces_the_flag_with_the_tag_and_high_risk(server, clock):  # R-OVER-2 R-PUB-2
    task_id, codes, teams = _results_ready(server, clock, subjects=1)
    code = codes[0]
    published = _record_and_publish(server, task_id, code, teams, outcome="unreachable")
    _correct(server, published["id"], {"outcome": "transferred", "transferred_to": "区市场监管局 案号2026-031"})
    subject = _subject(server, code)
    assert subject["abnormal_operation"] is False and subject["risk_level"] == "high"
    assert "移送立案:2026-03-10" in subject["tags"]


def test_a_clerks_later_edit_stands_when_the_result_is_corrected(server, clock):  # R-SUBJ-2 R-OVER-2
    task_id, codes, teams = _results_ready(server, clock, subjects=1)
    code = codes[0]
    published = _record_and_publish(server, task_id, code, teams, outcome="refused")
    assert _subject(server, code)["risk_level"] == "high"
    record = _subject(server, code)
    body = {k: record[k] for k in ("name", "subject_kind", "region", "industry", "credit_class", "tags")}
    created(server.client("scjg").put(f"/subjects/{code}", json=body | {"risk_level": "low"}), 200)
    _correct(server, published["id"], {"outcome": "pass"})
    assert _subject(server, code)["risk_level"] == "low"


def test_the_next_draw_pool_follows_the_published_outcome(server, clock):  # R-OVER-2 R-DRAW-3 R-SUBJ-4
    task_id, codes, teams = _results_ready(server, clock, subjects=1)
    # already on the abnormal-operation list, and high-risk: drawn again and again, never at the yearly cap (R-DRAW-2)
    listed = _subjects(server, 2, start=50, abnormal_operation=True, risk_level="high")
    criteria = {"flags": ["abnormal_operation"], "count": 1}
    lead = server.client("scjg")
    before_id, before = _draw(server, lead.initiate().json()["id"], criteria)
    assert before["status_code"] == 201 and before["pool_size"] == 2
    published = _record_and_publish(server, task_id, codes[0], teams, outcome="unreachable")
    after_id, after = _draw(server, lead.initiate().json()["id"], criteria)
    assert after["status_code"] == 201 and after["pool_size"] == 3
    office = server.client("office")
    assert codes[0] not in office.get(f"/draws/{before_id}/pool").text
    assert codes[0] in office.get(f"/draws/{after_id}/pool").text and listed[0] in office.get(
        f"/draws/{after_id}/pool").text
    _correct(server, published["id"], {"outcome": "pass"})  # the correction takes it out of the next pool again
    assert _draw(server, lead.initiate().json()["id"], criteria)[1]["pool_size"] == 2


def test_a_subject_not_in_the_directory_changes_nothing_and_the_read_side_goes_on(server, clock):  # R-OVER-2
    task_id, codes, teams = _results_ready(server, clock, subjects=2)
    with server.services.engine.begin() as conn:  # taken out of the directory after the draw
        conn.execute(delete(subjects).where(subjects.c.code == codes[0]))
    gone = _record_and_publish(server, task_id, codes[0], teams, outcome="unreachable")
    _record_and_publish(server, task_id, codes[1], teams, outcome="unreachable")
    assert _subject(server, codes[1])["abnormal_operation"] is True
    with server.services.engine.connect() as conn:
        row = feedback_rows(conn, [gone["id"]])[gone["id"]]
    assert row["published"] and row["skipped"] == "not_in_directory" and row["effects"] == {}
    status = {s["name"]: s for s in server.services.runner.status(server.services.clock.now())}["credit_feedback"]
    assert status["lag_events"] == 0 and status["parked"] == 0 and status["halted"] is None


def test_a_replay_from_zero_gives_the_same_subjects_rows(server, clock):  # R-OVER-2 R-SUBJ-2
    task_id, codes, teams = _results_ready(server, clock, subjects=3)
    with server.services.engine.connect() as conn:
        initial = conn.execute(select(subjects).order_by(subjects.c.code)).mappings().all()
    first = _record_and_publish(server, task_id, codes[0], teams, outcome="unreachable")
    _record_and_publish(server, task_id, codes[1], teams, outcome="judicial", transferred_to="公安分局 案号 X-9")
    _record_and_publish(server, task_id, codes[2], teams, outcome="closed")
    _correct(server, first["id"], {"outcome": "rectified", "measures": "当场责令改正"})
    live = _directory(server)
    log = _feedback_log(server)
    runner = server.services.runner
    runner.stop()  # the server's own runner would apply the same positions beside the rebuilds (exactly once: 409)
    runner.rebuild("credit_feedback")  # replays the whole log: every effect already applied is passed over
    assert _directory(server) == live and _feedback_log(server) == log
    # and a directory as it stood before the results, replayed from zero, comes out the same
    with server.services.engine.begin() as conn:
        conn.execute(delete(change_log).where(change_log.c.action == "credit_feedback"))
        conn.execute(delete(subjects))
        conn.execute(subjects.insert(), [dict(r) for r in initial])
        conn.execute(delete(credit_feedback))
    runner.rebuild("credit_feedback")
    assert _directory(server) == live and _feedback_log(server) == log


def _directory(server) -> list:  # type: ignore[no-untyped-def]
    with server.services.engine.connect() as conn:
        return conn.execute(select(subjects.c.code, *[subjects.c[f] for f in FEEDBACK_FIELDS])
                            .order_by(subjects.c.code)).all()


def _feedback_log(server) -> list:  # type: ignore[no-untyped-def]
    with server.services.engine.connect() as conn:
        return conn.execute(select(change_log.c.entity_key, change_log.c.changes, change_log.c.at)
                            .where(change_log.c.action == "credit_feedback").order_by(change_log.c.id)).all()


def _result_events(code: str, outcome: str, inspected_on: date, n: int) -> list:  # type: ignore[type-arg]
    """A result of its own task, recorded and published (the events as JointTask records them)."""
    task, rid, at = uuid4(), str(uuid4()), datetime(2026, 4, 1, 9, tzinfo=SHANGHAI) + timedelta(hours=n)
    actor = {"user": "wlj", "department": "wlj", "office": False}
    fields = {"item_ids": ["i"], "methods": ["on_site"], "outcome": outcome, "findings": "", "measures": "",
              "transferred_to": "", "inspected_on": inspected_on}
    recorded = JointTask.ResultRecorded(
        originator_id=task, originator_version=9, timestamp=at, result_id=rid, department="wlj", subject=code,
        subject_name="检查对象", fields=fields, inspectors=[], confidential_note="", publish_deadline=inspected_on,
        deadline_from=inspected_on, publish_days=20, report_late=False, review_required=False, at=at, actor=actor)
    published = JointTask.ResultPublished(originator_id=task, originator_version=10, timestamp=at, result_id=rid,
                                          subject=code, late=False, at=at, actor=actor)
    return [recorded, published]


def test_three_consecutive_passes_by_inspection_date_lower_the_risk_one_step(services):  # R-OVER-2 R-DRAW-3
    code = generate_uscc(7)
    now = datetime(2026, 3, 2, 9, tzinfo=SHANGHAI)
    with services.engine.begin() as conn:
        conn.execute(subjects.insert().values(code=code, name="检查对象", risk_level="medium", created_at=now,
                                              updated_at=now))
    projection, position, risks = CreditFeedbackProjection(), 0, []
    for n, (outcome, day) in enumerate([("refused", "2026-02-25"), ("pass", "2026-03-01"),
                                        ("pass", "2026-02-20"),  # inspected before the refusal: not in the run
                                        ("pass", "2026-03-05"), ("pass", "2026-03-09"), ("pass", "2026-03-12")]):
        events = _result_events(code, outcome, date.fromisoformat(day), n)
        with services.engine.begin() as conn:
            projection.apply_batch(conn, [(e, position + i + 1) for i, e in enumerate(events)])
            risks.append(conn.execute(select(subjects.c.risk_level).where(subjects.c.code == code)).scalar_one())
        position += len(events)
    assert risks == ["high", "high", "high", "high", "medium", "medium"]
