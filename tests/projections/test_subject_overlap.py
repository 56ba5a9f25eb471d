"""The subject_overlap read model: tasks per subject, this year's inspections by department and item, pending
visits (R-DRAW-2, R-DRAW-6, R-JOINT-8)."""
from __future__ import annotations

import hashlib
from datetime import date, datetime

from sqlalchemy import select

from domain.clock import SHANGHAI
from projections.subject_overlap import SubjectOverlapProjection, overlap_flags, subject_overlap
from tests.projections.stories import (
    FIRE, FOOD, GXJ, OFFICE, SCJG, WJW, WLJ, agree_day, assign, draw, every_kind_of_event, initiate, record_results,
)

A, B, C = "91110000000000001X", "91110000000000002X", "91110000000000003X"


def _overlap(services, code: str, year: int = 2026) -> dict | None:  # type: ignore[no-untyped-def]
    services.runner.catch_up()
    with services.engine.connect() as conn:
        return subject_overlap(conn, code, year=year)


def _inspected_task(services, clock, codes: list[str]):  # type: ignore[no-untyped-def]
    """scjg leads (食品, 消防), wlj joins for 食品, gxj declines; visited on 2026-03-10, recorded next day."""
    task = initiate(services)
    services.app.respond(task, WLJ, "accept", [FOOD], "")
    services.app.respond(task, GXJ, "decline", [], "本季度无相关检查任务")
    draw(services, task, codes)
    agree_day(services, task, date(2026, 3, 10))
    for party in (SCJG, WLJ):
        assign(services, task, party, {c: [f"{party.department}-a", f"{party.department}-b"] for c in codes})
    clock.set(datetime(2026, 3, 11, 10, tzinfo=SHANGHAI))
    for party in (SCJG, WLJ):  # one result per subject records the department's inspection
        record_results(services, task, party, codes)
    return task


def test_an_inspection_counts_every_drawn_subject_for_each_item_the_department_inspects(services, clock):  # R-DRAW-2
    task = _inspected_task(services, clock, [A, B])
    found = _overlap(services, A)
    assert [(g["department"], g["item"], g["count"]) for g in found["inspections"]] == [
        ("scjg", FIRE, 1), ("scjg", FOOD, 1), ("wlj", FOOD, 1)]
    assert found["inspections"][0]["task_ids"] == [str(task)]
    assert found["inspections"][0]["last_inspected_on"] == date(2026, 3, 10)
    assert found["pending_visits"] == [] and found["tasks"][0]["status"] == "inspected"
    assert _overlap(services, C) is None  # never drawn


def test_inspections_are_counted_for_the_calendar_year_of_the_visit(services, clock):  # R-DRAW-2
    _inspected_task(services, clock, [A])
    assert _overlap(services, A, year=2027)["inspections"] == []
    assert len(_overlap(services, A, year=2026)["inspections"]) == 3


def test_a_live_task_with_a_proposed_day_is_a_pending_visit_of_its_subjects(services, clock):  # R-DRAW-6
    task = initiate(services)
    services.app.respond(task, WLJ, "accept", [FOOD], "")
    services.app.respond(task, GXJ, "accept", [FIRE], "")
    draw(services, task, [A])
    services.app.propose_day(task, SCJG, date(2026, 3, 12))
    visit = _overlap(services, A)["pending_visits"][0]
    assert visit["task_id"] == str(task) and visit["day"] == date(2026, 3, 12) and visit["day_state"] == "proposed"
    assert visit["departments"] == [{"department": "gxj", "items": [FIRE]}, {"department": "scjg",
                                    "items": [FOOD, FIRE]}, {"department": "wlj", "items": [FOOD]}]
    services.app.agree_day(task, WLJ)
    services.app.agree_day(task, GXJ)
    assert _overlap(services, A)["pending_visits"][0]["day_state"] == "agreed"


def test_a_partly_recorded_visit_stays_pending_for_the_departments_yet_to_record(services, clock):  # R-DRAW-6
    task = initiate(services)
    services.app.respond(task, WLJ, "accept", [FOOD], "")
    services.app.respond(task, GXJ, "decline", [], "无相关检查任务")
    draw(services, task, [A])
    agree_day(services, task, date(2026, 3, 10))
    assign(services, task, SCJG, {A: ["scjg-a", "scjg-b"]})
    clock.set(datetime(2026, 3, 11, 10, tzinfo=SHANGHAI))
    record_results(services, task, SCJG, [A])
    found = _overlap(services, A)
    assert [d["department"] for d in found["pending_visits"][0]["departments"]] == ["wlj"]
    assert [g["department"] for g in found["inspections"]] == ["scjg", "scjg"]


def test_a_redraw_replaces_the_subjects_of_the_task(services, clock):  # R-DRAW-6
    task = initiate(services)
    first = draw(services, task, [A, B])
    draw(services, task, [C], redraw_of=first)
    assert _overlap(services, A) is None and _overlap(services, B) is None
    assert [t["task_id"] for t in _overlap(services, C)["tasks"]] == [str(task)]


def test_cancelled_and_merged_tasks_keep_their_subjects_but_no_pending_visit(services, clock):  # R-JOINT-8
    survivor, absorbed, cancelled = initiate(services), initiate(services), initiate(services, responders=("wjw",))
    for task in (survivor, absorbed, cancelled):
        draw(services, task, [A])
    services.app.cancel(cancelled, SCJG, "与上级专项行动重复")
    services.app.merge(absorbed, survivor, SCJG)
    found = _overlap(services, A)
    states = {t["task_id"]: (t["status"], t["merged_into"]) for t in found["tasks"]}
    assert states[str(absorbed)] == ("merged", str(survivor)) and states[str(cancelled)][0] == "cancelled"
    assert [v["task_id"] for v in found["pending_visits"]] == [str(survivor)]


def test_merged_departments_visit_with_the_survivor_for_their_items(services, clock):  # R-JOINT-8
    survivor = initiate(services, responders=("wlj",))
    absorbed = initiate(services, lead=WJW, responders=("gxj",), items=("医疗机构检查",))
    draw(services, survivor, [A])
    services.app.merge(absorbed, survivor, OFFICE)  # two leads: the office fuses
    visit = _overlap(services, A)["pending_visits"][0]
    assert {d["department"]: d["items"] for d in visit["departments"]} == {"scjg": [FOOD, FIRE],
                                                                           "wjw": ["医疗机构检查"]}
    assert _overlap(services, A)["tasks"][0]["task_id"] == str(survivor)  # the absorbed task drew nothing


def test_draw_time_flags_carry_other_tasks_with_their_inspections_and_pending_visits(services, clock):  # R-DRAW-6
    inspected = _inspected_task(services, clock, [A])
    pending = initiate(services, lead=WJW, responders=("wlj",), window=(date(2026, 3, 12), date(2026, 4, 30)))
    draw(services, pending, [A, B], lead=WJW)
    services.runner.catch_up()
    with services.engine.connect() as conn:
        flags = overlap_flags(conn, [A, B, C], year=2026, task_id=str(pending))
    assert set(flags) == {A}
    (other,) = flags[A]
    assert other["task_id"] == str(inspected) and other["pending_visit"] is None
    assert {(i["department"], i["item"]) for i in other["inspections"]} == {("scjg", FOOD), ("scjg", FIRE),
                                                                           ("wlj", FOOD)}
    with services.engine.connect() as conn:
        flags = overlap_flags(conn, [A, B], year=2026, task_id=str(inspected))
    assert [t["task_id"] for t in flags[A]] == [str(pending)] and flags[A][0]["pending_visit"]["day"] is None
    assert flags[A][0]["pending_visit"]["departments"] == ["wjw"]


def _checksum(engine) -> str:  # type: ignore[no-untyped-def]
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for table in SubjectOverlapProjection.tables:
            for row in conn.execute(select(table).order_by(*table.primary_key.columns)):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def test_rebuild_replays_the_overlap_model_to_the_same_rows(services, clock):  # R-DRAW-6
    every_kind_of_event(services, clock)
    services.runner.batch_size = 3
    services.runner.catch_up()
    live = _checksum(services.engine)
    services.runner.rebuild("subject_overlap")
    assert _checksum(services.engine) == live
