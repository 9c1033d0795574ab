"""A process compiled once into a `transitions` state machine, shared by every case of a definition.

States are stages; triggers are definition events and gate options (``"<gate>:<option>"``); the
conditions of a transition are the guards of the definition, evaluated against a `GuardContext`
(the case's fields and event counts) passed in by the caller.

The machine is used as a graph, never as a per-case object: cases do not get a machine (replaying
10,000 cases must not build 10,000 machines, and a `transitions.Machine` keeps strong references to
its models). `CompiledProcess.fire(stage, trigger, context)` answers "which transition fires from
stage S on trigger T given context C" from an index read out of the machine when it is compiled.

The graph read out of the machine is also kept as plain tables (`tables()`), saved with the compiled
definition (`reviewflow.engine.definition.compiled`), so a read command rebuilds the same index from
them (`install`) without importing `transitions` at all.

This is the only module that imports `transitions` (inside the function that builds a machine).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reviewflow.engine.definition.model import Process, Transition

CACHE_SIZE = 64  # definitions alive at once; a store rarely holds more than a handful of versions

_cache: OrderedDict[str, CompiledProcess] = OrderedDict()
_builds = 0  # how many machines were built: tests and the benchmark assert it stays small

# The graph as plain data: {(stage, trigger): ((to, stage of the transition, its index) or (to, None, -1), ...)}
Tables = dict[tuple[str, str], tuple[tuple[str | None, str | None, int], ...]]


@dataclass(frozen=True)
class GuardContext:
    """What a guard may see: the case's fields and how many times each event has been recorded."""

    fields: Mapping[str, Any]
    counts: Mapping[str, int]


@dataclass(frozen=True)
class Edge:
    """One transition of the graph: `to` is None for an internal one (an anytime event)."""

    source: str
    trigger: str
    to: str | None
    definition: Transition | None  # None for gate options and anytime events

    @property
    def guard(self) -> str | None:
        if self.definition is None or self.definition.when is None:
            return None
        return self.definition.when.source

    def holds(self, context: GuardContext) -> bool:
        return self.holds_on(context.fields, context.counts)

    def holds_on(self, fields: Mapping[str, Any], counts: Mapping[str, int]) -> bool:
        """`holds` on a case's fields and counts as they are (no context made: the fold asks per event)."""
        if self.definition is None or self.definition.when is None:
            return True
        return bool(self.definition.when.evaluate(fields, counts))


def gate_trigger(gate_id: str, option_id: str) -> str:
    return f"{gate_id}:{option_id}"


class CompiledProcess:
    """The compiled, immutable graph of one definition (one per `Process.text_hash`)."""

    def __init__(self, process: Process, tables: Tables | None = None) -> None:
        """Build the machine of `process`, or (with `tables` it once produced) only its index."""
        self.process = process
        self._edges: dict[tuple[str, str], tuple[Edge, ...]] = {}
        self.machine: Any = None  # the `transitions` machine, when this process built one
        if tables is None:
            self.machine = machine = _build_machine(process)
            # Read the graph back out of the machine once, so a question about a case is a dict lookup.
            for trigger, event in machine.events.items():
                for source, transitions in event.transitions.items():
                    self._edges[(source, trigger)] = tuple(
                        Edge(source, trigger, t.dest, _definition_of(t)) for t in transitions)
        else:
            for (source, trigger), rows in tables.items():
                self._edges[(source, trigger)] = tuple(
                    Edge(source, trigger, to, process.stages[stage].transitions[index] if stage else None)
                    for to, stage, index in rows)
        self.final_stages = frozenset(s.id for s in process.stages.values() if s.final)
        # Where an opened case starts (None without an initial stage: `Process.initial_stage` then says so).
        self.initial_stage = next((s.id for s in process.stages.values() if s.initial), None)

    def tables(self) -> Tables:
        """The graph as plain data, for the compiled-definition cache (`install` reads it back)."""
        where = {id(t): (s.id, i) for s in self.process.stages.values() for i, t in enumerate(s.transitions)}
        out: Tables = {}
        for key, edges in self._edges.items():
            out[key] = tuple((e.to, *(where[id(e.definition)] if e.definition is not None else (None, -1)))
                             for e in edges)
        return out

    def edges(self, stage: str, trigger: str) -> tuple[Edge, ...]:
        """Every transition out of `stage` on `trigger`, in definition order (guards not checked)."""
        return self._edges.get((stage, trigger), ())

    def fire(self, stage: str, trigger: str, context: GuardContext) -> Edge | None:
        """The first transition whose guard holds, as `transitions` would pick it; None if none does."""
        return first_holding(self.edges(stage, trigger), context.fields, context.counts)

    def has_trigger(self, stage: str, trigger: str) -> bool:
        return (stage, trigger) in self._edges


def first_holding(edges: tuple[Edge, ...], fields: Mapping[str, Any], counts: Mapping[str, int]) -> Edge | None:
    """Of `edges` (one stage's transitions on one trigger), the first whose guard holds: the one that fires."""
    for edge in edges:
        if edge.holds_on(fields, counts):
            return edge
    return None


def _definition_of(transition: Any) -> Transition | None:
    # Each condition we register is a `_Guard`, which carries the definition's transition.
    for condition in transition.conditions:
        func = condition.func
        if isinstance(func, _Guard):
            return func.transition
    return None


class _Guard:
    """A condition callable for `transitions`: evaluates the definition's guard on the context."""

    def __init__(self, transition: Transition) -> None:
        self.transition = transition

    def __call__(self, context: GuardContext | None = None, **_: Any) -> bool:
        if self.transition.when is None or context is None:
            return True
        return bool(self.transition.when.evaluate(context.fields, context.counts))


def _build_machine(process: Process) -> Any:
    from transitions import Machine

    global _builds
    _builds += 1
    stage_ids = list(process.stages)
    rows: list[dict[str, Any]] = []
    for stage in process.stages.values():
        if stage.final:
            continue
        for transition in stage.transitions:
            rows.append({"trigger": transition.event, "source": stage.id, "dest": transition.to,
                         "conditions": [_Guard(transition)]})
        # Anytime events are internal transitions: allowed in every non-final stage, they move nothing.
        for event in process.events.values():
            if event.anytime:
                rows.append({"trigger": event.id, "source": stage.id, "dest": None})
    for gate in process.gates.values():
        for option in gate.options:
            rows.append({"trigger": gate_trigger(gate.id, option.id), "source": gate.at,
                         "dest": option.to})  # to: None is an internal transition
    initial = next((s.id for s in process.stages.values() if s.initial), stage_ids[0] if stage_ids else None)
    # model=None: the machine is a graph shared by all cases, never bound to one of them.
    return Machine(model=None, states=stage_ids, initial=initial, transitions=rows,
                   auto_transitions=False, send_event=False, ignore_invalid_triggers=True)


def compiled(process: Process) -> CompiledProcess:
    """The shared compiled machine of `process`, built at most once per definition hash."""
    key = process.text_hash or f"object:{id(process)}"
    found = _cache.get(key)
    if found is not None and (process.text_hash or found.process is process):
        _cache.move_to_end(key)
        return found
    return _keep(key, CompiledProcess(process))


def install(process: Process, tables: Tables) -> CompiledProcess:
    """Make `process`'s machine the one its tables describe (read back from the compiled cache): no
    `transitions` machine is built. A machine already built for the same hash is kept."""
    key = process.text_hash or f"object:{id(process)}"
    found = _cache.get(key)
    if found is not None and (process.text_hash or found.process is process):
        return found
    return _keep(key, CompiledProcess(process, tables))


def _keep(key: str, made: CompiledProcess) -> CompiledProcess:
    _cache[key] = made
    _cache.move_to_end(key)
    while len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)
    return made


def machine_builds() -> int:
    """How many machines have been built in this process (for tests and the benchmark)."""
    return _builds
