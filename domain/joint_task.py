"""JointTask: one joint inspection from push to publication (R-JOINT-1..9, R-PUB-1)."""
from __future__ import annotations

from datetime import date, datetime, time
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain import errors
from domain.clock import SHANGHAI
from domain.draw import commitment as seed_commitment
from domain.joint_task_rules import (
    ARCHIVE_WORKING_DAYS,
    PUBLISH_WORKING_DAYS,
    RESPONSE_WORKING_DAYS,
    check_initiation,
    check_reason,
    REPLACEMENT_REASONS,
    check_approver,
    check_redraw,
    check_response_items,
    check_teams,
    check_witnesses,
    late_reason_after_response,
    response_late,
    task_status,
)
from domain.result_rules import (
    DEFAULT_SETTINGS,
    check_changes,
    check_inspected_on,
    check_inspectors,
    check_items,
    check_methods,
    check_outcome,
    check_text,
    result_id,
)
from domain.working_days import Calendar, local_date

PENDING, ACCEPTED, DECLINED = "pending", "accepted", "declined"


class JointTask(Aggregate):
    """A joint task pushed by a lead department to responding departments."""

    # ---- initiation (R-JOINT-1, R-JOINT-2, R-JOINT-3) -------------------------------------------
    @classmethod
    def initiate(
        cls,
        *,
        title: str,
        lead_department: str,
        initiator_role: str,
        planned: bool,
        items: list[str],
        responding_departments: list[str],
        window_start: date,
        window_end: date,
        note: str,
        calendar: Calendar,
        now: datetime,
        actor: dict,
        number: str | None = None,
    ) -> "JointTask":
        """Check the task, then push it; the response deadline is 2 working days after the push (R-JOINT-3)."""
        title, items, responding = check_initiation(
            title, lead_department, items, responding_departments, window_start, window_end, note, now
        )
        deadline = calendar.deadline(now, RESPONSE_WORKING_DAYS)
        return cls(
            title=title,
            lead_department=lead_department,
            initiator_role=initiator_role,
            planned=planned,
            items=items,
            responding_departments=responding,
            window_start=window_start,
            window_end=window_end,
            note=note.strip(),
            pushed_at=now,
            response_deadline=deadline.day,
            deadline_provisional=deadline.provisional,
            actor=actor,
            number=number,
        )

    @event("Initiated")
    def __init__(
        self,
        *,
        title: str,
        lead_department: str,
        initiator_role: str,
        planned: bool,
        items: list[str],
        responding_departments: list[str],
        window_start: date,
        window_end: date,
        note: str,
        pushed_at: datetime,
        response_deadline: date,
        deadline_provisional: bool,
        actor: dict,
        number: str | None = None,  # 联检〔2026〕0042号; None on tasks recorded before numbering
    ) -> None:
        self.number = number
        self.title = title
        self.lead_department = lead_department
        self.initiator_role = initiator_role
        self.planned = planned
        self.items = list(items)
        self.window_start = window_start
        self.window_end = window_end
        self.note = note
        self.pushed_at = pushed_at
        self.response_deadline = response_deadline
        self.deadline_provisional = deadline_provisional
        self.responses: dict[str, dict] = {code: _pending_response() for code in responding_departments}
        self.proposed_day: date | None = None
        self.day_agreements: list[str] = []
        self.agreed_day: date | None = None
        self.inspections: dict[str, dict] = {}
        self.publications: dict[str, dict] = {}
        self.results: dict[str, dict] = {}  # result id → one department's result for one subject (R-JOINT-7)
        self.visit_notices: dict[str, dict] = {}  # subject → its combined notice of the visit (R-EXEC-3)
        self.cancelled: dict | None = None
        self.merged_into: UUID | None = None
        self.merged_from: list[UUID] = []
        self.draws: dict[str, dict] = {}
        self.current_draw: str | None = None
        self.matchings: dict[str, dict] = {}  # department → its inspectors' teams (R-JOINT-6, R-MATCH-1)
        self.last_chased: dict | None = None  # the lead's last reminder to the departments behind with results
        self.archive_due: date | None = None  # set when every joining department has published every result
        self.completed_at: datetime | None = None  # then: the moment the archive's 30 working days count from
        self.archives: dict[str, dict] = {}  # subject → its sealed archive file: sha256, size, parts (R-ARCH-1)

    # ---- derived state ---------------------------------------------------------------------------
    @property
    def participants(self) -> list[str]:
        """Departments that will inspect: the lead and every responder that accepted."""
        return [self.lead_department] + [c for c, r in self.responses.items() if r["status"] == ACCEPTED]

    @property
    def pending_departments(self) -> list[str]:
        return [c for c, r in self.responses.items() if r["status"] == PENDING]

    def responded_late(self, department: str) -> bool:
        """Whether the department's response came after its deadline (R-JOINT-4)."""
        return bool(self.responses[department].get("late"))

    @property
    def awaits_responses(self) -> bool:
        """Live and still waiting for at least one response: its deadline moves with the calendar (R-CAL-2)."""
        return self.merged_into is None and self.cancelled is None and bool(self.pending_departments)

    @property
    def status(self) -> str:
        return task_status(
            merged=self.merged_into is not None,
            cancelled=self.cancelled is not None,
            participants=set(self.participants),
            inspected=set(self.inspections),
            published=set(self.publications),
            agreed=self.agreed_day is not None,
            proposed=self.proposed_day is not None,
            pending=bool(self.pending_departments),
        )

    def response_is_late(self, department: str, now: datetime) -> bool:
        """Late = answered after the deadline, or still unanswered once it has passed (R-JOINT-4)."""
        response = self.responses[department]
        return response_late(pending=response["status"] == PENDING, answered_late=bool(response["late"]),
                             deadline=self.response_deadline, today=local_date(now))

    # ---- guards shared by every command ----------------------------------------------------------
    def _check_open(self) -> None:
        if self.merged_into is not None:
            raise errors.TaskMerged(
                f"该任务已并入任务 {self.merged_into}，请在该任务上继续办理。", surviving_task_id=str(self.merged_into)
            )
        if self.cancelled is not None:
            raise errors.TaskCancelled("该任务已撤销，不能再办理。", reason=self.cancelled["reason"])

    def _check_participant(self, department: str) -> None:
        if department == self.lead_department:
            return
        response = self.responses.get(department)
        if response is None:
            raise errors.NotARespondingDepartment("本部门不是该任务的牵头部门或响应部门。", department=department)
        if response["status"] == DECLINED:
            raise errors.DepartmentDeclined("本部门已拒绝参加该任务，不参与检查。", department=department)
        if response["status"] == PENDING:
            raise errors.WrongState("本部门尚未响应该任务，请先响应。", department=department)

    # ---- responding (R-JOINT-3, R-JOINT-4) -------------------------------------------------------
    def respond(
        self, *, department: str, decision: str, item_ids: list[str], reason: str, now: datetime, actor: dict
    ) -> None:
        """A responding department accepts (naming the items it joins) or declines (with a reason), once."""
        self._check_open()
        response = self.responses.get(department)
        if response is None:
            raise errors.NotARespondingDepartment("本部门不在该任务的响应部门之列，不能响应。", department=department)
        if response["status"] != PENDING:
            raise errors.AlreadyResponded("本部门已响应过该任务，不能重复响应。", department=department)
        if self.agreed_day is not None:
            raise errors.WrongState("联合检查日已确定，不能再响应该任务。")
        item_ids, reason = check_response_items(decision, item_ids, reason, self.items)
        late = local_date(now) > self.response_deadline
        self._responded(
            department=department, decision=decision, item_ids=item_ids, reason=reason, at=now, late=late, actor=actor
        )

    @event("Responded")
    def _responded(
        self, department: str, decision: str, item_ids: list[str], reason: str, at: datetime, late: bool, actor: dict
    ) -> None:
        previous = self.responses[department]
        self.responses[department] = {
            "status": ACCEPTED if decision == "accept" else DECLINED,
            "item_ids": list(item_ids),
            "reason": reason,
            "responded_at": at,
            "late": late,
            "late_reason": late_reason_after_response(previous["late_reason"], reason, late),
        }
        if late and previous.get("late_reason_at"):
            self.responses[department]["late_reason_at"] = previous["late_reason_at"]

    def mark_overdue(self, *, department: str, now: datetime, actor: dict) -> None:
        """Record, once, that a response deadline passed unanswered, so the office is told at once (R-JOINT-4)."""
        self._check_open()
        response = self.responses.get(department)
        if response is None:
            raise errors.NotARespondingDepartment("该部门不在该任务的响应部门之列。", department=department)
        if response["status"] != PENDING or not self.response_is_late(department, now):
            raise errors.WrongState("该部门已响应或响应期限未过，不能标记逾期。", department=department)
        if response.get("overdue_marked"):
            raise errors.Conflict("该部门的逾期已标记过。", department=department)
        self._response_overdue(department=department, deadline=self.response_deadline, at=now, actor=actor)

    @event("ResponseOverdue")
    def _response_overdue(self, department: str, deadline: date, at: datetime, actor: dict) -> None:
        self.responses[department]["overdue_marked"] = True

    def give_late_reason(self, *, department: str, reason: str, now: datetime, actor: dict) -> None:
        """A department that is or was late states why; it is then late-with-reason (R-JOINT-4)."""
        self._check_open()
        response = self.responses.get(department)
        if response is None:
            raise errors.NotARespondingDepartment("本部门不在该任务的响应部门之列。", department=department)
        if not self.response_is_late(department, now):
            raise errors.LateReasonNotAllowed("本部门的响应未逾期，无需说明逾期理由。")
        if response["late_reason"]:
            raise errors.LateReasonNotAllowed("本部门已说明过逾期理由。")
        self._late_reason_given(department=department, reason=check_reason(reason, "逾期理由"), at=now, actor=actor)

    @event("LateReasonGiven")
    def _late_reason_given(self, department: str, reason: str, at: datetime, actor: dict) -> None:
        self.responses[department]["late_reason"] = reason
        self.responses[department]["late_reason_at"] = at

    # ---- agreeing the joint inspection day (R-JOINT-5) -------------------------------------------
    def propose_day(self, *, department: str, day: date, calendar: Calendar, now: datetime, actor: dict) -> None:
        """A participant proposes the day; it must be a working day inside the window, after today."""
        self._check_open()
        self._check_participant(department)
        if self.agreed_day is not None:
            raise errors.WrongState(f"联合检查日已确定为 {self.agreed_day}，不能再提议。")
        if self.pending_departments and local_date(now) <= self.response_deadline:
            raise errors.WrongState(
                f"尚有部门未响应，响应期限 {self.response_deadline} 之前不能提议检查日。",
                pending=self.pending_departments,
            )
        if not self.window_start <= day <= self.window_end:
            raise errors.DayOutsideWindow(
                f"检查日须在任务时间窗口 {self.window_start} 至 {self.window_end} 之内。", day=str(day)
            )
        if day <= local_date(now):
            raise errors.DayOutsideWindow("检查日须晚于今天，以便提前告知检查对象。", day=str(day))
        if not calendar.is_working_day(day):
            raise errors.NotAWorkingDay(f"{day} 不是工作日，请选择工作日。", day=str(day))
        self._day_proposed(day=day, department=department, at=now, actor=actor)
        self._agree_if_everyone_has(now, actor)

    @event("InspectionDayProposed")
    def _day_proposed(self, day: date, department: str, at: datetime, actor: dict) -> None:
        self.proposed_day = day
        self.day_agreements = [department]

    def agree_day(self, *, department: str, now: datetime, actor: dict) -> None:
        """A participant agrees to the proposed day; when all have, the day is agreed."""
        self._check_open()
        self._check_participant(department)
        if self.agreed_day is not None:
            raise errors.WrongState(f"联合检查日已确定为 {self.agreed_day}。")
        if self.proposed_day is None:
            raise errors.WrongState("尚未有部门提议联合检查日。")
        if department in self.day_agreements:
            raise errors.Conflict("本部门已同意该检查日。")
        self._day_confirmed(day=self.proposed_day, department=department, at=now, actor=actor)
        self._agree_if_everyone_has(now, actor)

    @event("InspectionDayConfirmed")
    def _day_confirmed(self, day: date, department: str, at: datetime, actor: dict) -> None:
        self.day_agreements.append(department)

    def _agree_if_everyone_has(self, now: datetime, actor: dict) -> None:
        if set(self.participants) <= set(self.day_agreements):
            self._day_agreed(day=self.proposed_day, departments=list(self.participants), at=now, actor=actor)

    @event("InspectionDayAgreed")
    def _day_agreed(self, day: date, departments: list[str], at: datetime, actor: dict) -> None:
        self.agreed_day = day

    # ---- inspection and publication (R-JOINT-7, R-PUB-1) -----------------------------------------
    def record_inspection(
        self, *, department: str, completed_on: date, note: str, calendar: Calendar, now: datetime, actor: dict
    ) -> None:
        """A participant records that its part of the joint visit is done; publication is due in 20 working days."""
        self._check_open()
        self._check_participant(department)
        if self.agreed_day is None:
            raise errors.WrongState("联合检查日尚未确定，不能登记检查完成。")
        if self.drawn_subjects:
            raise errors.WrongState("本任务已抽取检查对象，请逐户录入检查结果（一部门一对象一张表）。")
        if department in self.inspections:
            raise errors.Conflict("本部门已登记过检查完成。")
        if not self.agreed_day <= completed_on <= local_date(now):
            raise errors.Invalid(f"完成日期须在联合检查日 {self.agreed_day} 与今天之间。", completed_on=str(completed_on))
        deadline = calendar.deadline(_noon(completed_on), PUBLISH_WORKING_DAYS)
        self._inspected(
            department=department,
            completed_on=completed_on,
            publish_deadline=deadline.day,
            note=note.strip(),
            at=now,
            actor=actor,
        )

    @event("Inspected")
    def _inspected(
        self, department: str, completed_on: date, publish_deadline: date, note: str, at: datetime, actor: dict
    ) -> None:
        self.inspections[department] = {"completed_on": completed_on, "publish_deadline": publish_deadline, "note": note}

    def publish(self, *, department: str, note: str, now: datetime, actor: dict) -> None:
        """A participant publishes its results ("谁检查、谁录入、谁公示", R-PUB-1)."""
        self._check_open()
        self._check_participant(department)
        if self.results_of(department):
            raise errors.WrongState("本部门的检查结果须逐条公示。")
        inspection = self.inspections.get(department)
        if inspection is None:
            raise errors.WrongState("本部门尚未登记检查完成，不能公示结果。")
        if department in self.publications:
            raise errors.Conflict("本部门已公示过结果；如需更正请走更正程序。")
        late = local_date(now) > inspection["publish_deadline"]
        self._published(department=department, note=note.strip(), late=late, at=now, actor=actor)

    @event("Published")
    def _published(self, department: str, note: str, late: bool, at: datetime, actor: dict) -> None:
        self.publications[department] = {"at": at, "late": late, "note": note}

    # ---- results: one per department per subject (R-JOINT-7, R-EXEC-1, R-EXEC-2, R-PUB-1, R-PUB-2) ----------
    def allowed_result_items(self, department: str, owners: dict[str, str]) -> list[str]:
        """The items a department checks on this task: a responder's accepted items, the lead's own items."""
        if department == self.lead_department:
            return [i for i in self.items if owners.get(i) == department]
        return list(self.responses[department]["item_ids"])

    def results_of(self, department: str) -> list[dict]:
        return [r for r in self.results.values() if r["department"] == department]

    def record_result(self, *, department: str, subject: str, subject_name: str, item_ids: list[str],
                      item_owners: dict[str, str], methods: list[str], outcome: str, findings: str, measures: str,
                      transferred_to: str, confidential_note: str, inspector_ids: list[str], inspected_on: date,
                      calendar: Calendar, now: datetime, actor: dict, settings: dict | None = None) -> UUID:
        """A joining department records its one result for a drawn subject (R-JOINT-7); publication is due 20
        working days after the inspection (R-PUB-1), or as the department's stricter settings say (a report within
        N working days of the inspection, publication within M of the report). The department's last result
        completes its inspection."""
        settings = settings or DEFAULT_SETTINGS
        self._check_open()
        if department not in self.participants:
            raise errors.Forbidden("本部门未参加该任务的检查，不能录入结果。", code="not_joining", department=department)
        if subject not in self.drawn_subjects:
            raise errors.Invalid("该检查对象不是本任务抽取的检查对象。", code="subject_not_drawn", subject=subject)
        rid = result_id(self.id, department, subject)
        if str(rid) in self.results:
            raise errors.Conflict("本部门已录入该检查对象的检查结果；公示后如有错误请走更正程序。",
                                  code="result_exists", result_id=str(rid))
        if department in self.inspections and not self.results_of(department):
            raise errors.WrongState("本部门已按旧流程登记检查完成，不能再逐户录入结果。")
        matching = self.matchings.get(department) or {}
        team = (matching.get("teams") or {}).get(subject) if matching.get("status") == "matched" else None
        measures = check_text(measures, "处理措施", "measures")
        transferred_to = check_text(transferred_to, "接收机关及案件编号", "transferred_to")
        fields = {
            "item_ids": check_items(item_ids, self.allowed_result_items(department, item_owners)),
            "methods": check_methods(methods),
            "outcome": outcome,
            "findings": check_text(findings, "检查情况", "findings"),
            "measures": measures,
            "transferred_to": transferred_to,
            "inspected_on": check_inspected_on(inspected_on, self.agreed_day, local_date(now)),
        }
        check_outcome(outcome, measures, transferred_to)
        inspectors = check_inspectors(inspector_ids, team, subject)
        if settings["report_days"]:  # stricter (003 §15): reported within N, published within M of the report
            report_late = local_date(now) > calendar.deadline(_noon(inspected_on), settings["report_days"]).day
            deadline_from = local_date(now)
        else:
            report_late, deadline_from = False, inspected_on
        deadline = calendar.deadline(_noon(deadline_from), settings["publish_days"])
        self._result_recorded(result_id=str(rid), department=department, subject=subject,
                              subject_name=subject_name, fields=fields, inspectors=inspectors,
                              confidential_note=check_text(confidential_note, "内部备注", "confidential_note"),
                              publish_deadline=deadline.day, deadline_from=deadline_from,
                              publish_days=settings["publish_days"], report_late=report_late,
                              review_required=settings["review_required"], at=now, actor=actor)
        mine = self.results_of(department)
        if len(mine) == len(self.drawn_subjects) and department not in self.inspections:
            self._inspected(department=department, completed_on=max(r["fields"]["inspected_on"] for r in mine),
                            publish_deadline=max(r["publish_deadline"] for r in mine), note="", at=now, actor=actor)
        return rid

    @event("ResultRecorded")
    def _result_recorded(self, result_id: str, department: str, subject: str, subject_name: str, fields: dict,
                         inspectors: list[str], confidential_note: str, publish_deadline: date, deadline_from: date,
                         publish_days: int, report_late: bool, review_required: bool, at: datetime,
                         actor: dict) -> None:
        self.results[result_id] = {
            "department": department, "subject": subject, "subject_name": subject_name, "fields": dict(fields),
            "inspectors": list(inspectors), "confidential_note": confidential_note,
            "publish_deadline": publish_deadline, "deadline_from": deadline_from, "publish_days": publish_days,
            "report_late": report_late, "review_required": review_required, "approved_by": None,
            "recorded_at": at, "recorded_by": actor.get("user"), "published_at": None, "late": False, "version": 1,
            "versions": []}

    def approve_result(self, *, result_id: str, department: str, is_approver: bool, now: datetime,
                       actor: dict) -> None:
        """Where the department's setting says so, an approver of the department other than the one who recorded
        the result reviews it before it is published."""
        self._check_open()
        result = self.own_result(result_id, department)
        if not result["review_required"]:
            raise errors.WrongState("本部门的结果不需审核，可直接公示。")
        if result["approved_by"] is not None or result["published_at"] is not None:
            raise errors.Conflict("该结果已审核。", code="already_approved")
        if not is_approver:
            raise errors.Forbidden("只有本部门具有审核权限的人员可以审核结果。", code="not_an_approver")
        if actor.get("user") == result["recorded_by"]:
            raise errors.Forbidden("录入人不能审核自己录入的结果。", code="own_result")
        self._result_approved(result_id=result_id, subject=result["subject"], at=now, actor=actor)

    @event("ResultApproved")
    def _result_approved(self, result_id: str, subject: str, at: datetime, actor: dict) -> None:
        self.results[result_id]["approved_by"] = actor.get("user")

    def own_result(self, result_id: str, department: str) -> dict:
        result = self.results.get(result_id)
        if result is None:
            raise errors.NotFound("找不到该检查结果。", result_id=result_id)
        if result["department"] != department:
            raise errors.Forbidden("只有录入该结果的部门可以公示或更正它（谁检查、谁录入、谁公示）。",
                                   result_id=result_id)
        return result

    def publish_result(self, *, result_id: str, department: str, calendar: Calendar, now: datetime,
                       actor: dict) -> bool:
        """The department that recorded a result publishes it ("谁检查、谁录入、谁公示", R-PUB-1); late when after
        its deadline. Its last publication completes the department's publication of the task; the task's last
        completes the task, whose subjects' files are then due within 30 working days (R-ARCH-1)."""
        self._check_open()
        result = self.own_result(result_id, department)
        if result["published_at"] is not None:
            raise errors.Conflict("该结果已公示；如有错误请走更正程序。", code="already_published")
        if result["review_required"] and result["approved_by"] is None:
            raise errors.WrongState("本部门的结果须经审核人审核后才能公示。", code="not_approved")
        late = local_date(now) > result["publish_deadline"]
        self._result_published(result_id=result_id, subject=result["subject"], late=late, at=now, actor=actor)
        mine = self.results_of(department)
        if (len(mine) == len(self.drawn_subjects) and all(r["published_at"] for r in mine)
                and department not in self.publications):
            self._published(department=department, note="", late=any(r["late"] for r in mine), at=now, actor=actor)
            if self.status == "published" and self.archive_due is None:
                self._archive_due(archive_due=calendar.deadline(now, ARCHIVE_WORKING_DAYS).day,
                                  subjects=len(self.drawn_subjects), at=now, actor=actor)
        return late

    @event("ArchiveDue")
    def _archive_due(self, archive_due: date, subjects: int, at: datetime, actor: dict) -> None:
        self.archive_due = archive_due
        self.completed_at = at

    @property
    def awaits_archive(self) -> bool:
        """Completed with a subject's file not yet sealed: its due day moves with the calendar (R-CAL-2, R-ARCH-1)."""
        return self.archive_due is not None and any(s not in self.archives for s in self.drawn_subjects)

    def _recompute_archive_due(self, calendar: Calendar, now: datetime, actor: dict) -> bool:
        if not self.awaits_archive:
            return False
        day = calendar.deadline(self.completed_at, ARCHIVE_WORKING_DAYS).day  # type: ignore[arg-type]
        if day == self.archive_due:
            return False
        self._archive_due_recomputed(archive_due=day, previous=self.archive_due, at=now, actor=actor)
        return True

    @event("ArchiveDueRecomputed")
    def _archive_due_recomputed(self, archive_due: date, previous: date, at: datetime, actor: dict) -> None:
        self.archive_due = archive_due

    # ---- the archive: one file per subject (R-ARCH-1) ----------------------------------------------------------
    def check_archivable(self, department: str, is_office: bool) -> list[str]:
        """The subjects whose file the lead (or the office) may seal now; refused before the task's completion."""
        self._check_open()
        if department != self.lead_department and not is_office:
            raise errors.NotTheLeadDepartment("只有牵头部门可以归档。")
        if self.archive_due is None:
            raise errors.WrongState("各参加部门公示全部检查结果、任务完成后才能归档。", code="not_completed")
        pending = [s for s in self.drawn_subjects if s not in self.archives]
        if not pending:
            raise errors.Conflict("本任务各检查对象均已归档；档案归档后不可更改。", code="already_archived")
        return pending

    def archive_subjects(self, *, department: str, is_office: bool, files: dict[str, dict], now: datetime,
                         actor: dict) -> list[str]:
        """Seal each pending subject's file ({sha256, size, parts}); a sealed file is never replaced."""
        pending = self.check_archivable(department, is_office)
        missing = [s for s in pending if s not in files]
        if missing:
            raise errors.Invalid("以下检查对象缺少档案文件。", subjects=missing)
        self._subjects_archived(archives=[{"subject": s, **files[s]} for s in pending],
                                late=local_date(now) > self.archive_due, at=now, actor=actor)  # type: ignore[operator]
        return pending

    @event("SubjectsArchived")
    def _subjects_archived(self, archives: list[dict], late: bool, at: datetime, actor: dict) -> None:
        for archive in archives:
            self.archives[archive["subject"]] = dict(archive, at=at)

    @event("ResultPublished")
    def _result_published(self, result_id: str, subject: str, late: bool, at: datetime, actor: dict) -> None:
        self.results[result_id].update(published_at=at, late=late)

    def correct_result(self, *, result_id: str, department: str, changes: dict, reason: str, approver: str,
                       item_owners: dict[str, str], now: datetime, actor: dict, objection_id: str | None = None) -> int:
        """A published result is never edited: a correction with a reason and an approver (not the author)
        publishes a new version, and every version stays in the history (R-PUB-2)."""
        self._check_open()
        result = self.own_result(result_id, department)
        if result["published_at"] is None:
            raise errors.WrongState("该结果尚未公示，不需要更正。")
        reason = check_reason(reason, "更正理由")
        approver = check_approver(approver, actor["user"])
        changed = check_changes(result["fields"], changes)
        fields = {**result["fields"], **changed}
        if "item_ids" in changed:
            changed["item_ids"] = fields["item_ids"] = check_items(
                list(changed["item_ids"]), self.allowed_result_items(department, item_owners))
        if "methods" in changed:
            changed["methods"] = fields["methods"] = check_methods(list(changed["methods"]))
        for key, label in (("findings", "检查情况"), ("measures", "处理措施"), ("transferred_to", "接收机关及案件编号")):
            if key in changed:
                changed[key] = fields[key] = check_text(changed[key], label, key)
        if "inspected_on" in changed:
            check_inspected_on(changed["inspected_on"], self.agreed_day, local_date(now))
        check_outcome(fields["outcome"], fields["measures"], fields["transferred_to"])
        version = result["version"] + 1
        self._result_corrected(result_id=result_id, subject=result["subject"], version=version, changes=changed,
                               reason=reason, approver=approver, at=now, actor=actor, objection_id=objection_id)
        return version

    @event("ResultCorrected")
    def _result_corrected(self, result_id: str, subject: str, version: int, changes: dict, reason: str,
                          approver: str, at: datetime, actor: dict, objection_id: str | None = None) -> None:
        # objection_id: the objection whose review decided the correction (R-OBJ-1); None on a correction of the
        # department's own motion, and on corrections recorded before objections existed
        result = self.results[result_id]
        result["versions"].append({"version": result["version"], "fields": dict(result["fields"])})
        result["fields"] = {**result["fields"], **changes}
        result.update(version=version, corrected_at=at, correction_reason=reason, approver=approver,
                      objection_id=objection_id)

    # ---- the lead chases results (R-JOINT-9, 004 §48) -------------------------------------------------------
    def result_progress(self) -> dict[str, dict]:
        """Per joining department: how many drawn subjects it has recorded and published a result for."""
        total = len(self.drawn_subjects)
        progress = {d: {"total": total, "recorded": 0, "published": 0} for d in self.participants}
        for result in self.results.values():
            if result["department"] in progress:
                progress[result["department"]]["recorded"] += 1
                progress[result["department"]]["published"] += result["published_at"] is not None
        return progress

    def chase_results(self, *, department: str, now: datetime, actor: dict) -> list[str]:
        """The lead reminds the joining departments that have not recorded or published every result; whom."""
        self._check_open()
        if department != self.lead_department:
            raise errors.NotTheLeadDepartment("只有牵头部门可以催办检查结果。")
        if self.agreed_day is None or not self.drawn_subjects or local_date(now) < self.agreed_day:
            raise errors.WrongState("联合检查日之后才能催办检查结果。", code="too_early_to_chase")
        behind = [d for d, p in self.result_progress().items()
                  if d != self.lead_department and p["published"] < p["total"]]
        if not behind:
            raise errors.WrongState("各参加部门的检查结果均已录入并公示，无需催办。", code="nothing_to_chase")
        self._results_chased(departments=behind, at=now, actor=actor)
        return behind

    @event("ResultsChased")
    def _results_chased(self, departments: list[str], at: datetime, actor: dict) -> None:
        self.last_chased = {"departments": list(departments), "at": at}

    # ---- the combined notice before the visit (R-EXEC-3) ---------------------------------------------------
    def issue_visit_notices(self, *, department: str, is_office: bool, unannounced_items: list[str],
                            codes: dict[str, str], now: datetime, actor: dict) -> list[dict]:
        """The lead tells each drawn subject, in one combined notice for the joint visit, the day, every joining
        department's items and who comes; never for a visit an item keeps unannounced (R-EXEC-3)."""
        self._check_open()
        if department != self.lead_department and not is_office:
            raise errors.NotTheLeadDepartment("只有牵头部门可以发出联合检查告知书。")
        if unannounced_items:
            raise errors.Conflict("本任务含不预先告知的检查事项，检查前不得向检查对象告知（R-EXEC-3）。",
                                  code="unannounced_visit", items=unannounced_items)
        if self.agreed_day is None or not self.drawn_subjects:
            raise errors.WrongState("联合检查日确定、检查对象抽取后才能发出告知书。")
        unmatched = [d for d in self.participants
                     if (self.matchings.get(d) or {}).get("status") != "matched"]
        if unmatched:
            raise errors.WrongState("以下部门尚未匹配检查人员，不能发出告知书。", departments=unmatched)
        if self.visit_notices:
            raise errors.Conflict("本任务已发出联合检查告知书。", code="notices_issued")
        if local_date(now) >= self.agreed_day:
            raise errors.WrongState("告知书须在联合检查日之前发出。")
        notices = [{"subject": subject, "number": f"{(self.number or '联检').removesuffix('号')}-{n:03d}号",
                    "code": codes[subject]} for n, subject in enumerate(self.drawn_subjects, start=1)]
        self._visit_notices_issued(day=self.agreed_day, notices=notices, at=now, actor=actor)
        return notices

    @event("VisitNoticesIssued")
    def _visit_notices_issued(self, day: date, notices: list[dict], at: datetime, actor: dict) -> None:
        self.visit_notices = {n["subject"]: dict(n, day=day, issued_at=at) for n in notices}

    # ---- drawing subjects (R-JOINT-6, R-DRAW-5) -----------------------------------------------------
    @property
    def drawn_subjects(self) -> list[str]:
        return list(self.draws[self.current_draw]["drawn"]) if self.current_draw else []

    def commit_draw(self, *, draw_id: str, commitment: str, criteria: dict, witnesses: list[dict],
                    redraw_of: str | None, reason: str, approver: str, department: str, now: datetime,
                    actor: dict) -> None:
        """The lead commits to a seed (its hash) before the pool is fixed; a redraw needs a reason and an approver."""
        self._check_open()
        if department != self.lead_department:
            raise errors.NotTheLeadDepartment("只有牵头部门可以抽取检查对象。")
        if self.inspections:
            raise errors.WrongState("已有部门登记检查完成，不能再抽取检查对象。")
        open_commitments = [i for i, d in self.draws.items() if d["status"] == "committed"]
        if open_commitments and redraw_of != open_commitments[0]:
            raise errors.Conflict("已有一次抽取尚未执行，请先执行该次抽取；如无法执行（如符合条件的对象不足），"
                                  "可注明该次抽取、理由和批准人后重新登记。", draw_id=open_commitments[0])
        # an unexecuted commitment is replaced like an executed draw: named, with a reason and an approver
        check_redraw(open_commitments[0] if open_commitments else self.current_draw, redraw_of, reason, approver,
                     actor["user"])
        self._draw_committed(draw_id=draw_id, commitment=commitment, criteria=criteria,
                             witnesses=check_witnesses(witnesses), redraw_of=redraw_of, reason=reason.strip(),
                             approver=approver.strip(), at=now, actor=actor)

    @event("DrawCommitted")
    def _draw_committed(self, draw_id: str, commitment: str, criteria: dict, witnesses: list[dict],
                        redraw_of: str | None, reason: str, approver: str, at: datetime, actor: dict) -> None:
        self.draws[draw_id] = {"status": "committed", "commitment": commitment, "criteria": criteria,
                               "witnesses": witnesses, "redraw_of": redraw_of, "reason": reason,
                               "approver": approver, "committed_at": at, "committed_by": actor["user"]}
        if redraw_of and self.draws[redraw_of]["status"] == "committed":  # never executed: it stays on record
            self.draws[redraw_of]["status"] = "abandoned"

    def record_draw(self, *, draw_id: str, seed: str, algorithm: str, version: int, pool_fingerprint: str,
                    pool_size: int, counts: dict, excused: list[str], drawn: list[str], replaced: list[str],
                    flags: dict, now: datetime, actor: dict) -> None:
        """Reveal the seed and record the result; the seed must match the commitment (R-DRAW-5)."""
        self._check_open()
        committed = self.draws.get(draw_id)
        if committed is None:
            raise errors.NotFound("找不到该次抽取。", draw_id=draw_id)
        if committed["status"] != "committed":
            raise errors.Conflict("该次抽取已执行，不能重复执行。", draw_id=draw_id)
        if seed_commitment(seed) != committed["commitment"]:
            raise errors.Invalid("随机种子与事先登记的承诺值不符，不能执行抽取。", draw_id=draw_id)
        self._subjects_drawn(draw_id=draw_id, seed=seed, algorithm=algorithm, version=version,
                             pool_fingerprint=pool_fingerprint, pool_size=pool_size, counts=counts,
                             excused=excused, drawn=drawn, replaced=replaced, flags=flags, at=now, actor=actor)

    @event("SubjectsDrawn")
    def _subjects_drawn(self, draw_id: str, seed: str, algorithm: str, version: int, pool_fingerprint: str,
                        pool_size: int, counts: dict, excused: list[str], drawn: list[str], replaced: list[str],
                        flags: dict, at: datetime, actor: dict) -> None:
        record = self.draws[draw_id]
        record.update(status="drawn", seed=seed, algorithm=algorithm, version=version,
                      pool_fingerprint=pool_fingerprint, pool_size=pool_size, counts=dict(counts),
                      excused=list(excused), drawn=list(drawn), replaced=list(replaced), flags=dict(flags),
                      drawn_at=at, drawn_by=actor["user"])
        if record["redraw_of"] and self.draws[record["redraw_of"]]["status"] == "drawn":
            self.draws[record["redraw_of"]]["status"] = "superseded"
        self.current_draw = draw_id

    # ---- matching inspectors (R-MATCH-1..4): each joining department matches its own (R-JOINT-6) -----------
    def _check_can_match(self, department: str) -> None:
        self._check_open()
        self._check_participant(department)
        if self.agreed_day is None:
            raise errors.WrongState("联合检查日确定后才能匹配检查人员（证件须在检查日有效）。")
        if not self.drawn_subjects:
            raise errors.WrongState("牵头部门尚未抽取检查对象，不能匹配检查人员。")
        if department in self.inspections:
            raise errors.WrongState("本部门已登记检查完成，不能再匹配检查人员。")

    def commit_matching(self, *, department: str, match_id: str, commitment: str, team_size: int,
                        now: datetime, actor: dict) -> None:
        """Commit to a seed before this department's inspector pool is fixed."""
        self._check_can_match(department)
        current = self.matchings.get(department)
        if current and current["status"] == "committed":
            raise errors.Conflict("本部门已有一次匹配尚未执行，请先执行。", match_id=current["match_id"])
        if current:
            raise errors.Conflict("本部门已匹配检查人员；如需更换人员，请逐人办理更换并经批准。")
        if team_size < 2:
            raise errors.Invalid("每个检查对象至少匹配 2 名检查人员（R-MATCH-1）。", field="team_size")
        self._match_committed(department=department, match_id=match_id, commitment=commitment,
                              team_size=team_size, at=now, actor=actor)

    @event("InspectorsMatchCommitted")
    def _match_committed(self, department: str, match_id: str, commitment: str, team_size: int, at: datetime,
                         actor: dict) -> None:
        self.matchings[department] = {"status": "committed", "match_id": match_id, "commitment": commitment,
                                      "team_size": team_size, "committed_at": at}

    def record_matching(self, *, department: str, match_id: str, seed: str, algorithm: str, version: int,
                        pool_fingerprint: str, inspectors: list[str], conflicts: list[list[str]],
                        teams: dict[str, list[str]], now: datetime, actor: dict) -> None:
        """Reveal the seed and record the teams; every drawn subject gets a team."""
        self._check_can_match(department)
        committed = self.matchings.get(department)
        if committed is None or committed["match_id"] != match_id:
            raise errors.NotFound("找不到该次匹配。", match_id=match_id)
        if committed["status"] != "committed":
            raise errors.Conflict("该次匹配已执行。", match_id=match_id)
        if seed_commitment(seed) != committed["commitment"]:
            raise errors.Invalid("随机种子与事先登记的承诺值不符，不能执行匹配。", match_id=match_id)
        check_teams(teams, self.drawn_subjects, committed["team_size"])
        self._inspectors_matched(department=department, match_id=match_id, seed=seed, algorithm=algorithm,
                                 version=version, pool_fingerprint=pool_fingerprint, inspectors=inspectors,
                                 conflicts=conflicts, teams=teams, at=now, actor=actor)

    @event("InspectorsMatched")
    def _inspectors_matched(self, department: str, match_id: str, seed: str, algorithm: str, version: int,
                            pool_fingerprint: str, inspectors: list[str], conflicts: list[list[str]],
                            teams: dict[str, list[str]], at: datetime, actor: dict) -> None:
        self.matchings[department].update(
            status="matched", seed=seed, algorithm=algorithm, version=version, pool_fingerprint=pool_fingerprint,
            inspectors=list(inspectors), conflicts=[list(c) for c in conflicts],
            teams={k: list(v) for k, v in teams.items()}, matched_teams={k: list(v) for k, v in teams.items()},
            matched_at=at, replacements=[])

    def assign_inspectors(self, *, department: str, teams: dict[str, list[str]], reason: str, approver: str,
                          now: datetime, actor: dict) -> None:
        """Too few inspectors: an approved direct or cross-unit assignment instead of a random match (R-MATCH-4)."""
        self._check_can_match(department)
        if department in self.matchings and self.matchings[department]["status"] == "matched":
            raise errors.Conflict("本部门已匹配检查人员；如需更换人员，请逐人办理更换并经批准。")
        check_teams(teams, self.drawn_subjects, 2)
        self._inspectors_assigned(department=department, teams=teams, reason=check_reason(reason, "指派理由"),
                                  approver=check_approver(approver, actor["user"]), at=now, actor=actor)

    @event("InspectorsAssigned")
    def _inspectors_assigned(self, department: str, teams: dict[str, list[str]], reason: str, approver: str,
                             at: datetime, actor: dict) -> None:
        self.matchings[department] = {"status": "matched", "assigned": True, "reason": reason, "approver": approver,
                                      "teams": {k: list(v) for k, v in teams.items()}, "matched_at": at,
                                      "replacements": []}

    def replace_inspector(self, *, department: str, subject: str, replaced: str, replacement: str, reason: str,
                          approver: str, now: datetime, actor: dict) -> None:
        """A matched inspector leaves a team only for an allowed reason with a superior's approval (R-MATCH-2)."""
        self._check_open()
        matching = self.matchings.get(department)
        if matching is None or matching["status"] != "matched":
            raise errors.WrongState("本部门尚未匹配检查人员。")
        team = matching["teams"].get(subject)
        if team is None or replaced not in team:
            raise errors.Invalid("该检查人员不在该检查对象的检查组中。", subject=subject, inspector=replaced)
        if reason not in REPLACEMENT_REASONS:
            raise errors.Invalid(f"更换理由须为：{'、'.join(REPLACEMENT_REASONS.values())}。", field="reason")
        self._inspector_replaced(department=department, subject=subject, replaced=replaced, replacement=replacement,
                                 reason=reason, approver=check_approver(approver, actor["user"]),
                                 number=len(matching["replacements"]) + 1, at=now, actor=actor)

    @event("InspectorReplaced")
    def _inspector_replaced(self, department: str, subject: str, replaced: str, replacement: str, reason: str,
                            approver: str, number: int, at: datetime, actor: dict) -> None:
        team = self.matchings[department]["teams"][subject]
        team[team.index(replaced)] = replacement
        self.matchings[department]["replacements"].append(
            {"subject": subject, "replaced": replaced, "replacement": replacement, "reason": reason,
             "approver": approver, "number": number, "at": at})

    # ---- cancellation, deadlines, fusion ---------------------------------------------------------
    def cancel(self, *, department: str, is_office: bool, reason: str, now: datetime, actor: dict) -> None:
        """The lead (or the office) cancels with a reason; nothing is accepted afterwards."""
        self._check_open()
        if department != self.lead_department and not is_office:
            raise errors.NotTheLeadDepartment("只有牵头部门或联席会议办公室可以撤销任务。")
        if self.publications:
            raise errors.WrongState("已有部门公示结果，任务不能撤销。")
        self._cancelled(reason=check_reason(reason, "撤销理由"), at=now, actor=actor)

    @event("Cancelled")
    def _cancelled(self, reason: str, at: datetime, actor: dict) -> None:
        self.cancelled = {"reason": reason, "at": at}

    def recompute_deadline(self, *, calendar: Calendar, now: datetime, actor: dict) -> bool:
        """After a calendar change, move the response deadline if responses are still open, the publication
        deadline of every result not yet published, and the archive's due day while a file is unsealed (R-CAL-2);
        whether anything moved."""
        moved = self._recompute_result_deadlines(calendar, now, actor)
        moved = self._recompute_archive_due(calendar, now, actor) or moved
        if not self.awaits_responses:
            return moved
        deadline = calendar.deadline(self.pushed_at, RESPONSE_WORKING_DAYS)
        if (deadline.day, deadline.provisional) == (self.response_deadline, self.deadline_provisional):
            return moved
        self._deadline_recomputed(
            response_deadline=deadline.day, provisional=deadline.provisional, previous=self.response_deadline,
            at=now, actor=actor,
        )
        return True

    @property
    def awaits_publication(self) -> bool:
        """Live with a result not yet published: its deadline moves with the calendar (R-CAL-2)."""
        return (self.merged_into is None and self.cancelled is None
                and any(r["published_at"] is None for r in self.results.values()))

    def _recompute_result_deadlines(self, calendar: Calendar, now: datetime, actor: dict) -> bool:
        if not self.awaits_publication:
            return False
        moved = False
        for rid, result in list(self.results.items()):
            if result["published_at"] is not None:
                continue
            day = calendar.deadline(_noon(result["deadline_from"]), result["publish_days"]).day
            if day == result["publish_deadline"]:
                continue
            department = result["department"]
            completed = department in self.inspections and department not in self.publications
            department_deadline = max([day] + [r["publish_deadline"] for k, r in self.results.items()
                                               if r["department"] == department and k != rid]) if completed else None
            self._result_deadline_recomputed(result_id=rid, department=department, subject=result["subject"],
                                             publish_deadline=day, previous=result["publish_deadline"],
                                             department_deadline=department_deadline, at=now, actor=actor)
            moved = True
        return moved

    @event("ResultDeadlineRecomputed")
    def _result_deadline_recomputed(self, result_id: str, department: str, subject: str, publish_deadline: date,
                                    previous: date, department_deadline: date | None, at: datetime,
                                    actor: dict) -> None:
        self.results[result_id]["publish_deadline"] = publish_deadline
        if department_deadline is not None:  # the department's inspection (all its results) is due by its latest
            self.inspections[department]["publish_deadline"] = department_deadline

    @event("DeadlineRecomputed")
    def _deadline_recomputed(
        self, response_deadline: date, provisional: bool, previous: date, at: datetime, actor: dict
    ) -> None:
        self.response_deadline = response_deadline
        self.deadline_provisional = provisional

    def mark_merged_into(self, *, survivor: "JointTask", now: datetime, actor: dict) -> None:
        """This task is fused into another; afterwards every command names the survivor (R-JOINT-8)."""
        self._check_open()
        self._merged(into_task_id=survivor.id, at=now, actor=actor)

    @event("Merged")
    def _merged(self, into_task_id: UUID, at: datetime, actor: dict) -> None:
        self.merged_into = into_task_id

    def absorb(self, *, other: "JointTask", now: datetime, actor: dict) -> None:
        """Take over another task's items, departments and responses; both tasks record the link (R-JOINT-8)."""
        self._check_open()
        other._check_open()
        if other.id == self.id:
            raise errors.Invalid("不能把任务并入自身。")
        if self.agreed_day is not None or other.agreed_day is not None:
            raise errors.WrongState("已确定联合检查日的任务不能再融合。")
        if other.window_end < self.window_start or self.window_end < other.window_start:
            raise errors.Invalid("两个任务的时间窗口不重叠，不能融合。")
        carried = {other.lead_department: _accepted_response(other.items, now)} | dict(other.responses)
        carried = {c: r for c, r in carried.items() if c != self.lead_department and c not in self.responses}
        new_items = [i for i in other.items if i not in self.items]
        self._absorbed(from_task_id=other.id, items=new_items, responses=carried, at=now, actor=actor)

    @event("MergeAbsorbed")
    def _absorbed(self, from_task_id: UUID, items: list[str], responses: dict, at: datetime, actor: dict) -> None:
        self.items.extend(items)
        # Copies: the carried dicts belong to the event (and to the merged task) and must not change with this task.
        self.responses.update({code: dict(response) for code, response in responses.items()})
        self.merged_from.append(from_task_id)


def _pending_response() -> dict:
    return {"status": PENDING, "item_ids": [], "reason": "", "responded_at": None, "late": False, "late_reason": None}


def _accepted_response(items: list[str], at: datetime) -> dict:
    return {"status": ACCEPTED, "item_ids": list(items), "reason": "", "responded_at": at, "late": False,
            "late_reason": None}


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=SHANGHAI)
