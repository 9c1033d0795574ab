"""C4xx: a local definition conforms to its base.

It may tighten deadlines, add stages, roles and notifications; it may not remove a mandatory item,
drop a mandated notification, loosen a statutory or guidance deadline, change a locked item, or add
a path that skips a mandatory gate. Each finding is an error unless a `deviations:` entry names the
item (``"<section>.<id>"``) with a reason: then it is a warning that quotes the reason.
Roles a local role `replaces` count as kept, and the base's references to them mean the local role.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import NamedTuple

from reviewflow.engine.calendar.workdays import calendar_for
from reviewflow.engine.definition.model import Closure, Deadline, Process, Weight
from reviewflow.engine.errors import Location, Severity, did_you_mean
from reviewflow.engine.lint.duedates import first_loosening, first_move
from reviewflow.engine.lint.graph import edges, final_ids, initial_ids, path_avoiding, reachable, successors
from reviewflow.engine.lint.registry import LintContext, Problem, rule

SECTIONS = ("roles", "stages", "events", "deadlines", "gates")


class Finding(NamedTuple):
    item: str  # "<section>.<id>", what a deviation must name
    message: str
    location: Location
    hint: str


def _rename(ctx: LintContext, role: str | None) -> str | None:
    """The local name of a base role."""
    return ctx.replaced_roles.get(role, role) if role is not None else None


def _removed_at(ctx: LintContext, item: str) -> Location:
    deviation = ctx.deviation(item)
    return deviation.location if deviation is not None else ctx.process_location


def _judge(ctx: LintContext, findings: list[Finding]) -> Iterator[Problem]:
    """An error, or a warning quoting the reason when a deviation names the item."""
    for finding in findings:
        deviation = ctx.deviation(finding.item)
        if deviation is None:
            yield Problem(finding.message, finding.location,
                          f"{finding.hint}, or record a deviation: `deviations: - item: {finding.item}` "
                          "with a reason")
            continue
        approved = "".join([f" by {deviation.approved_by}" if deviation.approved_by else "",
                            f" on {deviation.approved_on.isoformat()}" if deviation.approved_on else ""])
        yield Problem(f'{finding.message} (deviation: "{deviation.reason}")', finding.location,
                      f"deviation {finding.item} recorded{approved}; it stays visible in every validation",
                      Severity.WARNING)


def _findings(ctx: LintContext, code: str) -> list[Finding]:
    """The findings of one conformance check, computed once per context."""
    key = f"conformance:{code}"
    if key not in ctx.cache:
        base = ctx.base
        ctx.cache[key] = [] if base is None else list(_CHECKS[code](ctx, base))
    return ctx.cache[key]  # type: ignore[return-value]


def _mandatory_events(base: Process) -> set[str]:
    """Events mandated by the base: its opening event and those its mandatory stages and deadlines use."""
    names = {e.id for e in base.events.values() if getattr(e, "mandatory", False)}
    if base.opens_with:
        names.add(base.opens_with)
    for stage in base.stages.values():
        if stage.mandatory:
            names.update(t.event for t in stage.transitions)
    for deadline in base.deadlines.values():
        if deadline.mandatory:
            names.add(deadline.rule.anchor)
            names.update(deadline.met_by)
    return names & set(base.events)


def _is_mandatory_deadline(deadline: Deadline) -> bool:
    return deadline.mandatory or deadline.weight is Weight.STATUTORY


def _removed(ctx: LintContext, base: Process) -> Iterator[Finding]:
    local = ctx.process
    wanted: dict[str, list[str]] = {
        "roles": [r.id for r in base.roles.values() if r.mandatory],
        "stages": [s.id for s in base.stages.values() if s.mandatory],
        "events": sorted(_mandatory_events(base)),
        "deadlines": [d.id for d in base.deadlines.values() if _is_mandatory_deadline(d)],
        "gates": [g.id for g in base.gates.values() if g.mandatory],
    }
    for section, ids in wanted.items():
        present = getattr(local, section)
        for element_id in ids:
            if element_id in present or (section == "roles" and element_id in ctx.replaced_roles):
                continue
            item = f"{section}.{element_id}"
            yield Finding(item, f"mandatory {item} of base {base.id} is removed", _removed_at(ctx, item),
                          f"restore {item} from {base.id}")


def _notifications(ctx: LintContext, base: Process) -> Iterator[Finding]:
    for base_gate in base.gates.values():
        gate = ctx.process.gates.get(base_gate.id)
        if not base_gate.mandatory or gate is None:
            continue
        item = f"gates.{gate.id}"
        for base_option in base_gate.options:
            option = gate.option(base_option.id)
            for recipient in base_option.notify:
                wanted = _rename(ctx, recipient)
                if option is None:
                    yield Finding(item, f"option {base_option.id} of mandatory gate {gate.id}, which notifies "
                                  f"{wanted}, is removed", gate.location,
                                  f"restore option {base_option.id} with `notify: [{wanted}]`")
                elif wanted not in option.notify and recipient not in option.notify:
                    yield Finding(item, f"gate {gate.id} option {option.id} no longer notifies {wanted}",
                                  option.location, f"add {wanted} back to `notify`")


def _loosened(ctx: LintContext, base: Process) -> Iterator[Finding]:
    calendar = None
    for base_deadline in base.deadlines.values():
        deadline = ctx.process.deadlines.get(base_deadline.id)
        if deadline is None or base_deadline.weight.rank < Weight.GUIDANCE.rank:
            continue
        item = f"deadlines.{deadline.id}"
        at = deadline.rule.location if deadline.rule.location.line else deadline.location
        was = f"the base says {base_deadline.rule.describe()}"
        if deadline.weight.rank < base_deadline.weight.rank:
            yield Finding(item, f"deadline {deadline.id} is lowered from {base_deadline.weight.value} to "
                          f"{deadline.weight.value}", deadline.location,
                          f"keep `weight: {base_deadline.weight.value}`")
        if (deadline.rule.anchor, deadline.rule.direction) != (base_deadline.rule.anchor,
                                                              base_deadline.rule.direction):
            yield Finding(item, f"deadline {deadline.id} now counts {deadline.rule.direction} "
                          f"{deadline.rule.anchor}; {was}", at,
                          f"count {base_deadline.rule.direction} {base_deadline.rule.anchor}")
            continue
        widened = sorted(set(deadline.met_by) - set(base_deadline.met_by))
        if widened:
            yield Finding(item, f"deadline {deadline.id} can now also be met by {', '.join(widened)}",
                          deadline.location, f"keep `met_by: [{', '.join(base_deadline.met_by)}]`")
        base_guard = base_deadline.applies_when.source if base_deadline.applies_when else None
        local_guard = deadline.applies_when.source if deadline.applies_when else None
        if local_guard != base_guard:
            yield Finding(item, f"deadline {deadline.id} applies under a different condition "
                          f"({local_guard or 'always'} instead of {base_guard or 'always'})", deadline.location,
                          "keep the base's `applies_when`; the engine cannot prove a new condition is narrower")
        if calendar is None:
            calendar = calendar_for(ctx.process.calendar)
        for reason in first_loosening(calendar, base_deadline.rule, deadline.rule):
            yield Finding(item, f"deadline {deadline.id} {reason}", at,
                          f"{was}; make the local rule no looser")


ROLE_KEYS = frozenset({"by", "members", "chair", "among", "owner", "recommended_by", "decided_by", "notify",
                       "escalate_to", "extend", "pause", "waive"})


def _comparable(value: object, rename: dict[str, str], key: str = "") -> object:
    """A value with locations dropped, guards reduced to their source and base role names mapped to
    their local replacements, for 'changed at all'."""
    if isinstance(value, str):
        return rename.get(value, value) if key in ROLE_KEYS else value
    if hasattr(value, "source") and hasattr(value, "fields") and hasattr(value, "events"):
        return value.source  # an Expression
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _comparable(getattr(value, f.name), rename, f.name)
                for f in dataclasses.fields(value) if f.name != "location"}
    if isinstance(value, tuple | list):
        return [_comparable(v, rename, key) for v in value]
    if isinstance(value, Mapping):
        return {k: _comparable(v, rename, k) for k, v in value.items()}
    return value


def _locked(ctx: LintContext, base: Process) -> Iterator[Finding]:
    rename = dict(ctx.replaced_roles)
    for section in SECTIONS:
        present = getattr(ctx.process, section)
        for base_element in getattr(base, section).values():
            if not getattr(base_element, "locked", False):
                continue
            item = f"{section}.{base_element.id}"
            element = present.get(base_element.id)
            if element is None:
                if not getattr(base_element, "mandatory", False):  # else C401 says it
                    yield Finding(item, f"locked {item} of base {base.id} is removed", _removed_at(ctx, item),
                                  f"restore {item} exactly as in {base.id}")
                continue
            was, now = _comparable(base_element, rename), _comparable(element, {})
            assert isinstance(was, dict) and isinstance(now, dict)
            changed = [key for key in was if was[key] != now.get(key)]
            if changed:
                yield Finding(item, f"locked {item} is changed ({', '.join(changed)})", element.location,
                              f"a locked item must stay exactly as in {base.id}")


def _skipped_gates(ctx: LintContext, base: Process) -> Iterator[Finding]:
    local = ctx.process
    base_succ = successors(edges(base))
    base_pairs = {(e.source, e.target) for e in edges(base)}
    local_edges = edges(local)
    local_succ = successors(local_edges)
    base_start, local_start = initial_ids(base), initial_ids(local)
    if len(base_start) != 1 or len(local_start) != 1:
        return  # P201/P202 say why
    base_finals, local_finals = final_ids(base), final_ids(local)
    for base_gate in base.gates.values():
        if not base_gate.mandatory:
            continue
        if reachable(base_start, base_succ, avoid={base_gate.at}) & base_finals:
            continue  # the base itself lets a case avoid this gate
        gate = local.gates.get(base_gate.id)
        at = gate.at if gate is not None else base_gate.at
        path = path_avoiding(local_start[0], local_finals, local_succ, avoid={at})
        if path is None:
            continue
        new = next((e for e in path if (e.source, e.target) not in base_pairs), path[-1] if path else None)
        route = " → ".join([local_start[0], *(e.target for e in path)])
        location = new.location if new is not None else ctx.process_location
        yield Finding(f"gates.{base_gate.id}", f"path {route} reaches a final stage without passing mandatory "
                      f"gate {base_gate.id} (at {at})", location,
                      f"route the case through stage {at}" + (f" instead of {new.label}" if new else ""))


def _calendar_moves(ctx: LintContext, base: Process) -> Iterator[Finding]:
    """Local closures and extra holidays must not push a locked, statutory or guidance deadline of the base
    past the base's date (C403 forbids loosening those by rule; this forbids it by calendar).

    Checked on every anchor date from which the deadline's count can reach a local-only day, so the
    finding holds for every date the definition could run, not only the years the lint happens to try.
    """
    local_days = _local_only_days(ctx.process, base)
    if not local_days:
        return
    base_calendar = calendar_for(base.calendar)
    local_calendar = calendar_for(ctx.process.calendar)
    for base_deadline in base.deadlines.values():
        deadline = ctx.process.deadlines.get(base_deadline.id)
        if deadline is None or not (base_deadline.locked or base_deadline.weight.rank >= Weight.GUIDANCE.rank):
            continue
        for closure in local_days:
            moved = first_move(base_calendar, local_calendar, base_deadline.rule, closure.on)
            if moved is None:
                continue
            anchor, theirs, mine = moved
            yield Finding(
                f"deadlines.{deadline.id}",
                f"the local day off {closure.on.isoformat()} ({closure.name or 'no name'}) moves "
                f"{base_deadline.weight.value} "
                f"deadline {deadline.id} later than the base allows: when {base_deadline.rule.anchor} is on "
                f"{anchor.isoformat()} it falls due {mine.isoformat()} instead of {theirs.isoformat()}",
                closure.location if closure.location.line else ctx.process_location,
                f"{base.id} counts {base_deadline.rule.describe()} on its own calendar, closures or not; "
                "take the day out of `calendar:`")
            break  # one finding per deadline: the first closure that moves it


def _local_only_days(process: Process, base: Process) -> list[Closure]:
    theirs = {c.on for c in (*base.calendar.closures, *base.calendar.extra_holidays)}
    mine = [*process.calendar.closures, *process.calendar.extra_holidays]
    return sorted((c for c in mine if c.on not in theirs), key=lambda c: c.on)


_CHECKS = {"C401": _removed, "C402": _notifications, "C403": _loosened, "C404": _locked, "C405": _skipped_gates,
           "C407": _calendar_moves}


@rule("C401", "mandatory-item-removed", Severity.ERROR, "A mandatory item of the base is removed.")
def mandatory_item_removed(ctx: LintContext) -> Iterator[Problem]:
    """Roles, stages, deadlines and gates marked `mandatory: true` in the base (statutory deadlines
    always; events the base's mandatory items use) must stay. A role a local role `replaces`
    counts as kept.

    Fix: restore the item, or record a deviation with a reason (then this is a warning).

    Passing::

        extends: example-full
        deadlines:
          request_information: {due: {calendar_days: 1, after: notified_panel}}

    Failing::

        extends: example-full
        deadlines:
          notify_panel: null      # mandatory in the base, no deviation
    """
    yield from _judge(ctx, _findings(ctx, "C401"))


@rule("C402", "notification-removed", Severity.ERROR, "A mandatory gate's option no longer notifies a recipient.")
def notification_removed(ctx: LintContext) -> Iterator[Problem]:
    """Each recipient a mandatory base gate's option notifies must still be notified (under its
    local name if the role was replaced).

    Fix: add the recipient back to the option's `notify`, or record a deviation `gates.<gate>`.

    Passing::

        gates: {review_decision: {options: {review: {notify: [national_panel, ofsted]}}}}

    Failing::

        gates: {review_decision: {options: {review: {notify: []}}}}
    """
    yield from _judge(ctx, _findings(ctx, "C402"))


@rule("C403", "deadline-loosened", Severity.ERROR, "A statutory or guidance deadline of the base is loosened.")
def deadline_loosened(ctx: LintContext) -> Iterator[Problem]:
    """A statutory or guidance deadline may be tightened, never loosened: its due date (or a window's
    latest day) may not fall later, a window may not open earlier, for any anchor date (checked
    with the process's calendar over every day of 2024 and the Christmas and Easter holidays of
    2025-26); its weight may not drop, nor its anchor, `met_by` or `applies_when` change.

    Fix: make the rule no looser than the base's, or record a deviation `deadlines.<id>`.

    Passing::

        deadlines: {notify_panel: {due: {working_days: 4, after: became_aware}}}   # base: 5

    Failing::

        deadlines: {notify_panel: {due: {working_days: 6, after: became_aware}}}   # base: 5
    """
    yield from _judge(ctx, _findings(ctx, "C403"))


@rule("C404", "locked-item-changed", Severity.ERROR, "A locked item of the base is changed or removed.")
def locked_item_changed(ctx: LintContext) -> Iterator[Problem]:
    """An item marked `locked: true` in the base must stay exactly as it is.

    Fix: remove the local change, or record a deviation naming the item.

    Passing::

        extends: example-full      # notify_panel (locked) not mentioned

    Failing::

        deadlines: {notify_panel: {escalate_to: partners}}   # locked in the base
    """
    yield from _judge(ctx, _findings(ctx, "C404"))


@rule("C405", "skips-mandatory-gate", Severity.ERROR, "A path reaches a final stage without a mandatory gate.")
def skips_mandatory_gate(ctx: LintContext) -> Iterator[Problem]:
    """When every path of the base from the initial stage to a final stage passes a mandatory gate's
    stage, every path of the local definition must too. The diagnostic points at the first
    transition on the bypass that the base does not have.

    Fix: route the new transition through the gate's stage, or record a deviation `gates.<gate>`.

    Passing::

        stages: {rapid_review: {on: [{event: meeting_held, to: decision}]}}

    Failing::

        stages: {rapid_review: {on: [{event: meeting_held, to: decision},
                                     {event: closed_early, to: closed}]}}
    """
    yield from _judge(ctx, _findings(ctx, "C405"))


@rule("C407", "calendar-moves-deadline", Severity.ERROR,
      "A local closure or extra holiday pushes a statutory or guidance deadline later than the base's calendar.")
def calendar_moves_deadline(ctx: LintContext) -> Iterator[Problem]:
    """A partnership's `calendar:` may close its offices (a Christmas week, say), which is right for its
    own steps; it may not give more time for a statutory or guidance deadline of the base, such as the 5
    working day notification to the National Panel or the 15 working day rapid review, any more than a
    rule may loosen them (C403). Each such deadline is counted on the local calendar and on the
    base's, from every anchor date whose count reaches a local-only day, and the first closure or extra
    holiday that makes it later is reported, with the dates.

    Fix: take the day out of `calendar:`, or record a deviation for the deadline (`deviations: - item:
    deadlines.notify_panel`) with the reason; the deviation stays visible as a warning in every validation.

    Passing::

        calendar: {closures: [{date: "2024-12-24", name: "Christmas Eve"}]}   # also closed in the base

    Failing::

        calendar: {closures: [{date: "2024-12-27", name: "Christmas closure"}]}
    """
    yield from _judge(ctx, _findings(ctx, "C407"))


@rule("C406", "unused-deviation", Severity.WARNING, "A deviation names nothing that deviates from the base.")
def unused_deviation(ctx: LintContext) -> Iterator[Problem]:
    """A deviation must name an item (`<section>.<id>`, sections: roles, stages, events, deadlines,
    gates) that actually deviates from the base; otherwise it hides nothing and misleads readers.

    Fix: correct the item name, or remove the deviation.

    Passing::

        deviations: [{item: deadlines.notify_panel, reason: Handled by the regional hub.}]

    Failing::

        deviations: [{item: deadlines.notify_panle, reason: Handled by the regional hub.}]
    """
    deviating = {f.item for code in _CHECKS for f in _findings(ctx, code)}
    for deviation in ctx.process.deviations:
        if deviation.item in deviating:
            continue
        hint: str | None
        if ctx.base is None:
            hint = "deviations only matter in a definition that `extends` a base; remove it"
        elif deviation.item.partition(".")[0] not in SECTIONS:
            hint = f"name the item as <section>.<id>, with a section of: {', '.join(SECTIONS)}"
        else:
            hint = did_you_mean(deviation.item, deviating) if deviating else None
            hint = hint or f"{deviation.item} conforms to {ctx.base.id}; remove the deviation"
        yield Problem(f"deviation {deviation.item} names nothing that deviates from the base", deviation.location,
                      hint)
