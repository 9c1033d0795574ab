"""Working days in England & Wales: add, count back, count between, explain (facts.md 9 and 10).

A working day is Monday to Friday except England & Wales bank holidays and the definition's local
closures and extra holidays. Rules as implemented (facts.md 9.3 and rulings D-3, D-4, D-5, D-9):

- R1 "N working days after X": the Nth working day strictly after X. X is day 0 even when it is a
  working day; when X is a weekend or holiday, counting starts on the next working day.
- R2 "N working days before P": P minus N working days, counting back and skipping non-working days
  (not "clear days"; D-5). Negative N means "before".
- R3 windows "between A and B working days of X": X+A and X+B, both inclusive.
- R4/D-3 calendar days: X + N days, rolled forward to the next working day only when asked.
- R5/D-4 months: calendar months with end-of-month clamp (31 Aug 2023 + 6 = 29 Feb 2024), no roll.
- D-9 a date is a calendar date (Europe/London); callers pass `date`, never `datetime`.

All arithmetic is a binary search in a sorted array of working-day ordinals (O(log n)), and once a
calendar has been asked `INDEX_AFTER` times, one lookup in a table of working days counted per date
(O(1)); the array is built once per calendar, kept in memory per process and on disk across processes
(`reviewflow.engine.calendar.cache`). `engine.workdays_reference` is the slow day-by-day oracle for tests.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import accumulate

from reviewflow.engine.calendar.table import (
    FIRST_ORDINAL,
    FIRST_SUPPORTED,
    LAST_ORDINAL,
    LAST_SUPPORTED,
    REGION,
    CalendarSpecLike,
    CalendarTable,
    NationalOnly,
    Provenance,
    is_weekend_ordinal,
)
from reviewflow.engine.errors import CalendarError, did_you_mean

__all__ = [
    "FIRST_SUPPORTED", "LAST_SUPPORTED", "MAX_MONTHS", "MAX_WORKING_DAYS", "REGION",
    "Calendar", "CalendarSpecLike", "Explanation", "Provenance", "calendar_for",
]

MAX_WORKING_DAYS = 10_000
MAX_MONTHS = 1_200
INDEX_AFTER = 64  # calls that count by binary search before a calendar builds its O(1) table
_SPAN = LAST_ORDINAL - FIRST_ORDINAL + 1
_fromordinal = date.fromordinal
RANGE_TEXT = f"{FIRST_SUPPORTED.isoformat()} to {LAST_SUPPORTED.isoformat()}"


@dataclass(frozen=True)
class Explanation:
    """How `result` was reached from `start`: working days counted and non-working days passed over.

    Both lists are in counting order, so for a negative `n` they run backwards from `start`.
    """

    start: date
    n: int
    result: date
    counted: list[date] = field(default_factory=list)
    skipped: list[tuple[date, str]] = field(default_factory=list)  # (date, reason)


class Calendar:
    """England & Wales working days plus a definition's local days, with O(log n) arithmetic."""

    def __init__(self, table: CalendarTable) -> None:
        self._working = list(table.working_days)  # bisect on a list is ~2x faster than on an array
        self._reasons = table.reasons
        self._count = len(table.working_days)
        self.provenance: Provenance = table.provenance
        # After INDEX_AFTER calls the binary search gives way to a lookup table (built in ~2 ms, so a
        # command that counts a handful of deadlines never pays for it): `_upto[i]` is the number of
        # working days on or before FIRST_ORDINAL + i, `_working_at[i]` whether that day is one, so
        # bisect_right(working, o) == _upto[o - FIRST_ORDINAL] and bisect_left == _upto - _working_at.
        self._calls = 0
        self._upto: list[int] | None = None
        self._working_at = b""
        self._dates: list[date] = []

    def __repr__(self) -> str:
        return f"Calendar({self.provenance.id})"

    # -- single days ------------------------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        ordinal = _ordinal(d)
        return not is_weekend_ordinal(ordinal) and ordinal not in self._reasons

    def non_working_reason(self, d: date) -> str | None:
        """None for a working day; "weekend", a bank holiday's name, or "local closure: <name>"."""
        ordinal = _ordinal(d)
        if is_weekend_ordinal(ordinal):
            return "weekend"
        return self._reasons.get(ordinal)

    def is_provisional(self, d: date) -> bool:
        """True past the confirmed horizon: bank holidays there are rule-generated and may change."""
        return d > self.provenance.confirmed_until

    # -- arithmetic -------------------------------------------------------------------------------

    def add_working_days(self, d: date, n: int) -> date:
        # The hot path of every deadline: validation is inlined and only the rare bad input pays
        # for the slower checks that build the error message.
        upto = self._upto
        if upto is not None and n.__class__ is int and 0 < n <= MAX_WORKING_DAYS and d.__class__ is date:
            index = d.toordinal() - FIRST_ORDINAL
            if index >= 0:  # R1 by table: the common case, a deadline after its anchor
                try:
                    return self._dates[upto[index] + n - 1]
                except IndexError:
                    pass  # past either end of the range: the checked path says so
        return self._add_checked(d, n)

    def _add_checked(self, d: date, n: int) -> date:
        ordinal = d.toordinal() if d.__class__ is date else _ordinal(d)
        if n.__class__ is not int or not -MAX_WORKING_DAYS <= n <= MAX_WORKING_DAYS \
                or not FIRST_ORDINAL <= ordinal <= LAST_ORDINAL:
            _ordinal(d)
            _check_count(n, MAX_WORKING_DAYS, "working days")
        upto = self._upto or self._count_call()
        if n > 0:  # R1: the first counted day is the first working day strictly after d
            position = (upto[ordinal - FIRST_ORDINAL] if upto else bisect_right(self._working, ordinal)) + n - 1
        elif n < 0:  # R2: the first day counted back is the last working day strictly before d
            index = ordinal - FIRST_ORDINAL
            before = upto[index] - self._working_at[index] if upto else bisect_left(self._working, ordinal)
            position = before + n
        else:
            return d
        if not 0 <= position < self._count:
            raise _beyond_range(d, n, "working days")
        return date.fromordinal(self._working[position])

    def _count_call(self) -> list[int] | None:
        """None while the binary search is still cheaper overall; then build and return the table."""
        self._calls += 1
        if self._calls < INDEX_AFTER:
            return None
        flags = bytearray(_SPAN)
        for ordinal in self._working:
            flags[ordinal - FIRST_ORDINAL] = 1
        self._working_at = bytes(flags)
        self._dates = [_fromordinal(o) for o in self._working]  # the answers themselves (dates are immutable)
        self._upto = list(accumulate(flags))
        self.add_working_days = _by_table(self._upto, self._dates, self._add_checked)  # type: ignore[method-assign,assignment]
        return self._upto

    def add_calendar_days(self, d: date, n: int, roll_forward: bool = False) -> date:
        ordinal = _ordinal(d)
        _check_count(n, LAST_ORDINAL - FIRST_ORDINAL, "calendar days")
        target = ordinal + n
        _check_result(target, d, n, "calendar days")
        if roll_forward and not self.is_working_day(date.fromordinal(target)):
            position = bisect_left(self._working, target)
            if position >= self._count:
                raise _beyond_range(d, n, "calendar days (rolled forward)")
            target = self._working[position]
        return date.fromordinal(target)

    def add_months(self, d: date, n: int) -> date:
        """Calendar months, clamped to the end of a shorter month; never rolled to a working day (D-4)."""
        _ordinal(d)
        _check_count(n, MAX_MONTHS, "months")
        import pendulum

        moved = pendulum.Date(d.year, d.month, d.day).add(months=n)
        result = date(moved.year, moved.month, moved.day)
        _check_result(result.toordinal(), d, n, "months")
        return result

    def window(self, d: date, first: int, last: int) -> tuple[date, date]:
        """R3: the earliest and latest dates of "between `first` and `last` working days of d"."""
        if first > last:
            raise CalendarError(f"a window from {first} to {last} working days is empty",
                                "give the smaller number of working days first")
        return self.add_working_days(d, first), self.add_working_days(d, last)

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in (a, b]; negative when b is before a (then it counts (b, a])."""
        return bisect_right(self._working, _ordinal(b)) - bisect_right(self._working, _ordinal(a))

    def explain_working_days(self, d: date, n: int) -> Explanation:
        result = self.add_working_days(d, n)
        start, end = d.toordinal(), result.toordinal()
        step = 1 if n >= 0 else -1
        if n > 0:
            first = bisect_right(self._working, start)
            counted = list(self._working[first:first + n])
        else:
            last = bisect_left(self._working, start)
            counted = list(reversed(self._working[last + n:last]))
        skipped = []
        for ordinal in range(start + step, end, step):
            reason = self.non_working_reason(date.fromordinal(ordinal))
            if reason is not None:
                skipped.append((date.fromordinal(ordinal), reason))
        return Explanation(d, n, result, [date.fromordinal(o) for o in counted], skipped)

    def holidays_in_year(self, year: int) -> list[tuple[date, str]]:
        """Weekday bank holidays, extra holidays and closures of one year, in date order."""
        if isinstance(year, bool) or not isinstance(year, int) \
                or not FIRST_SUPPORTED.year <= year <= LAST_SUPPORTED.year:
            raise CalendarError(f"year {year} is outside the supported calendar range {RANGE_TEXT}",
                                f"give a year from {FIRST_SUPPORTED.year} to {LAST_SUPPORTED.year}")
        low, high = date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal()
        return [(date.fromordinal(o), reason) for o, reason in sorted(self._reasons.items())
                if low <= o <= high]


def _by_table(upto: list[int], dates: list[date], checked: Callable[[date, int], date]) -> Callable[[date, int], date]:
    """`add_working_days` once the table exists: the same checks, with everything it reads held in the
    closure (a method looks each attribute and global up on every call; this is the deadline hot path).

    The table is indexed by the ordinal itself: the ordinals before the supported range hold a count so
    large that the answer's index falls off the list, as does an ordinal past it, so a date out of range
    takes the checked path, which says why, without a comparison here."""
    by_ordinal = [_OFF_THE_END] * FIRST_ORDINAL + upto

    def add_working_days(d: date, n: int, _date: type = date, _most: int = MAX_WORKING_DAYS) -> date:
        if n.__class__ is int and 0 < n <= _most and d.__class__ is _date:
            try:  # R1 by table: the common case, a deadline after its anchor
                return dates[by_ordinal[d.toordinal()] + n - 1]
            except IndexError:
                pass  # outside the supported range: the checked path says so
        return checked(d, n)

    return add_working_days


_OFF_THE_END = 1 << 40


def _ordinal(d: date) -> int:
    if isinstance(d, datetime) or not isinstance(d, date):
        raise CalendarError(f"expected a calendar date, got {d!r}",
                            "pass a datetime.date: the calendar date in Europe/London (ruling D-9)")
    ordinal = d.toordinal()
    if not FIRST_ORDINAL <= ordinal <= LAST_ORDINAL:
        raise CalendarError(f"{d.isoformat()} is outside the supported calendar range {RANGE_TEXT}",
                            f"use a date from {RANGE_TEXT}")
    return ordinal


def _check_count(n: int, limit: int, unit: str) -> None:
    if isinstance(n, bool) or not isinstance(n, int):
        raise CalendarError(f"the number of {unit} must be a whole number, got {n!r}",
                            "write a whole number such as 5 or -5")
    if abs(n) > limit:
        raise CalendarError(f"{n} {unit} is out of range",
                            f"use a number of {unit} from -{limit} to {limit}")


def _check_result(ordinal: int, d: date, n: int, unit: str) -> None:
    if not FIRST_ORDINAL <= ordinal <= LAST_ORDINAL:
        raise _beyond_range(d, n, unit)


def _beyond_range(d: date, n: int, unit: str) -> CalendarError:
    direction = "after" if n >= 0 else "before"
    return CalendarError(
        f"{abs(n)} {unit} {direction} {d.isoformat()} falls outside the supported calendar range {RANGE_TEXT}",
        "use a smaller number or a date further from the edge of the range")


# -- construction ---------------------------------------------------------------------------------

_calendars: dict[tuple[object, ...], Calendar] = {}


def calendar_for(spec: CalendarSpecLike | None = None, confirmed_until: date | None = None) -> Calendar:
    """The calendar of a definition (`Process.calendar`), or plain England & Wales when spec is None.

    Cached per spec and horizon in this process, and on disk across processes. `confirmed_until` is
    the last date whose bank holidays are treated as confirmed; None derives it from the installed
    `holidays` package (`reviewflow.engine.calendar.source.default_confirmed_until`), never from the clock.
    """
    spec = spec if spec is not None else NationalOnly()
    _check_spec(spec, confirmed_until)
    memory_key = (spec.region, tuple(spec.closures), tuple(spec.extra_holidays), confirmed_until)
    found = _calendars.get(memory_key)
    if found is None:
        found = _calendars[memory_key] = Calendar(_load_or_build(spec, confirmed_until))
    return found


def forget_calendars() -> None:
    """Drop the in-process calendars (tests that switch cache directories use it)."""
    _calendars.clear()


def _load_or_build(spec: CalendarSpecLike, confirmed_until: date | None) -> CalendarTable:
    from reviewflow.engine.calendar import cache as workdays_cache
    from reviewflow.engine.calendar import source as workdays_source

    _, fingerprint = workdays_source.package_fingerprint()
    key = workdays_cache.cache_key(spec, confirmed_until, fingerprint)
    table = workdays_cache.load(key)
    if table is None:
        table = workdays_source.build_table(spec, confirmed_until)
        workdays_cache.store(table, key)
    return table


def _check_spec(spec: CalendarSpecLike, confirmed_until: date | None) -> None:
    if spec.region != REGION:
        guess = did_you_mean(spec.region, [REGION])
        raise CalendarError(f'unknown calendar "{spec.region}"',
                            f'{guess}; the only calendar region is "{REGION}" (England & Wales bank holidays)')
    for kind, days in (("closure", spec.closures), ("extra holiday", spec.extra_holidays)):
        for day in days:
            try:
                _ordinal(day.on)
            except CalendarError as problem:
                raise CalendarError(f'{kind} "{day.name}": {problem.message}', problem.hint) from None
    if confirmed_until is not None:
        _ordinal(confirmed_until)
