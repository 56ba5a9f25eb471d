"""Demo data: a small province with 8 departments, the office, an admin, and tasks in several states."""
from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from api.accounts import add_department, add_user, hash_password
from api.official_calendar import ChineseCalendarSchedule
from api.services import Services
from api.tables import departments
from domain.application import Actor, JointInspect
from domain.clock import SHANGHAI, FakeClock

DEMO_PASSWORD = "jointinspect-demo"
OFFICE_CODE = "lhbgs"
DEPARTMENTS = [
    ("scjg", "市场监督管理局"), ("wlj", "文化和旅游局"), ("gxj", "工业和信息化局"), ("yjj", "应急管理局"),
    ("sthj", "生态环境局"), ("wjw", "卫生健康委员会"), ("jtj", "交通运输局"), ("zjj", "住房和城乡建设局"),
]


def load_demo(services: Services) -> bool:
    """Load the demo province, only into an empty store; returns whether anything was loaded."""
    with services.engine.connect() as conn:
        has_departments = conn.execute(select(func.count()).select_from(departments)).scalar_one() > 0
    if has_departments or services.app.recorder.max_notification_id():
        return False
    with services.engine.begin() as conn:
        load_accounts(conn, hash_password(DEMO_PASSWORD))
    _load_tasks(services)
    return True


def load_accounts(conn: Connection, password_hash: str) -> None:
    """The office (users office and admin) and the eight demo departments, each with a user of its code."""
    office_id = add_department(conn, OFFICE_CODE, "联席会议办公室", kind="office", region="示范省", level="province")
    add_user(conn, "office", None, office_id, ["office"], "联席办值班员", password_hash)
    add_user(conn, "admin", None, office_id, ["admin"], "系统管理员", password_hash)
    for code, name in DEPARTMENTS:
        dept_id = add_department(conn, code, name, region="示范市", level="city")
        add_user(conn, code, None, dept_id, ["department_staff"], f"{name}经办人", password_hash)


def _load_tasks(services: Services) -> None:
    clock = FakeClock(_at(date(2026, 9, 1), 9))
    app = JointInspect({"PERSISTENCE_MODULE": "eventsourcing_sqlalchemy",
                        "SQLALCHEMY_URL": services.settings.database_url}, clock, ChineseCalendarSchedule())
    try:
        for story in (_published, _cancelled, _day_agreed, _overdue, _office_planned, _fresh):
            story(app, clock)
    finally:
        app.close()


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def _actor(code: str) -> Actor:
    return Actor(user=code, department=code, is_office=code == OFFICE_CODE)


def _initiate(app: JointInspect, clock: FakeClock, when: datetime, lead: str, title: str, to: list[str],
              items: list[str], window: tuple[date, date], planned: bool = True) -> UUID:
    clock.set(when)
    return app.initiate_task(_actor(lead), title=title, planned=planned, items=items, responding_departments=to,
                             window_start=window[0], window_end=window[1], note="演示数据").aggregate_id


def _on(app: JointInspect, clock: FakeClock, moment: datetime) -> JointInspect:
    """The application with its clock standing at the given moment."""
    clock.set(moment)
    return app


def _published(app: JointInspect, clock: FakeClock) -> None:
    t = _initiate(app, clock, _at(date(2026, 9, 1), 9), "wjw", "2026年第三季度医疗机构与药品零售联合抽查",
                   ["scjg"], ["医疗机构执业许可检查", "药品零售质量管理检查"], (date(2026, 9, 7), date(2026, 9, 30)))
    _on(app, clock, _at(date(2026, 9, 2), 10)).respond(t, _actor("scjg"), "accept", ["药品零售质量管理检查"], "")
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
    _on(app, clock, _at(date(2026, 11, 3), 10)).respond(t, _actor("scjg"), "accept", ["特种设备安全检查"], "")
    _on(app, clock, _at(date(2026, 11, 4), 16)).respond(t, _actor("zjj"), "accept", ["建筑施工安全检查"], "")
    _on(app, clock, _at(date(2026, 11, 5), 9)).propose_day(t, _actor("yjj"), date(2026, 12, 8))
    _on(app, clock, _at(date(2026, 11, 5), 14)).agree_day(t, _actor("scjg"))
    _on(app, clock, _at(date(2026, 11, 6), 9)).agree_day(t, _actor("zjj"))


def _overdue(app: JointInspect, clock: FakeClock) -> None:
    t = _initiate(app, clock, _at(date(2026, 11, 10), 9), "scjg", "A级景区及周边经营主体联合检查",
                   ["wlj", "sthj", "gxj"], ["旅游经营行为检查", "食品经营检查", "排污许可执行检查"],
                   (date(2026, 11, 23), date(2026, 12, 31)))
    _on(app, clock, _at(date(2026, 11, 11), 10)).respond(t, _actor("wlj"), "accept", ["旅游经营行为检查"], "")
    _on(app, clock, _at(date(2026, 11, 16), 10)).respond(t, _actor("gxj"), "decline", [], "本季度无相关检查事项")
    # sthj never answers: it is overdue and shows up in the office's late-response list (R-JOINT-4).


def _office_planned(app: JointInspect, clock: FakeClock) -> None:
    t = _initiate(app, clock, _at(date(2026, 11, 16), 9), OFFICE_CODE, "年度联合抽查计划：商超与农贸市场",
                   ["scjg", "wlj", "wjw", "sthj"], ["食品安全检查", "公共场所卫生检查", "消防安全检查"],
                   (date(2026, 12, 1), date(2026, 12, 31)))
    _on(app, clock, _at(date(2026, 11, 16), 15)).respond(t, _actor("scjg"), "accept", ["食品安全检查"], "")
    _on(app, clock, _at(date(2026, 11, 17), 9)).respond(t, _actor("wjw"), "accept", ["公共场所卫生检查"], "")
    _on(app, clock, _at(date(2026, 11, 18), 17)).respond(t, _actor("wlj"), "accept", ["公共场所卫生检查"], "")
    _on(app, clock, _at(date(2026, 11, 19), 9)).respond(t, _actor("sthj"), "decline", [], "人员已全部投入环保督察，逾期答复")


def _fresh(app: JointInspect, clock: FakeClock) -> None:
    _initiate(app, clock, _at(date(2026, 11, 20), 9), "scjg", "校园周边食品经营主体联合检查",
              ["wlj", "gxj", "yjj"], ["食品经营检查", "文化市场经营检查"], (date(2026, 11, 30), date(2026, 12, 25)))
