"""Rules of a department's result for one subject (一部门一对象一张表): R-JOINT-7, R-EXEC-1, R-EXEC-2, R-PUB-1..3.

Pure functions over plain values; `JointTask` calls them before it records a result, a publication or a correction.
"""
from __future__ import annotations

from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

from domain import errors

# R-EXEC-1 (001 §8, 003 §13, 004 §13)
METHODS = {
    "written": "书面检查",
    "on_site": "实地核查",
    "online": "网络监测",
    "sampling": "抽样检验检测",
    "third_party": "委托第三方或采信第三方结论",
}
# R-EXEC-2 (004 §31–32, 000 §16, 001 §8, 003 §17); the second value is the national publicity system's category
OUTCOMES = {
    "pass": ("未发现问题", "未发现问题"),
    "rectified": ("发现问题已当场责令改正", "发现问题已责令改正"),
    "transferred": ("发现问题已移交立案查处", "发现问题待后续处理"),
    "unreachable": ("通过登记的住所（经营场所）无法联系", "通过登记的住所（经营场所）无法联系"),
    "refused": ("不配合检查", "不配合检查情节严重"),
    "closed": ("已注销、被吊销或已关闭", "已注销或被吊销营业执照"),
    "judicial": ("涉嫌犯罪已移送司法机关", "发现问题待后续处理"),
    "not_operating": ("未发现开展本次检查涉及的经营活动", "未发现开展本次抽查涉及的经营活动"),
}
NEEDS_RECEIVER = {"transferred", "judicial"}  # names the receiving body and its case number
NEEDS_MEASURES = {"rectified"}  # the rectification on the spot is its second entry
MIN_TEAM_PRESENT = 2  # R-MATCH-1: at least two inspectors, the leader among them
TEXT_LIMIT = 2000
# Fields a correction may change (R-PUB-2); the subject, department and inspectors stay what they were
CORRECTABLE = ("outcome", "methods", "findings", "measures", "transferred_to", "item_ids", "inspected_on")
PUBLIC_FIELDS = ("item_ids", "methods", "outcome", "findings", "measures", "transferred_to", "inspected_on")


# A department's result settings (R-PUB-1): no review, publication within 20 working days of the inspection
DEFAULT_SETTINGS = {"review_required": False, "report_days": None, "publish_days": 20, "answer_days": 7}
MAX_DAYS = 20


def check_settings(review_required: bool, report_days: int | None, publish_days: int, answer_days: int = 7) -> dict:
    """A department may be stricter than R-PUB-1, never looser: a report within `report_days` of the inspection
    and publication within `publish_days` of the report (003 §15: 5 and 2), together at most 20 working days. An
    objection's review is answered within `answer_days` of its decision: 7 (003 §16) up to 15 (001 §11, R-OBJ-1)."""
    if report_days is not None and not 1 <= report_days <= MAX_DAYS:
        raise errors.Invalid(f"报送期限须为 1 至 {MAX_DAYS} 个工作日。", field="report_days")
    if not 1 <= publish_days <= MAX_DAYS:
        raise errors.Invalid(f"公示期限须为 1 至 {MAX_DAYS} 个工作日。", field="publish_days")
    if (report_days or 0) + publish_days > MAX_DAYS:
        raise errors.Invalid(f"报送与公示期限合计不得超过 {MAX_DAYS} 个工作日（R-PUB-1）。", field="publish_days")
    if not 7 <= answer_days <= 15:
        raise errors.Invalid("异议复查结果反馈期限须为 7 至 15 个工作日（R-OBJ-1）。", field="answer_days")
    return {"review_required": bool(review_required), "report_days": report_days, "publish_days": publish_days,
            "answer_days": answer_days}


def result_id(task_id: UUID, department: str, subject: str) -> UUID:
    """One result per department per subject of a task (R-JOINT-7): its id follows from the three."""
    return uuid5(NAMESPACE_URL, f"jointinspect:result:{task_id}:{department}:{subject}")


def check_text(value: str, label: str, field: str, *, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise errors.Invalid(f"请填写{label}。", field=field)
    if len(value) > TEXT_LIMIT:
        raise errors.Invalid(f"{label}不能超过 {TEXT_LIMIT} 个字。", field=field)
    return value


def check_methods(methods: list[str]) -> list[str]:
    """R-EXEC-1: at least one of the regulated methods, each once."""
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise errors.Invalid(f"检查方式须为：{'、'.join(METHODS.values())}。", field="methods", unknown=unknown)
    chosen = [m for m in METHODS if m in methods]
    if not chosen:
        raise errors.Invalid("请至少选择一种检查方式。", field="methods")
    return chosen


def check_outcome(outcome: str, measures: str, transferred_to: str) -> None:
    """R-EXEC-2: one of the regulated outcomes, with what that outcome needs."""
    if outcome not in OUTCOMES:
        raise errors.Invalid(f"检查结果须为：{'、'.join(o[0] for o in OUTCOMES.values())}。", field="outcome")
    if outcome in NEEDS_MEASURES and not measures:
        raise errors.Invalid("当场责令改正的，请在“处理措施”中记录整改情况。", field="measures")
    if outcome in NEEDS_RECEIVER and not transferred_to:
        raise errors.Invalid("移交处理的，请填写接收机关及案件编号。", field="transferred_to")


def check_items(item_ids: list[str], allowed: list[str]) -> list[str]:
    """The result covers items this department checks on this task (its accepted items; the lead: its own)."""
    if not item_ids:
        raise errors.Invalid("请至少选择一个检查事项。", field="item_ids")
    foreign = [i for i in item_ids if i not in allowed]
    if foreign:
        raise errors.Invalid("所选检查事项不是本部门在本任务中承担的事项。", field="item_ids", items=foreign)
    return [i for i in allowed if i in item_ids]


def check_inspectors(inspector_ids: list[str], team: list[str] | None, subject: str) -> list[str]:
    """At least two of the department's matched team for the subject, the team leader among them (R-MATCH-1)."""
    if not team:
        raise errors.WrongState("本部门尚未为该检查对象匹配检查人员，不能录入结果。", subject=subject)
    if len(set(inspector_ids)) != len(inspector_ids):
        raise errors.Invalid("参加检查的人员有重复。", field="inspector_ids")
    outside = [i for i in inspector_ids if i not in team]
    if outside:
        raise errors.Invalid("参加检查的人员须是本部门为该检查对象匹配的检查组成员。", field="inspector_ids",
                             inspectors=outside)
    if len(inspector_ids) < MIN_TEAM_PRESENT:
        raise errors.Invalid(f"参加检查的人员不少于 {MIN_TEAM_PRESENT} 名。", field="inspector_ids")
    if team[0] not in inspector_ids:
        raise errors.Invalid("检查组组长须参加检查。", field="inspector_ids", leader=team[0])
    return [i for i in team if i in inspector_ids]


def check_inspected_on(inspected_on: date, agreed_day: date | None, today: date) -> date:
    if agreed_day is None:
        raise errors.WrongState("联合检查日尚未确定，不能录入检查结果。")
    if not agreed_day <= inspected_on <= today:
        raise errors.Invalid(f"检查日期须在联合检查日 {agreed_day} 与今天之间。", field="inspected_on",
                             inspected_on=str(inspected_on))
    return inspected_on


def check_changes(current: dict, changes: dict) -> dict:
    """A correction names what it changes; each changed field is checked as at entry (R-PUB-2)."""
    unknown = sorted(set(changes) - set(CORRECTABLE))
    if unknown:
        raise errors.Invalid(f"更正只能改变：{'、'.join(CORRECTABLE)}。", field="changes", unknown=unknown)
    changed = {k: v for k, v in changes.items() if current.get(k) != v}
    if not changed:
        raise errors.Invalid("更正内容与现公示版本相同，请写明要更正的内容。", field="changes")
    return changed
