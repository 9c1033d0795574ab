"""Properties of the working-day arithmetic over 2015–2035, and the index against the day-by-day oracle."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reviewflow.engine.calendar.workdays import Calendar, calendar_for
from reviewflow.engine.definition.model import CalendarSpec, Closure
from workdays_reference import (
    reference_add_working_days,
    reference_is_working_day,
    reference_working_days_between,
)

FIRST, LAST = date(2015, 1, 1), date(2035, 12, 31)
QUICK = settings(max_examples=250, deadline=None)

LOCAL = CalendarSpec(
    closures=(Closure(date(2024, 12, 24), "Christmas Eve closure"), Closure(date(2030, 4, 23), "Office move")),
    extra_holidays=(Closure(date(2029, 6, 1), "Proclaimed holiday"),),
)

dates = st.dates(min_value=FIRST, max_value=LAST)
counts = st.integers(min_value=-300, max_value=300)


def national() -> Calendar:
    return calendar_for()


def working_anchor(calendar: Calendar, d: date) -> date:
    return d if calendar.is_working_day(d) else calendar.add_working_days(d, 1)


@QUICK
@given(dates, counts)
def test_adding_then_subtracting_returns_to_a_working_day_anchor(d: date, n: int) -> None:
    calendar = national()
    anchor = working_anchor(calendar, d)
    assert calendar.add_working_days(calendar.add_working_days(anchor, n), -n) == anchor


@QUICK
@given(dates, counts.filter(lambda n: n != 0))
def test_a_result_is_always_a_working_day(d: date, n: int) -> None:
    calendar = national()
    result = calendar.add_working_days(d, n)
    assert calendar.is_working_day(result)
    assert calendar.non_working_reason(result) is None
    assert (result > d) == (n > 0)


@QUICK
@given(dates, counts, counts)
def test_results_grow_strictly_with_n(d: date, n: int, m: int) -> None:
    calendar = national()
    low, high = sorted((n, m))
    if low == high:
        return
    assert calendar.add_working_days(d, low) < calendar.add_working_days(d, high)


@QUICK
@given(dates, counts)
def test_between_anchor_and_result_is_n(d: date, n: int) -> None:
    calendar = national()
    anchor = working_anchor(calendar, d)
    assert calendar.working_days_between(anchor, calendar.add_working_days(anchor, n)) == n
    if n >= 0:  # from a non-working anchor too: counting starts after day 0 either way
        assert calendar.working_days_between(d, calendar.add_working_days(d, n)) == n


@QUICK
@given(dates, st.integers(min_value=0, max_value=60), st.integers(min_value=0, max_value=60))
def test_a_window_runs_forward(d: date, a: int, b: int) -> None:
    first, last = sorted((a, b))
    earliest, latest = national().window(d, first, last)
    assert earliest <= latest
    assert national().working_days_between(earliest, latest) == last - first


@QUICK
@given(dates, st.integers(min_value=-60, max_value=60), st.booleans())
def test_the_index_agrees_with_the_day_by_day_loop(d: date, n: int, local: bool) -> None:
    spec = LOCAL if local else None
    calendar = calendar_for(spec)
    assert calendar.add_working_days(d, n) == reference_add_working_days(d, n, spec)


@QUICK
@given(dates, dates)
def test_between_agrees_with_the_day_by_day_loop(a: date, b: date) -> None:
    if abs((b - a).days) > 400:
        b = a + timedelta(days=(b - a).days % 400)
    assert national().working_days_between(a, b) == reference_working_days_between(a, b)


@QUICK
@given(dates, st.integers(min_value=-400, max_value=400), st.booleans())
def test_calendar_days_roll_forward_to_the_first_working_day_on_or_after(d: date, n: int, roll: bool) -> None:
    calendar = national()
    plain = d + timedelta(days=n)
    result = calendar.add_calendar_days(d, n, roll_forward=roll)
    if not roll or calendar.is_working_day(plain):
        assert result == plain
    else:
        assert result > plain and calendar.is_working_day(result)
        assert calendar.working_days_between(plain, result) == 1


@pytest.mark.parametrize("spec", [None, LOCAL], ids=["national", "local"])
def test_no_day_2015_to_2035_disagrees_with_the_day_by_day_loop(spec: CalendarSpec | None) -> None:
    calendar = calendar_for(spec)
    disagreements = []
    day = FIRST
    while day <= LAST:
        if calendar.is_working_day(day) != reference_is_working_day(day, spec):
            disagreements.append(("is_working_day", day))
        for n in (1, -1, 15):
            if calendar.add_working_days(day, n) != reference_add_working_days(day, n, spec):
                disagreements.append((f"add {n}", day))
        day += timedelta(days=1)
    assert disagreements == []
