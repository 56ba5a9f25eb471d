"""WorkingCalendar: the office's amendments to the official schedule, as events (R-CAL-2)."""
from __future__ import annotations

from datetime import date, datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidCalendar
from domain.working_days import Calendar, OfficialSchedule, YearSchedule

CALENDAR_ID = uuid5(NAMESPACE_URL, "jointinspect:working-calendar")


class WorkingCalendar(Aggregate):
    """The single, province-wide working calendar; amended only by the joint meeting office."""

    @classmethod
    def create_id(cls, **_: object) -> UUID:
        return CALENDAR_ID

    @event("Opened")
    def __init__(self, actor: dict, at: datetime) -> None:
        self.schedules: dict[int, dict] = {}
        self.amendments: dict[date, dict] = {}

    def enter_year_schedule(
        self, year: int, holidays: list[date], makeup_workdays: list[date], note: str, actor: dict, at: datetime
    ) -> None:
        """Enter (or replace) a whole year's official schedule, e.g. when it is published in November."""
        if not 2000 <= year <= 2100:
            raise InvalidCalendar("年份须在 2000 至 2100 之间。", year=year)
        outside = sorted(str(d) for d in [*holidays, *makeup_workdays] if d.year != year)
        if outside:
            raise InvalidCalendar(f"以下日期不属于 {year} 年：{'、'.join(outside)}。", dates=outside)
        both = sorted(str(d) for d in set(holidays) & set(makeup_workdays))
        if both:
            raise InvalidCalendar(f"同一日期不能既是节假日又是调休上班日：{'、'.join(both)}。", dates=both)
        weekdays = sorted(str(d) for d in makeup_workdays if d.weekday() < 5)
        if weekdays:
            raise InvalidCalendar(f"调休上班日应为周六或周日，以下日期是工作日：{'、'.join(weekdays)}。", dates=weekdays)
        self._year_schedule_entered(
            year=year,
            holidays=sorted(set(holidays)),
            makeup_workdays=sorted(set(makeup_workdays)),
            note=note,
            actor=actor,
            at=at,
        )

    @event("YearScheduleEntered")
    def _year_schedule_entered(
        self, year: int, holidays: list[date], makeup_workdays: list[date], note: str, actor: dict, at: datetime
    ) -> None:
        self.schedules[year] = {"holidays": list(holidays), "makeup_workdays": list(makeup_workdays), "note": note}

    def amend_day(self, day: date, working: bool, reason: str, actor: dict, at: datetime) -> None:
        """Mark one day as working or not, overriding every other source (e.g. a local emergency closure)."""
        if not reason.strip():
            raise InvalidCalendar("调整单个日期须说明理由。")
        self._day_amended(day=day, working=working, reason=reason.strip(), actor=actor, at=at)

    @event("DayAmended")
    def _day_amended(self, day: date, working: bool, reason: str, actor: dict, at: datetime) -> None:
        self.amendments[day] = {"working": working, "reason": reason}

    def calendar(self, official: OfficialSchedule) -> Calendar:
        """The calendar value the deadline rules compute with."""
        return Calendar(
            official=official,
            schedules={
                year: YearSchedule(year, frozenset(s["holidays"]), frozenset(s["makeup_workdays"]))
                for year, s in self.schedules.items()
            },
            amendments={day: a["working"] for day, a in self.amendments.items()},
        )
