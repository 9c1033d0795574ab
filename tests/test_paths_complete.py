"""Issue #10: every statutory path completes. For each bundled definition, play every way a case can go -
each event the case allows now (with each value of the enum fields it must carry), each option of each
open decision (recommended where required, decided by every party), each re-opening of a settled
decision - and require that from every state reached a final stage can still be reached.

This is what found the dead ends of the issue (a reconsidered decision that could never move, a national
review raised twice during a CSPR), so a definition that brings one back fails here with the path to it.
Deadline controls, holds, notes and corrections are left out: none of them moves a case.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from reviewflow.engine.cases import allowed, commands
from reviewflow.engine.cases import gates as gatemod
from reviewflow.engine.cases.case import Case
from reviewflow.engine.definition.loader import default_registry, load_path
from reviewflow.engine.definition.model import EventDef, Field, Process
from reviewflow.engine.errors import RefusedError
from reviewflow.engine.events import Event

DAY = date(2024, 6, 3)
MAX_STATES = 20000


def _bundled() -> list[str]:
    """Every bundled definition that holds records (a partnership definition lists others and holds none)."""
    registry = default_registry()
    return sorted(i for i in registry.ids() if i not in registry.ids_of_kind("partnership"))


def _process(process_id: str) -> Process:
    registry = default_registry()
    path = registry.path_for(process_id)
    assert path is not None
    result = load_path(path, registry)
    assert result.process is not None
    return result.process


def _value(f: Field) -> list[Any]:
    if f.type == "enum":
        return list(f.values)
    if f.type == "bool":
        return [True]
    if f.type == "list":
        return [[f.values[0]]] if f.values else [["x"]]
    if f.type == "int":
        return [1]
    if f.type == "date":
        return [DAY.isoformat()]
    return ["x"]


def _opening(process: Process) -> Event:
    ev = process.events.get(process.opens_with or "")
    needed = {f.id for f in process.fields.values() if f.required} | set(ev.sets if ev else ())
    fields = {key: _value(process.fields[key])[0] for key in needed}
    if ev is not None and "agencies" in (*ev.sets, *ev.may_set):
        fields["agencies"] = _value(process.fields["agencies"])[0]
    opened_on = DAY if process.in_force(DAY) else (process.effective_to or process.effective_from or DAY)
    if ev is not None and ev.planned:  # an action is agreed with its due date
        fields["planned_date"] = opened_on.isoformat()
    pseudonym = "Child A" if process.about_a_child else None  # actions and learning outputs are about no child
    return commands.open_case(process, "PATH-1", opened_on, ev.by[0] if ev else next(iter(process.roles)),
                              fields, pseudonym)


def _record_data(case: Case, ev: EventDef) -> Iterator[dict[str, Any]]:
    data: dict[str, Any] = {}
    if ev.planned or ev.publication == "planned":
        data["planned_date"] = case.last_at.isoformat() if case.last_at else DAY.isoformat()
    if ev.publication == "published":
        data["what"] = "Full report"
    choices: list[dict[str, Any]] = [data]
    for key in ev.sets:
        fixed = gatemod.fixed_values(case.process, case.gates, key)
        values = list(fixed[0]) if fixed else _value(case.process.fields[key])
        choices = [{**c, key: v} for c in choices for v in values]
    yield from choices


def _relevant(process: Process) -> frozenset[str]:
    """Events that can change where a case may go: those a transition or a blocking task names, and those
    a guard (`when`, a transition's guard, `applies_when`) or a reconsideration reads. The rest (notes,
    anytime records nothing reads) never change reachability, so the walk leaves them out."""
    names = {t.event for s in process.stages.values() for t in s.transitions}
    names |= {t.done_by for s in process.stages.values() for t in s.tasks if t.on_missing == "block"}
    guards = [t.when for s in process.stages.values() for t in s.transitions]
    guards += [e.when for e in process.events.values()] + [d.applies_when for d in process.deadlines.values()]
    names |= {name for g in guards if g is not None for name in g.events}
    names |= {n for g in process.gates.values() if g.reconsider for n in g.reconsider.prompted_by}
    return frozenset(names)


def _moves(case: Case, relevant: frozenset[str]) -> Iterator[tuple[str, list[Event]]]:
    """(label, events) for each way the case can go on now."""
    at = case.last_at or DAY
    process = case.process
    decided: set[str] = set()
    # what allowed_actions lists, less the deadline controls, holds, notes and corrections (none moves a case)
    for action in [*allowed._events(case), *allowed._gates(case)]:
        if action.action == "record":
            if action.name not in relevant:
                continue
            ev = process.events[action.name]
            agency = action.agencies[0] if action.agencies else None
            for data in _record_data(case, ev):
                yield f"record {ev.id} {data}", [Event("recorded", ev.id, at, ev.by[0], None, agency, data)]
        elif action.action in ("decide", "recommend") and action.name not in decided:
            gate = process.gates[action.name]
            if gate.at != case.stage or case.gate_state(gate.id).is_settled:
                continue  # an advisory recommendation after the decision moves nothing
            decided.add(gate.id)
            for option in gate.options:
                events = []
                if gate.recommended_by and gate.recommendation == "required" and \
                        case.gate_state(gate.id).recommendation is None:
                    events.append(Event("recommended", gate.id, at, gate.recommended_by, None, None,
                                        {"option": option.id, "rationale": "r"}))
                for party in gatemod.parties(process, gate):
                    events.append(Event("decided", gate.id, at, party, None, None,
                                        {"option": option.id, "rationale": "r"}))
                yield f"decide {gate.id} {option.id}", events
        elif action.action == "reconsider":
            gate = process.gates[action.name]
            assert gate.reconsider is not None
            seq = max(s for name in gate.reconsider.prompted_by for s, _ in case.occurrences.get(name, ()))
            yield f"reconsider {gate.id}", [Event("reopened", gate.id, at, gate.reconsider.by[0], None, None,
                                                  {"reason": "r", "prompted_by": seq})]


def _signature(case: Case, relevant: frozenset[str]) -> tuple[Any, ...]:
    process = case.process
    gates = tuple(sorted((g, s.outcome.option if s.outcome else None, s.disputed, min(len(s.rounds), 2))
                         for g, s in case.gates.items()))
    once = frozenset(n for n in case.first if n in relevant)
    fields = frozenset((k, v) for k, v in case.fields.items()
                       if k in process.fields and process.fields[k].type in ("enum", "bool"))
    return case.stage, gates, once, fields


def _explore(process: Process) -> tuple[dict[Any, list[Any]], dict[Any, list[str]], set[Any]]:
    start = Case.replay(process, "PATH-1", [_opening(process)])
    relevant = _relevant(process)
    edges: dict[Any, list[Any]] = {}
    paths: dict[Any, list[str]] = {_signature(start, relevant): []}
    finals: set[Any] = set()
    stack = [start]
    while stack:
        case = stack.pop()
        here = _signature(case, relevant)
        if here in edges:
            continue
        edges[here] = []
        if case.is_closed:
            finals.add(here)
            continue
        assert len(edges) < MAX_STATES, f"{process.id}: more than {MAX_STATES} states"
        for label, events in _moves(case, relevant):
            after = case
            try:
                for event in events:
                    after = after.apply(event)
            except RefusedError:  # pragma: no cover - apply itself never refuses
                continue
            if after.last_blocked_by_guard:
                continue
            there = _signature(after, relevant)
            if there == here:
                continue
            edges[here].append(there)
            paths.setdefault(there, [*paths[here], label])
            stack.append(after)
    return edges, paths, finals


@pytest.mark.parametrize("process_id", _bundled())
def test_every_path_of_the_bundled_definition_can_still_reach_an_end(process_id: str) -> None:
    process = _process(process_id)
    edges, paths, finals = _explore(process)
    reaches = set(finals)
    changed = True
    while changed:
        changed = False
        for state, successors in edges.items():
            if state not in reaches and any(s in reaches for s in successors):
                reaches.add(state)
                changed = True
    stuck = [state for state in edges if state not in reaches]
    assert finals, f"{process_id}: no final stage is ever reached"
    if stuck:
        worst = min(stuck, key=lambda s: len(paths[s]))
        raise AssertionError(f"{process_id}: {len(stuck)} of {len(edges)} states can never end; e.g. stage "
                             f"{worst[0]!r} after: " + " -> ".join(paths[worst]))
