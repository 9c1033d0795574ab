"""Reports from recorded case data (`report scrutiny`, `report yearly`) and `import-cohort`.

Each gathers plain facts through reviewflow.engine.oversight.facts, computes the report with
reviewflow.engine.reports.compute and renders it in the chosen --format (markdown, csv, json, html), to
standard output or to --output FILE. Long work shows a progress bar on a terminal and nothing when piped.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from reviewflow.commands.case_common import case_service
from reviewflow.commands.common import db_option, format_option, parse_date_arg, progress_bar
from reviewflow.commands.workspace import processes_option
from reviewflow.engine.render.formats import Output, render

if TYPE_CHECKING:
    from reviewflow.engine.oversight.facts import ReportRequest


def register(cli: click.Group) -> None:
    cli.add_command(report_group)
    cli.add_command(import_cohort_command)


def _report_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = processes_option(func)
    func = db_option(func)
    func = click.option("--output", "output", type=click.Path(dir_okay=False, path_type=Path), default=None,
                        help="Write the report to FILE instead of standard output.")(func)
    func = format_option(Output.REPORT, "markdown, csv, json (docs/json.md) or a self-contained html page "
                                        "with charts.")(func)
    func = click.option("--suppress-below", type=click.IntRange(min=1), default=None, metavar="N",
                        help="Show counts from 1 to N-1 as \"<N\" (default: the partnership's setting, else 5; "
                             "1 shows every count).")(func)
    func = click.option("--as-of", "as_of_text", metavar="DATE", default=None,
                        help="Judge statuses on this date, counting only what was recorded by then "
                             "(default: the end of the period).")(func)
    return click.option("--partnership", metavar="ID", default=None,
                        help="Only this partnership's records (a kind: partnership definition, e.g. leeds); "
                             "inferred when the store holds one partnership's.")(func)


def _run(request: ReportRequest, output_format: str, output: Path | None, db_path: str | None) -> None:
    from reviewflow.engine.oversight.facts import gather
    from reviewflow.engine.reports.compute import compute

    with case_service(db_path) as svc, progress_bar("reading records") as step:
        report = compute(gather(svc, request, step))
    text = render(Output.REPORT, output_format, report)
    if output is None:
        click.echo(text, nl=False)
        return
    from reviewflow.engine.output import write_report

    write_report(output, text)
    click.echo(f"wrote {output}", err=True)


@click.group("report")
def report_group() -> None:
    """Reports from recorded case data: the scrutiny report and the yearly report.

    Counts by age band, sex and harm; CSPRs commissioned and local learning reviews; timeliness with the
    late cases; themes with the partnership's responses; actions by status; learning outputs and reach.
    The counting rule and the suppression rule are printed in the report. Personal fields never appear.

    \b
    Examples:
      reviewflow report scrutiny --from 2021-05-01 --to 2022-12-31
      reviewflow report scrutiny --from 2021-05-01 --to 2022-12-31 --format html --output scrutiny.html
      reviewflow report yearly --year 2022 --partnership leeds --suppress-below 5
    """


@report_group.command("scrutiny")
@click.option("--from", "from_text", metavar="DATE", required=True, help="First day of the period.")
@click.option("--to", "to_text", metavar="DATE", required=True, help="Last day of the period.")
@_report_options
def scrutiny_command(from_text: str, to_text: str, partnership: str | None, as_of_text: str | None,
                     suppress_below: int | None, output_format: str, output: Path | None,
                     db_path: str | None) -> None:
    """The report to a scrutiny board on review processes between --from and --to.

    \b
    Examples:
      reviewflow report scrutiny --from 2021-05-01 --to 2022-12-31
      reviewflow report scrutiny --from 2021-05-01 --to 2022-12-31 --format csv --suppress-below 5
    """
    from reviewflow.engine.oversight.facts import ReportRequest

    request = ReportRequest("scrutiny", parse_date_arg(from_text, "--from"), parse_date_arg(to_text, "--to"),
                            _as_of(as_of_text), partnership, suppress_below)
    _run(request, output_format, output, db_path)


@report_group.command("yearly")
@click.option("--year", type=click.IntRange(min=2000, max=2100), required=True, metavar="YYYY",
              help="The partnership year starting 1 April YYYY (2022 is 1 April 2022 to 31 March 2023).")
@_report_options
def yearly_command(year: int, partnership: str | None, as_of_text: str | None, suppress_below: int | None,
                   output_format: str, output: Path | None, db_path: str | None) -> None:
    """The yearly report's learning section for the year from 1 April YYYY to 31 March YYYY+1.

    \b
    Example:
      reviewflow report yearly --year 2022 --format html --output yearly-2022-23.html
    """
    from reviewflow.engine.oversight.facts import ReportRequest

    request = ReportRequest("yearly", date(year, 4, 1), date(year + 1, 3, 31), _as_of(as_of_text), partnership,
                            suppress_below)
    _run(request, output_format, output, db_path)


def _as_of(text: str | None) -> date | None:
    return None if text is None else parse_date_arg(text, "--as-of")


@click.command("import-cohort")
@click.argument("source", metavar="FILE|NAME")
@click.option("--as-of", "as_of_text", metavar="DATE", default=None,
              help="Today's date for the checks (default: each step's own date).")
@db_option
@processes_option
def import_cohort_command(source: str, as_of_text: str | None, db_path: str | None) -> None:
    """Record a cohort of cases through the engine: every step of FILE (JSON lines), or of a bundled cohort
    by NAME, is a command (open, record, recommend, decide, action, learning …) with its own checks.

    Creates the store if needed; a step that is refused stops the import and names its line.

    \b
    Examples:
      reviewflow import-cohort leeds-2021-22 --db leeds-cohort.db
      reviewflow import-cohort my-cohort.jsonl
    """
    from reviewflow.engine.oversight.cohort import import_cohort, resolve_cohort

    path = resolve_cohort(source)
    as_of = _as_of(as_of_text)
    with case_service(db_path, create=True) as svc, progress_bar("importing") as step:
        result = import_cohort(svc, path, as_of, step)
    click.echo(f"imported {result.steps} steps from {result.name}: {result.cases} cases, {result.actions} actions, "
               f"{result.outputs} learning outputs")
