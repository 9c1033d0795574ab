"""The stage graph of a definition: its edges (transitions and gate options) and searches over them,
shared by the graph rules (P2xx) and the conformance rules (C4xx)."""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from reviewflow.engine.definition.model import Process
from reviewflow.engine.errors import Location


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
