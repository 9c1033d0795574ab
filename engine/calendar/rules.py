"""What a deadline rule means on a calendar: its due date (and window) from an anchor date.

Shared by the case runtime (engine.cases.deadlines) and the conformance lint (C403, which compares a
local rule with its base's on many anchor dates), so both count the same way. A rule is read through
`RuleLike` and a calendar through `CalendarLike`: nothing here depends on the definition model.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol


class RuleLike(Protocol):
    """What the arithmetic needs of a deadline rule (engine.definition.model.DeadlineRule has it)."""

    @property
    def unit(self) -> str: ...  # working_days | calendar_days | months
    @property
    def direction(self) -> str: ...  # after | before
    @property
    def n(self) -> int: ...
    @property
    def n_to(self) -> int | None: ...  # a window's far end
    @property
    def roll(self) -> str | None: ...  # forward: a calendar-day date on a non-working day moves on
    @property
    def fixed(self) -> date | None: ...  # unit "date": the fixed due date itself


class CalendarLike(Protocol):
    """The part of `engine.calendar.workdays.Calendar` that deadlines use (a test may pass a stub)."""

    provenance: Any

    def is_working_day(self, d: date) -> bool: ...
    def non_working_reason(self, d: date) -> str | None: ...
    def add_working_days(self, d: date, n: int) -> date: ...
    def add_calendar_days(self, d: date, n: int, roll_forward: bool = False) -> date: ...
    def add_months(self, d: date, n: int) -> date: ...
    def explain_working_days(self, d: date, n: int) -> Any: ...
    def is_provisional(self, d: date) -> bool: ...


def shift(cal: CalendarLike, rule: RuleLike, d: date, n: int) -> date:
    """`d` moved by `n` units of `rule` (negative counts back)."""
    if rule.unit == "working_days":
        return cal.add_working_days(d, n)
    if rule.unit == "calendar_days":
        return cal.add_calendar_days(d, n, roll_forward=rule.roll == "forward")
    return cal.add_months(d, n)


def base_dates(cal: CalendarLike, rule: RuleLike, anchor: date) -> tuple[date | None, date]:
    """(window start or None, due) before any extension or pause. ``before`` rules count back (R2); a
    fixed-date rule is due on its date whatever the anchor."""
    if rule.fixed is not None:
        return None, rule.fixed
    sign = -1 if rule.direction == "before" else 1
    if rule.n_to is None:
        return None, shift(cal, rule, anchor, sign * rule.n)
    near, far = shift(cal, rule, anchor, sign * rule.n), shift(cal, rule, anchor, sign * rule.n_to)
    return (near, far) if far >= near else (far, near)
