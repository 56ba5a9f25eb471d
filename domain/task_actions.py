"""What a department may do on a joint task now, as the aggregate itself decides: each command is tried on a copy
of the task with the plainest acceptable input, and offered only if the copy accepts it (issue 15: the UI offers
an action only when the server would take it, never by guessing in the browser). Nothing is recorded."""
from __future__ import annotations

import copy
from datetime import date, datetime, timedelta
from typing import Callable

from domain import errors
from domain.joint_task import JointTask
from domain.working_days import Calendar, local_date

PROBE_ACTOR = {"user": "probe", "department": "probe", "office": False}
PROBE_TEXT = "试办"
PROBE_WITNESS = [{"name": PROBE_TEXT, "role": "staff"}]
SEED_HASH = "0" * 64


def available_actions(task: JointTask, department: str, is_office: bool, now: datetime,
                      calendar: Calendar) -> list[str]:
    """The commands the department (or the office) could give now, in the order a clerk does them."""
    today = local_date(now)
    probes: dict[str, Callable[[JointTask], None]] = {
        "respond": lambda t: t.respond(department=department, decision="decline", item_ids=[], reason=PROBE_TEXT,
                                       now=now, actor=PROBE_ACTOR),
        "give_late_reason": lambda t: t.give_late_reason(department=department, reason=PROBE_TEXT, now=now,
                                                         actor=PROBE_ACTOR),
        "propose_day": lambda t: t.propose_day(department=department, day=_first_working_day(t, today, calendar),
                                               calendar=calendar, now=now, actor=PROBE_ACTOR),
        "agree_day": lambda t: t.agree_day(department=department, now=now, actor=PROBE_ACTOR),
        "draw": lambda t: t.commit_draw(department=department, draw_id="probe", commitment=SEED_HASH,
                                        criteria={}, witnesses=PROBE_WITNESS, redraw_of=_replaceable(t),
                                        reason=PROBE_TEXT, approver=PROBE_TEXT, now=now, actor=PROBE_ACTOR),
        "match": lambda t: t.commit_matching(department=department, match_id="probe", commitment=SEED_HASH,
                                             team_size=2, now=now, actor=PROBE_ACTOR),
        "record_inspection": lambda t: t.record_inspection(department=department, completed_on=today, note="",
                                                           calendar=calendar, now=now, actor=PROBE_ACTOR),
        "publish": lambda t: t.publish(department=department, note="", now=now, actor=PROBE_ACTOR),
        "cancel": lambda t: t.cancel(department=department, is_office=is_office, reason=PROBE_TEXT, now=now,
                                     actor=PROBE_ACTOR),
    }
    return [name for name, probe in probes.items() if _accepted(task, probe)]


def _accepted(task: JointTask, probe: Callable[[JointTask], None]) -> bool:
    try:
        probe(copy.deepcopy(task))
    except (errors.DomainError, ValueError):
        return False
    return True


def _replaceable(task: JointTask) -> str | None:
    """The draw a new commitment would replace: an open (unexecuted) commitment, else the current draw."""
    return next((i for i, d in task.draws.items() if d["status"] == "committed"), task.current_draw)


def _first_working_day(task: JointTask, today: date, calendar: Calendar) -> date:
    """The earliest day a proposal could name: a working day after today inside the window."""
    day = max(today + timedelta(days=1), task.window_start)
    while day <= task.window_end and not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day
