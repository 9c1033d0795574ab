"""Commands: calendar (working-day arithmetic in England & Wales, with a definition's local closures).

Only click and commands.common are imported at module level: the engine (and through it `holidays`
or `pendulum`) loads inside a command, so `reviewflow --help` stays fast. The answers are values from
reviewflow.engine.calendar.answers, rendered by reviewflow.engine.render.calendar_text: text for a
business manager, `--format json` in the stable shape documented in docs/calendar.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click
from reviewflow.commands.common import echo_rendered, format_option, parse_date_arg
from reviewflow.commands.workspace import processes_option, registry
from reviewflow.engine.render.formats import Output

if TYPE_CHECKING:
    from reviewflow.engine.calendar.workdays import Calendar

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
    func = processes_option(func)
    return click.option("--process", "process_id", metavar="ID", default=None,
                        help="Use this process definition's calendar (its local closures and extra holidays); "
                             "found on the definitions search path.")(func)


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
@format_option(Output.CALENDAR_SUM)
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
    from reviewflow.engine.calendar.answers import add

    if calendar_days and months:
        raise click.UsageError("choose one of --calendar-days and --months")
    if roll_forward and not calendar_days:
        raise click.UsageError("--roll-forward only applies to --calendar-days")
    start = parse_date_arg(start_text, "DATE")
    n = _parse_whole_number(count_text, "N")
    calendar, process_id = _calendar(process_id)
    unit = "calendar_days" if calendar_days else "months" if months else "working_days"
    answer = add(calendar, start, n, unit, roll_forward=roll_forward, explain=explain, process_id=process_id)
    echo_rendered(Output.CALENDAR_SUM, output_format, answer)


@calendar_group.command("between")
@click.argument("first_text", metavar="DATE")
@click.argument("second_text", metavar="DATE")
@_process_option
@format_option(Output.CALENDAR_COUNT)
def between_command(first_text: str, second_text: str, process_id: str | None, output_format: str) -> None:
    """Count the working days after the first DATE up to and including the second.

    The first date is day 0, as for deadlines, so "between X and (X + 15 working days)" is 15.
    Negative when the second date is earlier.

    \b
    Examples:
      reviewflow calendar between 2024-01-02 2024-01-23      # 15
      reviewflow calendar between 2023-12-21 2024-01-02 --format json
    """
    from reviewflow.engine.calendar.answers import between

    first = parse_date_arg(first_text, "first DATE")
    second = parse_date_arg(second_text, "second DATE")
    calendar, process_id = _calendar(process_id)
    echo_rendered(Output.CALENDAR_COUNT, output_format, between(calendar, first, second, process_id))


@calendar_group.command("holidays")
@click.argument("year_text", metavar="YEAR")
@_process_option
@format_option(Output.CALENDAR_HOLIDAYS)
def holidays_command(year_text: str, process_id: str | None, output_format: str) -> None:
    """List the bank holidays (and local closures) of YEAR that fall on weekdays.

    Substitute days are shown; the weekend dates they replace are not, because they cost no working day.

    \b
    Examples:
      reviewflow calendar holidays 2022
      reviewflow calendar holidays 2024 --process leeds-rapid-review --format json
    """
    from reviewflow.engine.calendar.answers import holidays

    year = _parse_whole_number(year_text, "YEAR")
    calendar, process_id = _calendar(process_id)
    echo_rendered(Output.CALENDAR_HOLIDAYS, output_format, holidays(calendar, year, process_id))


@calendar_group.command("is-working-day")
@click.argument("day_text", metavar="DATE")
@_process_option
@format_option(Output.CALENDAR_DAY)
def is_working_day_command(day_text: str, process_id: str | None, output_format: str) -> None:
    """Say whether DATE is a working day, and if not, why (weekend, which bank holiday, closure).

    \b
    Examples:
      reviewflow calendar is-working-day 2023-12-26       # no: Boxing Day
      reviewflow calendar is-working-day 2022-05-30       # yes (the Spring bank holiday moved in 2022)
    """
    from reviewflow.engine.calendar.answers import day_status

    day = parse_date_arg(day_text, "DATE")
    calendar, process_id = _calendar(process_id)
    echo_rendered(Output.CALENDAR_DAY, output_format, day_status(calendar, day, process_id))


# -- helpers --------------------------------------------------------------------------------------


def _calendar(process_id: str | None) -> tuple[Calendar, str | None]:
    """The plain England & Wales calendar, or the one of a process definition (with its closures)."""
    from reviewflow.engine.calendar.workdays import calendar_for

    if process_id is None:
        return calendar_for(), None
    from reviewflow.engine.definition.loader import load_process_by_id

    process = load_process_by_id(process_id, registry())
    return calendar_for(process.calendar), process.id


def _parse_whole_number(text: str, what: str) -> int:
    from reviewflow.engine.errors import CalendarError
    from reviewflow.engine.limits import MAX_DIGITS, digit_count, too_many_digits, whole_number

    hint = "write a whole number such as 5, or -5 to count back"
    number = whole_number(text)
    if number is None and too_many_digits(text):  # say so, without printing every digit back
        raise CalendarError(f"{what} has {digit_count(text):,} digits; a count has at most {MAX_DIGITS}", hint)
    if number is None:
        raise CalendarError(f"{what} must be a whole number, got {text!r}", hint)
    return number
