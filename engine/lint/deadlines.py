"""D3xx: deadlines: anchors and met_by are events, windows are the right way round, and the deadline
can be met on some path through the stages."""

from __future__ import annotations

from collections.abc import Iterator

from reviewflow.engine.definition.model import GATE_EVENT_SUFFIXES, DeadlineRule, Process
from reviewflow.engine.errors import Location, Severity, did_you_mean
from reviewflow.engine.lint.graph import graph_of, initial_ids, reachable, reachable_from_start
from reviewflow.engine.lint.registry import LintContext, Problem, rule, unknown


def _rules(process: Process) -> Iterator[tuple[DeadlineRule, str, Location]]:
    """Every deadline rule: the deadlines' and the tasks' `due`, with a name and a fallback location."""
    for deadline in process.deadlines.values():
        yield deadline.rule, f"deadline {deadline.id}", deadline.location
    for stage in process.stages.values():
        for task in stage.tasks:
            if task.due is not None:
                yield task.due, f"task {stage.id}.{task.id} due", task.location


def _rule_at(deadline_rule: DeadlineRule, owner: Location) -> Location:
    return deadline_rule.location if deadline_rule.location.line else owner


def stages_for_event(process: Process, name: str) -> set[str]:
    """The stages in which `name` can be recorded (an approximation of the runtime's rule).

    Anytime events: every non-final stage. Gate events: the gate's stage. Events that a transition,
    a task or `opens_with` uses: those stages. Events no stage uses are free notes of fact and can
    be recorded in every non-final stage.
    """
    open_stages = {s.id for s in process.stages.values() if not s.final}
    gate_id, _, suffix = name.rpartition(".")
    if suffix in GATE_EVENT_SUFFIXES and gate_id in process.gates:
        return {process.gates[gate_id].at} & set(process.stages)
    event = process.events.get(name)
    if event is None:
        return set()
    if event.anytime:
        return open_stages
    bound = {s.id for s in process.stages.values()
             if any(t.event == name for t in s.transitions) or any(t.done_by == name for t in s.tasks)}
    if name == process.opens_with:
        bound.update(initial_ids(process))
    return bound or open_stages


@rule("D301", "anchor-not-event", Severity.ERROR, "A deadline counts from something that is not an event.")
def anchor_not_event(ctx: LintContext) -> Iterator[Problem]:
    """The anchor of `due`/`window` (after/before) must be an event, or a gate's `<gate>.decided` or
    `<gate>.recommended`.

    Fix: name the event whose date starts the clock (the hint gives the nearest one).

    Passing::

        due: {working_days: 5, after: became_aware}

    Failing::

        due: {working_days: 5, after: became_awre}
    """
    for deadline_rule, where, owner in _rules(ctx.process):
        if deadline_rule.anchor not in ctx.event_names:
            yield Problem(unknown("event", deadline_rule.anchor, f"{where} anchor"), _rule_at(deadline_rule, owner),
                          did_you_mean(deadline_rule.anchor, ctx.event_names))


@rule("D302", "met-by-not-event", Severity.ERROR, "A deadline's `met_by` names something that is not an event.")
def met_by_not_event(ctx: LintContext) -> Iterator[Problem]:
    """Every `met_by` entry must be an event, or a gate's `<gate>.decided` / `<gate>.recommended`.

    Fix: name the event that meets the deadline (the hint gives the nearest one).

    Passing::

        met_by: [notified_panel]

    Failing::

        met_by: [panel_notified]
    """
    for deadline in ctx.process.deadlines.values():
        for name in deadline.met_by:
            if name not in ctx.event_names:
                yield Problem(unknown("event", name, f"deadline {deadline.id} met_by"), deadline.location,
                              did_you_mean(name, ctx.event_names))


@rule("D303", "window-inverted", Severity.ERROR, "A window's start is after its end.")
def window_inverted(ctx: LintContext) -> Iterator[Problem]:
    """A window `[earliest, latest]` must have earliest <= latest.

    Fix: swap the two numbers.

    Passing::

        window: {working_days: [7, 13], after: notified_panel}

    Failing::

        window: {working_days: [13, 7], after: notified_panel}
    """
    for deadline_rule, where, owner in _rules(ctx.process):
        if deadline_rule.n_to is not None and deadline_rule.n > deadline_rule.n_to:
            yield Problem(f"{where} window starts at {deadline_rule.n} but ends at {deadline_rule.n_to}",
                          _rule_at(deadline_rule, owner),
                          f"write the window as [{deadline_rule.n_to}, {deadline_rule.n}]")


@rule("D304", "deadline-unmeetable", Severity.ERROR, "No `met_by` event can happen after the anchor on any path.")
def deadline_unmeetable(ctx: LintContext) -> Iterator[Problem]:
    """Some `met_by` event must be recordable in a stage reachable once the anchor can have happened
    (for `before` deadlines: in any reachable stage). Approximation: an event is recordable in the
    stages whose transitions or tasks use it, a gate event in the gate's stage, and an anytime event
    or one no stage uses in every non-final stage; guards are ignored.

    Fix: meet the deadline with an event of a later stage, or move the anchor earlier.

    Passing::

        due: {months: 6, after: review_decision.decided}
        met_by: [published]        # `published` moves the review stage on

    Failing::

        due: {months: 6, after: review_decision.decided}
        met_by: [meeting_held]     # only possible in rapid_review, before the decision
    """
    process = ctx.process
    succ = graph_of(ctx)
    from_start = reachable_from_start(ctx)
    if not from_start:
        return  # no initial stage: P201 says so
    for deadline in process.deadlines.values():
        met_by = [m for m in deadline.met_by if m in ctx.event_names]
        if not met_by or deadline.rule.anchor not in ctx.event_names:
            continue  # D301 / D302 report these
        if deadline.rule.direction == "before":
            after_anchor = from_start
        else:
            anchor_stages = stages_for_event(process, deadline.rule.anchor) & from_start
            if not anchor_stages:
                continue  # the clock never starts: not this rule's concern
            after_anchor = reachable(anchor_stages, succ)
        usable = set().union(*(stages_for_event(process, m) for m in met_by))
        if not usable & after_anchor:
            where = ", ".join(sorted(usable)) or "no stage"
            yield Problem(f"deadline {deadline.id} can never be met: {', '.join(met_by)} can only be recorded "
                          f"in {where}, never after {deadline.rule.anchor}", deadline.location,
                          "meet it with an event of a stage that follows the anchor, or count from an "
                          "earlier event")


@rule("D305", "before-unplanned-event", Severity.ERROR, "A `before` deadline counts back from an event that is not `planned: true`.")
def before_unplanned_event(ctx: LintContext) -> Iterator[Problem]:
    """Counting back needs a date in the future: only a `planned: true` event carries one.

    Fix: mark the anchor event `planned: true`, or count `after` it.

    Passing::

        events: {publication_planned: {title: Publication planned, by: [partners], planned: true}}
        due: {working_days: 7, before: publication_planned}

    Failing::

        events: {published: {title: Published, by: [partners]}}
        due: {working_days: 7, before: published}
    """
    for deadline_rule, where, owner in _rules(ctx.process):
        if deadline_rule.direction != "before" or deadline_rule.anchor not in ctx.event_names:
            continue
        event = ctx.process.events.get(deadline_rule.anchor)
        if event is None or not event.planned:
            planned = sorted(e.id for e in ctx.process.events.values() if e.planned)
            hint = (f"mark {deadline_rule.anchor} `planned: true`, or count back from a planned event: "
                    f"{', '.join(planned)}" if planned and event is not None
                    else f"mark {deadline_rule.anchor} `planned: true`" if event is not None
                    else "a gate's events carry no planned date; count `after` them")
            yield Problem(f"{where} counts back from {deadline_rule.anchor}, which carries no planned date",
                          _rule_at(deadline_rule, owner), hint)


def _length_in_working_days(deadline_rule: DeadlineRule) -> int:
    """An upper bound of the deadline's length in working days."""
    n = deadline_rule.n_to if deadline_rule.n_to is not None else deadline_rule.n
    return n * 23 if deadline_rule.unit == "months" else n


@rule("D306", "reminder-too-early", Severity.WARNING, "A reminder would fall before the deadline's clock starts.")
def reminder_too_early(ctx: LintContext) -> Iterator[Problem]:
    """A reminder `working_days_before` the due date that is as long as the deadline itself would
    fire on or before the anchor day, which is useless.

    Fix: shorten the reminder.

    Passing::

        due: {working_days: 5, after: became_aware}
        reminders: [{working_days_before: 2}]

    Failing::

        due: {working_days: 5, after: became_aware}
        reminders: [{working_days_before: 5}]
    """
    for deadline in ctx.process.deadlines.values():
        if deadline.rule.direction != "after":
            continue
        length = _length_in_working_days(deadline.rule)
        for reminder in deadline.reminders:
            if reminder.working_days_before >= length:
                yield Problem(f"deadline {deadline.id}: a reminder {reminder.working_days_before} working days "
                              f"before the due date falls before the clock starts ({deadline.rule.describe()})",
                              deadline.location, f"use fewer than {length} working days")


@rule("D307", "task-event-not-per-agency", Severity.ERROR, "A per-agency task is done by an event that is not `per_agency`.")
def task_event_not_per_agency(ctx: LintContext) -> Iterator[Problem]:
    """A task runs once per agency, so the event that completes it must be recorded per agency.

    Fix: mark the `done_by` event `per_agency: true`.

    Passing::

        events: {scoping_returned: {title: Returned, by: [agency], per_agency: true}}
        tasks: {agency_returns: {title: Returns, per: agencies, done_by: scoping_returned}}

    Failing::

        events: {scoping_returned: {title: Returned, by: [agency]}}
        tasks: {agency_returns: {title: Returns, per: agencies, done_by: scoping_returned}}
    """
    for stage in ctx.process.stages.values():
        for task in stage.tasks:
            event = ctx.process.events.get(task.done_by)
            if event is not None and not event.per_agency:
                yield Problem(f"task {stage.id}.{task.id} is done by {event.id}, which is not recorded per agency",
                              task.location, f"mark event {event.id} `per_agency: true`")
