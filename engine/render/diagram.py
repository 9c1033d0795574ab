"""Stage graphs as Mermaid or Graphviz DOT."""

from __future__ import annotations

from reviewflow.engine.definition.model import Process
from reviewflow.engine.render.process_view import stage_order


def _edges(process: Process) -> list[tuple[str, str, str]]:
    edges: list[tuple[str, str, str]] = []
    for stage in process.stages.values():
        for t in stage.transitions:
            label = t.event + (" [guarded]" if t.when else "")
            edges.append((stage.id, t.to, label))
    for gate in process.gates.values():
        for option in gate.options:
            if option.to:
                edges.append((gate.at, option.to, f"{gate.id}: {option.id}"))
    return edges


def _quote(text: str) -> str:
    return text.replace('"', "'")


def mermaid(process: Process) -> str:
    lines = ["stateDiagram-v2"]
    for stage_id in stage_order(process):
        stage = process.stages[stage_id]
        lines.append(f'    state "{_quote(stage.title)}" as {stage.id}')
    for stage in process.stages.values():
        if stage.initial:
            lines.append(f"    [*] --> {stage.id}")
        if stage.final:
            lines.append(f"    {stage.id} --> [*]")
    for source, target, label in _edges(process):
        lines.append(f"    {source} --> {target}: {_quote(label)}")
    return "\n".join(lines) + "\n"


def dot(process: Process) -> str:
    lines = [f'digraph "{_quote(process.id)}" {{', "  rankdir=TB;", '  node [shape=box, style=rounded];']
    for stage_id in stage_order(process):
        stage = process.stages[stage_id]
        shape = ', peripheries=2' if stage.final else ''
        style = ', style="rounded,bold"' if stage.initial else ''
        lines.append(f'  {stage.id} [label="{_quote(stage.title)}"{shape}{style}];')
    for source, target, label in _edges(process):
        lines.append(f'  {source} -> {target} [label="{_quote(label)}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"
