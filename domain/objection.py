"""Objection: a subject disputes a published result (R-OBJ-1): received within 60 working days of publication,
reviewed by the result's department within 20, the decision answered within 7 (or the department's 15)."""
from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain import errors
from domain.objection_rules import (
    OBJECTION_VIA,
    REVIEW_DAYS,
    check_contact,
    check_decision,
    objection_window_closes,
    required_text,
    working_deadline,
)
from domain.working_days import Calendar, local_date

RECEIVED, REVIEWED, ANSWERED = "received", "reviewed", "answered"


class Objection(Aggregate):
    """One objection to one result; its department reviews it (upheld, or corrected through R-PUB-2) and answers."""

    @classmethod
    def lodge(cls, *, result: dict, result_id: str, task_id: UUID, reason: str, contact: dict, via: str,
              answer_days: int, calendar: Calendar, now: datetime, actor: dict) -> "Objection":
        """R-OBJ-1: only a published result, and only until 60 working days after its publication."""
        if via not in OBJECTION_VIA:
            raise errors.Invalid("异议来源不正确。", field="via")
        if result.get("published_at") is None:
            raise errors.WrongState("该检查结果尚未公示，不能提出异议。", code="result_not_published")
        closes = objection_window_closes(calendar, result["published_at"])
        if local_date(now) > closes:
            raise errors.WrongState(f"异议期限已于 {closes.isoformat()} 届满（公示之日起 60 个工作日，R-OBJ-1），"
                                    "如对结果不服，可依法申请行政复议或提起行政诉讼。",
                                    code="objection_window_closed", closed_on=closes.isoformat())
        return cls(task_id=task_id, result_id=result_id, department=result["department"],
                   subject=result["subject"], subject_name=result.get("subject_name", ""),
                   result_version=result["version"], reason=required_text(reason, "异议理由", "reason"),
                   contact=check_contact(contact), via=via, answer_days=answer_days,
                   review_due=working_deadline(calendar, now, REVIEW_DAYS), window_closes=closes, at=now,
                   actor=actor)

    @event("Lodged")
    def __init__(self, *, task_id: UUID, result_id: str, department: str, subject: str, subject_name: str,
                 result_version: int, reason: str, contact: dict, via: str, answer_days: int, review_due: date,
                 window_closes: date, at: datetime, actor: dict) -> None:
        self.task_id = task_id
        self.result_id = result_id
        self.department = department
        self.subject = subject
        self.subject_name = subject_name
        self.result_version = result_version
        self.reason = reason
        self.contact = dict(contact)
        self.via = via
        self.answer_days = answer_days
        self.review_due = review_due
        self.window_closes = window_closes
        self.lodged_at = at
        self.status = RECEIVED
        self.decision: str | None = None
        self.opinion = ""
        self.correction_version: int | None = None
        self.reviewed_at: datetime | None = None
        self.review_late = False
        self.answer_due: date | None = None
        self.answer = ""
        self.answered_at: datetime | None = None
        self.answer_late = False

    def _check_department(self, department: str) -> None:
        if department != self.department:
            raise errors.Forbidden("只有作出该检查结果的部门可以办理这件异议。", code="not_the_department")

    def check_reviewable(self, department: str) -> None:
        """Before a correction is recorded for it: the department's own objection, not yet reviewed."""
        self._check_department(department)
        if self.status != RECEIVED:
            raise errors.Conflict("该异议已复查。", code="already_reviewed")

    def review(self, *, department: str, decision: str, opinion: str, correction_version: int | None,
               calendar: Calendar, now: datetime, actor: dict) -> bool:
        """The review's decision: upheld, or corrected (the correction's new version is named); whether it is late."""
        self.check_reviewable(department)
        decision = check_decision(decision)
        if (decision == "corrected") != (correction_version is not None):
            raise errors.Invalid("更正结果须同时提交更正内容；维持原结果不得更正。", field="decision")
        late = local_date(now) > self.review_due
        self._reviewed(decision=decision, opinion=required_text(opinion, "复查意见", "opinion"),
                       correction_version=correction_version,
                       answer_due=working_deadline(calendar, now, self.answer_days), late=late, at=now, actor=actor)
        return late

    @event("Reviewed")
    def _reviewed(self, decision: str, opinion: str, correction_version: int | None, answer_due: date, late: bool,
                  at: datetime, actor: dict) -> None:
        self.status = REVIEWED
        self.decision, self.opinion, self.correction_version = decision, opinion, correction_version
        self.answer_due, self.reviewed_at, self.review_late = answer_due, at, late

    def give_answer(self, *, department: str, answer: str, now: datetime, actor: dict) -> bool:
        """The review's outcome told to the subject (复查情况反馈); whether it is late."""
        self._check_department(department)
        if self.status == RECEIVED:
            raise errors.WrongState("请先作出复查结论，再答复当事人。", code="not_reviewed")
        if self.status == ANSWERED:
            raise errors.Conflict("该异议已答复。", code="already_answered")
        late = self.answer_due is not None and local_date(now) > self.answer_due
        self._answered(answer=required_text(answer, "答复内容", "answer"), late=late, at=now, actor=actor)
        return late

    @event("Answered")
    def _answered(self, answer: str, late: bool, at: datetime, actor: dict) -> None:
        self.status = ANSWERED
        self.answer, self.answered_at, self.answer_late = answer, at, late

    def open_clock(self) -> tuple[str, date | None]:
        """Which of its deadlines runs now (review, then answer) and its day, as the office is told of a move."""
        return ("objection_review", self.review_due) if self.status == RECEIVED else (
            "objection_answer", self.answer_due)

    def recompute(self, *, calendar: Calendar, now: datetime, actor: dict) -> bool:
        """After a calendar change the open clock moves (R-CAL-2); whether anything moved."""
        if self.status == RECEIVED:
            due = working_deadline(calendar, self.lodged_at, REVIEW_DAYS)
            if due == self.review_due:
                return False
        elif self.status == REVIEWED and self.reviewed_at is not None:
            due = working_deadline(calendar, self.reviewed_at, self.answer_days)
            if due == self.answer_due:
                return False
        else:
            return False
        self._deadline_recomputed(due=due, at=now, actor=actor)
        return True

    @event("DeadlineRecomputed")
    def _deadline_recomputed(self, due: date, at: datetime, actor: dict) -> None:
        if self.status == RECEIVED:
            self.review_due = due
        else:
            self.answer_due = due
