"""Learning and improvement on the command line: `actions`, `action add|update|assess|close`,
`learning add|list|reach`.

Each parses its options, calls reviewflow.engine.oversight.records.OversightService over the case service,
and prints what the write did (the same `WriteReport` as a case write) or the list in the chosen --format.
Refusals are exceptions the CLI's one error path reports.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click
from reviewflow.commands.case_common import (
    actor_option,
    case_service,
    optional_date,
    write_dates,
    write_options,
)
from reviewflow.commands.case_write import echo_write
from reviewflow.commands.common import db_option, echo_rendered, format_option, parse_date_arg
from reviewflow.commands.workspace import processes_option
from reviewflow.engine.render.formats import Output

if TYPE_CHECKING:
    from reviewflow.engine.oversight.records import OversightService


def register(cli: click.Group) -> None:
    cli.add_command(actions_command)
    cli.add_command(action_group)
    cli.add_command(learning_group)


@contextmanager
def oversight(db_path: str | None, *, create: bool = False) -> Iterator[OversightService]:
    from reviewflow.engine.oversight.records import OversightService

    with case_service(db_path, create=create) as svc:
        yield OversightService(svc)


@click.command("actions")
@click.option("--as-of", "as_of_text", metavar="DATE", required=True,
              help="Today's date: statuses and overdue are judged on it (the engine never reads the clock).")
@click.option("--body", metavar="ROLE", default=None, help="Only actions overseen by this body (e.g. rag).")
@click.option("--owner", metavar="AGENCY", default=None, help="Only actions owned by this agency (e.g. police).")
@click.option("--status", metavar="STATUS", default=None, help="Only actions in this status (open, completed, closed).")
@click.option("--overdue", is_flag=True, help="Only actions past their due date and not completed.")
@click.option("--case", "case_ref", metavar="REF", default=None, help="Only actions that come from this case.")
@click.option("--plan", metavar="ID", default=None, help="Only actions of this action plan definition.")
@format_option(Output.ACTIONS)
@db_option
@processes_option
def actions_command(as_of_text: str, body: str | None, owner: str | None, status: str | None, overdue: bool,
                    case_ref: str | None, plan: str | None, output_format: str, db_path: str | None) -> None:
    """List actions from reviews: status, due date (overdue marked), owner, overseeing body, finding.

    \b
    Examples:
      reviewflow actions --as-of 2023-03-08
      reviewflow actions --as-of 2023-03-08 --body rag --overdue
      reviewflow actions --as-of 2023-03-08 --case LEEDS-RR-2021-03 --format json
    """
    from reviewflow.engine.render.oversight_text import ActionList

    as_of = parse_date_arg(as_of_text, "--as-of")
    with oversight(db_path) as svc:
        found = svc.actions(as_of, body=body, owner=owner, status=status, overdue=overdue, case=case_ref, plan=plan)
    filters = {"body": body, "owner": owner, "status": status, "overdue": overdue, "case": case_ref, "plan": plan}
    echo_rendered(Output.ACTIONS, output_format, ActionList(as_of, filters, found))


@click.group("action")
def action_group() -> None:
    """Add an action agreed in response to a review, and record its progress, evidence, impact and closure.

    An action is a record of its own (in the same store as cases, with its own hash chain), so it
    outlives the case's closure or publication. Its due date appears in `due`.

    \b
    Examples:
      reviewflow action add leeds-action-plan LEEDS-A-001 --at 2022-03-01 --by rag \\
          --finding "Escalation not used" --owner-agency partnership \\
          --owner-role "LSCP Training and Development Officer" --within "3 months" \\
          --from-case LEEDS-RR-2021-03 --theme escalation
      reviewflow action assess LEEDS-A-001 --at 2022-09-01 --by rag --rating partly_evident \\
          --narrative "Audit shows escalations recorded in 6 of 10 cases"
    """


@action_group.command("add")
@click.argument("plan_id", metavar="PLAN")
@click.argument("ref", metavar="REF")
@click.option("--finding", metavar="TEXT", default=None, help="The finding or recommendation it answers.")
@click.option("--recommendation", is_flag=True, help="It answers a recommendation (default: a finding).")
@click.option("--owner-agency", metavar="AGENCY", default=None, help="The owning agency (e.g. police, health).")
@click.option("--owner-role", metavar="ROLE", default=None,
              help="The owning role: a post (\"Head of Public Protection\"), never a person's name.")
@click.option("--due", "due_text", metavar="DATE", default=None, help="The due date agreed.")
@click.option("--within", metavar="TIMESCALE", default=None,
              help='Or the timescale agreed: "20 working days", "30 calendar days", "3 months".')
@click.option("--success-criteria", metavar="TEXT", default=None, help="How success will be judged.")
@click.option("--from-case", "from_cases", metavar="REF", multiple=True, help="A case it comes from (repeatable).")
@click.option("--from-review", metavar="NAME", default=None, help="A thematic review or audit it comes from.")
@click.option("--theme", "themes", metavar="THEME", multiple=True, help="A theme of the partnership (repeatable).")
@actor_option
@write_options
def action_add(plan_id: str, ref: str, finding: str | None, recommendation: bool, owner_agency: str | None,
               owner_role: str | None, due_text: str | None, within: str | None, success_criteria: str | None,
               from_cases: tuple[str, ...], from_review: str | None, themes: tuple[str, ...], actor: str | None,
               at_text: str, by: str, as_of_text: str | None, db_path: str | None) -> None:
    """Add action REF to action plan PLAN, as agreed on --at: finding, owner, due date, success criteria.

    Refused, saying why, without an owner (agency and role), without a due date (--due or --within), with
    a due date before --at, or naming a source case that is not in the store.

    \b
    Example:
      reviewflow action add kirklees-action-plan KIR-A-007 --at 2024-05-02 --by cspr_subgroup \\
          --finding "Chronologies not shared across agencies" --owner-agency health \\
          --owner-role "Designated Nurse" --due 2024-09-30 --success-criteria "Audit of 10 cases" \\
          --from-review "Thematic review: neglect 2023"
    """
    from reviewflow.engine.oversight.records import ActionRequest

    at, as_of = write_dates(at_text, as_of_text)
    request = ActionRequest(finding, owner_agency, owner_role, optional_date(due_text, "--due"), within,
                            "recommendation" if recommendation else "finding", from_cases, from_review,
                            success_criteria, themes)
    with oversight(db_path, create=True) as svc:
        echo_write(svc.add_action(plan_id, ref, at, by, as_of, request, actor))


@action_group.command("update")
@click.argument("ref", metavar="REF")
@click.option("--progress", metavar="TEXT", default=None, help="Progress made.")
@click.option("--evidence", metavar="TEXT", default=None, help="Evidence that it was done.")
@click.option("--completed", is_flag=True, help="The owner reports it complete (meets the due date).")
@click.option("--extend-to", "extend_text", metavar="DATE", default=None,
              help="A new due date (by the overseeing body, with --reason); the original is kept.")
@click.option("--reason", metavar="TEXT", default=None, help="Why the due date moves (with --extend-to).")
@actor_option
@write_options
def action_update(ref: str, progress: str | None, evidence: str | None, completed: bool, extend_text: str | None,
                  reason: str | None, actor: str | None, at_text: str, by: str, as_of_text: str | None,
                  db_path: str | None) -> None:
    """Record one change to action REF: progress, evidence, completion, or an extension of its due date.

    \b
    Examples:
      reviewflow action update LEEDS-A-001 --progress "Guidance drafted" --at 2022-04-01 --by business_unit
      reviewflow action update LEEDS-A-001 --extend-to 2022-07-29 --reason "Consultation extended" \\
          --at 2022-05-20 --by rag
      reviewflow action update LEEDS-A-001 --completed --at 2022-07-20 --by owner_agency
    """
    at, as_of = write_dates(at_text, as_of_text)
    extend_to = optional_date(extend_text, "--extend-to")
    with oversight(db_path) as svc:
        echo_write(svc.update_action(ref, at, by, as_of, progress=progress, evidence=evidence, completed=completed,
                                     extend_to=extend_to, reason=reason, actor=actor))


@action_group.command("assess")
@click.argument("ref", metavar="REF")
@click.option("--rating", metavar="RATING", default=None,
              help="The impact rating, one of the plan's values (national base: not_yet_evident, partly_evident, "
                   "evident).")
@click.option("--narrative", metavar="TEXT", default=None, help="What the impact is and how it was assessed.")
@actor_option
@write_options
def action_assess(ref: str, rating: str | None, narrative: str | None, actor: str | None, at_text: str, by: str,
                  as_of_text: str | None, db_path: str | None) -> None:
    """Record an impact assessment of action REF (date, rating, narrative), by the overseeing body.

    Refused when the action does not exist yet, or when the assessment is dated before it was agreed.

    \b
    Example:
      reviewflow action assess LEEDS-A-001 --rating evident --narrative "Escalations recorded in audit" \\
          --at 2022-11-01 --by rag
    """
    at, as_of = write_dates(at_text, as_of_text)
    with oversight(db_path) as svc:
        echo_write(svc.assess(ref, at, by, as_of, rating, narrative, actor))


@action_group.command("close")
@click.argument("ref", metavar="REF")
@click.option("--closure", type=click.Choice(["achieved", "superseded", "not_achieved"]), default="achieved",
              show_default=True, help="How the action ends.")
@click.option("--note", metavar="TEXT", default=None, help="Why it closes.")
@actor_option
@write_options
def action_close(ref: str, closure: str, note: str | None, actor: str | None, at_text: str, by: str,
                 as_of_text: str | None, db_path: str | None) -> None:
    """Close action REF (the overseeing body).

    \b
    Example:
      reviewflow action close LEEDS-A-001 --closure achieved --at 2022-11-01 --by rag
    """
    at, as_of = write_dates(at_text, as_of_text)
    with oversight(db_path) as svc:
        echo_write(svc.close(ref, at, by, as_of, closure, note, actor))


@click.group("learning")
def learning_group() -> None:
    """Learning outputs: briefs, training updates, presentations, practitioner sessions, bulletins.

    A learning output is a record of its own: it may be issued while a review runs (interim learning)
    and after a rapid review with no further review, and names the cases it draws on.

    \b
    Examples:
      reviewflow learning add leeds-learning-outputs LEEDS-L-001 --at 2022-06-01 --by business_unit_team \\
          --kind learning_brief --title "Learning brief: Child C" --audience "Partner agencies" \\
          --channel "Email to training leads" --from-case LEEDS-RR-2021-03
      reviewflow learning list --from 2021-05-01 --to 2022-12-31
    """


@learning_group.command("add")
@click.argument("definition_id", metavar="DEFINITION")
@click.argument("ref", metavar="REF")
@click.option("--kind", "output_kind", metavar="KIND", default=None,
              help="learning_brief, training_update, presentation, practitioner_session, bulletin, briefing "
                   "(as the definition allows).")
@click.option("--title", metavar="TEXT", default=None, help="Its title.")
@click.option("--audience", metavar="TEXT", default=None, help="Who it is for.")
@click.option("--channel", metavar="TEXT", default=None, help="How it reaches them.")
@click.option("--from-case", "from_cases", metavar="REF", multiple=True, help="A case it draws on (repeatable).")
@click.option("--from-review", metavar="NAME", default=None, help="A thematic review or audit it draws on.")
@click.option("--theme", "themes", metavar="THEME", multiple=True, help="A theme of the partnership (repeatable).")
@click.option("--sessions", type=click.IntRange(min=0), default=None, help="Sessions delivered so far.")
@click.option("--attendees", type=click.IntRange(min=0), default=None, help="Attendees so far.")
@actor_option
@write_options
def learning_add(definition_id: str, ref: str, output_kind: str | None, title: str | None, audience: str | None,
                 channel: str | None, from_cases: tuple[str, ...], from_review: str | None, themes: tuple[str, ...],
                 sessions: int | None, attendees: int | None, actor: str | None, at_text: str, by: str,
                 as_of_text: str | None, db_path: str | None) -> None:
    """Add learning output REF under DEFINITION, issued on --at.

    \b
    Example:
      reviewflow learning add leeds-learning-outputs LEEDS-L-002 --at 2022-10-12 --by business_unit_team \\
          --kind practitioner_session --title "Escalation: what gets in the way" \\
          --audience "Frontline practitioners" --channel "Online session" --sessions 2 --attendees 85 \\
          --theme escalation
    """
    from reviewflow.engine.oversight.records import OutputRequest

    at, as_of = write_dates(at_text, as_of_text)
    request = OutputRequest(output_kind, title, audience, channel, from_cases, from_review, themes, sessions,
                            attendees)
    with oversight(db_path, create=True) as svc:
        echo_write(svc.add_output(definition_id, ref, at, by, as_of, request, actor))


@learning_group.command("reach")
@click.argument("ref", metavar="REF")
@click.option("--sessions", type=click.IntRange(min=0), required=True, help="Sessions delivered since last time.")
@click.option("--attendees", type=click.IntRange(min=0), required=True, help="Attendees at them.")
@actor_option
@write_options
def learning_reach(ref: str, sessions: int, attendees: int, actor: str | None, at_text: str, by: str,
                   as_of_text: str | None, db_path: str | None) -> None:
    """Add reach to learning output REF: more sessions delivered and their attendees.

    \b
    Example:
      reviewflow learning reach LEEDS-L-002 --sessions 1 --attendees 40 --at 2022-11-09 --by business_unit_team
    """
    at, as_of = write_dates(at_text, as_of_text)
    with oversight(db_path) as svc:
        echo_write(svc.record_reach(ref, at, by, as_of, sessions, attendees, actor))


@learning_group.command("list")
@click.option("--from", "from_text", metavar="DATE", default=None, help="Issued on or after this date.")
@click.option("--to", "to_text", metavar="DATE", default=None, help="Issued on or before this date.")
@click.option("--kind", "output_kind", metavar="KIND", default=None, help="Only this kind of output.")
@click.option("--case", "case_ref", metavar="REF", default=None, help="Only outputs drawing on this case.")
@format_option(Output.OUTPUTS)
@db_option
@processes_option
def learning_list(from_text: str | None, to_text: str | None, output_kind: str | None, case_ref: str | None,
                  output_format: str, db_path: str | None) -> None:
    """List learning outputs with their reach (sessions, attendees); "interim" when a source review was open.

    \b
    Examples:
      reviewflow learning list --from 2021-05-01 --to 2022-12-31
      reviewflow learning list --case LEEDS-RR-2021-03 --format json
    """
    from reviewflow.engine.render.oversight_text import OutputList

    date_from, date_to = optional_date(from_text, "--from"), optional_date(to_text, "--to")
    with oversight(db_path) as svc:
        found = svc.outputs(date_from, date_to, kind=output_kind, case=case_ref)
    echo_rendered(Output.OUTPUTS, output_format, OutputList(date_from, date_to, found))
