"""Commands: calendar (working-day arithmetic in England & Wales, with a definition's local closures).

Only click and commands.common are imported at module level: the engine (and through it `holidays`
or `pendulum`) loads inside a command, so `reviewflow --help` stays fast. Text output is written for
a business manager; `--format json` has the stable shape documented in docs/calendar.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

import click
from reviewflow.commands.common import echo_json, format_option

if TYPE_CHECKING:
    from reviewflow.engine.calendar.workdays import Calendar

_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")


def register(cli: click.Group) -> None:
    """Add this module's commands to the top-level group."""
    cli.add_command(calendar_group)


@click.group("calendar")
def calendar_group() -> None:
    """Working days in England & Wales: deadlines, counts, bank holidays.

    A working day is Monday to Friday except England & Wales bank holidays (and, with --process, the
    definition's local closures). The start date is day 0 and never counts.

    \b
    Examples:
      reviewflow calendar add 2023-12-21 5 --explain
      reviewflow calendar between 2024-01-02 2024-01-23
      reviewflow calendar holidays 2024
      reviewflow calendar is-working-day 2023-12-27
    """


def _process_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--process", "process_id", metavar="ID", default=None,
                        help="Use this process definition's calendar (its local closures and extra holidays).")(func)


# -- commands -------------------------------------------------------------------------------------


@calendar_group.command("add", context_settings={"ignore_unknown_options": True})
@click.argument("start_text", metavar="DATE")
@click.argument("count_text", metavar="N")
@click.option("--calendar-days", is_flag=True, help="Count calendar days instead of working days.")
@click.option("--roll-forward", is_flag=True,
              help="With --calendar-days: move a result on a non-working day to the next working day.")
@click.option("--months", is_flag=True, help="Count calendar months (31 Aug + 6 months = 29 Feb).")
@click.option("--explain", is_flag=True, help="List every day counted and every day skipped, with reasons.")
@_process_option
@format_option("text", "json")
def add_command(start_text: str, count_text: str, calendar_days: bool, roll_forward: bool, months: bool,
                explain: bool, process_id: str | None, output_format: str) -> None:
    """The date N working days after DATE (before it when N is negative).

    DATE is day 0: counting starts on the next working day, even when DATE is a working day.

    \b
    Examples:
      reviewflow calendar add 2023-12-21 5 --explain      # 2024-01-02 (Tue)
      reviewflow calendar add 2024-06-14 -7               # 7 working days before
      reviewflow calendar add 2024-01-01 10 --calendar-days --roll-forward
      reviewflow calendar add 2023-08-31 6 --months       # 2024-02-29
      reviewflow calendar add 2024-12-20 3 --process leeds-rapid-review
    """
    if calendar_days and months:
        raise click.UsageError("choose one of --calendar-days and --months")
    if roll_forward and not calendar_days:
        raise click.UsageError("--roll-forward only applies to --calendar-days")
    start = _parse_date(start_text, "DATE")
    n = _parse_whole_number(count_text, "N")
    calendar, process_id = _calendar(process_id)
    unit = "calendar_days" if calendar_days else "months" if months else "working_days"
    unrolled: date | None = None
    explanation = None
    if unit == "working_days":
        if explain:
            explanation = calendar.explain_working_days(start, n)
            result = explanation.result
        else:
            result = calendar.add_working_days(start, n)
    elif unit == "calendar_days":
        unrolled = calendar.add_calendar_days(start, n)
        result = calendar.add_calendar_days(start, n, roll_forward=roll_forward)
    else:
        result = calendar.add_months(start, n)
    provisional = calendar.is_provisional(max(start, result))
    if output_format == "json":
        echo_json({
            "start": start.isoformat(),
            "start_weekday": _weekday(start),
            "n": n,
            "unit": unit,
            "direction": "before" if n < 0 else "after",
            "result": result.isoformat(),
            "result_weekday": _weekday(result),
            "result_is_working_day": calendar.is_working_day(result),
            "result_non_working_reason": calendar.non_working_reason(result),
            "rolled_forward_from": unrolled.isoformat() if unrolled and unrolled != result else None,
            "provisional": provisional,
            "calendar": _calendar_json(calendar, process_id),
            "explanation": None if explanation is None else {
                "counted": [{"number": i, "date": d.isoformat(), "weekday": _weekday(d)}
                            for i, d in enumerate(explanation.counted, start=1)],
                "skipped": [{"date": d.isoformat(), "weekday": _weekday(d), "reason": reason}
                            for d, reason in explanation.skipped],
            },
        })
        return
    amount = _amount(abs(n), unit.replace("_", " ").removesuffix("s"))
    direction = "before" if n < 0 else "after"
    line = f"{_day(result)} is {amount} {direction} {_day(start)}"
    if unrolled is not None and unrolled != result:
        line += (f", rolled forward from {_day(unrolled)}, which is not a working day "
                 f"({calendar.non_working_reason(unrolled)})")
    if unit == "months" and result.day != start.day:
        line += f" (day {start.day} does not exist in that month, so it is the last day of the month)"
    click.echo(line + ".")
    if unit != "working_days" and not calendar.is_working_day(result):
        click.echo(f"Note: {_day(result)} is not a working day ({calendar.non_working_reason(result)}).")
    if explanation is not None:
        click.echo("")
        click.echo(f"Day 0 is {_day(start)}; it never counts. Counting "
                   f"{'back ' if n < 0 else ''}starts with the "
                   f"{'previous' if n < 0 else 'next'} working day.")
        click.echo("Working days counted:" if explanation.counted else "No working days counted.")
        for number, day in enumerate(explanation.counted, start=1):
            click.echo(f"  {number:>4}. {_day_first(day)}")
        if explanation.skipped:
            click.echo("Days skipped (not working days):")
            for day, reason in explanation.skipped:
                click.echo(f"        {_day_first(day)}  {reason}")
    if explain:
        click.echo(_calendar_line(calendar, process_id))
    _warn_if_provisional(calendar, provisional, max(start, result))


@calendar_group.command("between")
@click.argument("first_text", metavar="DATE")
@click.argument("second_text", metavar="DATE")
@_process_option
@format_option("text", "json")
def between_command(first_text: str, second_text: str, process_id: str | None, output_format: str) -> None:
    """Count the working days after the first DATE up to and including the second.

    The first date is day 0, as for deadlines, so "between X and (X + 15 working days)" is 15.
    Negative when the second date is earlier.

    \b
    Examples:
      reviewflow calendar between 2024-01-02 2024-01-23      # 15
      reviewflow calendar between 2023-12-21 2024-01-02 --format json
    """
    first = _parse_date(first_text, "first DATE")
    second = _parse_date(second_text, "second DATE")
    calendar, process_id = _calendar(process_id)
    count = calendar.working_days_between(first, second)
    provisional = calendar.is_provisional(max(first, second))
    if output_format == "json":
        echo_json({"from": first.isoformat(), "to": second.isoformat(), "working_days": count,
                   "provisional": provisional, "calendar": _calendar_json(calendar, process_id)})
        return
    low, high = (first, second) if first <= second else (second, first)
    verb = "is" if abs(count) == 1 else "are"
    text = (f"There {verb} {_amount(abs(count), 'working day')} after {_day(low)} "
            f"up to and including {_day(high)}")
    if first > second:
        text = f"The second date is the earlier one. {text}, so the count is {count}"
    click.echo(text + ".")
    _warn_if_provisional(calendar, provisional, max(first, second))


@calendar_group.command("holidays")
@click.argument("year_text", metavar="YEAR")
@_process_option
@format_option("text", "json")
def holidays_command(year_text: str, process_id: str | None, output_format: str) -> None:
    """List the bank holidays (and local closures) of YEAR that fall on weekdays.

    Substitute days are shown; the weekend dates they replace are not, because they cost no working day.

    \b
    Examples:
      reviewflow calendar holidays 2022
      reviewflow calendar holidays 2024 --process leeds-rapid-review --format json
    """
    year = _parse_whole_number(year_text, "YEAR")
    calendar, process_id = _calendar(process_id)
    days = calendar.holidays_in_year(year)
    provisional = calendar.is_provisional(date(year, 12, 31))
    if output_format == "json":
        echo_json({"year": year, "provisional": provisional,
                   "holidays": [{"date": d.isoformat(), "weekday": _weekday(d), "name": name}
                                for d, name in days],
                   "calendar": _calendar_json(calendar, process_id)})
        return
    click.echo(f"Weekday bank holidays in England & Wales in {year}"
               f"{' and local closures of ' + process_id if process_id else ''}: {len(days)}")
    for day, name in days:
        click.echo(f"  {_day_first(day)}  {name}")
    click.echo(_calendar_line(calendar, process_id))
    _warn_if_provisional(calendar, provisional, date(year, 12, 31))


@calendar_group.command("is-working-day")
@click.argument("day_text", metavar="DATE")
@_process_option
@format_option("text", "json")
def is_working_day_command(day_text: str, process_id: str | None, output_format: str) -> None:
    """Say whether DATE is a working day, and if not, why (weekend, which bank holiday, closure).

    \b
    Examples:
      reviewflow calendar is-working-day 2023-12-26       # no: Boxing Day
      reviewflow calendar is-working-day 2022-05-30       # yes (the Spring bank holiday moved in 2022)
    """
    day = _parse_date(day_text, "DATE")
    calendar, process_id = _calendar(process_id)
    reason = calendar.non_working_reason(day)
    provisional = calendar.is_provisional(day)
    if output_format == "json":
        echo_json({"date": day.isoformat(), "weekday": _weekday(day), "working_day": reason is None,
                   "reason": reason, "provisional": provisional,
                   "calendar": _calendar_json(calendar, process_id)})
        return
    if reason is None:
        click.echo(f"{_day(day)} is a working day.")
    else:
        click.echo(f"{_day(day)} is not a working day: {reason}.")
    _warn_if_provisional(calendar, provisional, day)


# -- helpers --------------------------------------------------------------------------------------


def _calendar(process_id: str | None) -> tuple[Calendar, str | None]:
    from reviewflow.engine.calendar.workdays import calendar_for

    if process_id is None:
        return calendar_for(), None
    from reviewflow.engine.definition.loader import load_process_by_id

    process = load_process_by_id(process_id)
    return calendar_for(process.calendar), process.id


def _parse_date(text: str, what: str) -> date:
    from reviewflow.engine.calendar.workdays import parse_iso_date

    return parse_iso_date(text, what)


def _parse_whole_number(text: str, what: str) -> int:
    if not _WHOLE_NUMBER.fullmatch(text):
        from reviewflow.engine.errors import CalendarError

        raise CalendarError(f"{what} must be a whole number, got {text!r}",
                            "write a whole number such as 5, or -5 to count back")
    return int(text)


def _weekday(d: date) -> str:
    return ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[d.weekday()]


def _day(d: date) -> str:
    return f"{d.isoformat()} ({_weekday(d)})"


def _day_first(d: date) -> str:
    return f"{_weekday(d)} {d.isoformat()}"


def _amount(count: int, unit: str) -> str:
    return f"{count} {unit}" + ("" if count == 1 else "s")


def _calendar_json(calendar: Calendar, process_id: str | None) -> dict[str, Any]:
    return {**calendar.provenance.to_dict(), "process": process_id}


def _calendar_line(calendar: Calendar, process_id: str | None) -> str:
    owner = f" of process {process_id}" if process_id else ""
    return f"Calendar{owner}: {calendar.provenance}"


def _warn_if_provisional(calendar: Calendar, provisional: bool, latest: date) -> None:
    if provisional:
        click.echo(f"Provisional: {latest.isoformat()} is after {calendar.provenance.confirmed_until.isoformat()}, "
                   "the last date whose bank holidays are confirmed; a bank holiday proclaimed later "
                   "would change this answer.")
