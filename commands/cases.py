"""Commands: case … (open, record, recommend, decide, extend, pause, resume, waive, correct, note, show,
history, explain, verify), cases and due — a thin shell over reviewflow.engine.service.CaseService.

parse → call the service → render (reviewflow.engine.render.case_text) → exit code. Only click and
commands.common are imported at module level, so `reviewflow --help` never loads the engine. The engine
never reads the clock and neither does this module: every date comes from --at / --as-of, or, for the
read commands, from the case's last recorded event (and the output says so).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any

import click
from reviewflow.commands.common import (
    EXIT_PROBLEM,
    db_option,
    echo_error,
    echo_json,
    format_option,
    parse_date_arg,
    reports_problems,
    resolve_db_path,
)

if TYPE_CHECKING:
    from reviewflow.engine.cases.case import Case
    from reviewflow.engine.definition.model import Process
    from reviewflow.engine.service import CaseService

_INT = re.compile(r"[+-]?[0-9]+")


def register(cli: click.Group) -> None:
    """Add this module's commands to the top-level group."""
    cli.add_command(case_group)
    cli.add_command(cases_command)
    cli.add_command(due_command)


# -- plumbing -------------------------------------------------------------------------------------


@contextmanager
def _service(db_path: str | None, *, create: bool = False) -> Iterator[CaseService]:
    """The case service over the store at --db / $REVIEWFLOW_DB / ./reviewflow.db.

    Only `case open` creates a store; the other commands refuse a path where none exists rather than
    leave an empty database behind (a mistyped --db would otherwise look like "no cases").
    """
    from reviewflow.engine.errors import NotFoundError
    from reviewflow.engine.service import CaseService
    from reviewflow.engine.store import is_database_url, open_store

    path = resolve_db_path(db_path)
    if not create and path != ":memory:" and not is_database_url(path) and not os.path.exists(path):
        raise NotFoundError(f"there is no event store at {path}",
                            "pass --db PATH or set REVIEWFLOW_DB; `reviewflow case open` creates a new store")
    store = open_store(path)
    try:
        yield CaseService(store)
    finally:
        store.close()


def _date(value: str | None, what: str) -> date | None:
    return None if value is None else parse_date_arg(value, what)


def _parse_sets(process: Process, pairs: tuple[str, ...]) -> dict[str, Any]:
    """--set field=value …, typed by the definition (the runtime checks the values)."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not field=value (e.g. --set harm=seriously_harmed)",
                                     param_hint="--set")
        if key in out:
            raise click.BadParameter(f'field "{key}" is given twice', param_hint="--set")
        f = process.fields.get(key)
        kind = f.type if f is not None else None
        value: Any = text
        if kind == "list":
            value = [item.strip() for item in text.split(",") if item.strip()]
        elif kind == "bool" and text.strip().lower() in ("true", "false"):
            value = text.strip().lower() == "true"
        elif kind == "int" and _INT.fullmatch(text.strip()):
            value = int(text.strip())
        out[key] = value
    return out


def _with_allowed(svc: CaseService, ref: str, as_of: date, action: Callable[[], Case]) -> Case:
    """Run a write; a refusal gets the case's allowed actions (grouped for reading) attached."""
    from reviewflow.engine.cases.allowed import allowed_actions
    from reviewflow.engine.errors import RefusedError
    from reviewflow.engine.store import AccessRefusedError

    try:
        return action()
    except RefusedError as exc:
        if isinstance(exc, AccessRefusedError):  # the database refused the login: the engine's list is not its
            raise
        try:
            case, _ = svc.case(ref)
            actions = allowed_actions(case, as_of)
        except Exception:  # noqa: BLE001 - the original refusal is what matters
            raise exc from None
        exc.allowed = exc.allowed or [str(a) for a in actions]
        exc.allowed_actions = [a.to_dict() for a in actions]  # type: ignore[attr-defined]
        raise


def _default_as_of(svc: CaseService, ref: str, as_of_text: str | None) -> tuple[date, bool]:
    """(--as-of, or the date of the case's last event; True when it was defaulted)."""
    given = _date(as_of_text, "--as-of")
    if given is not None:
        return given, False
    case, _ = svc.case(ref)
    assert case.last_at is not None  # a stored case always has its opening event
    return case.last_at, True


def _report_write(case: Case, as_of: date) -> None:
    """What a write did: the event, the stage, deadlines started or met, a gate's state, tasks started."""
    from reviewflow.engine.render.case_text import write_text

    click.echo(write_text(case, as_of))


def _write_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--at, --by, --as-of and --db, shared by every write command."""
    func = db_option(func)
    func = click.option("--as-of", "as_of_text", metavar="DATE", default=None,
                        help="Today's date for the checks (default: --at). An event dated after it is "
                             "refused.")(func)
    func = click.option("--by", "by", metavar="ROLE", required=True,
                        help="The role acting (an id from the definition, e.g. local_authority).")(func)
    func = click.option("--at", "at_text", metavar="DATE", required=True,
                        help="The date it happened (YYYY-MM-DD).")(func)
    return func


def _actor_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--actor", metavar="PERSON", default=None,
                        help="The person acting for the role (checked for separation of duties).")(func)


def _set_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--set", "sets", metavar="FIELD=VALUE", multiple=True,
                        help="Case data, repeatable; lists comma-separated (agencies=police,health), "
                             "booleans true/false.")(func)


def _dates(at_text: str, as_of_text: str | None) -> tuple[date, date]:
    at = parse_date_arg(at_text, "--at")
    return at, _date(as_of_text, "--as-of") or at


# -- the case group -------------------------------------------------------------------------------


@click.group("case")
def case_group() -> None:
    """Run one case: open it, record what happens, decide, and see where it stands.

    Every write names the date it happened (--at) and the role acting (--by); the engine never reads the
    clock. The record is append-only and hash-chained: a mistake is fixed with `case correct`.

    \b
    Examples (a Leeds rapid review):
      reviewflow case open leeds-rapid-review LEEDS-2024-001 --at 2023-12-21 --by local_authority \\
          --pseudonym "Child B" --set harm=seriously_harmed --set abuse_or_neglect=true \\
          --set agencies=police,health,education
      reviewflow case recommend LEEDS-2024-001 notification_decision notify --at 2023-12-21 --by rag \\
          --rationale "Serious harm; neglect suspected"
      reviewflow case record LEEDS-2024-001 notified_panel --at 2024-01-02 --by local_authority
      reviewflow case show LEEDS-2024-001
    """


@case_group.command("open")
@click.argument("process_id", metavar="PROCESS")
@click.argument("ref", metavar="REF")
@click.option("--pseudonym", default=None, metavar="TEXT",
              help='How reports name the child, e.g. "Child B" (never a name). Or --set pseudonym=….')
@click.option("--partnership", metavar="KEY", default=None,
              help="The partnership the case belongs to for good (default: the folder of the definition "
                   "file, e.g. leeds); on PostgreSQL it decides who may see the case and act in it.")
@_set_option
@_actor_option
@_write_options
@reports_problems
def open_command(process_id: str, ref: str, pseudonym: str | None, partnership: str | None, sets: tuple[str, ...],
                 actor: str | None, at_text: str, by: str, as_of_text: str | None, db_path: str | None) -> None:
    """Open case REF under PROCESS (the day the local authority or partnership became aware).

    The definition's required fields must be given with --set. The case stays on this exact version of
    the definition for its whole life. Creates the store if it does not exist yet.

    \b
    Example:
      reviewflow case open leeds-rapid-review LEEDS-2024-001 --at 2023-12-21 --by local_authority \\
          --pseudonym "Child B" --set harm=seriously_harmed --set abuse_or_neglect=true \\
          --set agencies=police,health,education
    """
    from reviewflow.engine.errors import RefusedError

    at, as_of = _dates(at_text, as_of_text)
    with _service(db_path, create=True) as svc:
        process = svc.current(process_id).process
        assert process is not None
        fields = _parse_sets(process, sets)
        from_set = fields.pop("pseudonym", None)
        if pseudonym is not None and from_set is not None and pseudonym != from_set:
            raise click.BadParameter("--pseudonym and --set pseudonym=… differ; give one", param_hint="--pseudonym")
        name = pseudonym if pseudonym is not None else from_set
        if name is None:
            raise RefusedError(f'case "{ref}" needs a pseudonym', 'give --pseudonym "Child B" (never the child\'s name)')
        if at > as_of:
            raise RefusedError(f"the date {at.isoformat()} is after today ({as_of.isoformat()})",
                               "record what has happened, on the day it happened")
        case = svc.open(process_id, ref, at, by, fields, str(name), actor, partnership)
        _report_write(case, as_of)


@case_group.command("record")
@click.argument("ref", metavar="REF")
@click.argument("event", metavar="EVENT")
@click.option("--agency", metavar="AGENCY", default=None, help="For a per-agency event: which agency.")
@_set_option
@_actor_option
@_write_options
@reports_problems
def record_command(ref: str, event: str, agency: str | None, sets: tuple[str, ...], actor: str | None,
                   at_text: str, by: str, as_of_text: str | None, db_path: str | None) -> None:
    """Record that EVENT happened in case REF (an event id from the definition).

    Refused, with what is allowed now, when the stage, the role, the agency, the data or the date is
    wrong. --as-of defaults to --at.

    \b
    Examples:
      reviewflow case record LEEDS-2024-001 notified_panel --at 2024-01-02 --by local_authority
      reviewflow case record LEEDS-2024-001 scoping_template_returned --agency police \\
          --at 2024-01-09 --by relevant_agency
      reviewflow case record LEEDS-2024-001 rapid_review_sent --set review_type=local_cspr \\
          --at 2024-01-22 --by lscp_executive
    """
    at, as_of = _dates(at_text, as_of_text)
    with _service(db_path) as svc:
        case, _ = svc.case(ref)
        data = _parse_sets(case.process, sets)
        after = _with_allowed(svc, ref, as_of, lambda: svc.record(ref, event, at, by, as_of, agency, data, actor))
        _report_write(after, as_of)


def _gate_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = _write_options(func)
    func = _actor_option(func)
    func = click.option("--rationale", metavar="TEXT", default=None,
                        help="Why (required when the gate asks for a written rationale).")(func)
    func = click.argument("option", metavar="OPTION")(func)
    func = click.argument("gate", metavar="GATE")(func)
    return click.argument("ref", metavar="REF")(func)


def _gate_write(kind: str, ref: str, gate: str, option: str, rationale: str | None, actor: str | None,
                at_text: str, by: str, as_of_text: str | None, db_path: str | None) -> None:
    at, as_of = _dates(at_text, as_of_text)
    with _service(db_path) as svc:
        call = svc.recommend if kind == "recommend" else svc.decide
        after = _with_allowed(svc, ref, as_of, lambda: call(ref, gate, option, at, by, rationale, as_of, actor))
        _report_write(after, as_of)


@case_group.command("recommend")
@_gate_options
@reports_problems
def recommend_command(ref: str, gate: str, option: str, rationale: str | None, actor: str | None, at_text: str,
                      by: str, as_of_text: str | None, db_path: str | None) -> None:
    """Recommend OPTION on decision GATE of case REF (the recommending body, e.g. Leeds' RAG).

    \b
    Example:
      reviewflow case recommend LEEDS-2024-001 cspr_decision local_cspr --at 2024-01-16 --by rag \\
          --rationale "Multi-agency learning about escalation"
    """
    _gate_write("recommend", ref, gate, option, rationale, actor, at_text, by, as_of_text, db_path)


@case_group.command("decide")
@_gate_options
@reports_problems
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
    _gate_write("decide", ref, gate, option, rationale, actor, at_text, by, as_of_text, db_path)


@case_group.command("extend")
@click.argument("ref", metavar="REF")
@click.argument("deadline", metavar="DEADLINE")
@click.option("--reason", metavar="TEXT", default=None, help="Why (required).")
@click.option("--to", "to_text", metavar="DATE", default=None, help="The new due date.")
@click.option("--working-days", type=int, default=None, metavar="N", help="Or: move the due date N working days on.")
@_write_options
@reports_problems
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
    at, as_of = _dates(at_text, as_of_text)
    to = _date(to_text, "--to")
    with _service(db_path) as svc:
        after = _with_allowed(svc, ref, as_of,
                              lambda: svc.extend(ref, deadline, at, by, as_of, reason, to, working_days))
        _report_write(after, as_of)


def _control_command(kind: str, example: str) -> click.Command:
    @click.argument("ref", metavar="REF")
    @click.argument("deadline", metavar="DEADLINE")
    @click.option("--reason", metavar="TEXT", default=None, help="Why (required).")
    @_write_options
    @reports_problems
    def command(ref: str, deadline: str, reason: str | None, at_text: str, by: str, as_of_text: str | None,
                db_path: str | None) -> None:
        at, as_of = _dates(at_text, as_of_text)
        with _service(db_path) as svc:
            call = getattr(svc, kind)
            after = _with_allowed(svc, ref, as_of, lambda: call(ref, deadline, at, by, as_of, reason))
            _report_write(after, as_of)

    what = {"pause": "Stop the clock of DEADLINE (e.g. for court proceedings); `resume` restarts it and the "
                     "due date moves on by the time paused.",
            "resume": "Restart the clock of a paused DEADLINE; the due date moves on by the time paused.",
            "waive": "Waive DEADLINE of case REF (only where the definition lets a role waive it)."}[kind]
    command.__doc__ = f"{what}\n\n\b\nExample:\n  {example}\n"
    return case_group.command(kind)(command)


pause_command = _control_command(
    "pause", "reviewflow case pause LEEDS-2024-001 review_target --at 2024-03-04 --by lscp_executive \\\n"
             "      --reason \"Criminal trial; family not to be interviewed until the verdict\"")
resume_command = _control_command(
    "resume", "reviewflow case resume LEEDS-2024-001 review_target --at 2024-06-03 --by lscp_executive \\\n"
              "      --reason \"Verdict given\"")
waive_command = _control_command(
    "waive", "reviewflow case waive LEEDS-2024-001 report_to_partners --at 2024-01-03 --by lscp_executive \\\n"
             "      --reason \"Partners were at the RAG meeting that decided the notification\"")


@case_group.command("correct")
@click.argument("ref", metavar="REF")
@click.argument("seq", metavar="SEQ", type=int)
@click.option("--reason", metavar="TEXT", default=None, help="Why (required).")
@_set_option
@_actor_option
@_write_options
@reports_problems
def correct_command(ref: str, seq: int, reason: str | None, sets: tuple[str, ...], actor: str | None,
                    at_text: str, by: str, as_of_text: str | None, db_path: str | None) -> None:
    """Correct the data of event SEQ of case REF: a new event that supersedes it (nothing is edited).

    \b
    Example:
      reviewflow case correct LEEDS-2024-001 1 --set agencies=police,health,education,housing \\
          --at 2024-01-03 --by local_authority --reason "Housing was involved too"
    """
    at, as_of = _dates(at_text, as_of_text)
    with _service(db_path) as svc:
        case, _ = svc.case(ref)
        data = _parse_sets(case.process, sets)
        after = _with_allowed(svc, ref, as_of, lambda: svc.correct(ref, seq, at, by, reason, data, as_of, actor))
        _report_write(after, as_of)


@case_group.command("note")
@click.argument("ref", metavar="REF")
@click.argument("text", metavar="TEXT")
@click.option("--notified", metavar="RECIPIENT", multiple=True,
              help="A recipient now told (closes that notification owed); repeatable.")
@_actor_option
@_write_options
@reports_problems
def note_command(ref: str, text: str, notified: tuple[str, ...], actor: str | None, at_text: str, by: str,
                 as_of_text: str | None, db_path: str | None) -> None:
    """Add a note to case REF; with --notified, record that a recipient owed a notification was told.

    \b
    Example:
      reviewflow case note LEEDS-2024-001 "DSL told the outcome by phone" --notified dsl \\
          --at 2023-12-22 --by business_manager
    """
    at, as_of = _dates(at_text, as_of_text)
    names: list[str] | None = list(notified) or None
    with _service(db_path) as svc:
        after = _with_allowed(svc, ref, as_of, lambda: svc.note(ref, at, by, text, as_of, names, actor))
        _report_write(after, as_of)


# -- reading --------------------------------------------------------------------------------------


@case_group.command("show")
@click.argument("ref", metavar="REF")
@click.option("--as-of", "as_of_text", metavar="DATE", default=None,
              help="The date to judge deadlines on (default: the date of the case's last event).")
@click.option("--show-personal", is_flag=True, help="Also print fields the definition marks personal.")
@format_option("text", "json")
@db_option
@reports_problems
def show_command(ref: str, as_of_text: str | None, show_personal: bool, output_format: str,
                 db_path: str | None) -> None:
    """Where case REF stands: stage and owner, what is allowed now, every deadline, tasks, notifications.

    \b
    Examples:
      reviewflow case show LEEDS-2024-001
      reviewflow case show LEEDS-2024-001 --as-of 2024-01-12 --format json
    """
    from reviewflow.engine.render.case_text import show_text

    with _service(db_path) as svc:
        as_of, defaulted = _default_as_of(svc, ref, as_of_text)
        summary = svc.show(ref, as_of, show_personal)
        summary["as_of_source"] = "last_event" if defaulted else "given"
        if output_format == "json":
            echo_json(summary)
            return
        case, _ = svc.case(ref)
        personal = case.process.personal_fields()
        hidden = [] if show_personal else sorted(k for k in case.fields if k in personal)
        roles = {r.id: r.title for r in case.process.roles.values()}
        click.echo(show_text(summary, roles, from_last_event=defaulted, hidden_personal=hidden))


@case_group.command("history")
@click.argument("ref", metavar="REF")
@click.option("--show-personal", is_flag=True, help="Also print fields the definition marks personal.")
@format_option("text", "json")
@db_option
@reports_problems
def history_command(ref: str, show_personal: bool, output_format: str, db_path: str | None) -> None:
    """Every event of case REF in order: seq, date, kind, name, by, actor, agency, data, hash.

    \b
    Examples:
      reviewflow case history LEEDS-2024-001
      reviewflow case history LEEDS-2024-001 --format json
    """
    from reviewflow.engine.render.case_text import history_text

    with _service(db_path) as svc:
        rows = svc.history(ref, show_personal)
    if output_format == "json":
        echo_json({"case": ref, "events": rows})
    else:
        click.echo(history_text(ref, rows, personal_hidden=not show_personal))


@case_group.command("explain")
@click.argument("ref", metavar="REF")
@click.argument("deadline", metavar="DEADLINE")
@click.option("--as-of", "as_of_text", metavar="DATE", default=None,
              help="The date to judge the status on (default: the date of the case's last event).")
@format_option("text", "json")
@db_option
@reports_problems
def explain_command(ref: str, deadline: str, as_of_text: str | None, output_format: str,
                    db_path: str | None) -> None:
    """How DEADLINE of case REF was worked out: the event it counts from, the rule and its source, every
    day counted and skipped (with the bank holiday's name), extensions and pauses, the calendar used.

    \b
    Examples:
      reviewflow case explain LEEDS-2024-001 notify_panel
      reviewflow case explain LEEDS-2024-001 meeting_window --as-of 2024-01-12 --format json
    """
    from reviewflow.engine.render.case_text import explain_text

    with _service(db_path) as svc:
        as_of, defaulted = _default_as_of(svc, ref, as_of_text)
        explanation = svc.explain(ref, deadline, as_of)
        events = {r["seq"]: r for r in svc.history(ref)}
    if output_format == "json":
        echo_json({"case": ref, "as_of": as_of.isoformat(),
                   "as_of_source": "last_event" if defaulted else "given", **explanation})
    else:
        click.echo(explain_text(ref, explanation, events, from_last_event=defaulted, as_of=as_of.isoformat()))


@case_group.command("verify")
@click.argument("ref", metavar="REF", required=False)
@format_option("text", "json")
@db_option
@reports_problems
def verify_command(ref: str | None, output_format: str, db_path: str | None) -> None:
    """Recompute every hash of the record: exit 0 when every chain verifies, 1 naming each problem.

    \b
    Examples:
      reviewflow case verify
      reviewflow case verify LEEDS-2024-001
    """
    with _service(db_path) as svc:
        problems = svc.verify(ref)
        rows = [svc.store.case(ref)] if ref is not None else svc.cases()
    n_cases, n_events = len(rows), sum(r.last_seq for r in rows)
    if output_format == "json":
        echo_json({"cases": n_cases, "events": n_events, "ok": not problems,
                   "problems": [{"case": p.ref, "seq": p.seq, "message": p.message} for p in problems]})
    elif not problems:
        click.echo(f"{n_cases} case{'' if n_cases == 1 else 's'}, {n_events} event{'' if n_events == 1 else 's'}: "
                   "every chain verifies")
    else:
        for p in problems:
            where = f"case {p.ref} seq {p.seq}" if p.seq else f"case {p.ref}"
            echo_error(f"{where}: {p.message}")
        click.echo(f"hint: {len(problems)} problem{'' if len(problems) == 1 else 's'} in {n_cases} case"
                   f"{'' if n_cases == 1 else 's'}; restore the store from a backup and report it", err=True)
    if problems:
        click.get_current_context().exit(EXIT_PROBLEM)


@click.command("cases")
@click.option("--process", "process_id", metavar="ID", default=None, help="Only cases of this process.")
@click.option("--open", "open_only", is_flag=True, help="Only cases that are not closed.")
@format_option("text", "json")
@db_option
@reports_problems
def cases_command(process_id: str | None, open_only: bool, output_format: str, db_path: str | None) -> None:
    """List the cases in the store: reference, pseudonym, process, opened, stage.

    \b
    Examples:
      reviewflow cases --open
      reviewflow cases --process leeds-rapid-review --format json
    """
    with _service(db_path) as svc:
        rows = [{"case": r.ref, "pseudonym": r.pseudonym, "process": r.process_id,
                 "definition_hash": r.definition_hash, "opened": r.opened_at.isoformat(), "stage": r.stage,
                 "closed": r.closed, "events": r.last_seq} for r in svc.cases(process_id, open_only)]
    if output_format == "json":
        echo_json({"cases": rows})
    else:
        from reviewflow.engine.render.case_text import cases_text

        click.echo(cases_text(rows))


@click.command("due")
@click.option("--as-of", "as_of_text", metavar="DATE", required=True,
              help="Today's date (required: the engine never reads the clock).")
@click.option("--within", type=click.IntRange(min=0), default=None, metavar="N",
              help="Only deadlines due within N calendar days of --as-of (overdue ones included).")
@click.option("--role", metavar="ROLE", default=None, help="Only deadlines this role is expected to meet.")
@click.option("--fail-on-overdue", is_flag=True, help="Exit 1 when anything listed is overdue (for cron/CI).")
@format_option("text", "json")
@db_option
@reports_problems
def due_command(as_of_text: str, within: int | None, role: str | None, fail_on_overdue: bool, output_format: str,
                db_path: str | None) -> None:
    """Open deadlines across every case, soonest first, overdue marked (from the stored projection).

    \b
    Examples:
      reviewflow due --as-of 2024-01-03
      reviewflow due --as-of 2024-01-03 --within 7 --role business_manager
      reviewflow due --as-of 2024-01-24 --fail-on-overdue --format json
    """
    from reviewflow.engine.render.case_text import due_text

    as_of = parse_date_arg(as_of_text, "--as-of")
    with _service(db_path) as svc:
        found = svc.due(as_of, within, role)
    rows = [{"case": r.case_ref, "deadline": r.deadline_id, "title": r.title,
             "due": r.due.isoformat() if r.due else None,
             "window_start": r.window_start.isoformat() if r.window_start else None,
             "days_left": (r.due - as_of).days if r.due else None, "status": r.status, "weight": r.weight,
             "owner": r.owner, "escalate_to": r.escalate_to, "citation": r.citation} for r in found]
    overdue = sum(r["status"] == "overdue" for r in rows)
    payload: dict[str, Any] = {
        "as_of": as_of.isoformat(), "within": within, "role": role, "deadlines": rows,
        "summary": {"total": len(rows), "overdue": overdue, "due_soon": sum(r["status"] == "due_soon" for r in rows)},
    }
    if output_format == "json":
        echo_json(payload)
    else:
        click.echo(due_text(payload))
    if fail_on_overdue and overdue:
        click.get_current_context().exit(EXIT_PROBLEM)

