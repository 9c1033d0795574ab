"""Due dates of a deadline rule over a fixed set of reference anchors (for C403 loosening checks)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import TYPE_CHECKING

from reviewflow.engine.calendar.rules import base_dates
from reviewflow.engine.definition.model import DeadlineRule
from reviewflow.engine.errors import EngineError

if TYPE_CHECKING:
    from reviewflow.engine.calendar.workdays import Calendar


def reference_anchors() -> tuple[date, ...]:
    """Every day of 2024, plus the Christmas/New Year and Easter stretches of 2025 and 2026."""
    days = {date(2024, 1, 1) + timedelta(days=i) for i in range(366)}
    stretches = [(date(2025, 4, 10), 20), (date(2025, 12, 15), 27), (date(2026, 3, 25), 20),
                 (date(2026, 12, 15), 27)]
    for start, length in stretches:
        days.update(start + timedelta(days=i) for i in range(length))
    return tuple(sorted(days))


def bounds(calendar: Calendar, rule: DeadlineRule, anchor: date) -> tuple[date, date] | None:
    """(earliest, latest) allowed dates: for a plain deadline earliest is the anchor itself (after)
    or unbounded (before, returned as date.min); None when the calendar cannot compute it."""
    try:
        start, due = base_dates(calendar, rule, anchor)
    except (EngineError, OverflowError, ValueError):
        return None
    if start is None:
        start = anchor if rule.direction == "after" else date.min
    return start, due


def counted_alike(one: DeadlineRule, other: DeadlineRule) -> bool:
    """Whether two rules give the same `bounds` from every anchor on one calendar: every field
    `base_dates` and `bounds` read is equal (the anchor's name is not one of them)."""
    return ((one.unit, one.n, one.n_to, one.direction, one.roll, one.fixed)
            == (other.unit, other.n, other.n_to, other.direction, other.roll, other.fixed))


def first_loosening(calendar: Calendar, base: DeadlineRule, local: DeadlineRule) -> Iterator[str]:
    """Plain-words reasons the local rule allows more than the base, with the first anchor showing it."""
    later = earlier = None
    for anchor in reference_anchors():
        base_bounds, local_bounds = bounds(calendar, base, anchor), bounds(calendar, local, anchor)
        if base_bounds is None or local_bounds is None:
            continue
        if later is None and local_bounds[1] > base_bounds[1]:
            later = (anchor, local_bounds[1], base_bounds[1])
        if earlier is None and local_bounds[0] < base_bounds[0]:
            earlier = (anchor, local_bounds[0], base_bounds[0])
        if later and earlier:
            break
    if later is not None:
        anchor, mine, theirs = later
        yield (f"falls due later than the base allows: when {base.anchor} is on {anchor.isoformat()} it is "
               f"due {mine.isoformat()}, the base's latest is {theirs.isoformat()}")
    if earlier is not None:
        anchor, mine, theirs = earlier
        yield (f"opens earlier than the base's window: when {base.anchor} is on {anchor.isoformat()} it "
               f"opens {mine.isoformat()}, the base's window opens {theirs.isoformat()}")


def anchors_reaching(rule: DeadlineRule, day: date) -> list[date]:
    """Every anchor date from which `rule`'s count could reach `day` (a closure), generously bounded."""
    reach = max(rule.n, rule.n_to or 0)
    if rule.unit == "working_days":
        span = reach * 7 // 5 + 40  # weekends, plus room for bank holidays and closures in between
    elif rule.unit == "calendar_days":
        span = reach + 14
    else:
        span = reach * 31 + 14
    if rule.direction == "after":
        return [day - timedelta(days=i) for i in range(1, span + 1)]
    return [day + timedelta(days=i) for i in range(1, span + 1)]


def first_move(base_calendar: Calendar, local_calendar: Calendar, rule: DeadlineRule,
               day: date) -> tuple[date, date, date] | None:
    """(anchor, base due, local due) for the first anchor where `day` makes the local due date later."""
    for anchor in anchors_reaching(rule, day):
        theirs, mine = bounds(base_calendar, rule, anchor), bounds(local_calendar, rule, anchor)
        if theirs is not None and mine is not None and mine[1] > theirs[1]:
            return anchor, theirs[1], mine[1]
    return None
