"""Demo data: a province with 8 departments and the office, a directory of 24,000 subjects and 80 inspectors
(api/demo_directory.py), and eleven tasks at every stage of their lifecycle, dated relative to today.

The stories play on a clock of their own that walks through the last three months up to yesterday, counting
working days on the store's calendar, so the demo tells the same story whatever day it is loaded on: a task
published, one inspected whose results are overdue, one cancelled, one merged into another, one with its
subjects drawn and a day proposed, one with its inspectors matched for a day to come, one with an agreed day
and no draw yet, one with a late responder, one answered by all, and a fresh one awaiting responses.
Events are recorded in the order of their business time across all stories (as_of bisects the log by it)."""
from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Callable, Iterator
from uuid import NAMESPACE_URL, UUID, uuid5

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from api.accounts import add_department, add_user, hash_password
from api.demo_directory import load_directories
from api.http.schemas import DrawCriteriaIn
from api.storage.draws import SqlSubjectPool
from api.storage.official_calendar import ChineseCalendarSchedule
from api.storage import eventstore as store
from api.bootstrap import Services, wire_ports
from api.storage.tables import departments, subjects
from domain.usecases import Actor, JointInspect
from domain.clock import SHANGHAI, FakeClock
from domain.working_days import Calendar, local_date

DEMO_PASSWORD = "jointinspect-demo"
OFFICE_CODE = "lhbgs"
DEPARTMENTS = [
    ("scjg", "市场监督管理局"), ("wlj", "文化和旅游局"), ("gxj", "工业和信息化局"), ("yjj", "应急管理局"),
    ("sthj", "生态环境局"), ("wjw", "卫生健康委员会"), ("jtj", "交通运输局"), ("zjj", "住房和城乡建设局"),
]

# The departments' joint (class C) check items: a joint task names items from this list (R-ITEM-3).
# (department, item code, name, subject type, category, legal basis)
CHECKLIST = [
    ("scjg", "SCJG-C-01", "食品经营检查", "食品经营者", "食品安全", "《中华人民共和国食品安全法》第一百一十条"),
    ("scjg", "SCJG-C-02", "食品安全检查", "食品生产经营者", "食品安全", "《中华人民共和国食品安全法》第八十七条"),
    ("scjg", "SCJG-C-03", "特种设备安全检查", "特种设备使用单位", "特种设备", "《中华人民共和国特种设备安全法》第五十七条"),
    ("scjg", "SCJG-C-04", "药品零售质量管理检查", "药品零售企业", "药品监管", "《中华人民共和国药品管理法》第九十九条"),
    ("wlj", "WLJ-C-01", "文化市场经营检查", "文化娱乐场所", "文化市场", "《娱乐场所管理条例》第三十四条"),
    ("wlj", "WLJ-C-02", "旅游经营行为检查", "旅行社、A级旅游景区", "旅游市场", "《中华人民共和国旅游法》第八十三条"),
    ("gxj", "GXJ-C-01", "工业产品生产许可检查", "工业产品生产企业", "工业产品", "《中华人民共和国工业产品生产许可证管理条例》第三十九条"),
    ("gxj", "GXJ-C-02", "民用爆炸物品安全检查", "民用爆炸物品生产销售企业", "安全生产", "《民用爆炸物品安全管理条例》第四十二条"),
    ("yjj", "YJJ-C-01", "消防安全检查", "人员密集场所", "消防安全", "《中华人民共和国消防法》第五十三条"),
    ("yjj", "YJJ-C-02", "危险化学品经营许可检查", "危险化学品经营单位", "安全生产", "《危险化学品安全管理条例》第六条"),
    ("yjj", "YJJ-C-03", "危险化学品检查", "危险化学品使用单位", "安全生产", "《危险化学品安全管理条例》第六条"),
    ("sthj", "STHJ-C-01", "排污许可执行检查", "排污单位", "生态环境", "《排污许可管理条例》第二十八条"),
    ("wjw", "WJW-C-01", "医疗机构执业许可检查", "医疗机构", "医疗卫生", "《医疗机构管理条例》第四十条"),
    ("wjw", "WJW-C-02", "公共场所卫生检查", "公共场所经营者", "公共卫生", "《公共场所卫生管理条例》第十条"),
    ("jtj", "JTJ-C-01", "道路运输安全生产检查", "道路运输企业", "交通运输", "《中华人民共和国道路运输条例》第五十八条"),
    ("zjj", "ZJJ-C-01", "建筑施工安全检查", "建筑施工企业", "建设工程", "《建设工程安全生产管理条例》第四十条"),
]
CHECKLIST_SINCE = datetime(2026, 1, 5, 9, tzinfo=SHANGHAI)
STORY_WORKING_DAYS = 52  # the first story starts this many working days before today
WITNESSES = [{"name": "张明律师", "role": "legal_adviser"}, {"name": "李红（市人大代表）", "role": "public_representative"}]


def load_demo(services: Services) -> bool:
    """Load the demo province, only into an empty store; returns whether anything was loaded."""
    with services.engine.connect() as conn:
        has_data = any(conn.execute(select(func.count()).select_from(table)).scalar_one() > 0
                       for table in (departments, subjects))
    if has_data or services.app.recorder.max_notification_id():
        return False
    with services.engine.begin() as conn:
        load_accounts(conn, hash_password(DEMO_PASSWORD))
    today = local_date(services.clock.now())  # the real today (or JOINTINSPECT_NOW's): the stories end before it
    days = WorkingDays(services.app.calendar(), today)
    load_directories(services.engine, [code for code, _ in DEPARTMENTS], days.at(-STORY_WORKING_DAYS - 1, 8), today)
    load_checklist(services, since=min(CHECKLIST_SINCE, days.at(-STORY_WORKING_DAYS - 1, 9)))
    _load_stories(services, days)
    return True


def load_accounts(conn: Connection, password_hash: str) -> None:
    """The office (users office and admin) and the eight demo departments, each with a user of its code."""
    office_id = add_department(conn, OFFICE_CODE, "联席会议办公室", kind="office", region="示范省", level="province")
    add_user(conn, "office", None, office_id, ["office"], "联席办值班员", password_hash)
    add_user(conn, "admin", None, office_id, ["admin"], "系统管理员", password_hash)
    for code, name in DEPARTMENTS:
        dept_id = add_department(conn, code, name, region="示范市", level="city")
        add_user(conn, code, None, dept_id, ["department_staff"], f"{name}经办人", password_hash)
        add_user(conn, approver_username(code), None, dept_id, ["department_staff", "approver"], f"{name}负责人",
                 password_hash)


def approver_username(code: str) -> str:
    """Each demo department's head: approves its corrections (R-PUB-2) and redraws."""
    return f"{code}_fzr"


def load_checklist(services: Services, since: datetime = CHECKLIST_SINCE) -> None:
    """Each demo department's joint items, created (by default at the start of 2026) by the department's own user."""
    app = _demo_app(services, FakeClock(since))
    try:
        for code, item_code, name, subject_type, category, basis in CHECKLIST:
            _create_item(app, code, item_code, name, subject_type, category, basis)
    finally:
        app.close()


def _create_item(app: JointInspect, code: str, item_code: str, name: str, subject_type: str, category: str,
                 basis: str) -> None:
    app.create_item(_actor(code), demo_item_id(item_code), code=item_code, name=name, subject_type=subject_type,
                    content=f"{name}：依照{basis}开展检查", category=category, methods=["on_site", "written"],
                    level="city", legal_basis=basis, ratio="5", frequency=1, item_class="C")


def demo_item_id(item_code: str) -> str:
    """Demo items have stable ids, so a demo store looks the same on every machine."""
    return str(uuid5(NAMESPACE_URL, f"jointinspect-demo/check-item/{item_code}"))


ITEM_IDS = {name: demo_item_id(item_code) for _, item_code, name, *_ in CHECKLIST}


class WorkingDays:
    """Days counted in working days from today on the store's calendar: day(-1) is the last working day before
    today, day(1) the first after it (today itself is never one of them)."""

    def __init__(self, calendar: Calendar, today: date) -> None:
        self.calendar, self.today = calendar, today

    def day(self, n: int) -> date:
        day, step = self.today, timedelta(days=1 if n > 0 else -1)
        for _ in range(abs(n)):
            day += step
            while not self.calendar.is_working_day(day):
                day += step
        return day

    def at(self, n: int, hour: int, minute: int = 0) -> datetime:
        day = self.day(n)
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


@dataclass
class _Demo:
    app: JointInspect
    days: WorkingDays
    catch_up: Callable[[], object]  # the projections, before a draw reads the cap and overlaps from them


Story = Iterator[datetime]  # yields the moment of its next step, which then runs on the clock standing there


def _load_stories(services: Services, days: WorkingDays) -> None:
    """Play the stories through the use cases, interleaved in time order, on a clock that ends before today."""
    clock = FakeClock(days.at(-STORY_WORKING_DAYS, 8))
    app = _demo_app(services, clock)
    # The draw's pool reads the cap and overlaps from read models; the loader catches the projections up itself
    # before each draw (`_draw`), and nothing else writes while the demo loads, so catch_up need not wait: it
    # reports the position the projections stand at, which is the log's head.
    app.subject_pool = SqlSubjectPool(wait_for_head=lambda: None, lowest_position=services.runner.lowest_position)
    demo = _Demo(app, days, services.runner.catch_up)
    stories = [story(demo) for story in (_published, _cancelled, _inspected, _merged, _day_agreed, _drawn, _matched,
                                         _overdue, _office_planned, _fresh)]
    try:
        queue = [(next(story), n, story) for n, story in enumerate(stories)]
        heapq.heapify(queue)
        while queue:
            moment, n, story = heapq.heappop(queue)
            if moment >= services.clock.now():
                raise RuntimeError(f"a demo story would act in the future, at {moment}")
            clock.set(moment)
            following = next(story, None)
            if following is not None:
                heapq.heappush(queue, (following, n, story))
    finally:
        app.close()


def _demo_app(services: Services, clock: FakeClock) -> JointInspect:
    """The application on the services' store, with a clock of the demo's own."""
    app = JointInspect(store.environment(services.settings.database_url), clock, ChineseCalendarSchedule())
    wire_ports(app)
    return app


def _actor(code: str) -> Actor:
    return Actor(user=code, department=code, is_office=code == OFFICE_CODE)


def _initiate(d: _Demo, lead: str, title: str, to: list[str], items: list[str], window: tuple[int, int],
              planned: bool = True) -> UUID:
    """A task whose window starts on working day window[0] and lasts window[1] calendar days."""
    start = d.days.day(window[0])
    return d.app.initiate(_actor(lead), items=_ids(items), responding_departments=to, title=title, planned=planned,
                          window_start=start, window_end=start + timedelta(days=window[1]), note="演示数据").aggregate_id


def _ids(names: list[str]) -> list[str]:
    return [ITEM_IDS[name] for name in names]


def _accept(d: _Demo, task: UUID, code: str, *items: str) -> None:
    d.app.respond(task, _actor(code), "accept", _ids(list(items)), "")


def _draw(d: _Demo, task: UUID, lead: str, **criteria: object) -> None:
    """Commit, then execute a draw, as the lead's clerk does on two clicks (R-DRAW-1, R-DRAW-5)."""
    normal = DrawCriteriaIn.model_validate(criteria).model_dump(mode="json", exclude_none=True)  # as the route keeps
    committed = d.app.commit_draw(task, _actor(lead), criteria=normal, witnesses=WITNESSES, redraw_of=None,
                                  reason="", approver="")
    d.catch_up()
    d.app.execute_draw(task, _actor(lead), committed.id)


def _match(d: _Demo, task: UUID, *codes: str) -> None:
    """Each joining department matches its own inspectors to the drawn subjects, two to a team (R-MATCH-1)."""
    for code in codes:
        committed = d.app.commit_matching(task, _actor(code), team_size=2)
        d.app.execute_matching(task, _actor(code), committed.id)


def _agree(d: _Demo, task: UUID, proposer: str, day: int, *others: str) -> None:
    d.app.propose_day(task, _actor(proposer), d.days.day(day))
    for code in others:
        d.app.agree_day(task, _actor(code))


ITEM_OWNERS = {demo_item_id(item_code): code for code, item_code, *_ in CHECKLIST}
FINDINGS = {  # the outcomes the demo's results show, with what each needs (R-EXEC-2)
    "pass": {"findings": "现场核查证照、台账及经营场所，未发现问题。"},
    "rectified": {"findings": "发现从业人员健康证明未公示。", "measures": "当场责令改正，已公示健康证明。"},
    "unreachable": {"findings": "登记的经营场所已无人经营，无法联系。"},
    "transferred": {"findings": "发现超范围经营。", "transferred_to": "区综合行政执法局，案件编号（2026）执法字第 0031 号"},
}


def _inspect(d: _Demo, task: UUID, completed_on: int, *codes: str) -> None:
    """Each department records its one result per drawn subject (R-JOINT-7), in one batch, as its page does."""
    aggregate = d.app.get_task(task)
    outcomes = list(FINDINGS)
    for code in codes:
        items = aggregate.allowed_result_items(code, ITEM_OWNERS)
        teams = aggregate.matchings[code]["teams"]
        entries = []
        for n, subject in enumerate(aggregate.drawn_subjects):  # every third subject with a finding
            outcome = outcomes[n % len(outcomes)] if n % 3 == 2 else "pass"
            entries.append({"subject_code": subject, "item_ids": items, "methods": ["on_site", "written"],
                            "outcome": outcome, "findings": "", "measures": "", "transferred_to": "",
                            "confidential_note": "检查记录已归档", "inspector_ids": teams[subject],
                            "inspected_on": d.days.day(completed_on)} | FINDINGS[outcome])
        d.app.record_results(task, _actor(code), entries)


def _publish(d: _Demo, task: UUID, *codes: str) -> None:
    """Each department publishes what it recorded (谁检查、谁录入、谁公示, R-PUB-1)."""
    for rid, record in d.app.get_task(task).results.items():
        if record["department"] in codes:
            d.app.publish_result(UUID(rid), _actor(record["department"]))


def _correct_first(d: _Demo, task: UUID, code: str) -> None:
    """A published result corrected with the department head's approval (R-PUB-2)."""
    rid = next(r for r, record in d.app.get_task(task).results.items() if record["department"] == code)
    d.app.correct_result(UUID(rid), _actor(code), changes={"findings": "现场核查证照、台账及经营场所，未发现问题；"
                                                             "补充：经营场所卫生状况良好。"},
                         reason="检查情况漏记一项，依现场记录补正", approver=approver_username(code))


def _published(d: _Demo) -> Story:
    """Drawn, matched, inspected and published by both departments (R-JOINT-7, R-PUB-1)."""
    at = d.days.at
    yield at(-50, 9)
    t = _initiate(d, "wjw", "医疗机构与药品零售企业联合抽查", ["scjg"], ["医疗机构执业许可检查", "药品零售质量管理检查"],
                  (-48, 45))
    yield at(-49, 10)
    _accept(d, t, "scjg", "药品零售质量管理检查")
    yield at(-48, 10)
    _draw(d, t, "wjw", region="东城区", industry="药品零售", ratio="5")
    yield at(-47, 9)
    _agree(d, t, "wjw", -40, "scjg")
    yield at(-46, 10)
    _match(d, t, "wjw", "scjg")
    yield at(-39, 10)
    _inspect(d, t, -40, "wjw", "scjg")
    yield at(-35, 10)
    _publish(d, t, "wjw", "scjg")
    yield at(-30, 10)
    _correct_first(d, t, "scjg")
    yield at(-20, 15)
    _afterlife(d, t)


def _afterlife(d: _Demo, task: UUID) -> None:
    """What follows the results (issue 17): an objection received on paper, requests raised during the visit."""
    aggregate = d.app.get_task(task)
    rid = next(r for r, record in aggregate.results.items() if record["department"] == "wjw")
    d.app.lodge_objection(UUID(rid), _actor("wjw"), reason="我院当日已提交执业许可证副本，检查记录有误，申请复查。",
                          contact={"name": "李主任", "phone": "0851-86000000"}, via="clerk")
    subject = aggregate.drawn_subjects[0]
    d.app.raise_request(task, _actor("scjg"), subject=subject, content="希望说明药品经营许可证延续办理材料。",
                        contact={}, via="inspector", on_spot_answer="已现场告知所需材料及网上办理入口。")
    d.app.raise_request(task, _actor("scjg"), subject=subject, content="申请减免本年度第三方检测费用。",
                        contact={}, via="inspector")


def _cancelled(d: _Demo) -> Story:
    yield d.days.at(-44, 9)
    t = _initiate(d, "jtj", "道路运输企业安全生产联合检查", ["yjj"], ["道路运输安全生产检查"], (-40, 40))
    yield d.days.at(-43, 11)
    d.app.cancel(t, _actor("jtj"), "上级专项行动已覆盖同一批企业，避免重复检查")


def _inspected(d: _Demo) -> Story:
    """Inspected by both; sthj published, gxj has not and is past its 20 working days (R-PUB-1)."""
    at = d.days.at
    yield at(-34, 9)
    t = _initiate(d, "sthj", "高新区重点排污工业企业联合检查", ["gxj"], ["排污许可执行检查", "工业产品生产许可检查"],
                  (-30, 30))
    yield at(-33, 10)
    _accept(d, t, "gxj", "工业产品生产许可检查")
    yield at(-32, 10)
    _draw(d, t, "sthj", region="高新区", industry="工业制造", tags=["重点排污单位"], ratio="10")
    yield at(-31, 9)
    _agree(d, t, "sthj", -25, "gxj")
    yield at(-30, 10)
    _match(d, t, "sthj", "gxj")
    yield at(-24, 10)
    _inspect(d, t, -25, "sthj", "gxj")
    yield at(-20, 16)
    _publish(d, t, "sthj")


def _merged(d: _Demo) -> Story:
    """Two tasks of one lead on the same enterprises, fused into one (R-JOINT-8); yjj then answers the survivor."""
    yield d.days.at(-17, 9)
    survivor = _initiate(d, "jtj", "危险货物道路运输企业联合检查", ["yjj"], ["道路运输安全生产检查", "危险化学品检查"],
                         (-5, 40))
    yield d.days.at(-16, 9)
    merged = _initiate(d, "jtj", "客运站场安全生产联合检查", ["yjj"], ["道路运输安全生产检查", "消防安全检查"], (-5, 40))
    yield d.days.at(-16, 14)
    d.app.merge(merged, survivor, _actor("jtj"))
    yield d.days.at(-15, 10)
    _accept(d, survivor, "yjj", "危险化学品检查", "消防安全检查")


def _day_agreed(d: _Demo) -> Story:
    at = d.days.at
    yield at(-22, 9)
    t = _initiate(d, "yjj", "危险化学品经营单位联合检查", ["scjg", "zjj"],
                  ["危险化学品经营许可检查", "特种设备安全检查", "建筑施工安全检查"], (2, 45))
    yield at(-21, 10)
    _accept(d, t, "scjg", "特种设备安全检查")
    yield at(-20, 16)
    _accept(d, t, "zjj", "建筑施工安全检查")
    yield at(-19, 9)
    _agree(d, t, "yjj", 8)
    yield at(-19, 14)
    d.app.agree_day(t, _actor("scjg"))
    yield at(-18, 9)
    d.app.agree_day(t, _actor("zjj"))


def _drawn(d: _Demo) -> Story:
    """Subjects drawn by credit class (R-DRAW-3); scjg proposed a day that yjj has yet to agree to."""
    at = d.days.at
    yield at(-15, 9)
    t = _initiate(d, "scjg", "城关区餐饮服务单位食品安全与消防安全联合抽查", ["yjj"], ["食品经营检查", "消防安全检查"],
                  (3, 40))
    yield at(-14, 10)
    _accept(d, t, "yjj", "消防安全检查")
    yield at(-13, 10)
    # only classified subjects: an unclassified one would be in the pool list with an empty stratum
    _draw(d, t, "scjg", region="城关区", industry="餐饮服务", credit_classes=["A", "B", "C", "D"],
          ratios_by_credit={"A": "1", "B": "2", "C": "5", "D": "20"})
    yield at(-12, 9)
    d.app.propose_day(t, _actor("scjg"), d.days.day(6))


def _matched(d: _Demo) -> Story:
    """Drawn, day agreed, and both departments' inspectors matched for a day to come (R-MATCH-1)."""
    at = d.days.at
    yield at(-11, 9)
    t = _initiate(d, "wlj", "西城区文化娱乐场所联合检查", ["yjj"], ["文化市场经营检查", "消防安全检查"], (1, 30))
    yield at(-10, 10)
    _accept(d, t, "yjj", "消防安全检查")
    yield at(-9, 10)
    _draw(d, t, "wlj", region="西城区", industry="文化娱乐", count=6)
    yield at(-8, 9)
    _agree(d, t, "wlj", 4, "yjj")
    yield at(-7, 10)
    _match(d, t, "wlj", "yjj")


def _overdue(d: _Demo) -> Story:
    at = d.days.at
    yield at(-8, 9)
    t = _initiate(d, "scjg", "A级景区及周边经营主体联合检查", ["wlj", "sthj", "gxj"],
                  ["旅游经营行为检查", "食品经营检查", "排污许可执行检查"], (5, 40))
    yield at(-7, 10)
    _accept(d, t, "wlj", "旅游经营行为检查")
    yield at(-4, 10)
    d.app.respond(t, _actor("gxj"), "decline", [], "本季度无相关检查事项")
    # sthj never answers: it is overdue and shows up in the office's late-response list (R-JOINT-4).


def _office_planned(d: _Demo) -> Story:
    at = d.days.at
    yield at(-6, 9)
    t = _initiate(d, OFFICE_CODE, "年度联合抽查计划：商超与农贸市场", ["scjg", "wlj", "wjw", "sthj"],
                  ["食品安全检查", "公共场所卫生检查", "文化市场经营检查"], (8, 30))
    yield at(-6, 15)
    _accept(d, t, "scjg", "食品安全检查")
    yield at(-5, 9)
    _accept(d, t, "wjw", "公共场所卫生检查")
    yield at(-4, 17)
    _accept(d, t, "wlj", "文化市场经营检查")
    yield at(-3, 9)
    d.app.respond(t, _actor("sthj"), "decline", [], "人员已全部投入环保督察，逾期答复")


def _fresh(d: _Demo) -> Story:
    yield d.days.at(-1, 15)
    _initiate(d, "scjg", "校园周边食品经营主体联合检查", ["wlj", "gxj", "yjj"], ["食品经营检查", "文化市场经营检查"],
              (5, 25))
