"""Working-day deadlines on the official calendar (R-CAL-1, R-CAL-2).

Every expected day below was checked against chinese-calendar 1.11.0 (the State Council's 2026 schedule):
Spring Festival off Sun 02-15 .. Mon 02-23 with make-up Sat 02-14; Mid-Autumn off 09-25 .. 09-27;
National Day off 10-01 .. 10-07 with make-up Sun 09-20 and Sat 10-10. The package knows no year after 2026.
"""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from api.storage.official_calendar import ChineseCalendarSchedule
from domain.working_days import Calendar, Deadline, YearSchedule

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICIAL = ChineseCalendarSchedule()


def shanghai(year: int, month: int, day: int, hour: int = 9, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


def official_calendar(**kwargs) -> Calendar:
    return Calendar(official=OFFICIAL, **kwargs)


# A schedule the office might enter for 2027 before the package knows it (R-CAL-2). Not the real 2027 schedule:
# it only needs a holiday on a weekday and a make-up Saturday right after a Thursday push.
# 2027-02-04 is a Thursday, 02-05 Fri, 02-06 Sat, 02-08 Mon, 02-09 Tue, 02-10 Wed.
ENTERED_2027 = YearSchedule(
    year=2027,
    holidays=frozenset({date(2027, 2, 5), date(2027, 2, 8), date(2027, 2, 9)}),
    makeup_workdays=frozenset({date(2027, 2, 6)}),
)


# ---- counting (R-CAL-1) -------------------------------------------------------------------------------
@pytest.mark.parametrize("hour, minute, second", [(0, 0, 0), (23, 59, 59)])
def test_deadline_is_second_working_day_after_the_start_day_at_any_hour(hour, minute, second):  # R-CAL-1 R-JOINT-3
    # Mon 2026-03-02 is not counted: Tue 03-03 is the 1st working day, Wed 03-04 the 2nd.
    deadline = official_calendar().deadline(shanghai(2026, 3, 2, hour, minute, second), 2)

    assert deadline == Deadline(day=date(2026, 3, 4), provisional=False)


def test_push_on_a_friday_skips_the_weekend():  # R-CAL-1
    # Fri 2026-03-06 → Mon 03-09 (1st), Tue 03-10 (2nd).
    assert official_calendar().deadline(shanghai(2026, 3, 6), 2).day == date(2026, 3, 10)


def test_deadline_counts_the_makeup_saturday_before_spring_festival():  # R-CAL-1 R-JOINT-3
    # Thu 2026-02-12 → Fri 02-13 (1st), make-up Sat 02-14 (2nd).
    assert official_calendar().deadline(shanghai(2026, 2, 12), 2).day == date(2026, 2, 14)


@pytest.mark.parametrize(
    "pushed_on, expected",
    [
        (date(2026, 2, 13), date(2026, 2, 24)),  # Fri: make-up Sat 02-14 (1st), holiday to 02-23, Tue 02-24 (2nd)
        (date(2026, 2, 14), date(2026, 2, 25)),  # the make-up Saturday itself is the start day: 02-24, 02-25
        (date(2026, 2, 17), date(2026, 2, 25)),  # pushed during the holiday: 02-24, 02-25
    ],
)
def test_deadline_jumps_over_the_spring_festival_holiday(pushed_on, expected):  # R-CAL-1
    deadline = official_calendar().deadline(datetime.combine(pushed_on, datetime.min.time(), SHANGHAI), 2)

    assert deadline.day == expected
    assert deadline.provisional is False


def test_deadline_counts_the_makeup_sunday_before_national_day():  # R-CAL-1
    # Fri 2026-09-18 → Sat 09-19 off, make-up Sun 09-20 (1st), Mon 09-21 (2nd).
    assert official_calendar().deadline(shanghai(2026, 9, 18), 2).day == date(2026, 9, 21)


def test_push_on_national_day_eve_is_due_after_the_holiday_week():  # R-CAL-1 R-JOINT-3
    # Wed 2026-09-30 → 10-01..07 off, Thu 10-08 (1st), Fri 10-09 (2nd).
    assert official_calendar().deadline(shanghai(2026, 9, 30, 17, 30), 2).day == date(2026, 10, 9)


def test_third_working_day_after_national_day_eve_is_the_makeup_saturday():  # R-CAL-1
    # Wed 2026-09-30 → 10-08 (1st), 10-09 (2nd), make-up Sat 10-10 (3rd).
    assert official_calendar().deadline(shanghai(2026, 9, 30), 3).day == date(2026, 10, 10)


@pytest.mark.parametrize(
    "start, expected",
    [
        # 17:30Z on Thu 03-05 is Fri 03-06 01:30 in Shanghai: Friday is the uncounted day → Mon 03-09, Tue 03-10.
        (datetime(2026, 3, 5, 17, 30, tzinfo=timezone.utc), date(2026, 3, 10)),
        # 15:59:59Z is still Thu 03-05 23:59:59 in Shanghai → Fri 03-06, Mon 03-09.
        (datetime(2026, 3, 5, 15, 59, 59, tzinfo=timezone.utc), date(2026, 3, 9)),
    ],
)
def test_start_in_another_timezone_counts_from_its_shanghai_date(start, expected):  # R-CAL-1
    assert official_calendar().deadline(start, 2).day == expected


def test_twenty_working_days_cross_national_day():  # R-CAL-1 R-PUB-1
    # Thu 2026-09-24: 09-28,29,30 (3), 10-08,09, make-up 10-10 (6), 10-12..16 (11), 10-19..23 (16), 10-26..29 (20).
    assert official_calendar().deadline(shanghai(2026, 9, 24), 20).day == date(2026, 10, 29)


# ---- years the official schedule does not know (R-CAL-2) -------------------------------------------------
def test_adapter_knows_no_schedule_for_2027():  # R-CAL-2
    assert OFFICIAL.is_workday(date(2027, 2, 5)) is None
    assert OFFICIAL.is_workday(date(2026, 2, 16)) is False


def test_unknown_year_falls_back_to_weekdays_and_is_provisional():  # R-CAL-2
    # Thu 2027-02-04 → Fri 02-05 (1st), Mon 02-08 (2nd) on Mon–Fri.
    deadline = official_calendar().deadline(shanghai(2027, 2, 4), 2)

    assert deadline == Deadline(day=date(2027, 2, 8), provisional=True)


@pytest.mark.parametrize(
    "pushed_on, expected, provisional",
    [
        (date(2026, 12, 29), date(2026, 12, 31), False),  # Wed 12-30, Thu 12-31: all known
        (date(2026, 12, 30), date(2027, 1, 1), True),  # Thu 12-31, then Fri 2027-01-01 only by fallback
    ],
)
def test_deadline_is_provisional_only_when_it_reaches_into_an_unknown_year(
    pushed_on, expected, provisional
):  # R-CAL-2
    deadline = official_calendar().deadline(datetime.combine(pushed_on, datetime.min.time(), SHANGHAI), 2)

    assert deadline == Deadline(day=expected, provisional=provisional)


def test_entered_year_schedule_makes_the_deadline_definite_and_is_respected():  # R-CAL-2
    # Thu 2027-02-04 → holiday Fri 02-05, make-up Sat 02-06 (1st), Sun off, holidays Mon/Tue, Wed 02-10 (2nd).
    deadline = official_calendar(schedules={2027: ENTERED_2027}).deadline(shanghai(2027, 2, 4), 2)

    assert deadline == Deadline(day=date(2027, 2, 10), provisional=False)


def test_entered_year_schedule_is_the_source_of_its_days():  # R-CAL-2
    calendar = official_calendar(schedules={2027: ENTERED_2027})

    assert calendar.status(date(2027, 2, 5)).working is False
    assert calendar.status(date(2027, 2, 6)).working is True
    assert calendar.status(date(2027, 2, 10)).source == "office_schedule"
    assert calendar.status(date(2026, 2, 14)).source == "official"


# ---- the deadline instant (R-CAL-1) -----------------------------------------------------------------------
def test_deadline_at_is_the_last_second_of_its_day_in_shanghai():  # R-CAL-1
    at = Deadline(day=date(2026, 2, 14), provisional=False).at

    assert at == datetime(2026, 2, 14, 23, 59, 59, tzinfo=SHANGHAI)
    assert at.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize(
    "instant",
    [
        datetime(2026, 2, 14, 23, 59, 59, tzinfo=SHANGHAI),
        datetime(2026, 2, 14, 15, 59, 59, tzinfo=timezone.utc),  # the same instant in UTC
    ],
)
def test_deadline_is_not_past_until_its_shanghai_day_is_over(instant):  # R-CAL-1
    assert Deadline(day=date(2026, 2, 14), provisional=False).is_past(instant) is False


@pytest.mark.parametrize(
    "instant",
    [
        datetime(2026, 2, 15, 0, 0, 0, tzinfo=SHANGHAI),
        datetime(2026, 2, 14, 16, 0, 0, tzinfo=timezone.utc),  # Shanghai midnight, still the 14th in UTC
    ],
)
def test_deadline_is_past_from_shanghai_midnight_after_its_day(instant):  # R-CAL-1
    assert Deadline(day=date(2026, 2, 14), provisional=False).is_past(instant) is True


# ---- office amendments (R-CAL-2) ---------------------------------------------------------------------------
def test_amendment_closing_an_official_makeup_day_moves_the_deadline():  # R-CAL-1 R-CAL-2
    # Thu 2026-02-12 with Sat 02-14 closed by the office → Fri 02-13 (1st), holiday to 02-23, Tue 02-24 (2nd).
    calendar = official_calendar(amendments={date(2026, 2, 14): False})

    assert calendar.deadline(shanghai(2026, 2, 12), 2).day == date(2026, 2, 24)


def test_amendment_opening_an_official_holiday_moves_the_deadline():  # R-CAL-1 R-CAL-2
    # Wed 2026-09-30 with Fri 10-02 opened by the office → 10-02 (1st), Thu 10-08 (2nd).
    calendar = official_calendar(amendments={date(2026, 10, 2): True})

    assert calendar.deadline(shanghai(2026, 9, 30), 2).day == date(2026, 10, 8)


def test_amendment_overrides_an_entered_year_schedule():  # R-CAL-2
    calendar = official_calendar(schedules={2027: ENTERED_2027}, amendments={date(2027, 2, 6): False})

    status = calendar.status(date(2027, 2, 6))
    assert (status.working, status.provisional, status.source) == (False, False, "office_amendment")


def test_amendment_in_an_unknown_year_does_not_make_other_days_definite():  # R-CAL-2
    # Only the amended day is certain; Mon 2027-03-01 and the rest of 2027 are still guesses.
    calendar = official_calendar(amendments={date(2027, 3, 2): False})

    # Fri 2027-02-26 → Mon 03-01 (1st), Tue 03-02 closed, Wed 03-03 (2nd).
    assert calendar.deadline(shanghai(2027, 2, 26), 2) == Deadline(day=date(2027, 3, 3), provisional=True)


# ---- invalid input --------------------------------------------------------------------------------------------
def test_naive_start_is_refused():  # R-CAL-1
    with pytest.raises(ValueError):
        official_calendar().deadline(datetime(2026, 3, 2, 9, 0), 2)


@pytest.mark.parametrize("working_days", [0, -1, 367])
def test_working_days_outside_one_to_366_are_refused(working_days):  # R-CAL-1
    with pytest.raises(ValueError):
        official_calendar().deadline(shanghai(2026, 3, 2), working_days)


def test_366_working_days_is_still_accepted():  # R-CAL-1
    deadline = official_calendar().deadline(shanghai(2026, 3, 2), 366)

    assert deadline.day.year == 2027
    assert deadline.provisional is True
