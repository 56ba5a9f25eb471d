"""Annual plans (抽查工作计划) of a department or of the office: year, schedule, texts, items, publication and
adjustment (R-PLAN-1, R-PLAN-2, 004 §25, §27, §45). Pure: the use case (domain.usecases.checklist) reads and writes."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable, Mapping

from domain import errors
from domain.checklist_rules import TEXT_LIMITS, ItemRef, ItemsNotOnChecklist, clean_text, unique_texts


class PlanYearFixed(errors.Conflict):
    code = "published_plan_year_fixed"


class PlanClosed(errors.Conflict):
    code = "plan_year_closed"


class InvalidPlan(errors.Invalid):
    code = "invalid_plan"


@dataclass(frozen=True)
class Schedule:
    """When the plan is carried out: whole quarters, or a date range inside the plan's year."""

    quarters: tuple[int, ...] = ()
    start: date | None = None
    end: date | None = None

    def as_record(self) -> dict:
        if self.quarters:
            return {"quarters": list(self.quarters)}
        return {"start": self.start.isoformat() if self.start else None,
                "end": self.end.isoformat() if self.end else None}


def check_plan_year(year: int, today: date) -> int:
    """A plan is made for this year or, from the autumn on, for the next one (R-PLAN-1)."""
    if year not in (today.year, today.year + 1):
        raise InvalidPlan(f"只能编制 {today.year} 年或 {today.year + 1} 年的年度抽查工作计划。", field="year")
    return year


def check_schedule(year: int, quarters: Iterable[int] = (), start: date | None = None,
                   end: date | None = None) -> Schedule:
    """Either quarters (1–4) or a start and end date inside the plan's year, not both."""
    chosen = tuple(sorted(set(quarters)))
    if chosen and (start or end):
        raise InvalidPlan("计划时间请填季度或起止日期，不要同时填写。", field="schedule")
    if chosen:
        if any(q not in (1, 2, 3, 4) for q in chosen):
            raise InvalidPlan("季度须为 1 至 4。", field="schedule")
        return Schedule(quarters=chosen)
    if start is None or end is None:
        raise InvalidPlan("请填写计划时间：季度，或开始和结束日期。", field="schedule")
    if end < start:
        raise InvalidPlan("计划结束日期不能早于开始日期。", field="schedule")
    if start.year != year or end.year != year:
        raise InvalidPlan(f"计划时间须在 {year} 年内。", field="schedule")
    return Schedule(start=start, end=end)


def check_plan_texts(*, name: str, subject_scope: str, credit_risk_grading: str, lead_office: str,
                     cooperating_offices: Iterable[str]) -> tuple[dict[str, str], tuple[str, ...]]:
    """The plan's texts (R-PLAN-1): trimmed, non-blank, within limits; cooperating offices de-duplicated."""
    texts = {f: clean_text(f, v, InvalidPlan) for f, v in (
        ("name", name), ("subject_scope", subject_scope), ("credit_risk_grading", credit_risk_grading),
        ("lead_office", lead_office))}
    offices = unique_texts(cooperating_offices)
    if texts["lead_office"] in offices:
        raise InvalidPlan("牵头处室不能同时列为配合处室。", field="cooperating_offices")
    if any(len(o) > TEXT_LIMITS["lead_office"] for o in offices):
        raise InvalidPlan(f"配合处室名称不能超过 {TEXT_LIMITS['lead_office']} 个字符。", field="cooperating_offices")
    return texts, offices


def check_plan_items(item_ids: Iterable[str], known: Mapping[str, ItemRef], department: str,
                     joint_office: bool) -> tuple[str, ...]:
    """A plan lists active items on the checklist: its own department's, or for the office any C item (R-ITEM-3)."""
    chosen = unique_texts(item_ids)
    if not chosen:
        raise InvalidPlan("计划须至少列入一个抽查事项。", field="item_ids")
    missing = [i for i in chosen if i not in known]
    if missing:
        raise ItemsNotOnChecklist("以下事项不在抽查事项清单上（清单之外无事项）：" + "、".join(missing) + "。",
                                  field="item_ids", unknown=missing)
    retired = [i for i in chosen if not known[i].active]
    if retired:
        raise ItemsNotOnChecklist("以下事项已退出抽查事项清单，不能列入计划：" + "、".join(retired) + "。",
                                  field="item_ids", retired=retired)
    if joint_office:
        wrong = [i for i in chosen if known[i].item_class != "C"]
        message = "联席会议办公室的年度联合计划只能列入C类（联合检查）事项："
    else:
        wrong = [i for i in chosen if known[i].department != department]
        message = "部门计划只能列入本部门的抽查事项，以下事项属于其他部门："
    if wrong:
        raise ItemsNotOnChecklist(message + "、".join(wrong) + "。", field="item_ids", wrong=wrong)
    return chosen


def check_adjustment(published: bool, year: int, new_year: int, reason: str, today: date) -> str:
    """A plan may be adjusted during its year; a published one keeps its year and needs a reason (004 §27)."""
    reason = reason.strip()
    if year < today.year:
        raise PlanClosed(f"{year} 年度已经结束，该年度计划不再调整。", year=year)
    if published and new_year != year:
        raise PlanYearFixed("已公示计划的年度不能修改；新年度请另行编制计划。", year=year)
    if published and not reason:
        raise InvalidPlan("调整已公示的计划须说明调整理由（如上级要求、社会风险、突发事件）。", field="reason")
    if len(reason) > 1000:
        raise InvalidPlan("调整理由不能超过 1000 字。", field="reason")
    return reason


def check_publication(year: int, today: date) -> bool:
    """Whether publishing now is late: a plan is due in its first quarter (004 §25) — late is flagged, not refused;
    a plan whose year is over is no longer published."""
    if year < today.year:
        raise PlanClosed(f"{year} 年度已经结束，该年度计划不再公示。", year=year)
    return today > date(year, 3, 31)


