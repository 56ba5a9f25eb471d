"""A result's afterlife: the subject's objections (R-OBJ-1), its requests during the visit (R-JOINT-9), the lead
chasing the departments behind with results (004 §48), and the archive file of each subject (R-ARCH-1). Clocks
follow the office's calendar (R-CAL-2)."""
from __future__ import annotations

import hashlib
from typing import Any, Callable
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain import errors
from domain.enterprise_request import OPEN, EnterpriseRequest
from domain.joint_task import JointTask
from domain.objection import Objection
from domain.usecases.base import Actor, CommandResult
from domain.usecases.calendar import deadline_move
from domain.usecases.results import ResultUseCases
from domain.working_days import local_date

OBJECTION, REQUEST = "objection", "request"


def enterprise_actor(subject: str) -> Actor:
    """The inspected enterprise, acting with its notice's verification code (no account)."""
    return Actor(user=f"enterprise:{subject}", department="enterprise")


class AfterlifeUseCases(ResultUseCases):
    def _read(self, aggregate_id: UUID, kind: type, message: str) -> Any:
        try:
            aggregate = self.read_aggregate(aggregate_id)
        except AggregateNotFoundError:
            aggregate = None
        if not isinstance(aggregate, kind):
            raise errors.NotFound(message, id=str(aggregate_id))
        return aggregate

    def get_objection(self, objection_id: UUID) -> Objection:
        return self._read(objection_id, Objection, "找不到该异议，请核对编号。")

    def get_request(self, request_id: UUID) -> EnterpriseRequest:
        return self._read(request_id, EnterpriseRequest, "找不到该诉求，请核对编号。")

    # ---- objections (R-OBJ-1) ----------------------------------------------------------------------------
    def lodge_objection(self, result_id: UUID, actor: Actor, *, reason: str, contact: dict, via: str,
                        proved: tuple[UUID, str] | None = None) -> CommandResult:
        """Received from the enterprise (with its code: `proved` is the task and subject the code opens) or by the
        result's department from a written application; one open objection per result."""
        with self.transaction():
            task_id = self.result_index.task_of(result_id)
            task = self.get_task(task_id) if task_id is not None else None
            result = task.results.get(str(result_id)) if task is not None else None
            if result is None or (proved is not None and proved != (task.id, result["subject"])):
                raise errors.NotFound("找不到该检查结果，请核对编号。", result_id=str(result_id))
            if via == "clerk" and actor.department != result["department"]:
                raise errors.Forbidden("书面异议由作出该检查结果的部门受理。", code="not_the_department")
            if self.open_clocks.open_for(OBJECTION, str(result_id)):
                raise errors.Conflict("对该结果的异议正在办理，请等待答复。", code="objection_open")
            objection = Objection.lodge(
                result=result, result_id=str(result_id), task_id=task.id, reason=reason, contact=contact, via=via,
                answer_days=self.department_settings.get(result["department"])["answer_days"],
                calendar=self.calendar(), now=self.clock.now(), actor=actor.as_record())
            self.open_clocks.open(objection.id, OBJECTION, str(result_id))
            return self._save(objection)

    def review_objection(self, objection_id: UUID, actor: Actor, *, decision: str, opinion: str,
                         correction: dict | None) -> CommandResult:
        """Upheld, or corrected: the correction (R-PUB-2, with its approver) names the objection, in the same unit
        of work as the decision. `aggregate`: whether the review is late."""
        with self.transaction():
            objection = self.get_objection(objection_id)
            objection.check_reviewable(actor.department)
            touched: list[Any] = [objection]
            version = None
            if decision == "corrected":
                if not correction:
                    raise errors.Invalid("更正结果须提交更正内容、理由和批准人。", field="correction")
                task = self.get_task(objection.task_id)
                version = self._correct(task, UUID(objection.result_id), actor,
                                        changes=correction.get("changes") or {}, reason=correction.get("reason", ""),
                                        approver=correction.get("approver", ""), objection_id=str(objection.id))
                touched.append(task)
            late = objection.review(department=actor.department, decision=decision, opinion=opinion,
                                    correction_version=version, calendar=self.calendar(), now=self.clock.now(),
                                    actor=actor.as_record())
            saved = self._save(*touched)
            return CommandResult(aggregate_id=objection.id, position=saved.position, aggregate=late)

    def answer_objection(self, objection_id: UUID, actor: Actor, *, answer: str) -> CommandResult:
        with self.transaction():
            objection = self.get_objection(objection_id)
            late = objection.give_answer(department=actor.department, answer=answer, now=self.clock.now(),
                                         actor=actor.as_record())
            self.open_clocks.close(objection.id)
            saved = self._save(objection)
            return CommandResult(aggregate_id=objection.id, position=saved.position, aggregate=late)

    # ---- enterprise requests (R-JOINT-9) ------------------------------------------------------------------
    def raise_request(self, task_id: UUID, actor: Actor, *, subject: str, content: str, contact: dict | None,
                      via: str, on_spot_answer: str = "") -> CommandResult:
        """By a joining department's inspectors from the visit's day, or by the enterprise with its code (owned by
        the lead, which collects them: 004 §47)."""
        with self.transaction():
            task = self.get_task(task_id)
            subject = subject.strip()
            if subject not in task.drawn_subjects:
                raise errors.Invalid("该检查对象不是本任务抽取的检查对象。", code="subject_not_drawn",
                                     field="subject_code")
            if via == "enterprise":
                department = task.lead_department
            else:
                department = actor.department
                if department not in task.participants:
                    raise errors.Forbidden("本部门未参加该任务的检查，不能登记诉求。", code="not_joining")
                if task.agreed_day is None or local_date(self.clock.now()) < task.agreed_day:
                    raise errors.WrongState("联合检查日当天起才能登记检查中企业提出的诉求。", code="before_visit")
            request = EnterpriseRequest.raise_request(
                task_id=task.id, subject=subject, subject_name=self.subject_pool.names([subject]).get(subject, ""),
                department=department, content=content, contact=contact, via=via, on_spot_answer=on_spot_answer,
                calendar=self.calendar(), now=self.clock.now(), actor=actor.as_record())
            if request.status == OPEN:
                self.open_clocks.open(request.id, REQUEST, str(task.id))
            return self._save(request)

    def answer_request(self, request_id: UUID, actor: Actor, *, answer: str) -> CommandResult:
        with self.transaction():
            request = self.get_request(request_id)
            late = request.give_answer(department=actor.department, answer=answer, now=self.clock.now(),
                                       actor=actor.as_record())
            self.open_clocks.close(request.id)
            saved = self._save(request)
            return CommandResult(aggregate_id=request.id, position=saved.position, aggregate=late)

    def forward_request(self, request_id: UUID, actor: Actor, *, to_department: str, note: str) -> CommandResult:
        with self.transaction():
            request = self.get_request(request_id)
            due = request.forward(department=actor.department, to_department=to_department, note=note,
                                  known=bool(self.checklist.known_departments([to_department])),
                                  calendar=self.calendar(), now=self.clock.now(), actor=actor.as_record())
            saved = self._save(request)
            return CommandResult(aggregate_id=request.id, position=saved.position, aggregate=due)

    # ---- the lead chases results (R-JOINT-9) ---------------------------------------------------------------
    def chase_results(self, task_id: UUID, actor: Actor) -> CommandResult:
        """`aggregate`: the departments reminded."""
        with self.transaction():
            task = self.get_task(task_id)
            chased = task.chase_results(department=actor.department, now=self.clock.now(), actor=actor.as_record())
            saved = self._save(task)
            return CommandResult(aggregate_id=task.id, position=saved.position, aggregate=chased)

    # ---- the archive: one file per subject (R-ARCH-1) ----------------------------------------------------------
    def archive_subjects(self, task_id: UUID, actor: Actor,
                         build: Callable[[JointTask, str], tuple[bytes, dict[str, str]]]) -> CommandResult:
        """Seal every pending subject's file: `build` makes it (ZIP bytes and each part's hash) from the task as
        read in this unit of work; the bytes are stored with their SHA-256, which the event records. `aggregate`:
        the subjects archived."""
        with self.transaction():
            task = self.get_task(task_id)
            now, files = self.clock.now(), {}
            for subject in task.check_archivable(actor.department, actor.is_office):  # refused: nothing is built
                content, parts = build(task, subject)
                digest = hashlib.sha256(content).hexdigest()
                self.archive_store.put(task.id, subject, content, digest, now)
                files[subject] = {"sha256": digest, "size": len(content), "parts": parts}
            archived = task.archive_subjects(department=actor.department, is_office=actor.is_office, files=files,
                                             now=now, actor=actor.as_record())
            saved = self._save(task)
            return CommandResult(aggregate_id=task.id, position=saved.position, aggregate=archived)

    # ---- the calendar moves the clocks (R-CAL-2) -------------------------------------------------------------
    def recompute_clocks(self, actor: Actor, moves: list[dict]) -> list[CommandResult]:
        """Every open objection's and request's deadline to the calendar now in force (in the caller's unit of
        work: the calendar change); each moved one to `moves`."""
        calendar, now = self.calendar(), self.clock.now()
        moved = []
        for aggregate_id, kind in self.open_clocks.ids():
            aggregate = self.get_objection(aggregate_id) if kind == OBJECTION else self.get_request(aggregate_id)
            what, previous = aggregate.open_clock()
            if aggregate.recompute(calendar=calendar, now=now, actor=actor.as_record()):
                moves.append(deadline_move(what, self.get_task(aggregate.task_id), previous,
                                           aggregate.open_clock()[1], aggregate.subject, aggregate.subject_name))
                moved.append(self._save(aggregate))
        return moved
