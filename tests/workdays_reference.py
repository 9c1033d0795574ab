"""The slow, obvious oracle for the working-day index: walk day by day and ask `holidays` each time.

For tests and bench/workdays.py only; the engine uses `reviewflow.engine.calendar.workdays.Calendar`. It shares no code
with the index builder except the `holidays` package itself, so a bug in the index, its cache or the
bisect arithmetic shows up as a disagreement.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache
from typing import Any

from reviewflow.engine.calendar.table import CalendarSpecLike

ONE_DAY = timedelta(days=1)


@cache
def _england_and_wales() -> Any:
    import holidays

    # Grows its years lazily as dates are looked up; subdiv="ENG" keeps Easter Monday and Summer BH.
    return holidays.country_holidays("GB", subdiv="ENG", language="en_GB")


def reference_is_working_day(d: date, spec: CalendarSpecLike | None = None) -> bool:
    if d.weekday() >= 5 or d in _england_and_wales():
        return False
    if spec is None:
        return True
    return all(day.on != d for day in (*spec.closures, *spec.extra_holidays))


def reference_add_working_days(d: date, n: int, spec: CalendarSpecLike | None = None) -> date:
    """R1/R2 by brute force: step one day at a time and count the working days met."""
    step = ONE_DAY if n >= 0 else -ONE_DAY
    remaining = abs(n)
    current = d
    while remaining:
        current += step
        if reference_is_working_day(current, spec):
            remaining -= 1
    return current


def reference_working_days_between(a: date, b: date, spec: CalendarSpecLike | None = None) -> int:
    low, high, sign = (a, b, 1) if a <= b else (b, a, -1)
    count = 0
    current = low
    while current < high:
        current += ONE_DAY
        count += reference_is_working_day(current, spec)
    return sign * count
