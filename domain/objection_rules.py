"""The clocks of a result's afterlife: a subject's objection (R-OBJ-1) and its requests during a visit (R-JOINT-9)."""
from __future__ import annotations

from datetime import date, datetime, time

from domain import errors
from domain.clock import SHANGHAI
from domain.result_rules import check_text
from domain.working_days import Calendar

OBJECTION_WINDOW_DAYS = 60  # from publication (003 §16)
REVIEW_DAYS = 20  # from receipt of the objection (003 §16, 001 §11)
# the answer follows within a department's `answer_days` of the review's decision: 7 (003 §16) to 15 (001 §11),
# checked with its other settings (domain/result_rules.py check_settings)
REQUEST_DAYS = 7  # a request not settled on the spot (004 §47)
DECISIONS = {"upheld": "维持原结果", "corrected": "更正结果"}
REQUEST_VIA = {"inspector": "检查人员现场登记", "enterprise": "企业凭核验码提交", "clerk": "工作人员代为登记"}
OBJECTION_VIA = {"enterprise": "企业凭核验码提交", "clerk": "工作人员受理书面申请"}
CONTACT_LIMIT = 100


def working_deadline(calendar: Calendar, since: datetime | date, days: int) -> date:
    """The last day of `days` working days counted after `since` (its own day never counts, R-CAL-1)."""
    start = since if isinstance(since, datetime) else datetime.combine(since, time(12), SHANGHAI)
    return calendar.deadline(start, days).day


def objection_window_closes(calendar: Calendar, published_at: datetime) -> date:
    """R-OBJ-1: the last day a subject may object to a result: 60 working days after its publication."""
    return working_deadline(calendar, published_at, OBJECTION_WINDOW_DAYS)


def check_contact(contact: dict | None) -> dict:
    """Who to answer: a name and a telephone or address, each at most 100 characters; never public."""
    contact = contact or {}
    name = str(contact.get("name") or "").strip()
    phone = str(contact.get("phone") or "").strip()
    if not name:
        raise errors.Invalid("请填写联系人姓名。", field="contact_name")
    if not phone:
        raise errors.Invalid("请填写联系电话或地址，以便答复。", field="contact_phone")
    for value, field in ((name, "contact_name"), (phone, "contact_phone")):
        if len(value) > CONTACT_LIMIT:
            raise errors.Invalid(f"联系方式每项不能超过 {CONTACT_LIMIT} 个字。", field=field)
    return {"name": name, "phone": phone}


def check_decision(decision: str) -> str:
    if decision not in DECISIONS:
        raise errors.Invalid("复查结论须为“维持原结果”或“更正结果”。", field="decision")
    return decision


def required_text(value: str, label: str, field: str) -> str:
    return check_text(value, label, field, required=True)
