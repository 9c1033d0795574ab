"""Checks shared by the case commands: roles, event data against field types and vocabularies, dates,
refusals."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from reviewflow.engine.cases.allowed import allowed_actions
from reviewflow.engine.cases.case import CORRECTED_DATE_KEY
from reviewflow.engine.dates import iso_date_or_none
from reviewflow.engine.definition.model import Field, Process
from reviewflow.engine.errors import RefusedError, did_you_mean
from reviewflow.engine.events import Event
from reviewflow.engine.limits import MAX_DIGITS

if TYPE_CHECKING:
    from reviewflow.engine.cases.case import Case

AllowedFn = Callable[[], list[str]]
DEFAULT_DATE_HORIZON_DAYS = 365
PARTNERSHIP_KEY = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")

# Data an event carries by its kind, not by a definition field: a planned event's date, and what a
# publication event records (docs/language.md, events `planned` and `publication`).
STANDARD_DATA: dict[str, Field] = {
    "planned_date": Field("planned_date", "Planned date", "date"),
    "what": Field("what", "What was published or disclosed", "string"),
    "where": Field("where", "Where it was published", "string"),
    "online_until": Field("online_until", "Online until", "date"),
}
PUBLICATION_DATA: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {  # role -> (may carry, must carry)
    "planned": (("planned_date",), ("planned_date",)),
    "published": (("what", "where", "online_until"), ("what",)),
    "taken_down": ((), ()),
    "disclosed": (("what",), ()),
}


def standard_keys(planned: bool, publication: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(may carry, must carry) of the standard data of an event marked `planned` / `publication`."""
    may: tuple[str, ...] = ("planned_date",) if planned else ()
    must: tuple[str, ...] = ("planned_date",) if planned else ()
    if publication is not None:
        extra_may, extra_must = PUBLICATION_DATA[publication]
        may += tuple(k for k in extra_may if k not in may)
        must += tuple(k for k in extra_must if k not in must)
    return may, must


def refuse(case: Case | None, message: str, hint: str | None, as_of: date | None) -> RefusedError:
    """A refusal carrying what may be done now (and, without a better hint, saying it)."""
    allowed = [str(a) for a in allowed_actions(case, as_of)] if case is not None and as_of is not None else []
    if hint is None and allowed:
        hint = "allowed now: " + "; ".join(allowed)
    return RefusedError(message, hint, allowed)


def list_allowed(refusal: RefusedError, case: Case, as_of: date) -> None:
    """Give a refusal the case's allowed actions, for the grouped list a reader sees."""
    found = allowed_actions(case, as_of)
    refusal.allowed = refusal.allowed or [str(a) for a in found]
    refusal.actions = refusal.actions or [a.to_dict() for a in found]


def check_dates(case: Case, at: date, as_of: date) -> None:
    """Not after today, not before the case opened, not before the previous event.

    An earlier event dated after `at` may be the mistake (a year typed wrongly): the refusal then
    gives the exact `case correct … --at-date` command that re-dates it."""
    if at > as_of:
        raise refuse(case, f"the date {at.isoformat()} is after today ({as_of.isoformat()})",
                     "record what has happened, on the day it happened", as_of)
    if case.opened_at is not None and at < case.opened_at:
        raise refuse(case, f"the date {at.isoformat()} is before the case was opened "
                     f"({case.opened_at.isoformat()})", redate_hint(case, 1, at), as_of)
    last = case.last_at
    if last is not None and at < last:
        later = next((e for e in case.events if e.at > at and e.kind != "corrected"), None)
        raise refuse(case, f"the date {at.isoformat()} is before the previous event's date "
                     f"({last.isoformat()}, event {len(case.events)})",
                     "events are recorded in date order" + (f"; {redate_hint(case, later.seq, at)}" if later else ""),
                     as_of)


def redate_hint(case: Case, seq: int, at: date) -> str:
    """What to run when event `seq` of `case` carries a wrong date (e.g. a year typed wrongly)."""
    event = case.events[seq - 1]
    day = at.isoformat()
    return (f"if event {seq}'s date {event.at.isoformat()} is wrong, correct it (a new event; the original "
            f"is kept), putting the day it really happened in --at-date: reviewflow case correct {case.ref} "
            f'{seq} --at-date {day} --at {day} --by {event.by} --reason "event {seq} was dated wrongly"')


@dataclass(frozen=True)
class DatePolicy:
    """When a date needs confirming: more than `horizon_days` after the case's last event.

    A year typed wrongly (2204 for 2024) would otherwise be recorded, and every later event refused as
    out of order. `confirmed` is the user's --confirm-date; a horizon of None checks nothing (scenario
    runs, whose dates are written in a file and checked by their expectations)."""

    horizon_days: int | None = DEFAULT_DATE_HORIZON_DAYS
    confirmed: bool = False

    def check(self, reference: date | None, dates: Sequence[tuple[str, date]], since: str) -> None:
        """Refuse the first of `dates` (named by what the user typed) beyond the horizon of `reference`."""
        if self.confirmed or self.horizon_days is None or reference is None:
            return
        for what, day in dates:
            gap = (day - reference).days
            if gap > self.horizon_days:
                raise RefusedError(
                    f"{what} {day.isoformat()} is {gap:,} days after {since} ({reference.isoformat()}): more "
                    f"than the date horizon of {self.horizon_days:,} days",
                    "check the year; if the date is right, repeat the command with --confirm-date "
                    "(the horizon is --date-horizon N or $REVIEWFLOW_DATE_HORIZON)")


def dates_typed(event: Event, as_of: date) -> list[tuple[str, date]]:
    """The dates a write names, by the option that gave each: what the date horizon checks."""
    dates = [("--at", event.at), ("--as-of", as_of)]
    for key, option in (("to", "--to"), (CORRECTED_DATE_KEY, "--at-date")):
        value = event.data.get(key)
        if isinstance(value, str):
            dates.append((option, date.fromisoformat(value)))
    return dates


def check_partnership(key: str) -> str:
    if not PARTNERSHIP_KEY.match(key):
        raise RefusedError(f'"{key}" is not a partnership key',
                           hint="a partnership key is lower-case letters, digits, '-', '_' or '.', e.g. leeds")
    return key


def check_role(process: Process, by: str, may: Sequence[str], doing: str,
               allowed: AllowedFn | None = None) -> None:
    """`by` is a role of the definition and one of `may` (what is allowed now is worked out only to refuse)."""
    if by not in process.roles:
        raise RefusedError(f'unknown role "{by}"', did_you_mean(by, process.roles), allowed() if allowed else [])
    if by not in may:
        who = ", ".join(may) or "nobody"
        raise RefusedError(f"{by} may not {doing}: only {who} may", f"act as one of: {who}",
                           allowed() if allowed else [])


def check_value(f: Field, value: Any) -> tuple[Any, str | None]:
    """(the JSON form of value, or an error message) for one field.

    A message names the field and the rule it breaks; it repeats the value given only when the field
    is not personal (a personal value must never reach an error message, a log or a scenario report)."""
    t = f.type
    if value is None:
        return None, f'field "{f.id}" needs a value'

    def given(text: Any) -> str:
        return f', not "{text}"' if not f.personal else " (the value given is not shown: the field is personal)"

    if t in ("string", "text"):
        return (value, None) if isinstance(value, str) and value.strip() else (value, f'field "{f.id}" is text')
    if t == "enum":
        if value in f.values:
            return value, None
        return value, f'field "{f.id}" must be one of {", ".join(f.values)}{given(value)}'
    if t == "bool":
        return (value, None) if isinstance(value, bool) else (value, f'field "{f.id}" must be true or false')
    if t == "int":
        ok = isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10 ** MAX_DIGITS
        return (value, None) if ok else (value, f'field "{f.id}" must be a whole number of at most '
                                                f'{MAX_DIGITS} digits')
    if t == "date":
        parsed = iso_date_or_none(value)
        if parsed is not None:
            return parsed.isoformat(), None
        return value, f'field "{f.id}" must be a real date written YYYY-MM-DD{given(value)}'
    if not isinstance(value, (list, tuple)):
        return value, f'field "{f.id}" is a list'
    items = [str(v) for v in value]
    bad = [v for v in items if f.values and v not in f.values]
    if bad:
        rule = f'field "{f.id}" allows only {", ".join(f.values)}'
        return items, rule + (f"; not {', '.join(bad)}" if not f.personal else given(None))
    if len(set(items)) != len(items):
        return items, f'field "{f.id}" lists a value twice'
    return items, None


def check_data(process: Process, data: Mapping[str, Any], allowed: Collection[str],
               required: Collection[str], what: str, allowed_now: AllowedFn | None = None) -> dict[str, Any]:
    """The event's data, checked (every problem named) and in JSON form."""
    problems: list[str] = []
    clean: dict[str, Any] = {}
    for key, value in data.items():
        if key not in allowed:
            hint = did_you_mean(key, allowed)
            problems.append(f'"{key}" is not data {what} may carry' + (f" ({hint})" if hint else ""))
            continue
        f = process.fields[key] if key in process.fields else STANDARD_DATA[key]
        clean[key], problem = check_value(f, value)
        if problem:
            problems.append(problem)
    missing = [k for k in required if k not in data]
    if missing:
        problems.append(f"{what} must carry {', '.join(missing)}")
    if problems:
        carry = ", ".join(allowed) or "no data"
        raise RefusedError("; ".join(problems), f"{what} carries: {carry}", allowed_now() if allowed_now else [])
    return clean


def check_vocabulary(process: Process, data: Mapping[str, Any], themes_of: Callable[[str], list[str]]) -> None:
    """Refuse a list field's members that are not themes of its partnership vocabulary (`themes_of`: the
    theme ids of a partnership definition)."""
    for key, value in data.items():
        field = process.fields.get(key)
        if field is None or field.vocabulary is None or not isinstance(value, list | tuple):
            continue
        themes = themes_of(field.vocabulary)
        unknown = [str(v) for v in value if str(v) not in themes]
        if unknown:
            hint = did_you_mean(unknown[0], themes) or ""
            raise RefusedError(f'field "{key}": {", ".join(unknown)} '
                               f'{"is not a theme" if len(unknown) == 1 else "are not themes"} of '
                               f'"{field.vocabulary}"',
                               (hint + " " if hint else "") + f"The themes are: {', '.join(themes)}")
