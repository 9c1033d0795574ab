"""P2xx: the stage graph (one start, everything reachable, always a way to a final stage) and gates."""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass

from reviewflow.engine.definition.model import Process
from reviewflow.engine.errors import Location, Severity
from reviewflow.engine.lint.registry import LintContext, Problem, rule


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str  # "on <event>" or "gate <gate> option <option>"
    location: Location


def edges(process: Process) -> list[Edge]:
    """Every move between known stages: transitions, and gate options from the gate's stage."""
    stages = process.stages
    found: list[Edge] = []
    for stage in stages.values():
        for transition in stage.transitions:
            if transition.to in stages:
                found.append(Edge(stage.id, transition.to, f"on {transition.event}", transition.location))
    for gate in process.gates.values():
        if gate.at not in stages:
            continue
        for option in gate.options:
            if option.to is not None and option.to in stages:
                found.append(Edge(gate.at, option.to, f"gate {gate.id} option {option.id}", option.location))
    return found


def successors(graph_edges: Iterable[Edge]) -> dict[str, list[Edge]]:
    out: dict[str, list[Edge]] = {}
    for edge in graph_edges:
        out.setdefault(edge.source, []).append(edge)
    return out


def reachable(starts: Iterable[str], succ: Mapping[str, list[Edge]], avoid: Collection[str] = ()) -> set[str]:
    """Stages reachable from `starts` (included) without entering `avoid`."""
    seen = {s for s in starts if s not in avoid}
    queue = deque(seen)
    while queue:
        for edge in succ.get(queue.popleft(), ()):
            if edge.target not in seen and edge.target not in avoid:
                seen.add(edge.target)
                queue.append(edge.target)
    return seen


def path_avoiding(start: str, goals: Collection[str], succ: Mapping[str, list[Edge]],
                  avoid: Collection[str]) -> list[Edge] | None:
    """A shortest list of edges from `start` to any of `goals` that never enters `avoid`."""
    if start in avoid:
        return None
    parent: dict[str, Edge | None] = {start: None}
    queue = deque([start])
    while queue:
        here = queue.popleft()
        if here in goals:
            path: list[Edge] = []
            step = parent[here]
            while step is not None:
                path.append(step)
                step = parent[step.source]
            return path[::-1]
        for edge in succ.get(here, ()):
            if edge.target not in parent and edge.target not in avoid:
                parent[edge.target] = edge
                queue.append(edge.target)
    return None


def initial_ids(process: Process) -> list[str]:
    return [s.id for s in process.stages.values() if s.initial]


def final_ids(process: Process) -> set[str]:
    return {s.id for s in process.stages.values() if s.final}


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
        yield Problem("no stage is marked `initial: true`", ctx.process_location,
                      f"mark the stage a case opens in with `initial: true`; stages: {names}")


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
