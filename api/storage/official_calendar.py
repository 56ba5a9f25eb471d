"""Adapter: the State Council's schedule as published in the chinese-calendar package (2004–2026)."""
from __future__ import annotations

from datetime import date

import chinese_calendar


class ChineseCalendarSchedule:
    """Answers for the years the package knows; None otherwise, so the rules fall back (R-CAL-2)."""

    def is_workday(self, day: date) -> bool | None:
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            return None
