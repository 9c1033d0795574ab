"""R1xx: references between elements: roles, events, stages, fields and sources must exist."""

from __future__ import annotations

from collections.abc import Iterator

from reviewflow.engine.definition.model import NOWHERE, ChairRotation, Citation, Process
from reviewflow.engine.errors import Location, Severity, did_you_mean
from reviewflow.engine.lint.registry import LintContext, Problem, rule, unknown


def _role_refs(process: Process) -> Iterator[tuple[str, str, Location]]:
    """Every (role id, where, location) a definition mentions."""
    for role in process.roles.values():
        for member in role.members:
            yield member, f"role {role.id} members", role.location
        if isinstance(role.chair, ChairRotation):
            for member in role.chair.among:
                yield member, f"role {role.id} chair rotation", role.location
        elif role.chair is not None:
            yield role.chair, f"role {role.id} chair", role.location
    for stage in process.stages.values():
        if stage.owner is not None:
            yield stage.owner, f"stage {stage.id} owner", stage.location
    for event in process.events.values():
        for by in event.by:
            yield by, f"event {event.id} by", event.location
    for gate in process.gates.values():
        if gate.recommended_by is not None:
            yield gate.recommended_by, f"gate {gate.id} recommended_by", gate.location
        yield gate.decided_by, f"gate {gate.id} decided_by", gate.location
        if gate.dispute is not None:
            loc = gate.dispute.location if gate.dispute.location.line else gate.location
            yield gate.dispute.decided_by, f"gate {gate.id} dispute.decided_by", loc
        for option in gate.options:
            for recipient in option.notify:
                yield recipient, f"gate {gate.id} option {option.id} notify", option.location
    for deadline in process.deadlines.values():
        if deadline.escalate_to is not None:
            yield deadline.escalate_to, f"deadline {deadline.id} escalate_to", deadline.location
        if deadline.authority is not None:
            for power in ("extend", "pause", "waive"):
                for who in getattr(deadline.authority, power):
                    yield who, f"deadline {deadline.id} authority.{power}", deadline.location
    for power in ("extend", "pause", "waive"):
        for who in getattr(process.deadline_authority, power):
            yield who, f"deadline_authority.{power}", process.location
    for gate in process.gates.values():
        if gate.reconsider is not None:
            for who in gate.reconsider.by:
                yield who, f"gate {gate.id} reconsider.by", _at(gate.reconsider.location, gate.location)
    for hold in process.holds.values():
        for who in hold.by:
            yield who, f"hold {hold.id} by", hold.location


def _at(location: Location, fallback: Location) -> Location:
    return location if location.line else fallback


CITED_SECTIONS = ("roles", "events", "stages", "deadlines", "gates", "holds")


def _citations(process: Process) -> Iterator[tuple[Citation, str, Location]]:
    for section in CITED_SECTIONS:
        elements = getattr(process, section)
        for element in elements.values():
            if element.cite is not None:
                yield element.cite, f"{section}.{element.id}", element.location
    for theme in process.themes.values():
        if theme.cite is not None:
            yield theme.cite, f"themes.{theme.id}", theme.location
        for number, response in enumerate(theme.responses, start=1):
            if response.cite is not None:
                yield response.cite, f"themes.{theme.id} response {number}", theme.location


@rule("R101", "unknown-role", Severity.ERROR, "A reference names a role that is not defined.")
def unknown_role(ctx: LintContext) -> Iterator[Problem]:
    """Owners, `by`, members, chairs and rotations, recommenders, deciders, dispute deciders,
    notification recipients, `escalate_to` and authority lists must name roles under `roles:`.
    A local role's `replaces` must name a role of the base.

    Fix: correct the spelling (the hint names the nearest role) or add the role under `roles:`.

    Passing::

        roles: {partners: {title: Safeguarding partners, kind: body}}
        stages: {decision: {title: Decision, owner: partners}}

    Failing::

        roles: {partners: {title: Safeguarding partners, kind: body}}
        stages: {decision: {title: Decision, owner: partnrs}}
    """
    for name, where, location in _role_refs(ctx.process):
        if name not in ctx.role_ids:
            yield Problem(unknown("role", name, where), location, ctx.role_hint(name))
    if ctx.base is not None:
        for role in ctx.process.roles.values():
            inherited = role.id in ctx.base.roles and ctx.base.roles[role.id].replaces == role.replaces
            if role.replaces and role.replaces not in ctx.base.roles and not inherited:
                yield Problem(unknown("base role", role.replaces, f"role {role.id} replaces"), role.location,
                              did_you_mean(role.replaces, ctx.base.roles))


@rule("R102", "unknown-event", Severity.ERROR,
      "A transition, task, `opens_with`, `notified_by`, `reconsider` or hold names an undefined event.")
def unknown_event(ctx: LintContext) -> Iterator[Problem]:
    """Transitions (`on: - event:`), a task's `done_by`, `opens_with`, a gate option's `notified_by`, a
    hold's `blocks` and a gate's `reconsider.prompted_by` (which may also name `<gate>.decided`) must name
    an event under `events:`. (Deadline anchors and `met_by` are checked by D301 and D302.)

    Fix: correct the spelling (the hint names the nearest event) or define the event.

    Passing::

        events: {meeting_held: {title: Meeting held, by: [partners]}}
        stages:
          rapid_review: {title: Rapid review, on: [{event: meeting_held, to: decision}]}

    Failing::

        stages:
          rapid_review: {title: Rapid review, on: [{event: meeting_hold, to: decision}]}
    """
    events = ctx.process.events
    for stage in ctx.process.stages.values():
        for transition in stage.transitions:
            if transition.event not in events:
                hint = did_you_mean(transition.event, events)
                if transition.event in ctx.event_names:
                    hint = "a gate's events cannot move a stage; the gate's options say where the case goes"
                yield Problem(unknown("event", transition.event, f"stage {stage.id} transition"),
                              transition.location, hint)
        for task in stage.tasks:
            if task.done_by not in events:
                yield Problem(unknown("event", task.done_by, f"task {stage.id}.{task.id} done_by"),
                              task.location, did_you_mean(task.done_by, events))
    opens_with = ctx.process.opens_with
    if opens_with is not None and opens_with not in events:
        yield Problem(unknown("event", opens_with, "opens_with"), ctx.process.location,
                      did_you_mean(opens_with, events))
    for gate in ctx.process.gates.values():
        for option in gate.options:
            for recipient, name in option.notified_by.items():
                if name not in events:
                    yield Problem(unknown("event", name, f"gate {gate.id} option {option.id} notified_by {recipient}"),
                                  option.location, did_you_mean(name, events))
        if gate.reconsider is not None:
            for name in gate.reconsider.prompted_by:
                if name not in ctx.event_names:
                    yield Problem(unknown("event", name, f"gate {gate.id} reconsider.prompted_by"),
                                  _at(gate.reconsider.location, gate.location), did_you_mean(name, ctx.event_names))
    for hold in ctx.process.holds.values():
        for name in hold.blocks:
            if name not in events:
                yield Problem(unknown("event", name, f"hold {hold.id} blocks"), hold.location,
                              did_you_mean(name, events))


@rule("R103", "unknown-stage", Severity.ERROR, "A transition, gate or gate option names an undefined stage.")
def unknown_stage(ctx: LintContext) -> Iterator[Problem]:
    """A transition's `to`, a gate's `at` and a gate option's `to` must name a stage under `stages:`.

    Fix: correct the spelling (the hint names the nearest stage) or add the stage.

    Passing::

        gates:
          review_decision: {title: Decide, at: decision, decided_by: partners,
                            options: {none: {title: No review, to: closed}}}

    Failing::

        gates:
          review_decision: {title: Decide, at: decison, decided_by: partners,
                            options: {none: {title: No review, to: closed}}}
    """
    stages = ctx.process.stages
    for stage in stages.values():
        for transition in stage.transitions:
            if transition.to not in stages:
                yield Problem(unknown("stage", transition.to, f"stage {stage.id} transition on {transition.event}"),
                              transition.location, did_you_mean(transition.to, stages))
    for gate in ctx.process.gates.values():
        if gate.at not in stages:
            yield Problem(unknown("stage", gate.at, f"gate {gate.id} at"), gate.location,
                          did_you_mean(gate.at, stages))
        for option in gate.options:
            if option.to is not None and option.to not in stages:
                yield Problem(unknown("stage", option.to, f"gate {gate.id} option {option.id} to"),
                              option.location, did_you_mean(option.to, stages))


@rule("R104", "unknown-field", Severity.ERROR,
      "An event's `sets`/`may_set`, a gate option's `sets` or a task's `per` names an undefined field.")
def unknown_field(ctx: LintContext) -> Iterator[Problem]:
    """Fields an event carries (`sets`, `may_set`), fields a decision fixes (a gate option's `sets`) and
    the list a per-agency task runs over (`per`) must be defined under `fields:`.

    Fix: correct the spelling (the hint names the nearest field) or define the field.

    Passing::

        fields: {harm: {title: Harm, type: enum, values: [died, seriously_harmed]}}
        events: {became_aware: {title: Aware, by: [local_authority], sets: [harm]}}

    Failing::

        events: {became_aware: {title: Aware, by: [local_authority], sets: [harms]}}
    """
    fields = ctx.process.fields
    for event in ctx.process.events.values():
        for key, names in (("sets", event.sets), ("may_set", event.may_set)):
            for name in names:
                if name not in fields:
                    yield Problem(unknown("field", name, f"event {event.id} {key}"), event.location,
                                  did_you_mean(name, fields))
    for gate in ctx.process.gates.values():
        for option in gate.options:
            for name in option.sets:
                if name not in fields:
                    yield Problem(unknown("field", name, f"gate {gate.id} option {option.id} sets"),
                                  option.location, did_you_mean(name, fields))
    for stage in ctx.process.stages.values():
        for task in stage.tasks:
            if task.per not in fields:
                lists = [f.id for f in fields.values() if f.type == "list"]
                yield Problem(unknown("field", task.per, f"task {stage.id}.{task.id} per"), task.location,
                              did_you_mean(task.per, lists))


@rule("R105", "unknown-source", Severity.ERROR, "A citation names a source that is not under `sources:`.")
def unknown_source(ctx: LintContext) -> Iterator[Problem]:
    """Every `cite: {source: X}` must name a key of `sources:` (a local definition also sees its
    base's sources).

    Fix: correct the source key or add it under `sources:` with a title and a file or url.

    Passing::

        sources: {SEED-X: {title: Procedure, url: "https://example.org"}}
        roles: {local_authority: {title: LA, cite: {source: SEED-X, basis: LAW}}}

    Failing::

        roles: {local_authority: {title: LA, cite: {source: SEED-Y, basis: LAW}}}
    """
    sources = ctx.process.sources
    for cite, where, owner in _citations(ctx.process):
        if cite.source not in sources:
            yield Problem(unknown("source", cite.source, f"{where} cite"), ctx.cite_at(cite, owner),
                          did_you_mean(cite.source, sources))


@rule("R106", "per-not-a-list", Severity.ERROR, "A per-agency task's `per` field is not a list field.")
def per_not_a_list(ctx: LintContext) -> Iterator[Problem]:
    """A task runs once per member of its `per` field, so that field must have `type: list`.

    Fix: point `per` at a list field (usually `agencies`) or change the field's type to list.

    Passing::

        fields: {agencies: {title: Agencies, type: list, values: [police, health]}}
        ... tasks: {agency_returns: {title: Returns, per: agencies, done_by: scoping_returned}}

    Failing::

        fields: {harm: {title: Harm, type: enum, values: [died, seriously_harmed]}}
        ... tasks: {agency_returns: {title: Returns, per: harm, done_by: scoping_returned}}
    """
    fields = ctx.process.fields
    lists = sorted(f.id for f in fields.values() if f.type == "list")
    for stage in ctx.process.stages.values():
        for task in stage.tasks:
            field_def = fields.get(task.per)
            if field_def is not None and field_def.type != "list":
                hint = f"list fields: {', '.join(lists)}" if lists else "define a field with type: list"
                yield Problem(f'task {stage.id}.{task.id} runs per "{task.per}", which is {"an" if field_def.type[0] in "aeiou" else "a"} {field_def.type} field, '
                              "not a list", task.location, hint)


@rule("R107", "missing-citation", Severity.WARNING, "A mandatory or locked item has no `cite:`.")
def missing_citation(ctx: LintContext) -> Iterator[Problem]:
    """Mandatory and locked items bind local definitions, so each should say where the duty comes
    from. Items written in the base's file (or inherited unchanged) are the base's concern.

    Fix: add `cite: {source: <key of sources>, section: ..., basis: LAW|WT|PANEL|LOCAL}`.

    Passing::

        deadlines:
          notify_panel: {title: Notify, due: {working_days: 5, after: became_aware},
                         met_by: [notified_panel], mandatory: true, cite: {source: WT, basis: WT}}

    Failing::

        deadlines:
          notify_panel: {title: Notify, due: {working_days: 5, after: became_aware},
                         met_by: [notified_panel], mandatory: true}
    """
    base, own_file = ctx.base, ctx.process_location.file
    for section in ("roles", "events", "stages", "deadlines", "gates"):
        inherited = getattr(base, section) if base is not None else {}
        for element in getattr(ctx.process, section).values():
            binding = getattr(element, "mandatory", False) or getattr(element, "locked", False)
            if not binding or element.cite is not None or inherited.get(element.id) == element:
                continue
            if base is not None and element.location.file not in (own_file, NOWHERE.file):
                continue  # written in the base's file: the base's concern
            yield Problem(f"{section}.{element.id} is mandatory or locked but cites no source", element.location,
                          "add `cite: {source: ..., section: ..., basis: LAW|WT|PANEL|LOCAL}` saying where "
                          "the duty comes from")


@rule("R108", "uncited-element", Severity.WARNING, "Elements written in this file cite no source.")
def uncited_element(ctx: LintContext) -> Iterator[Problem]:
    """Every statutory or local step should say where it comes from: each role, event, non-final stage,
    deadline, gate and hold written in this file (a local definition: added or changed here, and without
    a citation inherited from its base) should carry `cite:`. Reported once per file, naming them all.

    Fix: add `cite: {source: <key of sources>, section: ..., basis: LAW|WT|PANEL|LOCAL}` to each; where the
    source says nothing, cite what the step rests on and record the choice in `notes:`.

    Passing::

        events:
          notified_panel: {title: Panel notified, by: [local_authority],
                           cite: {source: WT, section: "ch. 5", basis: LAW}}

    Failing::

        events:
          notified_panel: {title: Panel notified, by: [local_authority]}
    """
    own_file = ctx.process_location.file
    counted, missing = 0, []
    for section in CITED_SECTIONS:
        for element in getattr(ctx.process, section).values():
            if section == "stages" and element.final:
                continue
            if element.location.file not in (own_file, NOWHERE.file):
                continue  # inherited: the base's concern
            counted += 1
            if element.cite is None:
                missing.append(f"{section}.{element.id}")
    if missing:
        shown = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
        yield Problem(f"{len(missing)} of {counted} elements written here cite no source: {shown}",
                      ctx.process_location,
                      "add `cite: {source: ..., section: ..., basis: LAW|WT|PANEL|LOCAL}` to each; the bundled "
                      "definitions cite a seed file and section for every statutory or local step")


@rule("R109", "unknown-deadline", Severity.ERROR, "A hold pauses a deadline that is not defined.")
def unknown_deadline(ctx: LintContext) -> Iterator[Problem]:
    """The deadlines a hold `pauses` must be defined under `deadlines:`.

    Fix: correct the spelling (the hint names the nearest deadline) or define the deadline.

    Passing::

        holds: {inquest: {title: Inquest, by: [partners], pauses: [review_target], blocks: [published]}}

    Failing::

        holds: {inquest: {title: Inquest, by: [partners], pauses: [review_targt], blocks: [published]}}
    """
    deadlines = ctx.process.deadlines
    for hold in ctx.process.holds.values():
        for name in hold.pauses:
            if name not in deadlines:
                yield Problem(unknown("deadline", name, f"hold {hold.id} pauses"), hold.location,
                              did_you_mean(name, deadlines))
