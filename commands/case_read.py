"""Commands that read cases: case show, history, explain and verify, and across the store `cases` and `due`.

Each parses its options, asks reviewflow.engine.service.CaseService for a value, hands it to the output
registry in the chosen --format, and chooses the exit code.
"""

from __future__ import annotations

import click
from reviewflow.commands.case_common import case_group, case_service, optional_date
from reviewflow.commands.common import (
    db_option,
    echo_rendered,
    echo_streamed,
    format_option,
    parse_date_arg,
    progress_bar,
)
from reviewflow.commands.errors import EXIT_PROBLEM
from reviewflow.commands.workspace import processes_option
from reviewflow.engine.render.formats import Output


def register(cli: click.Group) -> None:
    """Add `cases`, `due` and the `case` group (its write commands are in commands.case_write)."""
    cli.add_command(case_group)
    cli.add_command(cases_command)
    cli.add_command(due_command)


AS_OF_HELP = "The date to judge {what} on (default: the date of the case's last event)."
PERSONAL_HELP = "Also print fields the definition marks personal."


@case_group.command("show")
@click.argument("ref", metavar="REF")
@click.option("--as-of", "as_of_text", metavar="DATE", default=None, help=AS_OF_HELP.format(what="deadlines"))
@click.option("--show-personal", is_flag=True, help=PERSONAL_HELP)
@format_option(Output.CASE)
@db_option
@processes_option
def show_command(ref: str, as_of_text: str | None, show_personal: bool, output_format: str,
                 db_path: str | None) -> None:
    """Where case REF stands: stage and owner, what is allowed now, every deadline, tasks, notifications.

    \b
    Examples:
      reviewflow case show LEEDS-2024-001
      reviewflow case show LEEDS-2024-001 --as-of 2024-01-12 --format json
    """
    as_of = optional_date(as_of_text, "--as-of")
    with case_service(db_path) as svc:
        view = svc.view(ref, as_of, show_personal)
    echo_rendered(Output.CASE, output_format, view)


@case_group.command("history")
@click.argument("ref", metavar="REF")
@click.option("--show-personal", is_flag=True, help=PERSONAL_HELP)
@format_option(Output.HISTORY)
@db_option
@processes_option
def history_command(ref: str, show_personal: bool, output_format: str, db_path: str | None) -> None:
    """Every event of case REF in order: seq, date, kind, name, by, actor, agency, data, hash.

    Nothing is ever edited: an event a later `case correct` superseded is listed as recorded, its date
    marked *, and a line under the table names the corrections and the date it now counts on.

    \b
    Examples:
      reviewflow case history LEEDS-2024-001
      reviewflow case history LEEDS-2024-001 --format json
    """
    with case_service(db_path) as svc:
        history = svc.event_log(ref, show_personal)
    echo_rendered(Output.HISTORY, output_format, history)


@case_group.command("explain")
@click.argument("ref", metavar="REF")
@click.argument("deadline", metavar="DEADLINE")
@click.option("--as-of", "as_of_text", metavar="DATE", default=None, help=AS_OF_HELP.format(what="the status"))
@format_option(Output.EXPLANATION)
@db_option
@processes_option
def explain_command(ref: str, deadline: str, as_of_text: str | None, output_format: str,
                    db_path: str | None) -> None:
    """How DEADLINE of case REF was worked out: the event it counts from, the rule and its source, every
    day counted and skipped (with the bank holiday's name), extensions and pauses, the calendar used.

    \b
    Examples:
      reviewflow case explain LEEDS-2024-001 notify_panel
      reviewflow case explain LEEDS-2024-001 meeting_window --as-of 2024-01-12 --format json
    """
    as_of = optional_date(as_of_text, "--as-of")
    with case_service(db_path) as svc:
        view = svc.deadline_view(ref, deadline, as_of)
    echo_rendered(Output.EXPLANATION, output_format, view)


@case_group.command("verify")
@click.argument("ref", metavar="REF", required=False)
@format_option(Output.VERIFICATION)
@db_option
@processes_option
def verify_command(ref: str | None, output_format: str, db_path: str | None) -> None:
    """Check one record (REF) or the whole store: exit 0 when all verifies, 1 naming each problem.

    Its hash chain, its ledger entries, its definition's text and its case and deadline rows against a
    fresh fold of its events; without REF, the whole store as `reviewflow verify` checks it (which also
    writes and checks anchors). Cases, actions and learning outputs alike; a progress bar shows on a
    terminal.

    \b
    Examples:
      reviewflow case verify
      reviewflow case verify LEEDS-2024-001
    """
    from reviewflow.engine.integrity import verify_store

    with case_service(db_path) as svc, progress_bar("verifying") as step:
        verification = verify_store(svc, ref, step)
    # The problems are errors, and errors never go to standard output (docs/json.md); JSON always does.
    echo_rendered(Output.VERIFICATION, output_format, verification,
                  err=output_format != "json" and not verification.ok)
    if not verification.ok:
        raise click.exceptions.Exit(EXIT_PROBLEM)


@click.command("cases")
@click.option("--process", "process_id", metavar="ID", default=None, help="Only cases of this process.")
@click.option("--open", "open_only", is_flag=True, help="Only cases that are not closed.")
@format_option(Output.CASES)
@db_option
@processes_option
def cases_command(process_id: str | None, open_only: bool, output_format: str, db_path: str | None) -> None:
    """List the cases in the store: reference, pseudonym, process, partnership, opened, stage.

    \b
    Examples:
      reviewflow cases --open
      reviewflow cases --process leeds-rapid-review --format json
    """
    with case_service(db_path) as svc:  # rows are written as the store reads them
        echo_streamed(Output.CASES, output_format, svc.iter_cases(process_id, open_only))


@click.command("due")
@click.option("--as-of", "as_of_text", metavar="DATE", required=True,
              help="Today's date (required: the engine never reads the clock).")
@click.option("--within", type=click.IntRange(min=0, max=36600), default=None, metavar="N",
              help="Only deadlines due within N calendar days of --as-of (overdue ones included); "
                   "0 to 36600 (100 years).")
@click.option("--role", metavar="ROLE", default=None, help="Only deadlines this role is expected to meet.")
@click.option("--fail-on-overdue", is_flag=True, help="Exit 1 when anything listed is overdue (for cron/CI).")
@format_option(Output.DUE)
@db_option
@processes_option
def due_command(as_of_text: str, within: int | None, role: str | None, fail_on_overdue: bool, output_format: str,
                db_path: str | None) -> None:
    """Open deadlines across every case, soonest first, overdue marked (from the stored projection).

    \b
    Examples:
      reviewflow due --as-of 2024-01-03
      reviewflow due --as-of 2024-01-03 --within 7 --role business_manager
      reviewflow due --as-of 2024-01-24 --fail-on-overdue --format json
    """
    as_of = parse_date_arg(as_of_text, "--as-of")
    with case_service(db_path) as svc:  # rows are written as the store reads them
        due = svc.due_list(as_of, within, role, stream=True)
        echo_streamed(Output.DUE, output_format, due)
    if fail_on_overdue and due.overdue:
        raise click.exceptions.Exit(EXIT_PROBLEM)
