"""`jointinspect demo`: the demo province, loaded only into an empty store, on SQLite and PostgreSQL: its
directory of valid subjects and inspectors, and tasks at every stage dated relative to today."""
from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import func, select

from api.storage import checklist as checklist_tables
from api.demo import CHECKLIST, DEPARTMENTS, load_demo
from api.demo_directory import INSPECTORS_PER_DEPARTMENT, SUBJECTS, demo_inspectors
from api.bootstrap import build_services
from api.settings import Settings
from api.storage.tables import change_log, departments, imports, inspectors, subjects, users
from domain import checklist_rules
from domain.clock import SHANGHAI, FakeClock
from domain.codes import code_fits_kind, is_valid_resident_id
from domain.joint_task import JointTask
from domain.working_days import local_date
from tests.support import LiveServer, created

DEPARTMENT_CODES = [code for code, _ in DEPARTMENTS]
STAGES = {  # title → the stage the demo leaves it in
    "医疗机构与药品零售企业联合抽查": "published",
    "高新区重点排污工业企业联合检查": "inspected",
    "道路运输企业安全生产联合检查": "cancelled",
    "客运站场安全生产联合检查": "merged",
    "危险货物道路运输企业联合检查": "responded",
    "危险化学品经营单位联合检查": "day_agreed",
    "城关区餐饮服务单位食品安全与消防安全联合抽查": "day_proposed",
    "西城区文化娱乐场所联合检查": "day_agreed",
    "A级景区及周边经营主体联合检查": "awaiting_responses",
    "年度联合抽查计划：商超与农贸市场": "responded",
    "校园周边食品经营主体联合检查": "awaiting_responses",
}


def test_the_demo_loads_once_and_its_tasks_name_only_their_departments_joint_items(database_url):  # R-ITEM-3
    services = build_services(Settings(database_url=database_url, env="test"))
    try:
        assert load_demo(services) is True
        head, rows = services.app.recorder.max_notification_id(), _row_counts(services)
        assert load_demo(services) is False
        assert services.app.recorder.max_notification_id() == head and _row_counts(services) == rows
        with services.engine.connect() as conn:
            codes = set(conn.execute(select(departments.c.code)).scalars())
            assert codes == set(DEPARTMENT_CODES) | {"lhbgs"}
            assert {"office", "admin"} | set(DEPARTMENT_CODES) <= set(conn.execute(select(users.c.username)).scalars())
            assert conn.execute(select(func.count()).select_from(checklist_tables.check_items)).scalar_one() \
                == len(CHECKLIST)
            tasks = [services.app.get_task(t) for t in _task_ids(services)]
            assert len(tasks) == len(STAGES) == 11  # six stories before the directory, five more with it
            for task in tasks:
                parties = [task.lead_department, *task.responses]
                refs, by_name = checklist_tables.task_item_lookup(conn, task.items, parties)
                assert checklist_rules.check_task_items(task.items, refs, by_name, parties) == tuple(task.items)
    finally:
        services.close()


def test_the_demo_directory_holds_valid_subjects_of_every_kind_and_ten_inspectors_per_department(
        database_url):  # R-SUBJ-1 R-SUBJ-3 R-INSP-1 R-INSP-2
    services = build_services(Settings(database_url=database_url, env="test"))
    try:
        assert load_demo(services) is True
        today = local_date(services.clock.now())
        with services.engine.connect() as conn:
            rows = conn.execute(select(subjects)).all()
            people = conn.execute(select(inspectors)).all()
            recorded = conn.execute(select(imports)).all()
            logged = conn.execute(select(func.count()).select_from(change_log)  # the published results' credit
                                  .where(change_log.c.entity.in_(["subject", "inspector"]),  # feedback aside
                                         change_log.c.action != "credit_feedback")).scalar_one()
    finally:
        services.close()
    assert len(rows) == SUBJECTS and all(code_fits_kind(r.code, r.subject_kind, today) for r in rows)
    assert "92990122006422677F" in {r.code for r in rows}  # the seeded generator: the same directory everywhere
    kinds = Counter(r.subject_kind for r in rows)
    assert set(kinds) == {"enterprise", "individual", "institution", "project"} and kinds["individual"] > 1000
    assert len({r.region for r in rows}) == 10 and len({r.industry for r in rows}) >= 15
    assert {r.credit_class for r in rows} == {"A", "B", "C", "D", ""}
    assert {r.risk_level for r in rows} == {"low", "medium", "high"}
    for flag in ("abnormal_operation", "key_attention", "dishonest", "serious_violation", "exempt"):
        assert 50 < sum(getattr(r, flag) for r in rows) < SUBJECTS // 10, flag
    assert 0 < sum(r.deregistered for r in rows) < SUBJECTS // 100
    # through the import pipeline: one record per file by the office, whose creations are those records
    assert sorted((r.kind, r.status, r.rows_created, r.actor_user) for r in recorded) == [
        ("inspectors", "succeeded", len(people), "office"), ("subjects", "succeeded", SUBJECTS, "office")]
    assert logged == 0 and {r.created_by_import for r in rows} == {r.id for r in recorded if r.kind == "subjects"}

    assert Counter(p.department_code for p in people) == dict.fromkeys(DEPARTMENT_CODES, INSPECTORS_PER_DEPARTMENT)
    assert all(is_valid_resident_id(p.resident_id, today) and p.certificate_no for p in people)
    expired = [p for p in people if p.certificate_expires < today]
    assert [p.department_code for p in expired] == ["scjg"]
    away = [p for p in people if p.status == "unavailable"]
    assert {p.department_code for p in away} == set(DEPARTMENT_CODES) and all(p.unavailable_until > today
                                                                               for p in away)
    assert all(p.unavailable_until is None for p in people if p.status == "active")
    assert {(p.resident_id, p.certificate_expires, p.unavailable_until) for p in people} == {
        (i.resident_id, i.certificate_expires, i.unavailable_until) for i in demo_inspectors(DEPARTMENT_CODES, today)}


def test_the_demo_has_a_task_at_every_stage_whose_draws_and_matchings_verify(database_url):  # R-DRAW-5 R-MATCH-1
    clock = FakeClock(datetime(2026, 3, 2, 9, tzinfo=SHANGHAI))  # the stories reach back over the Spring Festival
    services = build_services(Settings(database_url=database_url, env="test", projection_poll_seconds=0.02,
                                       deadline_check_seconds=3600), clock)
    try:
        assert load_demo(services) is True
        now = clock.now()
        tasks = {task.title: task for task in (services.app.get_task(t) for t in _task_ids(services))}
        assert {title: task.status for title, task in tasks.items()} == STAGES
        ats = [getattr(event, "at", None) or event.pushed_at for event in _events(services)]
        assert ats == sorted(ats) and ats[-1] < now  # business time runs with the log (as_of), ending before now

        late, fresh = tasks["A级景区及周边经营主体联合检查"], tasks["校园周边食品经营主体联合检查"]
        assert late.pending_departments == ["sthj"] and late.response_is_late("sthj", now)
        assert late.responded_late("gxj")
        assert not any(fresh.response_is_late(code, now) for code in fresh.responses)
        agreed = tasks["危险化学品经营单位联合检查"]
        assert agreed.agreed_day > local_date(now) and not agreed.inspections
        inspected = tasks["高新区重点排污工业企业联合检查"]
        assert set(inspected.publications) == {"sthj"} and inspected.inspections["gxj"]["publish_deadline"] < \
            local_date(now)
        drawn = tasks["城关区餐饮服务单位食品安全与消防安全联合抽查"]
        assert drawn.drawn_subjects and set(drawn.draws[drawn.current_draw]["counts"]) == {"A", "B", "C", "D"}
        matched = tasks["西城区文化娱乐场所联合检查"]
        assert len(matched.drawn_subjects) == 6 and set(matched.matchings) == {"wlj", "yjj"}

        draws = {title: task.current_draw for title, task in tasks.items() if task.current_draw}
        assert len(draws) == 4
        with LiveServer.start(services) as server:
            office = server.client("office")
            for title, draw_id in draws.items():
                assert created(office.get(f"/draws/{draw_id}/verification"), 200)["match"] is True, title
            for title, task in tasks.items():
                for department in task.matchings:
                    verified = office.get(f"/joint-tasks/{task.id}/matchings/{department}/verification")
                    assert created(verified, 200)["match"] is True, (title, department)
            head = services.app.recorder.max_notification_id()
            waited = created(office.get("/oversight/late-responses", params={"min_position": head}), 200)
            assert {(r["task_title"], r["department_code"], r["state"]) for r in waited["items"]} == {
                (late.title, "sthj", "overdue"), (late.title, "gxj", "late_with_reason"),
                ("年度联合抽查计划：商超与农贸市场", "sthj", "late_with_reason")}  # a late refusal's reason is its excuse
    finally:
        services.close()


def _row_counts(services) -> dict:  # type: ignore[no-untyped-def]
    with services.engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (departments, users, subjects, inspectors, imports, change_log)}


def _events(services):  # type: ignore[no-untyped-def]
    return [services.app.mapper.to_domain_event(n) for n in services.app.recorder.select_notifications(0, 10_000)]


def _task_ids(services):  # type: ignore[no-untyped-def]
    return [event.originator_id for event in _events(services) if isinstance(event, JointTask.Initiated)]
