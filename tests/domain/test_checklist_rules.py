"""Check item and plan rules: fields, the A/B/C class and ratio pair, plans (R-ITEM-1..4, R-PLAN-1..2, R-CAL-3)."""
from datetime import date
from decimal import Decimal

import pytest

from domain import errors
from domain.checklist_rules import (
    ClassRatioMismatch, InvalidCheckItem, ItemRef, ItemsNotOnChecklist, check_class_ratio, check_item, check_task_items,
    class_for_ratio, exempt_subject_is_excused, in_force_during, parse_ratio, visit_is_announced,
)
from domain.plan_rules import (
    InvalidPlan, PlanClosed, PlanYearFixed, check_adjustment, check_plan_items, check_plan_texts, check_plan_year,
    check_publication, check_schedule,
)

DEPARTMENT = "scjg"
ITEM = dict(department=DEPARTMENT, code="SCJG-A-001", name="食品经营许可事项检查", subject_type="食品经营者",
            content="许可证件、经营场所与许可一致性", category="食品安全", methods=["on_site"], level="city",
            legal_basis="《食品安全法》第一百一十条", ratio="5", frequency=1, item_class="A")
TODAY = date(2026, 3, 2)


def item(**overrides):
    return check_item(**(ITEM | overrides))


# ---- R-ITEM-1: the fields -------------------------------------------------------------------------------
def test_a_valid_item_keeps_every_field_trimmed():  # R-ITEM-1
    checked = item(name="  食品经营许可事项检查 ", methods=["on_site", "written", "on_site"])
    assert checked.name == "食品经营许可事项检查"
    assert checked.methods == ("on_site", "written")
    assert checked.ratio == Decimal("5.00") and checked.frequency == 1 and checked.level == "city"


@pytest.mark.parametrize("field", ["code", "name", "subject_type", "content", "category", "legal_basis"])
def test_each_text_field_is_required(field):  # R-ITEM-1
    with pytest.raises(InvalidCheckItem) as refused:
        item(**{field: "   "})
    assert refused.value.details["field"] == field and "请填写" in refused.value.message


def test_an_over_long_name_is_refused():  # R-ITEM-1
    with pytest.raises(InvalidCheckItem, match="不能超过 200 个字符"):
        item(name="查" * 201)


def test_at_least_one_method_is_required():  # R-ITEM-1
    with pytest.raises(InvalidCheckItem, match="至少选择一种检查方式"):
        item(methods=[])


def test_methods_are_the_five_of_r_exec_1():  # R-ITEM-1 R-EXEC-1
    checked = item(methods=["written", "on_site", "online_monitoring", "sampling_testing", "third_party"])
    assert len(checked.methods) == 5
    with pytest.raises(InvalidCheckItem) as refused:
        item(methods=["on_site", "phone_call"])
    assert refused.value.details["unknown"] == ["phone_call"]


def test_level_must_be_a_known_level():  # R-ITEM-1
    with pytest.raises(InvalidCheckItem, match="实施层级"):
        item(level="galaxy")


def test_frequency_is_a_whole_number_of_rounds_from_1_to_365():  # R-ITEM-1
    assert item(frequency=365).frequency == 365
    for bad in (0, 366, -1):
        with pytest.raises(InvalidCheckItem, match="抽查频次"):
            item(frequency=bad)


def test_frequency_is_not_a_boolean_or_fraction():  # R-ITEM-1
    for bad in (True, 1.5):
        with pytest.raises(InvalidCheckItem, match="整数"):
            item(frequency=bad)


# ---- ratio ----------------------------------------------------------------------------------------------
def test_ratio_keeps_two_decimals_exactly():  # R-ITEM-1
    assert parse_ratio("10.01") == Decimal("10.01")
    assert parse_ratio(7) == Decimal("7.00")
    assert parse_ratio(Decimal("100")) == Decimal("100.00")


def test_ratio_must_be_above_zero():  # R-ITEM-1
    for bad in ("0", "-1", "0.00"):
        with pytest.raises(InvalidCheckItem, match="大于 0%"):
            parse_ratio(bad)


def test_ratio_cannot_exceed_the_whole_directory():  # R-ITEM-1 R-ITEM-2
    with pytest.raises(InvalidCheckItem, match="不能超过 100%"):
        parse_ratio("100.01")


def test_ratio_with_more_than_two_decimals_is_refused():  # R-ITEM-1 R-CAL-3
    with pytest.raises(InvalidCheckItem, match="两位小数"):
        parse_ratio("10.001")


def test_ratio_that_is_not_a_number_is_refused():  # R-ITEM-1
    for bad in ("十", "", "NaN", "Infinity"):
        with pytest.raises(InvalidCheckItem):
            parse_ratio(bad)


def test_float_ratios_are_refused_as_inexact():  # R-ITEM-1
    with pytest.raises(InvalidCheckItem, match="数字文本或整数"):
        parse_ratio(10.1)


def test_the_plan_error_kind_can_be_chosen_for_a_plan_ratio():  # R-PLAN-1
    with pytest.raises(InvalidPlan):
        parse_ratio("0", InvalidPlan)


# ---- R-ITEM-2 with R-CAL-3: the class and ratio pair -------------------------------------------------
def test_ten_percent_is_class_a_not_b():  # R-ITEM-2 R-CAL-3
    assert class_for_ratio(Decimal("10")) == "A"
    assert item(ratio="10", item_class="A").item_class == "A"
    with pytest.raises(ClassRatioMismatch):
        item(ratio="10", item_class="B")


def test_ten_point_zero_one_percent_is_class_b_not_a():  # R-ITEM-2 R-CAL-3
    assert class_for_ratio(Decimal("10.01")) == "B"
    assert item(ratio="10.01", item_class="B").item_class == "B"
    with pytest.raises(ClassRatioMismatch):
        item(ratio="10.01", item_class="A")


def test_class_a_accepts_the_smallest_ratio():  # R-ITEM-2
    assert item(ratio="0.01", item_class="A").ratio == Decimal("0.01")


def test_class_b_has_no_cap_up_to_the_whole_directory():  # R-ITEM-2
    assert item(ratio="100", item_class="B").ratio == Decimal("100.00")


def test_the_mismatch_message_says_how_to_fix_it():  # R-ITEM-2 R-CAL-3
    with pytest.raises(ClassRatioMismatch) as refused:
        item(ratio="12", item_class="A")
    assert "改列为B类" in refused.value.message and refused.value.code == "class_ratio_mismatch"
    assert refused.value.details == {"field": "ratio", "item_class": "A", "ratio": "12.00"}
    assert isinstance(refused.value, errors.Invalid)


def test_class_c_accepts_any_ratio_in_range():  # R-ITEM-2
    for ratio in ("0.01", "10", "10.01", "100"):
        check_class_ratio("C", Decimal(ratio))
    assert item(ratio="35", item_class="C").item_class == "C"


def test_an_unknown_class_is_refused():  # R-ITEM-2
    with pytest.raises(InvalidCheckItem, match="A、B 或 C"):
        item(item_class="D")


def test_only_c_items_name_partner_departments():  # R-ITEM-2 R-PLAN-2
    assert item(item_class="C", partner_departments=["wlj", " wlj ", "gxj"]).partner_departments == ("wlj", "gxj")
    with pytest.raises(InvalidCheckItem, match="只有C类"):
        item(item_class="A", partner_departments=["wlj"])


def test_a_c_item_cannot_name_its_own_department_as_partner():  # R-ITEM-2
    with pytest.raises(InvalidCheckItem, match="不能包括本部门"):
        item(item_class="C", partner_departments=[DEPARTMENT])


# ---- flags for drawing and visiting ---------------------------------------------------------------------
def test_items_are_announced_and_exemptions_excuse_by_default():  # R-EXEC-3 R-DRAW-4
    checked = item()
    assert checked.unannounced is False and checked.exemption_override is None
    assert visit_is_announced(checked.unannounced) and exempt_subject_is_excused(checked.exemption_override)


def test_an_unannounced_item_is_not_announced_before_the_visit():  # R-EXEC-3
    assert not visit_is_announced(item(unannounced=True).unannounced)


@pytest.mark.parametrize("kind", ["safety", "environment", "complaint", "superior_order"])
def test_exempt_subjects_are_not_excused_for_the_override_kinds(kind):  # R-DRAW-4
    assert not exempt_subject_is_excused(item(exemption_override=kind).exemption_override)


def test_an_unknown_exemption_override_is_refused():  # R-DRAW-4
    with pytest.raises(InvalidCheckItem, match="免检例外"):
        item(exemption_override="weather")


# ---- R-ITEM-4: the year's joint checklist ---------------------------------------------------------------
def test_an_item_retired_during_the_year_still_belongs_to_that_year():  # R-ITEM-4 R-ITEM-3
    assert in_force_during(2026, date(2025, 6, 1), date(2026, 1, 1))
    assert not in_force_during(2026, date(2025, 6, 1), date(2025, 12, 31))


def test_an_item_created_after_the_year_does_not_belong_to_it():  # R-ITEM-4
    assert in_force_during(2026, date(2026, 12, 31), None)
    assert not in_force_during(2026, date(2027, 1, 1), None)


# ---- R-PLAN-1: annual plans -----------------------------------------------------------------------------
def test_a_plan_is_for_this_year_or_the_next():  # R-PLAN-1
    assert check_plan_year(2026, TODAY) == 2026 and check_plan_year(2027, TODAY) == 2027
    for bad in (2025, 2028):
        with pytest.raises(InvalidPlan, match="只能编制"):
            check_plan_year(bad, TODAY)


def test_a_schedule_is_quarters_sorted_and_unique():  # R-PLAN-1
    assert check_schedule(2026, [3, 2, 3]).as_record() == {"quarters": [2, 3]}


def test_a_schedule_may_be_a_date_range_inside_the_year():  # R-PLAN-1
    schedule = check_schedule(2026, start=date(2026, 4, 1), end=date(2026, 6, 30))
    assert schedule.as_record() == {"start": "2026-04-01", "end": "2026-06-30"}


@pytest.mark.parametrize("quarters, start, end, message", [
    ([5], None, None, "1 至 4"),
    ([], None, None, "请填写计划时间"),
    ([1], date(2026, 1, 1), None, "不要同时填写"),
    ([], date(2026, 6, 1), date(2026, 5, 1), "不能早于"),
    ([], date(2026, 12, 1), date(2027, 1, 31), "2026 年内"),
])
def test_a_bad_schedule_is_refused(quarters, start, end, message):  # R-PLAN-1
    with pytest.raises(InvalidPlan, match=message):
        check_schedule(2026, quarters, start, end)


def test_plan_texts_are_required_and_offices_unique():  # R-PLAN-1
    texts, offices = check_plan_texts(name=" 计划 ", subject_scope="全市", credit_risk_grading="A级5%",
                                      lead_office="稽查科", cooperating_offices=["食品科", "食品科 ", ""])
    assert texts["name"] == "计划" and offices == ("食品科",)
    with pytest.raises(InvalidPlan, match="请填写信用风险等级区分"):
        check_plan_texts(name="计划", subject_scope="全市", credit_risk_grading=" ", lead_office="稽查科",
                         cooperating_offices=[])


def test_the_lead_office_is_not_also_a_cooperating_office():  # R-PLAN-1
    with pytest.raises(InvalidPlan, match="牵头处室不能同时"):
        check_plan_texts(name="计划", subject_scope="全市", credit_risk_grading="A级5%", lead_office="稽查科",
                         cooperating_offices=["稽查科"])


KNOWN = {"a1": ItemRef("scjg", "A", True), "c1": ItemRef("scjg", "C", True), "c2": ItemRef("wlj", "C", True),
         "old": ItemRef("scjg", "B", False), "b2": ItemRef("wlj", "B", True)}


def test_a_department_plan_lists_its_own_active_items():  # R-PLAN-1 R-PLAN-2
    assert check_plan_items(["a1", "c1", "a1"], KNOWN, "scjg", joint_office=False) == ("a1", "c1")


def test_a_plan_cannot_list_items_off_the_checklist():  # R-ITEM-3
    with pytest.raises(ItemsNotOnChecklist, match="清单之外无事项") as refused:
        check_plan_items(["a1", "nope"], KNOWN, "scjg", joint_office=False)
    assert refused.value.details["unknown"] == ["nope"]


def test_a_plan_cannot_list_retired_items():  # R-ITEM-3
    with pytest.raises(ItemsNotOnChecklist, match="已退出"):
        check_plan_items(["old"], KNOWN, "scjg", joint_office=False)


def test_a_department_plan_cannot_list_another_departments_items():  # R-PLAN-2
    with pytest.raises(ItemsNotOnChecklist, match="其他部门"):
        check_plan_items(["a1", "c2"], KNOWN, "scjg", joint_office=False)


def test_the_office_joint_plan_lists_c_items_of_any_department_only():  # R-PLAN-2 R-ITEM-4
    assert check_plan_items(["c1", "c2"], KNOWN, "lhbgs", joint_office=True) == ("c1", "c2")
    with pytest.raises(ItemsNotOnChecklist, match="C类"):
        check_plan_items(["c1", "b2"], KNOWN, "lhbgs", joint_office=True)


def test_a_plan_needs_at_least_one_item():  # R-PLAN-1
    with pytest.raises(InvalidPlan, match="至少列入一个"):
        check_plan_items([" "], KNOWN, "scjg", joint_office=False)


def test_a_published_plan_is_adjusted_only_with_a_reason():  # R-PLAN-1
    assert check_adjustment(True, 2026, 2026, "  上级要求增加抽查  ", TODAY) == "上级要求增加抽查"
    with pytest.raises(InvalidPlan, match="调整理由"):
        check_adjustment(True, 2026, 2026, "  ", TODAY)


def test_a_draft_is_edited_without_a_reason():  # R-PLAN-1
    assert check_adjustment(False, 2026, 2027, "", TODAY) == ""


def test_a_published_plan_keeps_its_year():  # R-PLAN-1
    with pytest.raises(PlanYearFixed):
        check_adjustment(True, 2026, 2027, "改年度", TODAY)


def test_a_plan_of_a_past_year_is_not_adjusted():  # R-PLAN-1
    with pytest.raises(PlanClosed) as refused:
        check_adjustment(True, 2025, 2025, "补录", TODAY)
    assert refused.value.kind == "conflict"


def test_a_plan_published_after_the_first_quarter_is_late():  # R-PLAN-1
    assert check_publication(2026, date(2026, 3, 31)) is False
    assert check_publication(2026, date(2026, 4, 1)) is True
    assert check_publication(2027, date(2026, 12, 15)) is False


def test_a_plan_of_a_past_year_is_not_published():  # R-PLAN-1
    with pytest.raises(PlanClosed):
        check_publication(2025, TODAY)


# ---- joint tasks name C items on the checklist (integration rule) ---------------------------------------
TASK_ITEMS = {"c1": ItemRef("scjg", "C", True), "c2": ItemRef("wlj", "C", True), "a1": ItemRef("scjg", "A", True),
              "old": ItemRef("scjg", "C", False), "c9": ItemRef("jtj", "C", True)}
PARTIES = ("scjg", "wlj", "gxj")


def test_a_joint_task_names_active_c_items_of_its_departments_by_id():  # R-ITEM-3 R-JOINT-2
    assert check_task_items(["c2", "c1", "c2"], TASK_ITEMS, {}, PARTIES) == ("c2", "c1")


def test_a_unique_item_name_is_resolved_to_its_id():  # R-ITEM-3 R-JOINT-2
    assert check_task_items(["餐饮单位联合检查", "c2"], TASK_ITEMS, {"餐饮单位联合检查": ["c1"]}, PARTIES) == ("c1", "c2")


def test_an_ambiguous_item_name_must_be_given_as_an_id():  # R-ITEM-3
    with pytest.raises(ItemsNotOnChecklist, match="改用事项编号") as refused:
        check_task_items(["联合检查"], TASK_ITEMS, {"联合检查": ["c1", "c2"]}, PARTIES)
    assert refused.value.details["ambiguous"] == ["联合检查"]


def test_a_task_item_off_the_checklist_is_refused():  # R-ITEM-3
    with pytest.raises(ItemsNotOnChecklist, match="清单之外无事项"):
        check_task_items(["消防安全检查"], TASK_ITEMS, {}, PARTIES)


@pytest.mark.parametrize("entry, kind", [("a1", "not_joint"), ("old", "retired"), ("c9", "outside")])
def test_a_task_item_must_be_an_active_c_item_of_a_party(entry, kind):  # R-JOINT-2 R-PLAN-2
    with pytest.raises(ItemsNotOnChecklist) as refused:
        check_task_items(["c1", entry], TASK_ITEMS, {}, PARTIES)
    assert refused.value.details[kind] == [entry]
