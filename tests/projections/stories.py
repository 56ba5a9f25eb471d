"""Event histories for projection tests, recorded through the application (no HTTP)."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from uuid import UUID, uuid4

from domain import draw as algorithm
from domain.enterprise_request import EnterpriseRequest
from domain.objection import Objection
from domain.usecases import SYSTEM, Actor
from domain.clock import SHANGHAI

SCJG, WLJ, GXJ, WJW = Actor("scjg", "scjg"), Actor("wlj", "wlj"), Actor("gxj", "gxj"), Actor("wjw", "wjw")
OFFICE = Actor("office", "office", is_office=True)
FOOD, FIRE = "食品经营检查", "消防安全检查"
WITNESSES = [{"name": "张律师", "role": "legal_adviser"}]


def initiate(services, lead: Actor = SCJG, responders: tuple[str, ...] = ("wlj", "gxj"), items=(FOOD, FIRE),
             window=(date(2026, 3, 9), date(2026, 4, 30)), title: str = "联合检查") -> UUID:  # type: ignore[no-untyped-def]
    return services.app.initiate_task(lead, title=title, planned=True, items=list(items),
                                      responding_departments=list(responders), window_start=window[0],
                                      window_end=window[1], note="").aggregate_id


def draw(services, task_id: UUID, codes: list[str], lead: Actor = SCJG, redraw_of: str | None = None) -> str:  # type: ignore[no-untyped-def]
    """Commit and execute a draw whose result is `codes` (the algorithm is not what these tests look at)."""
    seed, draw_id = algorithm.new_seed(), str(uuid4())
    app, actor = services.app, lead.as_record()
    with app.transaction():  # on the aggregate itself: the draw use case would draw from a directory
        task, now = app.get_task(task_id), app.clock.now()
        task.commit_draw(department=lead.department, now=now, actor=actor, draw_id=draw_id,
                         commitment=algorithm.commitment(seed), criteria={"count": len(codes)}, witnesses=WITNESSES,
                         redraw_of=redraw_of, reason="抽取对象已注销" if redraw_of else "",
                         approver="局长" if redraw_of else "")
        task.record_draw(now=now, actor=actor, draw_id=draw_id, seed=seed, algorithm=algorithm.ALGORITHM,
                         version=algorithm.VERSION, pool_fingerprint="0" * 64, pool_size=len(codes), counts={},
                         excused=[], drawn=list(codes), replaced=[], flags={})
        app.save(task)
    return draw_id


def agree_day(services, task_id: UUID, day: date, parties: tuple[Actor, ...] = (SCJG, WLJ)) -> None:  # type: ignore[no-untyped-def]
    services.app.propose_day(task_id, parties[0], day)
    for party in parties[1:]:
        services.app.agree_day(task_id, party)


def every_kind_of_event(services, clock) -> dict[str, UUID]:  # type: ignore[no-untyped-def]
    """Tasks that between them record every event the tasks projection reads (and some it does not)."""
    full = initiate(services, responders=("wlj", "gxj", "wjw"))
    services.app.respond(full, WLJ, "accept", [FOOD], "")
    services.app.respond(full, GXJ, "decline", [], "本季度无相关检查任务")
    cancelled = initiate(services, responders=("wlj",))
    survivor, absorbed = initiate(services, title="融合后"), initiate(services, title="被融合", items=("文化市场经营检查",))
    services.app.respond(absorbed, WLJ, "accept", ["文化市场经营检查"], "")
    clock.advance(timedelta(days=3))  # past the response deadline (Wed 2026-03-04)
    services.app.mark_overdue(full, "wjw", SYSTEM)
    services.app.give_late_reason(full, WJW, "人员外出培训")
    services.app.respond(full, WJW, "accept", [FIRE], "")
    services.app.cancel(cancelled, SCJG, "与上级专项行动重复")
    services.app.merge(absorbed, survivor, SCJG)
    subjects = ["91110000000000001X", "91110000000000002X"]
    draw(services, full, subjects)
    agree_day(services, full, date(2026, 3, 10), (SCJG, WLJ, WJW))
    for party in (SCJG, WLJ, WJW):
        assign(services, full, party, {s: [f"{party.department}-a", f"{party.department}-b"] for s in subjects})
    on_task(services, full, lambda task, now: task.issue_visit_notices(
        department="scjg", is_office=False, unannounced_items=[], codes={s: f"CODE{s[-3:]}" for s in subjects},
        now=now, actor=SCJG.as_record()))
    clock.set(datetime(2026, 3, 11, 10, tzinfo=SHANGHAI))
    for party in (SCJG, WLJ):  # each one result per subject: the department's inspection is recorded
        record_results(services, full, party, subjects)
    first = on_task(services, full, lambda task, now: [
        task.publish_result(result_id=rid, department="scjg", calendar=services.app.calendar(), now=now,
                            actor=SCJG.as_record())
        for rid, r in task.results.items() if r["department"] == "scjg"] and
        next(rid for rid, r in task.results.items() if r["department"] == "scjg"))
    on_task(services, full, lambda task, now: task.correct_result(
        result_id=first, department="scjg", changes={"findings": "补正：证照已公示"}, reason="漏记", approver="局长",
        item_owners=OWNERS, now=now, actor=SCJG.as_record()))
    on_task(services, full, lambda task, now: task.chase_results(department="scjg", now=now, actor=SCJG.as_record()))
    afterlife(services, full, first, subjects[0])
    return {"full": full, "cancelled": cancelled, "survivor": survivor, "absorbed": absorbed}


def afterlife(services, task_id: UUID, result_id: str, subject: str) -> None:  # type: ignore[no-untyped-def]
    """Every event of an objection (R-OBJ-1) and of an enterprise request (R-JOINT-9), on the aggregates themselves;
    a day off amended into the calendar moves the open ones' deadlines."""
    app, now = services.app, services.clock.now()
    calendar = app.calendar()
    amended = dataclasses.replace(calendar, amendments={date(2026, 3, 16): False})
    contact = {"name": "王经理", "phone": "0851-1234567"}
    with app.transaction():
        result = app.get_task(task_id).results[result_id]
        answered, open_one = (Objection.lodge(
            result=result, result_id=result_id, task_id=task_id, reason=reason, contact=contact, via="clerk",
            answer_days=7, calendar=calendar, now=now, actor=SCJG.as_record()) for reason in ("结果有误", "再次申请"))
        answered.review(department="scjg", decision="upheld", opinion="维持", correction_version=None,
                        calendar=calendar, now=now, actor=SCJG.as_record())
        answered.give_answer(department="scjg", answer="经复查维持", now=now, actor=SCJG.as_record())
        assert open_one.recompute(calendar=amended, now=now, actor=OFFICE.as_record())  # its DeadlineRecomputed
        forwarded, on_spot, waiting = (EnterpriseRequest.raise_request(
            task_id=task_id, subject=subject, subject_name="检查对象", department="wlj", content=content,
            contact={}, via="inspector", on_spot_answer=answer, calendar=calendar, now=now, actor=WLJ.as_record())
            for content, answer in (("咨询许可", ""), ("咨询年报", "已现场说明"), ("申请减免", "")))
        forwarded.forward(department="wlj", to_department="sthj", note="属生态环境部门职能", known=True,
                          calendar=calendar, now=now, actor=WLJ.as_record())
        forwarded.give_answer(department="sthj", answer="已答复", now=now, actor=Actor("sthj", "sthj").as_record())
        assert waiting.recompute(calendar=amended, now=now, actor=OFFICE.as_record())
        app.save(answered, open_one, forwarded, on_spot, waiting)


OWNERS = {FOOD: "scjg", FIRE: "wjw"}  # the items' departments (tasks here name items, not ids)


def on_task(services, task_id: UUID, command):  # type: ignore[no-untyped-def]
    """A command on the aggregate itself, in one unit of work (the use case would need the checklist by ids)."""
    app = services.app
    with app.transaction():
        task = app.get_task(task_id)
        value = command(task, app.clock.now())
        app.save(task)
    return value


def assign(services, task_id: UUID, party: Actor, teams: dict[str, list[str]]) -> None:  # type: ignore[no-untyped-def]
    on_task(services, task_id, lambda task, now: task.assign_inspectors(
        department=party.department, teams=teams, reason="本部门检查人员不足", approver="局长", now=now,
        actor=party.as_record()))


def record_results(services, task_id: UUID, party: Actor, subjects: list[str]) -> None:  # type: ignore[no-untyped-def]
    calendar = services.app.calendar()

    def command(task, now):  # type: ignore[no-untyped-def]
        for subject in subjects:
            task.record_result(
                department=party.department, subject=subject, subject_name=f"检查对象{subject[-3:]}",
                item_ids=task.allowed_result_items(party.department, OWNERS), item_owners=OWNERS,
                methods=["on_site"], outcome="pass", findings="未发现问题", measures="", transferred_to="",
                confidential_note="", inspector_ids=task.matchings[party.department]["teams"][subject],
                inspected_on=date(2026, 3, 10), calendar=calendar, now=now, actor=party.as_record())

    on_task(services, task_id, command)
