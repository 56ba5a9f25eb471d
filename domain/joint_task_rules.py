"""Input rules for joint tasks, as plain functions that raise named domain errors (R-JOINT-2, R-JOINT-3)."""
from __future__ import annotations

from datetime import date, datetime

from domain import errors
from domain.working_days import local_date

RESPONSE_WORKING_DAYS = 2  # R-JOINT-3: respond within two working days of the push
PUBLISH_WORKING_DAYS = 20  # R-PUB-1: publish within 20 working days of completing the inspection
ARCHIVE_WORKING_DAYS = 30  # R-ARCH-1: one file per subject within 30 working days of the task's completion
MAX_WINDOW_DAYS = 366
MAX_DEPARTMENTS = 50
MAX_ITEMS = 100


def check_initiation(
    title: str,
    lead_department: str,
    items: list[str],
    responding_departments: list[str],
    window_start: date,
    window_end: date,
    note: str,
    now: datetime,
) -> tuple[str, list[str], list[str]]:
    """Validate a new task; returns the cleaned title, items and responding departments."""
    title = title.strip()
    if not title:
        raise errors.InvalidTask("任务名称不能为空。", field="title")
    cleaned_items = _unique_nonblank(items)
    if not cleaned_items:
        raise errors.InvalidTask("请至少列出一个抽查事项（R-ITEM-3：清单之外无事项）。", field="items")
    if len(cleaned_items) > MAX_ITEMS:
        raise errors.InvalidTask(f"抽查事项最多 {MAX_ITEMS} 项。", field="items")
    responding = _unique_nonblank(responding_departments)
    if not responding:
        raise errors.InvalidTask("联合任务须至少推送给一个响应部门。", field="responding_departments")
    if len(responding) > MAX_DEPARTMENTS:
        raise errors.InvalidTask(f"响应部门最多 {MAX_DEPARTMENTS} 个。", field="responding_departments")
    if lead_department in responding:
        raise errors.InvalidTask("牵头部门不能同时作为响应部门。", field="responding_departments")
    if window_end < window_start:
        raise errors.InvalidTask("时间窗口的结束日期不能早于开始日期。", field="window_end")
    if (window_end - window_start).days >= MAX_WINDOW_DAYS:
        raise errors.InvalidTask(f"时间窗口不能超过 {MAX_WINDOW_DAYS} 天。", field="window_end")
    if window_end <= local_date(now):
        raise errors.InvalidTask("时间窗口须在今天之后结束，否则来不及开展检查。", field="window_end")
    return title, cleaned_items, responding


def check_response_items(
    decision: str, item_ids: list[str], reason: str, task_items: list[str]
) -> tuple[list[str], str]:
    """An acceptance names the task items it joins; a refusal states why (R-JOINT-3)."""
    reason = reason.strip()
    if decision == "decline":
        return [], check_reason(reason, "拒绝理由")
    if decision != "accept":
        raise errors.InvalidResponse("响应结果只能是 accept（参加）或 decline（不参加）。", field="decision")
    chosen = _unique_nonblank(item_ids)
    if not chosen:
        raise errors.InvalidResponse("参加任务须至少选择一个抽查事项。", field="item_ids")
    unknown = [i for i in chosen if i not in task_items]
    if unknown:
        raise errors.InvalidResponse(
            f"以下事项不在该任务中：{'、'.join(unknown)}。", field="item_ids", unknown=unknown
        )
    return chosen, reason


def check_reason(reason: str, what: str) -> str:
    """A reason is a non-empty sentence of at most 1,000 characters."""
    reason = reason.strip()
    if not reason:
        raise errors.Invalid(f"请填写{what}。", field="reason")
    if len(reason) > 1000:
        raise errors.Invalid(f"{what}不能超过 1000 字。", field="reason")
    return reason


WITNESS_ROLES = {
    "staff": "工作人员", "legal_adviser": "法律顾问", "enterprise_representative": "企业代表",
    "public_representative": "群众代表", "supervisor": "纪检监督人员",
}


def check_witnesses(witnesses: list[dict]) -> list[dict]:
    """A draw is witnessed: at least one named witness with a known role, who signs the record (R-DRAW-5)."""
    cleaned = []
    for w in witnesses:
        name, role = str(w.get("name", "")).strip(), w.get("role")
        if not name:
            raise errors.Invalid("见证人姓名不能为空。", field="witnesses")
        if role not in WITNESS_ROLES:
            raise errors.Invalid(f"见证人身份须为：{'、'.join(WITNESS_ROLES.values())}。", field="witnesses")
        cleaned.append({"name": name, "role": role})
    if not cleaned:
        raise errors.Invalid("抽取须有至少一名见证人在场并签字（全程留痕）。", field="witnesses")
    return cleaned


REPLACEMENT_REASONS = {  # R-MATCH-2 (003 §11)
    "post_change": "岗位变动", "schedule_conflict": "工作冲突", "health": "身体原因", "recusal": "回避",
}


def check_approver(approver: str, user: str) -> str:
    """An approval is given by someone other than the clerk who asks for it."""
    approver = approver.strip()
    if not approver or approver == user:
        raise errors.Invalid("须由经办人以外的负责人批准，请填写批准人。", field="approver")
    return approver


def check_teams(teams: dict[str, list[str]], subjects: list[str], team_size: int) -> None:
    """Every drawn subject has a team of at least two distinct inspectors, the first its leader (R-MATCH-1)."""
    missing = sorted(set(subjects) - set(teams))
    if missing:
        raise errors.Invalid(f"以下检查对象没有检查组：{'、'.join(missing[:5])}等 {len(missing)} 户。", missing=missing)
    extra = sorted(set(teams) - set(subjects))
    if extra:
        raise errors.Invalid("检查组中有不属于本任务的检查对象。", extra=extra)
    for subject, team in teams.items():
        if len(team) < max(team_size, 2) or len(set(team)) != len(team):
            raise errors.Invalid(f"检查对象 {subject} 的检查组须有至少 {max(team_size, 2)} 名不同的检查人员。",
                                 subject=subject)


def check_redraw(current: str | None, redraw_of: str | None, reason: str, approver: str, user: str) -> None:
    """A draw is never silently redone: a redraw names the draw it replaces, a reason and an approver."""
    if current is None:
        if redraw_of:
            raise errors.Invalid("本任务尚未抽取，不存在可替代的抽取。", field="redraw_of")
        return
    if redraw_of != current:
        raise errors.Conflict("本任务已抽取检查对象；重新抽取须注明被替代的抽取、理由和批准人。", current_draw=current)
    if not reason.strip():
        raise errors.Invalid("重新抽取须说明理由。", field="reason")
    check_approver(approver, user)


def _unique_nonblank(values: list[str]) -> list[str]:
    seen: list[str] = []
    for value in values:
        value = value.strip()
        if value and value not in seen:
            seen.append(value)
    return seen


def response_late(*, pending: bool, answered_late: bool, deadline: date, today: date) -> bool:
    """Late = answered after the deadline, or still unanswered once the deadline day is over (R-JOINT-4)."""
    return deadline < today if pending else answered_late


def late_reason_after_response(earlier: str | None, reason: str, late: bool) -> str | None:
    """A reason given while still pending survives a late answer; a late answer's own reason counts (R-JOINT-4)."""
    return (earlier or reason or None) if late else None


def task_status(
    *,
    merged: bool,
    cancelled: bool,
    participants: set[str],
    inspected: set[str],
    published: set[str],
    agreed: bool,
    proposed: bool,
    pending: bool,
) -> str:
    """The lifecycle stage of a task, derived from its facts; shared by the aggregate and the read models."""
    if merged:
        return "merged"
    if cancelled:
        return "cancelled"
    if published and participants <= published:
        return "published"
    if inspected and participants <= inspected:
        return "inspected"
    if agreed:
        return "day_agreed"
    if proposed:
        return "day_proposed"
    if pending:
        return "awaiting_responses"
    return "responded"


def task_number(year: int, sequence: int) -> str:
    """A task's readable number, as clerks cite it: the sequence within the year of its push (联检〔2026〕0042号)."""
    return f"联检〔{year}〕{sequence:04d}号"


def draw_is_public(*, executed: bool, unannounced: bool, visited: bool) -> bool:
    """An executed draw's record goes public once it can no longer warn anyone: at once for an announced visit,
    after the visit for an unannounced one (R-DRAW-5, R-EXEC-3)."""
    return executed and (not unannounced or visited)


def masked_code(code: str) -> str:
    """A subject code as the public may read it: an individual's resident ID keeps only its region and check
    digits (R-PUB-3); an enterprise's credit code is public."""
    from domain.codes import is_valid_resident_id

    return f"{code[:6]}********{code[-4:]}" if is_valid_resident_id(code) else code
