"""Demo data: a small province with 8 departments, the office, an admin, and tasks in several states."""
from __future__ import annotations

from datetime import date, datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from api.accounts import add_department, add_user, hash_password
from api.storage.official_calendar import ChineseCalendarSchedule
from api.storage import eventstore as store
from api.bootstrap import Services, wire_ports
from api.storage.tables import departments
from domain.usecases import Actor, JointInspect
from domain.clock import SHANGHAI, FakeClock

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


def load_demo(services: Services) -> bool:
    """Load the demo province, only into an empty store; returns whether anything was loaded."""
    with services.engine.connect() as conn:
        has_departments = conn.execute(select(func.count()).select_from(departments)).scalar_one() > 0
    if has_departments or services.app.recorder.max_notification_id():
        return False
    with services.engine.begin() as conn:
        load_accounts(conn, hash_password(DEMO_PASSWORD))
    _load_stories(services)
    return True


def load_accounts(conn: Connection, password_hash: str) -> None:
    """The office (users office and admin) and the eight demo departments, each with a user of its code."""
    office_id = add_department(conn, OFFICE_CODE, "联席会议办公室", kind="office", region="示范省", level="province")
    add_user(conn, "office", None, office_id, ["office"], "联席办值班员", password_hash)
    add_user(conn, "admin", None, office_id, ["admin"], "系统管理员", password_hash)
    for code, name in DEPARTMENTS:
        dept_id = add_department(conn, code, name, region="示范市", level="city")
        add_user(conn, code, None, dept_id, ["department_staff"], f"{name}经办人", password_hash)


def load_checklist(services: Services) -> None:
    """Each demo department's joint items, created at the start of 2026 by the department's own user."""
    app = _demo_app(services, FakeClock(CHECKLIST_SINCE))
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


def _load_stories(services: Services) -> None:
    """The checklist and the tasks, through the use cases, on a clock that walks through 2026."""
    load_checklist(services)
    clock = FakeClock(_at(date(2026, 9, 1), 9))
    app = _demo_app(services, clock)
    try:
        for story in (_published, _cancelled, _day_agreed, _overdue, _office_planned, _fresh):
            story(app, clock)
    finally:
        app.close()


def _demo_app(services: Services, clock: FakeClock) -> JointInspect:
    """The application on the services' store, with a clock of the demo's own."""
    app = JointInspect(store.environment(services.settings.database_url), clock, ChineseCalendarSchedule())
    wire_ports(app)
    return app


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def _actor(code: str) -> Actor:
    return Actor(user=code, department=code, is_office=code == OFFICE_CODE)


def _initiate(app: JointInspect, clock: FakeClock, when: datetime, lead: str, title: str, to: list[str],
              items: list[str], window: tuple[date, date], planned: bool = True) -> UUID:
    clock.set(when)
    return app.initiate_task(_actor(lead), title=title, planned=planned, items=_ids(items), responding_departments=to,
                             window_start=window[0], window_end=window[1], note="演示数据").aggregate_id


def _ids(names: list[str]) -> list[str]:
    return [ITEM_IDS[name] for name in names]


def _on(app: JointInspect, clock: FakeClock, moment: datetime) -> JointInspect:
    """The application with its clock standing at the given moment."""
    clock.set(moment)
    return app


def _published(app: JointInspect, clock: FakeClock) -> None:
    t = _initiate(app, clock, _at(date(2026, 9, 1), 9), "wjw", "2026年第三季度医疗机构与药品零售联合抽查",
                   ["scjg"], ["医疗机构执业许可检查", "药品零售质量管理检查"], (date(2026, 9, 7), date(2026, 9, 30)))
    _on(app, clock, _at(date(2026, 9, 2), 10)).respond(t, _actor("scjg"), "accept", _ids(["药品零售质量管理检查"]), "")
    _on(app, clock, _at(date(2026, 9, 3), 10)).propose_day(t, _actor("wjw"), date(2026, 9, 15))
    _on(app, clock, _at(date(2026, 9, 3), 15)).agree_day(t, _actor("scjg"))
    for code in ("wjw", "scjg"):
        _on(app, clock, _at(date(2026, 9, 16), 10)).record_inspection(t, _actor(code), date(2026, 9, 15), "现场检查完成")
        _on(app, clock, _at(date(2026, 9, 25), 10)).publish(t, _actor(code), "检查结果已录入并公示")


def _cancelled(app: JointInspect, clock: FakeClock) -> None:
    t = _initiate(app, clock, _at(date(2026, 10, 12), 9), "jtj", "道路运输企业安全生产联合检查",
                   ["yjj"], ["道路运输安全生产检查"], (date(2026, 10, 20), date(2026, 11, 30)))
    _on(app, clock, _at(date(2026, 10, 13), 11)).cancel(t, _actor("jtj"), "上级专项行动已覆盖同一批企业，避免重复检查")


def _day_agreed(app: JointInspect, clock: FakeClock) -> None:
    t = _initiate(app, clock, _at(date(2026, 11, 2), 9), "yjj", "危险化学品经营单位联合检查",
                   ["scjg", "zjj"], ["危险化学品经营许可检查", "特种设备安全检查", "建筑施工安全检查"],
                   (date(2026, 11, 16), date(2026, 12, 31)))
    _on(app, clock, _at(date(2026, 11, 3), 10)).respond(t, _actor("scjg"), "accept", _ids(["特种设备安全检查"]), "")
    _on(app, clock, _at(date(2026, 11, 4), 16)).respond(t, _actor("zjj"), "accept", _ids(["建筑施工安全检查"]), "")
    _on(app, clock, _at(date(2026, 11, 5), 9)).propose_day(t, _actor("yjj"), date(2026, 12, 8))
    _on(app, clock, _at(date(2026, 11, 5), 14)).agree_day(t, _actor("scjg"))
    _on(app, clock, _at(date(2026, 11, 6), 9)).agree_day(t, _actor("zjj"))


def _overdue(app: JointInspect, clock: FakeClock) -> None:
    t = _initiate(app, clock, _at(date(2026, 11, 10), 9), "scjg", "A级景区及周边经营主体联合检查",
                   ["wlj", "sthj", "gxj"], ["旅游经营行为检查", "食品经营检查", "排污许可执行检查"],
                   (date(2026, 11, 23), date(2026, 12, 31)))
    _on(app, clock, _at(date(2026, 11, 11), 10)).respond(t, _actor("wlj"), "accept", _ids(["旅游经营行为检查"]), "")
    _on(app, clock, _at(date(2026, 11, 16), 10)).respond(t, _actor("gxj"), "decline", [], "本季度无相关检查事项")
    # sthj never answers: it is overdue and shows up in the office's late-response list (R-JOINT-4).


def _office_planned(app: JointInspect, clock: FakeClock) -> None:
    t = _initiate(app, clock, _at(date(2026, 11, 16), 9), OFFICE_CODE, "年度联合抽查计划：商超与农贸市场",
                   ["scjg", "wlj", "wjw", "sthj"], ["食品安全检查", "公共场所卫生检查", "文化市场经营检查"],
                   (date(2026, 12, 1), date(2026, 12, 31)))
    _on(app, clock, _at(date(2026, 11, 16), 15)).respond(t, _actor("scjg"), "accept", _ids(["食品安全检查"]), "")
    _on(app, clock, _at(date(2026, 11, 17), 9)).respond(t, _actor("wjw"), "accept", _ids(["公共场所卫生检查"]), "")
    _on(app, clock, _at(date(2026, 11, 18), 17)).respond(t, _actor("wlj"), "accept", _ids(["公共场所卫生检查"]), "")
    _on(app, clock, _at(date(2026, 11, 19), 9)).respond(t, _actor("sthj"), "decline", [], "人员已全部投入环保督察，逾期答复")


def _fresh(app: JointInspect, clock: FakeClock) -> None:
    _initiate(app, clock, _at(date(2026, 11, 20), 9), "scjg", "校园周边食品经营主体联合检查",
              ["wlj", "gxj", "yjj"], ["食品经营检查", "文化市场经营检查"], (date(2026, 11, 30), date(2026, 12, 25)))
