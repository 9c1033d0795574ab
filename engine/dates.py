"""Dates as people write them: exactly YYYY-MM-DD, the same everywhere.

`--at`, `--as-of` and every other date option, date fields in definitions and scenarios, and case data of
type date all go through here, so a form accepted in one place (Python also reads 20240102 and 2024-W01-2
as ISO dates) is never refused in another.
"""

from __future__ import annotations

import calendar as month_lengths
import re
from datetime import date
from typing import Any

from reviewflow.engine.errors import CalendarError

DATE_HINT = "write dates as YYYY-MM-DD, e.g. 2024-01-02"
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def parse_iso_date(text: str, what: str = "date") -> date:
    """A strict YYYY-MM-DD date; anything else (2023-02-30, 20231221, 2023-W01-1) is a CalendarError."""
    match = _ISO_DATE.fullmatch(text)
    if match is None:
        raise CalendarError(f"{what} {text!r} is not a date in the form YYYY-MM-DD", DATE_HINT)
    year, month, day = (int(part) for part in match.groups())
    if year < 1 or not 1 <= month <= 12:
        wrong = "year 0000" if year < 1 else f"month {month:02d}"
        raise CalendarError(f"{what} {text} is not a real date: there is no {wrong}", DATE_HINT)
    days_in_month = month_lengths.monthrange(year, month)[1]
    if not 1 <= day <= days_in_month:
        raise CalendarError(
            f"{what} {text} is not a real date: {month_lengths.month_name[month]} {year} "
            f"has {days_in_month} days", DATE_HINT)
    return date(year, month, day)


def iso_date_or_none(value: Any) -> date | None:
    """`value` as a date when it is a date or a strict YYYY-MM-DD text of a real day, else None."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    try:
        return parse_iso_date(value)
    except CalendarError:
        return None
