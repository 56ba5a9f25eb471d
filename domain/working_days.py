"""Working-day rules (R-CAL-1, R-CAL-2): which days count, and deadlines counted in them."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Mapping, Protocol

from domain.clock import SHANGHAI

MAX_WORKING_DAYS = 366


class OfficialSchedule(Protocol):
    """The State Council's published schedule; None for a year it does not know yet."""

    def is_workday(self, day: date) -> bool | None: ...


class WeekdaysOnly:
    """An official schedule that knows no year: everything falls back to Mon–Fri."""

    def is_workday(self, day: date) -> bool | None:
        return None


@dataclass(frozen=True)
class YearSchedule:
    """A year's schedule entered by the joint meeting office (R-CAL-2)."""

    year: int
    holidays: frozenset[date]
    makeup_workdays: frozenset[date]

    def is_workday(self, day: date) -> bool:
        if day in self.makeup_workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5


@dataclass(frozen=True)
class DayStatus:
    working: bool
    provisional: bool
    source: str  # "official", "office_schedule", "office_amendment", "weekday_fallback"


@dataclass(frozen=True)
class Deadline:
    """The end (24:00 Asia/Shanghai) of the n-th working day after a start."""

    day: date
    provisional: bool

    @property
    def at(self) -> datetime:
        """The last instant of the day, for display and storage as an ISO datetime."""
        return end_of_day(self.day)

    def is_past(self, instant: datetime) -> bool:
        """True once the deadline day is over in Shanghai (an act at 23:59:59 is on time)."""
        return local_date(instant) > self.day


@dataclass(frozen=True)
class Calendar:
    """The official schedule plus the office's entered years and single-day amendments."""

    official: OfficialSchedule = field(default_factory=WeekdaysOnly)
    schedules: Mapping[int, YearSchedule] = field(default_factory=dict)
    amendments: Mapping[date, bool] = field(default_factory=dict)

    def status(self, day: date) -> DayStatus:
        """Whether a day is a working day, and whether that is only a provisional guess (R-CAL-2)."""
        if day in self.amendments:
            return DayStatus(self.amendments[day], False, "office_amendment")
        schedule = self.schedules.get(day.year)
        if schedule is not None:
            return DayStatus(schedule.is_workday(day), False, "office_schedule")
        official = self.official.is_workday(day)
        if official is not None:
            return DayStatus(official, False, "official")
        return DayStatus(day.weekday() < 5, True, "weekday_fallback")

    def is_working_day(self, day: date) -> bool:
        return self.status(day).working

    def deadline(self, start: datetime, working_days: int) -> Deadline:
        """End of the n-th working day after start's date in Shanghai; start's day never counts (R-CAL-1)."""
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        if not 1 <= working_days <= MAX_WORKING_DAYS:
            raise ValueError(f"working_days must be between 1 and {MAX_WORKING_DAYS}")
        day = local_date(start)
        counted = 0
        provisional = False
        while counted < working_days:
            day += timedelta(days=1)
            status = self.status(day)
            provisional = provisional or status.provisional
            if status.working:
                counted += 1
        return Deadline(day=day, provisional=provisional)


def local_date(instant: datetime) -> date:
    """The calendar date of an instant in Asia/Shanghai."""
    if instant.tzinfo is None:
        raise ValueError("instant must be timezone-aware")
    return instant.astimezone(SHANGHAI).date()


def end_of_day(day: date) -> datetime:
    """23:59:59 of a Shanghai date: the moment a deadline on that day expires."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=SHANGHAI)


def countdown(calendar: Calendar, deadline: date, today: date) -> dict:
    """How far a deadline (the end of its day) is from today in working days, as a clerk reads it (R-CAL-1):
    {"state": "remaining", "working_days": n} counts the working days after today up to the deadline day;
    "due_today" (n = 0) on the day itself; "overdue" counts the working days since it passed (0 when only rest
    days have)."""
    if today == deadline:
        return {"state": "due_today", "working_days": 0}
    first, last = (today, deadline) if today < deadline else (deadline, today)
    days = (last - first).days
    working = sum(1 for n in range(1, days + 1) if calendar.is_working_day(first + timedelta(days=n)))
    return {"state": "remaining" if today < deadline else "overdue", "working_days": working}
