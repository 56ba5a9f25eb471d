"""JointTask: one joint inspection from push to publication (R-JOINT-1..9, R-PUB-1)."""
from __future__ import annotations

from datetime import date, datetime, time
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain import errors
from domain.clock import SHANGHAI
from domain.draw import commitment as seed_commitment
from domain.joint_task_rules import (
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
        self.cancelled: dict | None = None
        self.merged_into: UUID | None = None
        self.merged_from: list[UUID] = []
        self.draws: dict[str, dict] = {}
        self.current_draw: str | None = None
        self.matchings: dict[str, dict] = {}  # department → its inspectors' teams (R-JOINT-6, R-MATCH-1)

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
        """After a calendar change, move the response deadline if responses are still open (R-CAL-2)."""
        if not self.awaits_responses:
            return False
        deadline = calendar.deadline(self.pushed_at, RESPONSE_WORKING_DAYS)
        if (deadline.day, deadline.provisional) == (self.response_deadline, self.deadline_provisional):
            return False
        self._deadline_recomputed(
            response_deadline=deadline.day, provisional=deadline.provisional, previous=self.response_deadline,
            at=now, actor=actor,
        )
        return True

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
