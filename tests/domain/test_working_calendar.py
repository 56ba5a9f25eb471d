"""WorkingCalendar: the office enters years and amends days; bad entries are refused and record nothing (R-CAL-2)."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from api.storage.official_calendar import ChineseCalendarSchedule
from domain.errors import InvalidCalendar
from domain.working_calendar import CALENDAR_ID, WorkingCalendar
from domain.working_days import Deadline

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)
OFFICE = {"user": "office-clerk", "department": "joint-meeting-office", "office": True}

# An office entry for 2027 (illustrative, not the real schedule). 2027-02-04 is a Thursday, 02-06 a Saturday.
HOLIDAYS_2027 = [date(2027, 2, 5), date(2027, 2, 8), date(2027, 2, 9)]
MAKEUP_2027 = [date(2027, 2, 6)]


def opened_calendar() -> WorkingCalendar:
    """A calendar whose Opened event is already collected, so only later events are pending."""
    calendar = WorkingCalendar(actor=OFFICE, at=NOW)
    calendar.collect_events()
    return calendar


def event_names(aggregate) -> list[str]:
    return [type(e).__name__ for e in aggregate.collect_events()]


def enter_2027(calendar: WorkingCalendar, **overrides) -> None:
    fields = dict(year=2027, holidays=HOLIDAYS_2027, makeup_workdays=MAKEUP_2027, note="2027 年节假日安排",
                  actor=OFFICE, at=NOW)
    calendar.enter_year_schedule(**(fields | overrides))


def test_there_is_one_calendar_with_a_fixed_id():  # R-CAL-2
    calendar = WorkingCalendar(actor=OFFICE, at=NOW)

    assert calendar.id == CALENDAR_ID
    assert event_names(calendar) == ["Opened"]


def test_entering_a_year_schedule_records_it_sorted_and_without_duplicates():  # R-CAL-2
    calendar = opened_calendar()

    enter_2027(calendar, holidays=[date(2027, 2, 9), date(2027, 2, 5), date(2027, 2, 9), date(2027, 2, 8)])

    assert event_names(calendar) == ["YearScheduleEntered"]
    assert calendar.schedules[2027]["holidays"] == HOLIDAYS_2027
    assert calendar.schedules[2027]["makeup_workdays"] == MAKEUP_2027


def test_year_schedule_with_a_date_of_another_year_is_refused():  # R-CAL-2
    calendar = opened_calendar()

    with pytest.raises(InvalidCalendar) as refused:
        enter_2027(calendar, holidays=[*HOLIDAYS_2027, date(2026, 12, 31)])

    assert refused.value.details["dates"] == ["2026-12-31"]
    assert calendar.collect_events() == []
    assert calendar.schedules == {}


def test_year_schedule_with_a_day_both_holiday_and_makeup_is_refused():  # R-CAL-2
    calendar = opened_calendar()

    with pytest.raises(InvalidCalendar) as refused:
        enter_2027(calendar, holidays=[*HOLIDAYS_2027, date(2027, 2, 6)])

    assert refused.value.details["dates"] == ["2027-02-06"]
    assert calendar.collect_events() == []
    assert calendar.schedules == {}


def test_year_schedule_with_a_makeup_day_on_a_weekday_is_refused():  # R-CAL-2
    calendar = opened_calendar()

    with pytest.raises(InvalidCalendar) as refused:
        enter_2027(calendar, makeup_workdays=[date(2027, 2, 6), date(2027, 2, 10)])  # Wed 02-10

    assert refused.value.details["dates"] == ["2027-02-10"]
    assert calendar.collect_events() == []
    assert calendar.schedules == {}


@pytest.mark.parametrize("year", [1999, 2101])
def test_year_outside_2000_to_2100_is_refused(year):  # R-CAL-2
    calendar = opened_calendar()

    with pytest.raises(InvalidCalendar):
        enter_2027(calendar, year=year, holidays=[], makeup_workdays=[])

    assert calendar.collect_events() == []


def test_entering_a_year_again_replaces_the_earlier_entry():  # R-CAL-2
    calendar = opened_calendar()
    enter_2027(calendar)

    enter_2027(calendar, holidays=[date(2027, 2, 10)], makeup_workdays=[], note="更正")

    assert calendar.schedules[2027] == {"holidays": [date(2027, 2, 10)], "makeup_workdays": [], "note": "更正"}
    assert calendar.calendar(ChineseCalendarSchedule()).is_working_day(date(2027, 2, 5)) is True


def test_amending_a_day_needs_a_reason():  # R-CAL-2
    calendar = opened_calendar()

    with pytest.raises(InvalidCalendar):
        calendar.amend_day(date(2026, 10, 9), False, "   ", OFFICE, NOW)

    assert calendar.collect_events() == []
    assert calendar.amendments == {}


def test_amending_a_day_records_it_with_the_trimmed_reason():  # R-CAL-2
    calendar = opened_calendar()

    calendar.amend_day(date(2026, 10, 9), False, "  台风停工  ", OFFICE, NOW)

    assert event_names(calendar) == ["DayAmended"]
    assert calendar.amendments[date(2026, 10, 9)] == {"working": False, "reason": "台风停工"}


def test_calendar_reflects_entered_years_and_amended_days():  # R-CAL-2
    calendar = opened_calendar()
    enter_2027(calendar)
    calendar.amend_day(date(2026, 10, 9), False, "台风停工", OFFICE, NOW)

    value = calendar.calendar(ChineseCalendarSchedule())

    assert value.status(date(2027, 2, 5)).source == "office_schedule"
    assert value.is_working_day(date(2027, 2, 6)) is True  # entered make-up Saturday
    assert value.status(date(2026, 10, 9)).source == "office_amendment"
    assert value.is_working_day(date(2026, 10, 9)) is False
    assert value.status(date(2026, 10, 8)).source == "official"


def test_calendar_from_entered_year_gives_definite_deadlines():  # R-CAL-2 R-CAL-1
    calendar = opened_calendar()
    before = calendar.calendar(ChineseCalendarSchedule()).deadline(datetime(2027, 2, 4, 9, tzinfo=SHANGHAI), 2)
    enter_2027(calendar)

    after = calendar.calendar(ChineseCalendarSchedule()).deadline(datetime(2027, 2, 4, 9, tzinfo=SHANGHAI), 2)

    # Before: Mon–Fri guess, Fri 02-05 and Mon 02-08. After: make-up Sat 02-06, then Wed 02-10.
    assert before == Deadline(day=date(2027, 2, 8), provisional=True)
    assert after == Deadline(day=date(2027, 2, 10), provisional=False)


def test_amended_2026_day_moves_an_official_deadline():  # R-CAL-2 R-CAL-1
    calendar = opened_calendar()
    calendar.amend_day(date(2026, 10, 9), False, "台风停工", OFFICE, NOW)

    deadline = calendar.calendar(ChineseCalendarSchedule()).deadline(datetime(2026, 9, 30, 9, tzinfo=SHANGHAI), 2)

    # Wed 09-30 → Thu 10-08 (1st), Fri 10-09 closed, make-up Sat 10-10 (2nd).
    assert deadline == Deadline(day=date(2026, 10, 10), provisional=False)


def test_calendar_rebuilt_from_its_events_has_the_same_entries():  # R-CAL-2
    calendar = WorkingCalendar(actor=OFFICE, at=NOW)
    enter_2027(calendar)
    calendar.amend_day(date(2026, 10, 9), False, "台风停工", OFFICE, NOW)

    rebuilt = None
    for recorded in calendar.collect_events():
        rebuilt = recorded.mutate(rebuilt)

    assert rebuilt.schedules == calendar.schedules
    assert rebuilt.amendments == calendar.amendments
