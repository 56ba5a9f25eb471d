"""The use cases: the only way state changes. Each opens one unit of work, reads what its rules need inside it
(the event store, and reference data through domain.ports), decides, records, and returns what it recorded with its
notification position. Routes, the CLI, the demo loader and the deadline watcher all call these."""
from __future__ import annotations

from domain.usecases.afterlife import AfterlifeUseCases
from domain.usecases.base import SYSTEM, Actor, Clock, CommandResult, UseCases
from domain.usecases.calendar import CalendarChange, CalendarUseCases
from domain.usecases.checklist import ChecklistUseCases
from domain.usecases.draws import DrawUseCases
from domain.usecases.matching import MatchingUseCases
from domain.usecases.notices import NoticeUseCases
from domain.usecases.results import ResultUseCases
from domain.usecases.tasks import TaskUseCases
from domain.usecases.visits import VisitUseCases

__all__ = ["SYSTEM", "Actor", "CalendarChange", "Clock", "CommandResult", "JointInspect"]


class JointInspect(TaskUseCases, DrawUseCases, MatchingUseCases, VisitUseCases, AfterlifeUseCases, ResultUseCases,
                   NoticeUseCases, CalendarUseCases, ChecklistUseCases, UseCases):
    """Joint inspections, their draws, matchings and results with objections and requests, the office's notices,
    the working calendar and the departments' checklists and plans."""

    name = "JointInspect"
