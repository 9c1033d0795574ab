"""P2xx: the stage graph (one start, everything reachable, always a way to a final stage) and gates."""

from __future__ import annotations

from collections.abc import Iterator

from reviewflow.engine.errors import Location, Severity
from reviewflow.engine.lint.registry import LintContext, Problem, rule
from reviewflow.engine.lint.stagegraph import (  # noqa: F401  (re-exported for the conformance rules)
    Edge,
    edges,
    final_ids,
    initial_ids,
    path_avoiding,
    reachable,
    successors,
)


def graph_of(ctx: LintContext) -> dict[str, list[Edge]]:
    cached = ctx.cache.get("successors")
    if cached is None:
        cached = successors(edges(ctx.process))
        ctx.cache["successors"] = cached
    return cached  # type: ignore[return-value]


def reachable_from_start(ctx: LintContext) -> set[str]:
    return reachable(initial_ids(ctx.process), graph_of(ctx))


@rule("P201", "no-initial-stage", Severity.ERROR, "No stage is marked `initial: true`.")
def no_initial_stage(ctx: LintContext) -> Iterator[Problem]:
    """A case opens in exactly one stage, the one marked `initial: true`.

    Fix: mark the stage a new case starts in with `initial: true`.

    Passing::

        stages:
          aware: {title: Aware, initial: true, on: [{event: notified_panel, to: closed}]}
          closed: {title: Closed, final: true}

    Failing::

        stages:
          aware: {title: Aware, on: [{event: notified_panel, to: closed}]}
          closed: {title: Closed, final: true}
    """
    if not initial_ids(ctx.process):
        names = ", ".join(ctx.process.stages) or "(no stages defined)"
        yield Problem("no stage is marked `initial: true`", _initial_removed_at(ctx) or ctx.process_location,
                      f"mark the stage a case opens in with `initial: true`; stages: {names}")


def _initial_removed_at(ctx: LintContext) -> Location | None:
    """Where this file removed the base's initial stage with `null`, if it did."""
    starts = initial_ids(ctx.base) if ctx.base is not None else []
    return next((found for stage in starts if (found := ctx.removed_at(("stages", stage)))), None)


@rule("P202", "several-initial-stages", Severity.ERROR, "More than one stage is marked `initial: true`.")
def several_initial_stages(ctx: LintContext) -> Iterator[Problem]:
    """Exactly one stage may be initial; a second one is ambiguous.

    Fix: keep `initial: true` on one stage only.

    Passing::

        stages: {aware: {title: Aware, initial: true}, review: {title: Review}}

    Failing::

        stages: {aware: {title: Aware, initial: true}, review: {title: Review, initial: true}}
    """
    initial = initial_ids(ctx.process)
    for stage_id in initial[1:]:
        yield Problem(f'stage {stage_id} is initial too, but "{initial[0]}" is already the initial stage',
                      ctx.process.stages[stage_id].location,
                      f"keep `initial: true` on one stage only (now on: {', '.join(initial)})")


@rule("P203", "unreachable-stage", Severity.ERROR, "A stage cannot be reached from the initial stage.")
def unreachable_stage(ctx: LintContext) -> Iterator[Problem]:
    """Every stage must be reachable from the initial stage through transitions and gate options.

    Fix: add a transition or gate option that leads to the stage, or remove the stage.

    Passing::

        stages:
          aware: {title: Aware, initial: true, on: [{event: notified_panel, to: closed}]}
          closed: {title: Closed, final: true}

    Failing::

        stages:
          aware: {title: Aware, initial: true, on: [{event: notified_panel, to: closed}]}
          review: {title: Review, on: [{event: published, to: closed}]}
          closed: {title: Closed, final: true}
    """
    if not initial_ids(ctx.process):
        return
    seen = reachable_from_start(ctx)
    for stage in ctx.process.stages.values():
        if stage.id not in seen:
            yield Problem(f"stage {stage.id} cannot be reached from the initial stage", stage.location,
                          f'add a transition (`on: - {{event: ..., to: {stage.id}}}`) or a gate option '
                          "leading here, or remove the stage")


@rule("P204", "trap-stage", Severity.ERROR, "A non-final stage has no transition or gate option out of it.")
def trap_stage(ctx: LintContext) -> Iterator[Problem]:
    """A case in a non-final stage must have a way out: a transition, or a gate at the stage.

    Fix: add a transition or a gate at the stage, or mark it `final: true` with an `outcome`.

    Passing::

        review: {title: Review, on: [{event: published, to: published}]}

    Failing::

        review: {title: Review}
    """
    succ = graph_of(ctx)
    for stage in ctx.process.stages.values():
        if not stage.final and not succ.get(stage.id):
            yield Problem(f"stage {stage.id} is not final but has no way out", stage.location,
                          "add a transition (`on:`) or a gate `at` this stage, or mark it `final: true`")


@rule("P205", "no-path-to-final", Severity.ERROR, "No final stage can be reached from a reachable stage.")
def no_path_to_final(ctx: LintContext) -> Iterator[Problem]:
    """From every reachable stage some final stage must be reachable, or a case could loop forever.
    (A stage with no way out at all is reported as P204 instead.)

    Fix: add a transition from the loop towards a final stage.

    Passing::

        a: {title: A, initial: true, on: [{event: x, to: b}]}
        b: {title: B, on: [{event: y, to: done}]}
        done: {title: Done, final: true}

    Failing::

        a: {title: A, initial: true, on: [{event: x, to: b}]}
        b: {title: B, on: [{event: y, to: a}]}
        done: {title: Done, final: true}
    """
    succ = graph_of(ctx)
    finals = final_ids(ctx.process)
    for stage_id in sorted(reachable_from_start(ctx)):
        stage = ctx.process.stages[stage_id]
        if stage.final or not succ.get(stage_id):
            continue
        if not reachable([stage_id], succ) & finals:
            hint = (f"add a transition towards a final stage ({', '.join(sorted(finals))})" if finals
                    else "no stage is `final: true`; mark the stages where a case ends as final")
            yield Problem(f"no final stage can be reached from stage {stage_id}", stage.location, hint)


@rule("P206", "transition-from-final", Severity.ERROR, "A final stage has transitions.")
def transition_from_final(ctx: LintContext) -> Iterator[Problem]:
    """A case in a final stage is finished; nothing may move it on.

    Fix: remove the transition, or make the stage non-final.

    Passing::

        closed: {title: Closed, final: true, outcome: No further review}

    Failing::

        closed: {title: Closed, final: true, on: [{event: reopened, to: review}]}
    """
    for stage in ctx.process.stages.values():
        if stage.final:
            for transition in stage.transitions:
                yield Problem(f"final stage {stage.id} has a transition on {transition.event}",
                              transition.location, "remove the transition, or drop `final: true` from the stage")


@rule("P207", "option-without-target", Severity.ERROR, "A gate option does not say which stage it leads to.")
def option_without_target(ctx: LintContext) -> Iterator[Problem]:
    """Every option of a gate must lead somewhere: `to: <stage>`.

    Fix: add `to:` naming the stage the case moves to when this option is decided.

    Passing::

        options: {none: {title: No further review, to: closed}}

    Failing::

        options: {none: {title: No further review}}
    """
    stages = ", ".join(ctx.process.stages)
    for gate in ctx.process.gates.values():
        for option in gate.options:
            if option.to is None:
                yield Problem(f"gate {gate.id} option {option.id} has no target stage", option.location,
                              f"add `to:` with one of: {stages}")


@rule("P208", "recommender-decides", Severity.ERROR, "A gate's recommender (or dispute decider) is its decider.")
def recommender_decides(ctx: LintContext) -> Iterator[Problem]:
    """Separation of duties: the role that recommends may not be the role that decides, and a
    dispute must go to someone other than the deciders.

    Fix: give `recommended_by` / `dispute.decided_by` a different role from `decided_by`.

    Passing::

        review_decision: {..., recommended_by: review_group, decided_by: partners,
                          dispute: {decided_by: scrutineer}}

    Failing::

        review_decision: {..., recommended_by: partners, decided_by: partners}
    """
    for gate in ctx.process.gates.values():
        if gate.recommended_by is not None and gate.recommended_by == gate.decided_by:
            yield Problem(f'gate {gate.id} is recommended and decided by the same role "{gate.decided_by}"',
                          gate.location, "separation of duties: give `recommended_by` a different role")
        if gate.dispute is not None and gate.dispute.decided_by == gate.decided_by:
            location = gate.dispute.location if gate.dispute.location.line else gate.location
            yield Problem(f'gate {gate.id} sends disputes to its own decider "{gate.decided_by}"', location,
                          "name an independent role (e.g. the scrutineer) in `dispute.decided_by`")


@rule("P209", "decider-without-members", Severity.ERROR, "An all/majority gate's deciding role has no members.")
def decider_without_members(ctx: LintContext) -> Iterator[Problem]:
    """Under `rule: all` or `rule: majority` each member of `decided_by` decides, so that role must
    list `members`.

    Fix: list the members of the deciding body, or use `rule: single`.

    Passing::

        roles: {partners: {title: Partners, kind: body, members: [local_authority, police, health]}}
        gates: {review_decision: {..., decided_by: partners, rule: all}}

    Failing::

        roles: {partners: {title: Partners, kind: body}}
        gates: {review_decision: {..., decided_by: partners, rule: all}}
    """
    for gate in ctx.process.gates.values():
        role = ctx.process.roles.get(gate.decided_by)
        if gate.rule != "single" and role is not None and not role.members:
            yield Problem(f'gate {gate.id} uses rule "{gate.rule}" but role {role.id} has no members',
                          gate.location, f"add `members:` to role {role.id}, or use `rule: single`")


@rule("P210", "gate-at-final-stage", Severity.ERROR, "A gate is open in a final stage.")
def gate_at_final_stage(ctx: LintContext) -> Iterator[Problem]:
    """A gate can only be decided while the case is open; a final stage never is.

    Fix: put the gate `at` the non-final stage where the decision is taken.

    Passing::

        review_decision: {..., at: decision}

    Failing::

        review_decision: {..., at: closed}   # closed is final: true
    """
    for gate in ctx.process.gates.values():
        stage = ctx.process.stages.get(gate.at)
        if stage is not None and stage.final:
            open_stages = [s.id for s in ctx.process.stages.values() if not s.final]
            yield Problem(f"gate {gate.id} is at final stage {stage.id}", gate.location,
                          f"move the gate to a non-final stage: {', '.join(open_stages)}")


@rule("P211", "several-gates-at-stage", Severity.ERROR, "Two gates are open in the same stage.")
def several_gates_at_stage(ctx: LintContext) -> Iterator[Problem]:
    """A stage holds at most one gate, so it is always clear which decision is pending.

    Fix: split the stage in two, one per gate.

    Passing::

        gates: {review_decision: {..., at: decision}, publish: {..., at: review}}

    Failing::

        gates: {review_decision: {..., at: decision}, publish: {..., at: decision}}
    """
    first: dict[str, str] = {}
    for gate in ctx.process.gates.values():
        if gate.at in first:
            yield Problem(f'gate {gate.id} is at stage {gate.at}, which already holds gate {first[gate.at]}',
                          gate.location, "give each gate its own stage")
        else:
            first[gate.at] = gate.id


@rule("P212", "free-event-unscoped", Severity.WARNING,
      "An event that no transition or task names has no scope (`anytime` or `when`).")
def free_event_unscoped(ctx: LintContext) -> Iterator[Problem]:
    """An event that no stage names (in a transition or as a task's `done_by`) moves nothing; unless it is
    scoped it may be recorded in every non-final stage, before the case has reached the point where it
    makes sense (a Panel response before any notification, action monitoring before an action exists).
    Say where it belongs: `anytime: true` (every open stage, on purpose) or a `when:` guard.

    Fix: add `when: 'recorded(<the event it follows>)'` (or another guard), or `anytime: true`.

    Passing::

        events:
          action_progress_monitored: {title: Progress monitored, by: [subgroup], repeat: true,
                                      when: 'recorded(improvement_actions_agreed)'}

    Failing::

        events:
          action_progress_monitored: {title: Progress monitored, by: [subgroup], repeat: true}
    """
    process = ctx.process
    named = {t.event for s in process.stages.values() for t in s.transitions}
    named |= {t.done_by for s in process.stages.values() for t in s.tasks}
    for event in process.events.values():
        if event.id in named or event.anytime or event.when is not None or event.id == process.opens_with:
            continue
        yield Problem(f"event {event.id} is named by no transition or task and has no scope: it may be recorded "
                      "in every open stage", event.location,
                      f"add `when: 'recorded(...)'` saying what {event.id} follows, or `anytime: true`")


@rule("P213", "notified-by-not-notified", Severity.ERROR,
      "A gate option's `notified_by` names a recipient the option does not notify.")
def notified_by_not_notified(ctx: LintContext) -> Iterator[Problem]:
    """`notified_by: {recipient: event}` says which event tells each recipient of `notify`; a recipient not
    in `notify` is owed nothing, so the entry is a mistake (usually a misspelt role).

    Fix: add the recipient to `notify`, or correct its name.

    Passing::

        options: {local_cspr: {title: CSPR, to: cspr, notify: [national_panel, ofsted],
                               notified_by: {national_panel: commissioning_notified, ofsted: commissioning_notified}}}

    Failing::

        options: {local_cspr: {title: CSPR, to: cspr, notify: [national_panel],
                               notified_by: {ofsted: commissioning_notified}}}
    """
    for gate in ctx.process.gates.values():
        for option in gate.options:
            for recipient in option.notified_by:
                if recipient not in option.notify:
                    yield Problem(f"gate {gate.id} option {option.id}: notified_by names {recipient}, which the "
                                  "option does not notify", option.location,
                                  f"notify: [{', '.join(option.notify)}]; add {recipient} there or correct the name")


@rule("P214", "option-sets-bad-value", Severity.ERROR,
      "A gate option's `sets` gives a field a value the field cannot hold.")
def option_sets_bad_value(ctx: LintContext) -> Iterator[Problem]:
    """A decision fixes fields with `sets: {field: value}` (or a list of values); each value must fit the
    field: one of an enum's `values`, true/false for a bool, a whole number for an int, text for text.

    Fix: use one of the field's values (the hint lists them), or add the value to the field.

    Passing::

        options: {local_cspr: {title: CSPR, to: cspr, sets: {review_type: local_cspr}}}

    Failing::

        options: {local_cspr: {title: CSPR, to: cspr, sets: {review_type: local_review}}}
    """
    fields = ctx.process.fields
    for gate in ctx.process.gates.values():
        for option in gate.options:
            for name, values in option.sets.items():
                f = fields.get(name)
                if f is None:
                    continue  # R104
                bad = [v for v in values if not _fits(f.type, f.values, v)]
                if bad:
                    allowed = f"values: {', '.join(f.values)}" if f.values else f"a {f.type} value"
                    yield Problem(f"gate {gate.id} option {option.id} sets {name} to "
                                  f"{', '.join(map(str, bad))}, which {name} cannot hold", option.location,
                                  allowed)


def _fits(kind: str, allowed: tuple[str, ...], value: object) -> bool:
    if kind in ("enum", "list"):
        return isinstance(value, str) and (not allowed or value in allowed)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, str)
