"""EnterpriseRequest: what a subject asks for during a joint visit (R-JOINT-9, 004 §47): settled on the spot, or
answered within 7 working days by the department that owns it, or forwarded to the competent department, which then
owns it and its clock."""
from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain import errors
from domain.objection_rules import REQUEST_DAYS, REQUEST_VIA, check_contact, required_text, working_deadline
from domain.working_days import Calendar, local_date

OPEN, ANSWERED = "open", "answered"


class EnterpriseRequest(Aggregate):
    @classmethod
    def raise_request(cls, *, task_id: UUID, subject: str, subject_name: str, department: str, content: str,
                      contact: dict | None, via: str, on_spot_answer: str, calendar: Calendar, now: datetime,
                      actor: dict) -> "EnterpriseRequest":
        """Recorded by the visiting department's inspectors (owner: that department), or by the enterprise with
        its notice code (owner: the lead, which collects them, 004 §47). An on-the-spot answer closes it at once."""
        if via not in REQUEST_VIA:
            raise errors.Invalid("诉求来源不正确。", field="via")
        on_spot_answer = (on_spot_answer or "").strip()
        if on_spot_answer and via == "enterprise":
            raise errors.Invalid("企业提交的诉求由部门答复。", field="on_spot_answer")
        if on_spot_answer:
            on_spot_answer = required_text(on_spot_answer, "现场答复", "on_spot_answer")
        return cls(task_id=task_id, subject=subject, subject_name=subject_name, department=department,
                   content=required_text(content, "诉求内容", "content"),
                   contact=check_contact(contact) if via == "enterprise" else dict(contact or {}), via=via,
                   on_spot_answer=on_spot_answer,
                   due=None if on_spot_answer else working_deadline(calendar, now, REQUEST_DAYS), at=now,
                   actor=actor)

    @event("Raised")
    def __init__(self, *, task_id: UUID, subject: str, subject_name: str, department: str, content: str,
                 contact: dict, via: str, on_spot_answer: str, due: date | None, at: datetime, actor: dict) -> None:
        self.task_id = task_id
        self.subject = subject
        self.subject_name = subject_name
        self.department = department
        self.content = content
        self.contact = dict(contact)
        self.via = via
        self.raised_at = at
        self.clock_from = at  # the owner's clock: from raising, or from the forwarding
        self.due = due
        self.status = ANSWERED if on_spot_answer else OPEN
        self.answer = on_spot_answer
        self.on_spot = bool(on_spot_answer)
        self.answered_at: datetime | None = at if on_spot_answer else None
        self.late = False
        self.forwards: list[dict] = []

    def _check_owner(self, department: str) -> None:
        if department != self.department:
            raise errors.Forbidden("这件诉求由其他部门办理。", code="not_the_owner")
        if self.status != OPEN:
            raise errors.Conflict("这件诉求已答复。", code="already_answered")

    def give_answer(self, *, department: str, answer: str, now: datetime, actor: dict) -> bool:
        self._check_owner(department)
        late = self.due is not None and local_date(now) > self.due
        self._answered(answer=required_text(answer, "答复内容", "answer"), late=late, at=now, actor=actor)
        return late

    @event("Answered")
    def _answered(self, answer: str, late: bool, at: datetime, actor: dict) -> None:
        self.status, self.answer, self.answered_at, self.late = ANSWERED, answer, at, late

    def forward(self, *, department: str, to_department: str, note: str, known: bool, calendar: Calendar,
                now: datetime, actor: dict) -> date:
        """To the competent department (不属于本部门职能范围的问题): it owns the request and a fresh 7-day clock."""
        self._check_owner(department)
        if not known:
            raise errors.Invalid(f"部门代码 {to_department} 不存在。", field="to_department")
        if to_department == department:
            raise errors.Invalid("不能转交给本部门。", field="to_department")
        due = working_deadline(calendar, now, REQUEST_DAYS)
        self._forwarded(from_department=department, to_department=to_department,
                        note=required_text(note, "转交说明", "note"), due=due, at=now, actor=actor)
        return due

    @event("Forwarded")
    def _forwarded(self, from_department: str, to_department: str, note: str, due: date, at: datetime,
                   actor: dict) -> None:
        self.forwards.append({"from": from_department, "to": to_department, "note": note, "at": at})
        self.department, self.due, self.clock_from = to_department, due, at

    def open_clock(self) -> tuple[str, date | None]:
        """Its deadline and the day, as the office is told of a move (R-CAL-2)."""
        return "request", self.due

    def recompute(self, *, calendar: Calendar, now: datetime, actor: dict) -> bool:
        """After a calendar change an open request's deadline moves (R-CAL-2)."""
        if self.status != OPEN:
            return False
        due = working_deadline(calendar, self.clock_from, REQUEST_DAYS)
        if due == self.due:
            return False
        self._deadline_recomputed(due=due, at=now, actor=actor)
        return True

    @event("DeadlineRecomputed")
    def _deadline_recomputed(self, due: date, at: datetime, actor: dict) -> None:
        self.due = due
