"""Named domain errors. Each carries a machine code and a Chinese message a clerk can act on."""
from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule refused a command; nothing was recorded."""

    code = "domain_error"
    kind = "conflict"  # one of: not_found, forbidden, conflict, invalid

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        if code is not None:  # a refusal specific to one use case, named without a class of its own
            self.code = code


class NotFound(DomainError):
    code = "not_found"
    kind = "not_found"


class Forbidden(DomainError):
    code = "forbidden"
    kind = "forbidden"


class Invalid(DomainError):
    code = "invalid"
    kind = "invalid"


class Conflict(DomainError):
    code = "conflict"
    kind = "conflict"


class TaskNotFound(NotFound):
    code = "task_not_found"


class NotARespondingDepartment(Forbidden):
    code = "not_a_responding_department"


class NotTheLeadDepartment(Forbidden):
    code = "not_the_lead_department"


class AlreadyResponded(Conflict):
    code = "already_responded"


class DepartmentDeclined(Conflict):
    code = "department_declined"


class TaskCancelled(Conflict):
    code = "task_cancelled"


class TaskMerged(Conflict):
    code = "task_merged"


class WrongState(Conflict):
    code = "wrong_state"


class LateReasonNotAllowed(Conflict):
    code = "late_reason_not_allowed"


class DayOutsideWindow(Invalid):
    code = "day_outside_window"


class NotAWorkingDay(Invalid):
    code = "not_a_working_day"


class InvalidTask(Invalid):
    code = "invalid_task"


class InvalidResponse(Invalid):
    code = "invalid_response"


class InvalidCalendar(Invalid):
    code = "invalid_calendar"
