"""`reviewflow calendar` answers as text for a business manager and as the JSON of docs/calendar.md."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reviewflow.engine.calendar.answers import (
        CalendarUsed,
        DateSum,
        DayStatus,
        WorkingDayCount,
        YearHolidays,
    )

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def weekday(d: date) -> str:
    return WEEKDAYS[d.weekday()]


def _day(d: date) -> str:
    return f"{d.isoformat()} ({weekday(d)})"


def _day_first(d: date) -> str:
    return f"{weekday(d)} {d.isoformat()}"


def _amount(count: int, unit: str) -> str:
    return f"{count} {unit}" + ("" if count == 1 else "s")


def _calendar_json(used: CalendarUsed) -> dict[str, Any]:
    return {**used.provenance.to_dict(), "process": used.process_id}


def _calendar_line(used: CalendarUsed) -> str:
    owner = f" of process {used.process_id}" if used.process_id else ""
    return f"Calendar{owner}: {used.provenance}"


def _provisional_lines(used: CalendarUsed, provisional: bool, latest: date) -> list[str]:
    if not provisional:
        return []
    return [f"Provisional: {latest.isoformat()} is after {used.provenance.confirmed_until.isoformat()}, "
            "the last date whose bank holidays are confirmed; a bank holiday proclaimed later "
            "would change this answer."]


# -- calendar add ---------------------------------------------------------------------------------


def sum_json(answer: DateSum) -> dict[str, Any]:
    e = answer.explanation
    return {
        "start": answer.start.isoformat(),
        "start_weekday": weekday(answer.start),
        "n": answer.n,
        "unit": answer.unit,
        "direction": "before" if answer.n < 0 else "after",
        "result": answer.result.isoformat(),
        "result_weekday": weekday(answer.result),
        "result_is_working_day": answer.result_non_working is None,
        "result_non_working_reason": answer.result_non_working,
        "rolled_forward_from": answer.rolled_from.isoformat() if answer.rolled_from else None,
        "provisional": answer.provisional,
        "calendar": _calendar_json(answer.calendar),
        "explanation": None if e is None else {
            "counted": [{"number": i, "date": d.isoformat(), "weekday": weekday(d)}
                        for i, d in enumerate(e.counted, start=1)],
            "skipped": [{"date": d.isoformat(), "weekday": weekday(d), "reason": reason} for d, reason in e.skipped],
        },
    }


def sum_text(answer: DateSum) -> str:
    a = answer
    amount = _amount(abs(a.n), a.unit.replace("_", " ").removesuffix("s"))
    line = f"{_day(a.result)} is {amount} {'before' if a.n < 0 else 'after'} {_day(a.start)}"
    if a.rolled_from is not None:
        line += (f", rolled forward from {_day(a.rolled_from)}, which is not a working day "
                 f"({a.rolled_from_reason})")
    if a.unit == "months" and a.result.day != a.start.day:
        line += f" (day {a.start.day} does not exist in that month, so it is the last day of the month)"
    lines = [line + "."]
    if a.unit != "working_days" and a.result_non_working is not None:
        lines.append(f"Note: {_day(a.result)} is not a working day ({a.result_non_working}).")
    if a.explanation is not None:
        lines += ["", *_explanation_lines(a)]
    if a.explain:
        lines.append(_calendar_line(a.calendar))
    return "\n".join(lines + _provisional_lines(a.calendar, a.provisional, max(a.start, a.result)))


def _explanation_lines(answer: DateSum) -> list[str]:
    e, back = answer.explanation, answer.n < 0
    assert e is not None
    lines = [f"Day 0 is {_day(answer.start)}; it never counts. Counting {'back ' if back else ''}starts with the "
             f"{'previous' if back else 'next'} working day.",
             "Working days counted:" if e.counted else "No working days counted."]
    lines += [f"  {number:>4}. {_day_first(day)}" for number, day in enumerate(e.counted, start=1)]
    if e.skipped:
        lines.append("Days skipped (not working days):")
        lines += [f"        {_day_first(day)}  {reason}" for day, reason in e.skipped]
    return lines


# -- calendar between -----------------------------------------------------------------------------


def count_json(answer: WorkingDayCount) -> dict[str, Any]:
    return {"from": answer.first.isoformat(), "to": answer.second.isoformat(), "working_days": answer.working_days,
            "provisional": answer.provisional, "calendar": _calendar_json(answer.calendar)}


def count_text(answer: WorkingDayCount) -> str:
    first, second, count = answer.first, answer.second, answer.working_days
    low, high = (first, second) if first <= second else (second, first)
    verb = "is" if abs(count) == 1 else "are"
    text = (f"There {verb} {_amount(abs(count), 'working day')} after {_day(low)} "
            f"up to and including {_day(high)}")
    if first > second:
        text = f"The second date is the earlier one. {text}, so the count is {count}"
    return "\n".join([text + ".", *_provisional_lines(answer.calendar, answer.provisional, high)])


# -- calendar holidays ----------------------------------------------------------------------------


def holidays_json(answer: YearHolidays) -> dict[str, Any]:
    return {"year": answer.year, "provisional": answer.provisional,
            "holidays": [{"date": d.isoformat(), "weekday": weekday(d), "name": name} for d, name in answer.days],
            "calendar": _calendar_json(answer.calendar)}


def holidays_text(answer: YearHolidays) -> str:
    process_id = answer.calendar.process_id
    lines = [f"Weekday bank holidays in England & Wales in {answer.year}"
             f"{' and local closures of ' + process_id if process_id else ''}: {len(answer.days)}"]
    lines += [f"  {_day_first(day)}  {name}" for day, name in answer.days]
    lines.append(_calendar_line(answer.calendar))
    return "\n".join(lines + _provisional_lines(answer.calendar, answer.provisional, date(answer.year, 12, 31)))


# -- calendar is-working-day ----------------------------------------------------------------------


def day_json(answer: DayStatus) -> dict[str, Any]:
    return {"date": answer.day.isoformat(), "weekday": weekday(answer.day), "working_day": answer.non_working is None,
            "reason": answer.non_working, "provisional": answer.provisional,
            "calendar": _calendar_json(answer.calendar)}


def day_text(answer: DayStatus) -> str:
    if answer.non_working is None:
        line = f"{_day(answer.day)} is a working day."
    else:
        line = f"{_day(answer.day)} is not a working day: {answer.non_working}."
    return "\n".join([line, *_provisional_lines(answer.calendar, answer.provisional, answer.day)])
