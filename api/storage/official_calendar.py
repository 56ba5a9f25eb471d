"""Adapter: the State Council's schedule as published in the chinese-calendar package (2004–2026)."""
from __future__ import annotations

from datetime import date
from functools import lru_cache

import chinese_calendar


class ChineseCalendarSchedule:
    """Answers for the years the package knows; None otherwise, so the rules fall back (R-CAL-2)."""

    def is_workday(self, day: date) -> bool | None:
        return _is_workday(day)


@lru_cache(maxsize=8192)
def _is_workday(day: date) -> bool | None:
    """Memoised: the package's own check costs ~30 µs a day (protocol isinstance checks); a deadline counts 20+
    days and the published schedule never changes while the process runs."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None
