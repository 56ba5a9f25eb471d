"""Check items (抽查事项清单) and annual plans (抽查工作计划) of a department: reference data, not aggregates,
changed only here, each change logged with its diff (全程留痕) in the same unit of work.

Items are created, changed and retired, never deleted (R-ITEM-1..3); plans are drafted, published, and adjusted
after publication only with a reason (R-PLAN-1, 004 §25, §27, §45). Each use case returns the stored record."""
from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import uuid4

from domain import checklist_rules as rules
from domain import errors
from domain import plan_rules as plans
from domain.checklist_rules import ITEM_FIELDS, PLAN_FIELDS
from domain.usecases.base import Actor, UseCases, diff
from domain.working_days import local_date


class ChecklistUseCases(UseCases):
    # ---- check items ------------------------------------------------------------------------------------
    def create_item(self, actor: Actor, item_id: str | None = None, **body: Any) -> dict:
        """Add an item to the actor's department's checklist (R-ITEM-1, R-ITEM-2)."""
        fields = rules.check_item(department=actor.department, **body)
        with self.transaction():
            self._check_item_references(actor, fields)
            item_id = item_id or str(uuid4())
            record, now = fields.as_record(), self.clock.now()
            self.checklist.add_item(actor.department, record, actor, now, item_id)
            self.checklist.log("check_item", item_id, "created", diff(None, record, ITEM_FIELDS), actor, now)
            return self.checklist.item_view(item_id)

    def update_item(self, actor: Actor, item_id: str, version: int | None = None, **body: Any) -> dict:
        """Change an active item (dynamic management, R-ITEM-3); the diff goes to the change log."""
        fields = rules.check_item(department=actor.department, **body)
        with self.transaction():
            row = self._own_item(actor, item_id, version)
            self._check_item_references(actor, fields, other_than=row.id)
            record, now = fields.as_record(), self.clock.now()
            changes = diff(self.checklist.item_record(row), record, ITEM_FIELDS)
            if changes:
                self.checklist.change_item(row, actor, now, **record)
                self.checklist.log("check_item", row.id, "updated", changes, actor, now)
            return self.checklist.item_view(row.id)

    def retire_item(self, actor: Actor, item_id: str, reason: str) -> dict:
        """Take an item off the active checklist with a reason; it stays on record (R-ITEM-3)."""
        reason = reason.strip()
        if not reason:
            raise rules.InvalidCheckItem("请填写退出理由。", field="reason")
        with self.transaction():
            row, now = self._own_item(actor, item_id), self.clock.now()
            self.checklist.change_item(row, actor, now, status="retired", retired_at=now, retirement_reason=reason)
            self.checklist.log("check_item", row.id, "retired",
                               {"status": ["active", "retired"], "retirement_reason": [None, reason]}, actor, now)
            return self.checklist.item_view(row.id)

    # ---- plans ------------------------------------------------------------------------------------------
    def create_plan(self, actor: Actor, **body: Any) -> dict:
        """Draft the department's annual plan (R-PLAN-1); the office drafts the joint plan from C items."""
        with self.transaction():
            now = self.clock.now()
            record = self._plan_record(actor, plans.check_plan_year(body["year"], local_date(now)), body)
            self._check_plan_name(actor, record)
            plan_id = str(uuid4())
            self.checklist.add_plan(actor.department, record, actor, now, plan_id)
            self.checklist.log("plan", plan_id, "created", diff(None, record, PLAN_FIELDS), actor, now)
            return self.checklist.plan_view(plan_id)

    def update_plan(self, actor: Actor, plan_id: str, reason: str = "", version: int | None = None,
                    **body: Any) -> dict:
        """Edit a draft, or adjust a published plan with a reason that is recorded (004 §27)."""
        with self.transaction():
            row, now = self._own_plan(actor, plan_id, version), self.clock.now()
            published, today = row.status == "published", local_date(now)
            reason = plans.check_adjustment(published, row.year, body["year"], reason, today)
            year = body["year"] if published or body["year"] == row.year else plans.check_plan_year(body["year"], today)
            record = self._plan_record(actor, year, body)
            self._check_plan_name(actor, record, other_than=row.id)
            changes = diff(self.checklist.plan_record(row), record, PLAN_FIELDS)
            if changes:
                self._change_plan(actor, row, now, record, changes, reason if published else None)
            return self.checklist.plan_view(row.id)

    def publish_plan(self, actor: Actor, plan_id: str) -> dict:
        """Publish a draft plan; after the first quarter it is flagged as late (004 §25, §45)."""
        with self.transaction():
            row, now = self._own_plan(actor, plan_id), self.clock.now()
            if row.status == "published":
                raise errors.Conflict("该计划已经公示；如需变更请提交调整并说明理由。", code="plan_already_published")
            plans.check_plan_items(row.item_ids, self.checklist.item_refs(row.item_ids), row.department_code,
                                   actor.is_office)
            late = plans.check_publication(row.year, local_date(now))
            self.checklist.change_plan(row, actor, now, status="published", published_at=now, published_late=late)
            changes: dict[str, list] = {"status": ["draft", "published"], "published_at": [None, now]}
            if late:
                changes["published_late"] = [False, True]
            self.checklist.log("plan", row.id, "published", changes, actor, now)
            return self.checklist.plan_view(row.id)

    # ---- what the rules read ----------------------------------------------------------------------------
    def _check_item_references(self, actor: Actor, fields: rules.CheckItemFields,
                               other_than: str | None = None) -> None:
        kinds = self.checklist.department_kinds()
        unknown = [c for c in fields.partner_departments if kinds.get(c) != "department"]
        if unknown:
            raise errors.Invalid(f"以下部门代码不存在或不是监管部门：{'、'.join(unknown)}。", code="unknown_department",
                                 unknown=unknown)
        if self.checklist.item_code_taken(actor.department, fields.code, other_than):
            raise errors.Conflict(f"本部门已有编码为 {fields.code} 的事项（含已退出清单的），请换用新编码。",
                                  code="duplicate_item_code")

    def _own_item(self, actor: Actor, item_id: str, version: int | None = None) -> Any:
        row = _found(self.checklist.item(item_id), "check_item_not_found", "抽查事项")
        _check_own(actor, row.department_code)
        if row.status == "retired":
            raise errors.Conflict("该事项已退出清单，不能再修改；如需恢复请新增事项。", code="check_item_retired")
        _check_version(row, version)
        return row

    def _own_plan(self, actor: Actor, plan_id: str, version: int | None = None) -> Any:
        row = _found(self.checklist.plan(plan_id), "plan_not_found", "抽查工作计划")
        _check_own(actor, row.department_code)
        _check_version(row, version)
        return row

    def _plan_record(self, actor: Actor, year: int, body: dict) -> dict:
        texts, offices = plans.check_plan_texts(
            name=body["name"], subject_scope=body["subject_scope"], credit_risk_grading=body["credit_risk_grading"],
            lead_office=body["lead_office"], cooperating_offices=body["cooperating_offices"])
        ratio = rules.parse_ratio(body["ratio"], plans.InvalidPlan)
        schedule = body["schedule"]
        schedule = plans.check_schedule(year, schedule.get("quarters") or (), schedule.get("start"),
                                        schedule.get("end"))
        item_ids = plans.check_plan_items(body["item_ids"], self.checklist.item_refs(body["item_ids"]),
                                          actor.department, actor.is_office)
        return {"year": year, **texts, "item_ids": list(item_ids), "ratio": str(ratio),
                "cooperating_offices": list(offices), "schedule": schedule.as_record()}

    def _check_plan_name(self, actor: Actor, record: dict, other_than: str | None = None) -> None:
        if self.checklist.plan_name_taken(actor.department, record["year"], record["name"], other_than):
            raise errors.Conflict(f"本部门 {record['year']} 年已有名为“{record['name']}”的计划。",
                                  code="duplicate_plan_name")

    def _change_plan(self, actor: Actor, row: Any, now: datetime, record: dict, changes: dict,
                     adjustment_reason: str | None) -> None:
        """Write an edit of a draft, or an adjustment of a published plan (counted, with its reason)."""
        extra: dict[str, Any] = {}
        if adjustment_reason is not None:
            changes["adjustment_reason"] = [row.adjustment_reason, adjustment_reason]
            extra = {"adjustment_count": row.adjustment_count + 1, "adjusted_at": now,
                     "adjustment_reason": adjustment_reason}
        self.checklist.change_plan(row, actor, now, **record, **extra)
        self.checklist.log("plan", row.id, "adjusted" if adjustment_reason is not None else "updated", changes,
                           actor, now)


def _found(row: Any, code: str, what: str) -> Any:
    if row is None:
        raise errors.NotFound(f"找不到该{what}，请核对编号。", code=code)
    return row


def _check_own(actor: Actor, department: str) -> None:
    if actor.department != department:
        raise errors.Forbidden("只能修改本部门的事项和计划。", code="not_own_department")


def _check_version(row: Any, version: int | None) -> None:
    if version is not None and version != row.version:
        raise errors.Conflict(f"该记录已被修改（当前版本 {row.version}），请刷新后再提交。", code="version_conflict",
                              current_version=row.version)
