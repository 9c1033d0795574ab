"""The O(1) lookup table of working days gives exactly the binary search's answers (dates are sacred).

A calendar counts by binary search for its first `INDEX_AFTER` calls and then by table; both are
compared here on every date from 2015 to 2035 and a spread of counts both ways, against each other
and (on a sample) against the day-by-day reference over the `holidays` package.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from reviewflow.engine.calendar import workdays
from reviewflow.engine.calendar.workdays import Calendar, calendar_for
from workdays_reference import reference_add_working_days

COUNTS = (-250, -61, -15, -5, -2, -1, 1, 2, 5, 15, 60, 250)


def _pair() -> tuple[Calendar, Calendar]:
    table = calendar_for()
    searching, indexed = Calendar.__new__(Calendar), Calendar.__new__(Calendar)
    for made in (searching, indexed):
        made.__dict__.update(table.__dict__)
        made.__dict__.pop("add_working_days", None)  # the shared calendar's table closure, if it built one
        made._calls, made._upto, made._working_at = 0, None, b""
    searching._calls = -10**9  # never reaches INDEX_AFTER
    indexed._calls = workdays.INDEX_AFTER
    assert indexed._count_call() is not None
    return searching, indexed


def test_table_and_binary_search_agree_on_every_day_2015_to_2035() -> None:
    searching, indexed = _pair()
    day, last, checked = date(2015, 1, 1), date(2035, 12, 31), 0
    while day <= last:
        for n in COUNTS:
            assert indexed.add_working_days(day, n) == searching.add_working_days(day, n), (day, n)
            checked += 1
        day += timedelta(days=1)
    assert checked > 90_000


@pytest.mark.parametrize("n", [-15, -5, 5, 15])
def test_table_agrees_with_the_day_by_day_reference(n: int) -> None:
    _, indexed = _pair()
    day = date(2015, 1, 1)
    while day <= date(2035, 12, 31):
        assert indexed.add_working_days(day, n) == reference_add_working_days(day, n), (day, n)
        day += timedelta(days=3)


def test_the_edges_of_the_range_are_refused_the_same_way() -> None:
    searching, indexed = _pair()
    for cal in (searching, indexed):
        with pytest.raises(workdays.CalendarError):
            cal.add_working_days(date(2100, 12, 30), 5)
        with pytest.raises(workdays.CalendarError):
            cal.add_working_days(date(1990, 1, 2), -5)
        with pytest.raises(workdays.CalendarError):
            cal.add_working_days(date(1985, 6, 3), 5)  # before the range, counting forward
        with pytest.raises(workdays.CalendarError):
            cal.add_working_days(datetime(2024, 1, 2, 9, 30), 5)  # a datetime is not a calendar date
        with pytest.raises(workdays.CalendarError):
            cal.add_working_days(date(2024, 1, 2), True)  # a bool is not a count
    assert indexed.add_working_days(date(2024, 1, 2), 0) == date(2024, 1, 2)
    assert indexed.add_working_days(date(2100, 12, 24), 1) == searching.add_working_days(date(2100, 12, 24), 1)


def test_a_calendar_switches_to_the_table_after_enough_calls() -> None:
    searching, _ = _pair()
    fresh = Calendar.__new__(Calendar)
    fresh.__dict__.update(searching.__dict__)
    fresh._calls = 0
    assert "add_working_days" not in fresh.__dict__
    for i in range(workdays.INDEX_AFTER + 1):
        fresh.add_working_days(date(2024, 1, 2) + timedelta(days=i), 5)
    assert fresh._upto is not None and "add_working_days" in fresh.__dict__
