"""Commands that write to a case: case open, record, recommend, decide, reconsider, hold, hold-review, hold-end,
correct and note.

Each parses its options, calls reviewflow.engine.service.CaseService, and prints what the write did
(a `WriteReport`, rendered by the output registry). A refusal is an exception the CLI's one error path
reports, with what is allowed now.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click
from reviewflow.commands.case_common import (
    actor_option,
    case_group,
    case_service,
    optional_date,
    parse_sets,
    reason_option,
    set_option,
    write_dates,
    write_options,
)
from reviewflow.commands.common import echo_rendered
from reviewflow.engine.render.formats import Output, default_format

if TYPE_CHECKING:
    from reviewflow.engine.cases.write_report import WriteReport


def register(cli: click.Group) -> None:
    """Add the `case` group (its read commands are in commands.case_read) to the top-level group."""
    cli.add_command(case_group)


def echo_write(report: WriteReport) -> None:
    echo_rendered(Output.WRITE, default_format(Output.WRITE), report)
    click.echo(next_step(report.ref))


def next_step(ref: str) -> str:
    """The command that shows what may be done now, with the same store option the user typed."""
    given = click.get_current_context().params.get("db_path")
    store = f" --db {shlex.quote(given)}" if given else ""
    return f"Next: `reviewflow case show {shlex.quote(ref)}{store}` lists what is allowed now."


@case_group.command("open")
@click.argument("process_id", metavar="PROCESS")
@click.argument("ref", metavar="REF")
@click.option("--pseudonym", default=None, metavar="TEXT",
              help='How reports name the child, e.g. "Child B" (never a name). Or --set pseudonym=….')
@click.option("--partnership", metavar="KEY", default=None,
              help="The partnership the case belongs to for good (default: the folder of the definition "
                   "file, e.g. leeds); on PostgreSQL it decides who may see the case and act in it.")
@set_option
@actor_option
@write_options
def open_command(process_id: str, ref: str, pseudonym: str | None, partnership: str | None,
                 sets: tuple[str, ...], actor: str | None, at_text: str, by: str, as_of_text: str | None,
                 db_path: str | None) -> None:
    """Open case REF under PROCESS (the day the local authority or partnership became aware).

    The definition's required fields must be given with --set. The case stays on this exact version of
    the definition for its whole life. Creates the store if it does not exist yet.

    \b
    Example:
      reviewflow case open leeds-rapid-review LEEDS-2024-001 --at 2023-12-21 --by local_authority \\
          --pseudonym "Child B" --set harm=seriously_harmed --set abuse_or_neglect=true \\
          --set agencies=police,health,education
    """
    at, as_of = write_dates(at_text, as_of_text)
    with case_service(db_path, create=True) as svc:
        process = svc.current(process_id).process
        assert process is not None  # current() raises for a definition that does not build
        fields = parse_sets(process, sets)
        given = fields.pop("pseudonym", None)
        # An action or a learning output is about no child: the engine refuses a pseudonym given for one.
        name = _pseudonym(ref, pseudonym, given) if process.about_a_child else (pseudonym or given)
        echo_write(svc.open(process_id, ref, at, by, fields, name, actor, as_of=as_of, partnership=partnership))


def _pseudonym(ref: str, option: str | None, from_set: Any) -> str:
    """--pseudonym, or --set pseudonym=…: one of them, or both the same."""
    from reviewflow.engine.errors import RefusedError

    if option is not None and from_set is not None and option != from_set:
        raise click.BadParameter("--pseudonym and --set pseudonym=… differ; give one", param_hint="--pseudonym")
    name = option if option is not None else from_set
    if name is None:
        raise RefusedError(f'case "{ref}" needs a pseudonym', 'give --pseudonym "Child B" (never the child\'s name)')
    return str(name)


@case_group.command("record")
@click.argument("ref", metavar="REF")
@click.argument("event", metavar="EVENT")
@click.option("--agency", metavar="AGENCY", default=None, help="For a per-agency event: which agency.")
@click.option("--planned-date", "planned_text", metavar="DATE", default=None,
              help="For a planned event (e.g. publication_planned): the date planned.")
@click.option("--what", metavar="TEXT", default=None,
              help="For a publication event: what was published or disclosed (e.g. \"Full report\").")
@click.option("--where", metavar="TEXT", default=None, help="For a publication: where (e.g. the web address).")
@click.option("--online-until", "until_text", metavar="DATE", default=None,
              help="For a publication: the last day it stays online.")
@set_option
@actor_option
@write_options
def record_command(ref: str, event: str, agency: str | None, planned_text: str | None, what: str | None,
                   where: str | None, until_text: str | None, sets: tuple[str, ...], actor: str | None,
                   at_text: str, by: str, as_of_text: str | None, db_path: str | None) -> None:
    """Record that EVENT happened in case REF (an event id from the definition).

    Refused, with what is allowed now, when the stage, the role, the agency, the data or the date is
    wrong, or while a hold blocks it. --as-of defaults to --at.

    \b
    Examples:
      reviewflow case record LEEDS-2024-001 notified_panel --at 2024-01-02 --by local_authority
      reviewflow case record LEEDS-2024-001 scoping_template_returned --agency police \\
          --at 2024-01-09 --by relevant_agency
      reviewflow case record LEEDS-2024-001 rapid_review_sent --at 2024-01-22 --by lscp_executive
      reviewflow case record LEEDS-2024-001 publication_planned --planned-date 2024-11-12 \\
          --at 2024-10-08 --by lscp_executive
      reviewflow case record KIRK-2024-001 published --what "Full report" \\
          --where https://www.kirkleessafeguardingchildren.co.uk --at 2025-01-06 --by business_manager
    """
    at, as_of = write_dates(at_text, as_of_text)
    extra: dict[str, Any] = {"what": what, "where": where}
    for key, text, option in (("planned_date", planned_text, "--planned-date"),
                              ("online_until", until_text, "--online-until")):
        parsed = optional_date(text, option)
        extra[key] = parsed.isoformat() if parsed else None
    with case_service(db_path) as svc:
        data = parse_sets(svc.definition_of(ref), sets)
        for key, value in extra.items():
            if value is not None:
                if key in data:
                    raise click.BadParameter(f"{key} is given twice (an option and --set)", param_hint="--set")
                data[key] = value
        echo_write(svc.record(ref, event, at, by, as_of, agency, data, actor))


def _gate_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = write_options(func)
    func = actor_option(func)
    func = click.option("--rationale", metavar="TEXT", default=None,
                        help="Why (required when the gate asks for a written rationale).")(func)
    func = click.argument("option", metavar="OPTION")(func)
    func = click.argument("gate", metavar="GATE")(func)
    return click.argument("ref", metavar="REF")(func)


@case_group.command("recommend")
@_gate_options
def recommend_command(ref: str, gate: str, option: str, rationale: str | None, actor: str | None, at_text: str,
                      by: str, as_of_text: str | None, db_path: str | None) -> None:
    """Recommend OPTION on decision GATE of case REF (the recommending body, e.g. Leeds' RAG).

    \b
    Example:
      reviewflow case recommend LEEDS-2024-001 cspr_decision local_cspr --at 2024-01-16 --by rag \\
          --rationale "Multi-agency learning about escalation"
    """
    at, as_of = write_dates(at_text, as_of_text)
    with case_service(db_path) as svc:
        echo_write(svc.recommend(ref, gate, option, at, by, rationale, as_of, actor))


@case_group.command("decide")
@_gate_options
def decide_command(ref: str, gate: str, option: str, rationale: str | None, actor: str | None, at_text: str,
                   by: str, as_of_text: str | None, db_path: str | None) -> None:
    """Decide OPTION on decision GATE of case REF, as one of its deciders.

    Where a body decides jointly (rule all or majority) each member decides with its own --by. When the
    members disagree, the gate's dispute role (e.g. Kirklees' independent_scrutineer) decides with this
    same command. Whoever recommended may not decide (separation of duties).

    \b
    Examples:
      reviewflow case decide LEEDS-2024-001 notification_decision notify --at 2023-12-21 \\
          --by local_authority --rationale "s16C(1) criteria met"
      reviewflow case decide LEEDS-2024-001 cspr_decision local_cspr --at 2024-01-17 --by police \\
          --rationale "Agree with the RAG"
    """
    at, as_of = write_dates(at_text, as_of_text)
    with case_service(db_path) as svc:
        echo_write(svc.decide(ref, gate, option, at, by, rationale, as_of, actor))


@case_group.command("reconsider")
@click.argument("ref", metavar="REF")
@click.argument("gate", metavar="GATE")
@click.option("--prompted-by", "prompted_by", metavar="SEQ|EVENT", required=True,
              help="What prompted it: the event's number in `case history`, or its id (the latest one).")
@reason_option
@actor_option
@write_options
def reconsider_command(ref: str, gate: str, prompted_by: str, reason: str | None, actor: str | None, at_text: str,
                       by: str, as_of_text: str | None, db_path: str | None) -> None:
    """Re-open the settled decision GATE of case REF, where the definition lets it be reconsidered.

    Names what prompted it (e.g. the Panel's letter) and why. The first decision stays in the history;
    the new one is recommended, decided and disputed by the gate's usual rules.

    \b
    Example:
      reviewflow case reconsider LEEDS-2024-001 cspr_decision --prompted-by panel_responded \\
          --reason "The Panel concluded a local review may be more appropriate (reg 11(d))" \\
          --at 2024-02-05 --by lscp_executive
    """
    at, as_of = write_dates(at_text, as_of_text)
    prompt: int | str = int(prompted_by) if prompted_by.isdigit() else prompted_by
    with case_service(db_path) as svc:
        echo_write(svc.reconsider(ref, gate, prompt, at, by, reason, as_of, actor))


def _review_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--review-on", "review_text", metavar="DATE", default=None,
                        help="When the hold is next reviewed (shown in `case show` and `due`).")(func)


@case_group.command("hold")
@click.argument("ref", metavar="REF")
@click.argument("kind", metavar="HOLD")
@_review_option
@reason_option
@write_options
def hold_command(ref: str, kind: str, review_text: str | None, reason: str | None, at_text: str, by: str,
                 as_of_text: str | None, db_path: str | None) -> None:
    """Put case REF under a legal HOLD (an id from the definition's `holds:`, e.g. criminal_proceedings).

    While it is active the deadlines it pauses stand still and the steps it blocks (publication) are
    refused; learning and interim actions stay allowed.

    \b
    Example:
      reviewflow case hold LEEDS-2024-001 criminal_proceedings --review-on 2024-06-03 \\
          --reason "Trial listed; publication could prejudice it" --at 2024-03-04 --by lscp_executive
    """
    at, as_of = write_dates(at_text, as_of_text)
    review_on = optional_date(review_text, "--review-on")
    with case_service(db_path) as svc:
        echo_write(svc.hold(ref, kind, at, by, as_of, reason, review_on))


@case_group.command("hold-review")
@click.argument("ref", metavar="REF")
@click.argument("kind", metavar="HOLD")
@_review_option
@reason_option
@write_options
def hold_review_command(ref: str, kind: str, review_text: str | None, reason: str | None, at_text: str, by: str,
                        as_of_text: str | None, db_path: str | None) -> None:
    """Record a review of the active HOLD on case REF, with the next review date.

    \b
    Example:
      reviewflow case hold-review LEEDS-2024-001 criminal_proceedings --review-on 2024-09-02 \\
          --reason "Trial adjourned to August" --at 2024-06-03 --by lscp_executive
    """
    at, as_of = write_dates(at_text, as_of_text)
    review_on = optional_date(review_text, "--review-on")
    with case_service(db_path) as svc:
        echo_write(svc.hold_review(ref, kind, at, by, as_of, reason, review_on))


@case_group.command("hold-end")
@click.argument("ref", metavar="REF")
@click.argument("kind", metavar="HOLD")
@reason_option
@write_options
def hold_end_command(ref: str, kind: str, reason: str | None, at_text: str, by: str, as_of_text: str | None,
                     db_path: str | None) -> None:
    """End the active HOLD on case REF: paused deadlines move on by the time held; blocked steps are allowed.

    \b
    Example:
      reviewflow case hold-end LEEDS-2024-001 criminal_proceedings --reason "Verdict given" \\
          --at 2024-09-16 --by lscp_executive
    """
    at, as_of = write_dates(at_text, as_of_text)
    with case_service(db_path) as svc:
        echo_write(svc.hold_end(ref, kind, at, by, as_of, reason))


@case_group.command("extend")
@click.argument("ref", metavar="REF")
@click.argument("deadline", metavar="DEADLINE")
@reason_option
@click.option("--to", "to_text", metavar="DATE", default=None, help="The new due date.")
@click.option("--working-days", type=int, default=None, metavar="N", help="Or: move the due date N working days on.")
@write_options
def extend_command(ref: str, deadline: str, reason: str | None, to_text: str | None, working_days: int | None,
                   at_text: str, by: str, as_of_text: str | None, db_path: str | None) -> None:
    """Extend DEADLINE of case REF (by its authority; the original due date is kept).

    \b
    Examples:
      reviewflow case extend LEEDS-2024-001 meeting_window --working-days 3 --at 2024-01-10 \\
          --by lscp_executive --reason "Police disclosure awaited"
      reviewflow case extend LEEDS-2024-001 rapid_review_due --to 2024-01-26 --at 2024-01-10 \\
          --by lscp_executive --reason "Agreed with the Panel"
    """
    at, as_of = write_dates(at_text, as_of_text)
    to = optional_date(to_text, "--to")
    with case_service(db_path) as svc:
        echo_write(svc.extend(ref, deadline, at, by, as_of, reason, to, working_days))


_CLOCK_HELP = {
    "pause": "Stop the clock of DEADLINE (e.g. for court proceedings); `resume` restarts it and the due date "
             "moves on by the time paused.",
    "resume": "Restart the clock of a paused DEADLINE; the due date moves on by the time paused.",
    "waive": "Waive DEADLINE of case REF (only where the definition lets a role waive it).",
}


def _clock_command(kind: str, example: str) -> click.Command:
    """pause, resume and waive take the same arguments and differ only in the service call."""

    @click.argument("ref", metavar="REF")
    @click.argument("deadline", metavar="DEADLINE")
    @reason_option
    @write_options
    def command(ref: str, deadline: str, reason: str | None, at_text: str, by: str, as_of_text: str | None,
                db_path: str | None) -> None:
        at, as_of = write_dates(at_text, as_of_text)
        with case_service(db_path) as svc:
            echo_write(getattr(svc, kind)(ref, deadline, at, by, as_of, reason))

    command.__doc__ = f"{_CLOCK_HELP[kind]}\n\n\b\nExample:\n  {example}\n"
    return case_group.command(kind)(command)


pause_command = _clock_command(
    "pause", "reviewflow case pause LEEDS-2024-001 review_target --at 2024-03-04 --by lscp_executive \\\n"
             "      --reason \"Criminal trial; family not to be interviewed until the verdict\"")
resume_command = _clock_command(
    "resume", "reviewflow case resume LEEDS-2024-001 review_target --at 2024-06-03 --by lscp_executive \\\n"
              "      --reason \"Verdict given\"")
waive_command = _clock_command(
    "waive", "reviewflow case waive LEEDS-2024-001 report_to_partners --at 2024-01-03 --by lscp_executive \\\n"
             "      --reason \"Partners were at the RAG meeting that decided the notification\"")


@case_group.command("correct")
@click.argument("ref", metavar="REF")
@click.argument("seq", metavar="SEQ", type=int)
@reason_option
@set_option
@click.option("--at-date", "at_date_text", metavar="DATE", default=None,
              help="The date event SEQ really happened: deadlines, stages and the order of events use it "
                   "from now on (the original event is kept).")
@actor_option
@write_options
def correct_command(ref: str, seq: int, reason: str | None, sets: tuple[str, ...], at_date_text: str | None,
                    actor: str | None, at_text: str, by: str, as_of_text: str | None, db_path: str | None) -> None:
    """Correct the data or the date of event SEQ of case REF: a new event that supersedes it (nothing is
    edited). A year typed wrongly is fixed with --at-date.

    \b
    Examples:
      reviewflow case correct LEEDS-2024-001 1 --set agencies=police,health,education,housing \\
          --at 2024-01-03 --by local_authority --reason "Housing was involved too"
      reviewflow case correct LEEDS-2024-001 4 --at-date 2024-01-02 --at 2024-01-03 \\
          --by local_authority --reason "2042 typed for 2024"
    """
    at, as_of = write_dates(at_text, as_of_text)
    at_date = optional_date(at_date_text, "--at-date")
    with case_service(db_path) as svc:
        data = parse_sets(svc.definition_of(ref), sets)
        echo_write(svc.correct(ref, seq, at, by, reason, data, as_of, actor, at_date))


@case_group.command("note")
@click.argument("ref", metavar="REF")
@click.argument("text", metavar="TEXT")
@click.option("--notified", metavar="RECIPIENT", multiple=True,
              help="A recipient now told (closes that notification owed); repeatable.")
@actor_option
@write_options
def note_command(ref: str, text: str, notified: tuple[str, ...], actor: str | None, at_text: str, by: str,
                 as_of_text: str | None, db_path: str | None) -> None:
    """Add a note to case REF; with --notified, record that a recipient owed a notification was told.

    \b
    Example:
      reviewflow case note LEEDS-2024-001 "DSL told the outcome by phone" --notified dsl \\
          --at 2023-12-22 --by business_manager
    """
    at, as_of = write_dates(at_text, as_of_text)
    with case_service(db_path) as svc:
        echo_write(svc.note(ref, at, by, text, as_of, list(notified) or None, actor))
