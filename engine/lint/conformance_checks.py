"""The checks behind the conformance rules (engine.lint.conformance): each yields the findings of one
C4xx code for a local definition against its resolved base."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import NamedTuple

from reviewflow.engine.calendar.workdays import calendar_for
from reviewflow.engine.definition.model import Closure, Deadline, Process, Weight
from reviewflow.engine.errors import Location
from reviewflow.engine.lint.duedates import counted_alike, first_loosening, first_move
from reviewflow.engine.lint.registry import LintContext
from reviewflow.engine.lint.stagegraph import (
    edges,
    final_ids,
    initial_ids,
    path_avoiding,
    reachable,
    successors,
)

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
    """Where to report the removal of `item` ("<section>.<id>"): the deviation that records it, else
    the `null` that removed it, else the process (the item is simply not there)."""
    deviation = ctx.deviation(item)
    if deviation is not None:
        return deviation.location
    return ctx.removed_at(item.split(".", 1)) or ctx.process_location


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


def _notifications(ctx: LintContext, base: Process, mandatory: bool = True) -> Iterator[Finding]:
    for base_gate in base.gates.values():
        gate = ctx.process.gates.get(base_gate.id)
        if base_gate.mandatory != mandatory or gate is None:
            continue
        item = f"gates.{gate.id}"
        for base_option in base_gate.options:
            option = gate.option(base_option.id)
            for recipient in base_option.notify:
                wanted = _rename(ctx, recipient)
                if option is None:
                    removed = ctx.removed_at(("gates", gate.id, "options", base_option.id))
                    yield Finding(item, f"option {base_option.id} of mandatory gate {gate.id}, which notifies "
                                  f"{wanted}, is removed", removed or gate.location,
                                  f"restore option {base_option.id} with `notify: [{wanted}]`")
                elif wanted not in option.notify and recipient not in option.notify:
                    yield Finding(item, f"gate {gate.id} option {option.id} no longer notifies {wanted}",
                                  option.location, f"add {wanted} back to `notify`")


def _dropped_recipients(ctx: LintContext, base: Process) -> Iterator[Finding]:
    """C402's check over the gates the base does not mark mandatory (C408 warns)."""
    yield from _notifications(ctx, base, mandatory=False)


def _effective_dates(ctx: LintContext, base: Process) -> Iterator[Finding]:
    local = ctx.process
    if base.effective_from and (local.effective_from is None or local.effective_from < base.effective_from):
        yield Finding("effective_from", f"effective_from {_iso(local.effective_from)} is before the base "
                      f"{base.id}'s {base.effective_from.isoformat()}", local.location,
                      f"start on or after {base.effective_from.isoformat()}, or leave effective_from out to inherit it")
    if base.effective_to and (local.effective_to is None or local.effective_to > base.effective_to):
        yield Finding("effective_to", f"effective_to {_iso(local.effective_to)} is after the base "
                      f"{base.id}'s {base.effective_to.isoformat()}", local.location,
                      f"end on or before {base.effective_to.isoformat()}, or leave effective_to out to inherit it")


def _iso(day: object) -> str:
    return day.isoformat() if hasattr(day, "isoformat") else "(none)"


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
        if counted_alike(base_deadline.rule, deadline.rule):
            continue  # the same count gives the same dates from every anchor: nothing can be looser
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
