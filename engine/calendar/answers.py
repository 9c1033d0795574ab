"""Answers to the calendar questions `reviewflow calendar` asks, as plain values a renderer can show:
a date N days or months on, the working days between two dates, a year's holidays, one day's status.

Each answer carries every fact its text and JSON need (the reasons a day is not a working day, whether
the dates are provisional, which calendar was used), so rendering never goes back to the calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from reviewflow.engine.calendar.table import Provenance
from reviewflow.engine.calendar.workdays import Calendar, Explanation

UNITS = ("working_days", "calendar_days", "months")


@dataclass(frozen=True)
class CalendarUsed:
    provenance: Provenance
    process_id: str | None  # the definition whose local closures it includes, if any


@dataclass(frozen=True)
class DateSum:
    """`start` + `n` `unit`s (before `start` when `n` is negative)."""

    start: date
    n: int
    unit: str  # one of UNITS
    result: date
    result_non_working: str | None  # why `result` is not a working day; None when it is one
    rolled_from: date | None  # calendar days rolled forward: the non-working day first reached
    rolled_from_reason: str | None
    explanation: Explanation | None  # working days, when asked for: every day counted and skipped
    explain: bool
    provisional: bool
    calendar: CalendarUsed


@dataclass(frozen=True)
class WorkingDayCount:
    first: date
    second: date
    working_days: int  # in (first, second]; negative when second is earlier
    provisional: bool
    calendar: CalendarUsed


@dataclass(frozen=True)
class YearHolidays:
    year: int
    days: tuple[tuple[date, str], ...]  # weekday bank holidays and local closures, with their names
    provisional: bool
    calendar: CalendarUsed


@dataclass(frozen=True)
class DayStatus:
    day: date
    non_working: str | None  # None: a working day
    provisional: bool
    calendar: CalendarUsed


def add(calendar: Calendar, start: date, n: int, unit: str = "working_days", *, roll_forward: bool = False,
        explain: bool = False, process_id: str | None = None) -> DateSum:
    explanation = None
    rolled_from = None
    if unit == "working_days":
        explanation = calendar.explain_working_days(start, n) if explain else None
        result = explanation.result if explanation else calendar.add_working_days(start, n)
    elif unit == "calendar_days":
        unrolled = calendar.add_calendar_days(start, n)
        result = calendar.add_calendar_days(start, n, roll_forward=roll_forward)
        rolled_from = unrolled if unrolled != result else None
    else:
        result = calendar.add_months(start, n)
    return DateSum(start, n, unit, result, calendar.non_working_reason(result), rolled_from,
                   calendar.non_working_reason(rolled_from) if rolled_from else None, explanation, explain,
                   calendar.is_provisional(max(start, result)), CalendarUsed(calendar.provenance, process_id))


def between(calendar: Calendar, first: date, second: date, process_id: str | None = None) -> WorkingDayCount:
    return WorkingDayCount(first, second, calendar.working_days_between(first, second),
                           calendar.is_provisional(max(first, second)), CalendarUsed(calendar.provenance, process_id))


def holidays(calendar: Calendar, year: int, process_id: str | None = None) -> YearHolidays:
    days = tuple(calendar.holidays_in_year(year))
    return YearHolidays(year, days, calendar.is_provisional(date(year, 12, 31)),
                        CalendarUsed(calendar.provenance, process_id))


def day_status(calendar: Calendar, day: date, process_id: str | None = None) -> DayStatus:
    return DayStatus(day, calendar.non_working_reason(day), calendar.is_provisional(day),
                     CalendarUsed(calendar.provenance, process_id))
