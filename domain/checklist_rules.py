"""Check items (抽查事项清单) and annual plans (抽查工作计划) as plain rules (R-ITEM-1..4, R-PLAN-1..2, R-CAL-3).

Interpretations (004 §14, §25–28, §34, §38, §49):
- The sampling ratio is the item's *annual* ratio (§14 "年度抽查比例"), a percentage with at most two decimals,
  greater than 0 and at most 100 (B's "不设上限" lifts the class cap, not the size of the directory).
- A requires ratio ≤ 10 % ("以下" includes the number), B requires ratio > 10 % ("以上" excludes it) (R-CAL-3).
- C is defined by shared supervision of the same kind of subject, not by a ratio: §14 sets no band for it and §28
  leaves ratio and frequency to the department, so any ratio in (0, 100] is valid for C. Only C items may name
  partner departments, because A and B items are done by the department alone (R-PLAN-2, §28).
- Frequency is the number of sampling rounds a year the annual ratio is spread over (1..365). The per-subject cap of
  two draws a year (R-DRAW-2) is a drawing rule and is enforced when drawing, not here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Iterable, Mapping

from domain import errors

CLASSES = ("A", "B", "C")
CLASS_NAMES = {"A": "A类（一般检查事项）", "B": "B类（重点检查事项）", "C": "C类（联合检查事项）"}
METHODS = ("written", "on_site", "online_monitoring", "sampling_testing", "third_party")  # R-EXEC-1
LEVELS = ("province", "city", "county", "township")  # 实施层级
EXEMPTION_OVERRIDES = ("safety", "environment", "complaint", "superior_order")  # R-DRAW-4
GENERAL_RATIO_LIMIT = Decimal("10")  # R-ITEM-2 with R-CAL-3: A ≤ 10 %, B > 10 %
MAX_RATIO = Decimal("100")
MAX_FREQUENCY = 365
HUNDREDTH = Decimal("0.01")
# What the change log diffs of an item and of a plan (全程留痕)
ITEM_FIELDS = ("code", "name", "subject_type", "content", "category", "methods", "level", "legal_basis", "ratio",
               "frequency", "item_class", "unannounced", "exemption_override", "partner_departments")
PLAN_FIELDS = ("year", "name", "item_ids", "subject_scope", "ratio", "credit_risk_grading", "lead_office",
               "cooperating_offices", "schedule")
TEXT_LIMITS = {"code": 64, "name": 200, "subject_type": 200, "content": 2000, "category": 100,
               "legal_basis": 2000, "subject_scope": 2000, "credit_risk_grading": 2000, "lead_office": 100}
LABELS = {"code": "事项编码", "name": "名称", "subject_type": "检查对象", "content": "检查内容", "category": "事项类别",
          "legal_basis": "检查依据", "subject_scope": "抽查对象", "credit_risk_grading": "信用风险等级区分",
          "lead_office": "牵头处室"}


class InvalidCheckItem(errors.Invalid):
    code = "invalid_check_item"


class ClassRatioMismatch(InvalidCheckItem):
    code = "class_ratio_mismatch"


class ItemsNotOnChecklist(errors.Invalid):
    code = "items_not_on_checklist"


# ---- check items ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CheckItemFields:
    """A validated check item (R-ITEM-1) with the flags drawing needs (R-EXEC-3, R-DRAW-4)."""

    code: str
    name: str
    subject_type: str
    content: str
    category: str
    methods: tuple[str, ...]
    level: str
    legal_basis: str
    ratio: Decimal
    frequency: int
    item_class: str
    unannounced: bool = False
    exemption_override: str | None = None
    partner_departments: tuple[str, ...] = ()

    def as_record(self) -> dict:
        """The fields as the change log records them (ITEM_FIELDS; the ratio as exact text)."""
        return {f: str(self.ratio) if f == "ratio" else list(v) if isinstance(v := getattr(self, f), tuple) else v
                for f in ITEM_FIELDS}


def parse_ratio(value: Decimal | int | str, error: type[errors.Invalid] = InvalidCheckItem) -> Decimal:
    """A percentage in (0, 100] with at most two decimals, as an exact Decimal (floats are refused: inexact)."""
    if isinstance(value, (bool, float)):
        raise error("抽查比例须以数字文本或整数给出，如 \"10\" 或 \"12.5\"。", field="ratio")
    try:
        ratio = Decimal(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, ValueError, TypeError):
        raise error(f"抽查比例“{value}”不是有效的百分数。", field="ratio") from None
    if not ratio.is_finite():
        raise error("抽查比例须为有限的百分数。", field="ratio")
    if ratio <= 0:
        raise error("抽查比例须大于 0%。", field="ratio")
    if ratio > MAX_RATIO:
        raise error("抽查比例不能超过 100%（即全部检查对象）。", field="ratio")
    if ratio != ratio.quantize(HUNDREDTH):
        raise error("抽查比例最多保留两位小数。", field="ratio")
    return ratio.quantize(HUNDREDTH)


def class_for_ratio(ratio: Decimal) -> str:
    """The class a non-joint item with this annual ratio belongs to: ≤10 % is A, >10 % is B (R-ITEM-2, R-CAL-3)."""
    return "A" if ratio <= GENERAL_RATIO_LIMIT else "B"


def check_class_ratio(item_class: str, ratio: Decimal) -> None:
    """A needs ratio ≤ 10 %, B needs ratio > 10 %, C has no band (R-ITEM-2, R-CAL-3)."""
    if item_class not in CLASSES:
        raise InvalidCheckItem("事项分类须为 A、B 或 C。", field="item_class")
    if item_class == "C" or class_for_ratio(ratio) == item_class:
        return
    if item_class == "A":
        raise ClassRatioMismatch(f"A类（一般检查事项）的年度抽查比例须在10%以下（含10%），当前为 {ratio}%；"
                                 "请降低比例或改列为B类。", field="ratio", item_class="A", ratio=str(ratio))
    raise ClassRatioMismatch(f"B类（重点检查事项）的年度抽查比例须在10%以上（不含10%），当前为 {ratio}%；"
                             "请提高比例或改列为A类。", field="ratio", item_class="B", ratio=str(ratio))


def check_frequency(frequency: int) -> int:
    """Sampling rounds a year: a whole number from 1 to 365."""
    if isinstance(frequency, bool) or not isinstance(frequency, int):
        raise InvalidCheckItem("抽查频次须为整数（每年次数）。", field="frequency")
    if not 1 <= frequency <= MAX_FREQUENCY:
        raise InvalidCheckItem(f"抽查频次须为每年 1 至 {MAX_FREQUENCY} 次。", field="frequency")
    return frequency


def check_item(*, department: str, code: str, name: str, subject_type: str, content: str, category: str,
               methods: Iterable[str], level: str, legal_basis: str, ratio: Decimal | int | str, frequency: int,
               item_class: str, unannounced: bool = False, exemption_override: str | None = None,
               partner_departments: Iterable[str] = ()) -> CheckItemFields:
    """Validate a department's check item (R-ITEM-1, R-ITEM-2); returns it cleaned (trimmed, de-duplicated)."""
    texts = {f: clean_text(f, v, InvalidCheckItem) for f, v in (
        ("code", code), ("name", name), ("subject_type", subject_type), ("content", content),
        ("category", category), ("legal_basis", legal_basis))}
    chosen = unique_texts(methods)
    if not chosen:
        raise InvalidCheckItem("请至少选择一种检查方式。", field="methods")
    unknown = [m for m in chosen if m not in METHODS]
    if unknown:
        raise InvalidCheckItem(f"检查方式须为 {'、'.join(METHODS)} 之一，不认识：{'、'.join(unknown)}。",
                               field="methods", unknown=unknown)
    if level not in LEVELS:
        raise InvalidCheckItem(f"实施层级须为 {'、'.join(LEVELS)} 之一。", field="level")
    if exemption_override is not None and exemption_override not in EXEMPTION_OVERRIDES:
        raise InvalidCheckItem(f"免检例外类型须为 {'、'.join(EXEMPTION_OVERRIDES)} 之一，或留空。",
                               field="exemption_override")
    parsed = parse_ratio(ratio)
    check_class_ratio(item_class, parsed)
    partners = unique_texts(partner_departments)
    if partners and item_class != "C":
        raise InvalidCheckItem("只有C类（联合检查）事项可以列明交叉监管部门；A类、B类由本部门自行实施（R-PLAN-2）。",
                               field="partner_departments")
    if department in partners:
        raise InvalidCheckItem("交叉监管部门不能包括本部门。", field="partner_departments")
    return CheckItemFields(methods=chosen, level=level, ratio=parsed, frequency=check_frequency(frequency),
                           item_class=item_class, unannounced=bool(unannounced),
                           exemption_override=exemption_override, partner_departments=partners, **texts)


def exempt_subject_is_excused(exemption_override: str | None) -> bool:
    """Whether a drawn subject on the exemption list is excused under this item (R-DRAW-4: not for the overrides)."""
    return exemption_override is None


def visit_is_announced(unannounced: bool) -> bool:
    """Whether the subject is told time, items and documents before the visit (R-EXEC-3)."""
    return not unannounced


def in_force_during(year: int, created_on: date, retired_on: date | None) -> bool:
    """Whether an item belongs to the year's checklist: created by its end and not retired before it began."""
    return created_on <= date(year, 12, 31) and (retired_on is None or retired_on >= date(year, 1, 1))


# ---- what a plan or a task knows of an item -------------------------------------------------------------
@dataclass(frozen=True)
class ItemRef:
    """What a plan needs to know of a check item it lists."""

    department: str
    item_class: str
    active: bool
    unannounced: bool = False  # R-EXEC-3: the visit is not announced to the subject


# ---- joint tasks ----------------------------------------------------------------------------------------
def check_task_items(entries: Iterable[str], by_id: Mapping[str, ItemRef], by_name: Mapping[str, list[str]],
                     departments: Iterable[str]) -> tuple[str, ...]:
    """A joint task names active C items of its lead or responding departments (R-ITEM-3, R-JOINT-2).

    Entries are item ids; a name is still accepted while clients move to ids, if it names exactly one such item.
    Returns the item ids, de-duplicated, in the order given.
    """
    allowed, ids, unknown, ambiguous = set(departments), [], [], []
    for entry in unique_texts(entries):
        candidates = [entry] if entry in by_id else by_name.get(entry, [])
        if len(candidates) == 1:
            ids.append(candidates[0])
        else:
            (ambiguous if candidates else unknown).append(entry)
    if unknown:
        raise ItemsNotOnChecklist("以下事项不在牵头部门或响应部门在用的联合抽查事项（C类）清单上（清单之外无事项）："
                                  + "、".join(unknown) + "。请从抽查事项清单中选择，或填写事项编号。",
                                  field="items", unknown=unknown)
    if ambiguous:
        raise ItemsNotOnChecklist("以下事项名称对应多个事项，请改用事项编号：" + "、".join(ambiguous) + "。",
                                  field="items", ambiguous=ambiguous)
    refused = {"retired": [i for i in ids if not by_id[i].active],
               "not_joint": [i for i in ids if by_id[i].item_class != "C"],
               "outside": [i for i in ids if by_id[i].department not in allowed]}
    messages = {"retired": "已退出清单", "not_joint": "不是C类（联合检查）事项",
                "outside": "不属于牵头部门或响应部门"}
    for kind, found in refused.items():
        if found:
            raise ItemsNotOnChecklist(f"以下事项{messages[kind]}：" + "、".join(found) + "。",
                                      field="items", **{kind: found})
    return tuple(dict.fromkeys(ids))


def check_own_items(item_ids: Iterable[str], refs: Mapping[str, ItemRef], department: str) -> None:
    """A responding department joins its own items of the task, never another department's (R-JOINT-3: each
    department confirms which of its items it joins). Entries that are not checklist items (tasks from before the
    checklist) have no owner and pass."""
    foreign = [i for i in dict.fromkeys(item_ids) if i in refs and refs[i].department != department]
    if foreign:
        raise errors.InvalidResponse("只能选择本部门的抽查事项参加；其他部门的事项由该部门自行响应。", field="item_ids",
                                     foreign=foreign)


def resolve_task_item_names(entries: Iterable[str], task_items: Iterable[str],
                            names: Mapping[str, str]) -> list[str]:
    """Responses name a task's items by id; a name that is exactly one of the task's items stands for its id.

    Anything else is passed on unchanged, for the task's own check (R-JOINT-3: items outside the task are refused).
    """
    task_items = list(task_items)
    by_name: dict[str, list[str]] = {}
    for item_id in task_items:
        by_name.setdefault(names.get(item_id, item_id), []).append(item_id)
    return [entry if entry in task_items or len(by_name.get(entry, ())) != 1 else by_name[entry][0]
            for entry in entries]


# ---- helpers --------------------------------------------------------------------------------------------
def clean_text(field: str, value: str, error: type[errors.Invalid]) -> str:
    cleaned = (value or "").strip()
    label, limit = LABELS[field], TEXT_LIMITS[field]
    if not cleaned:
        raise error(f"请填写{label}。", field=field)
    if len(cleaned) > limit:
        raise error(f"{label}不能超过 {limit} 个字符。", field=field)
    return cleaned


def unique_texts(values: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:
        cleaned = value.strip()
        if cleaned:
            seen.setdefault(cleaned)
    return tuple(seen)
