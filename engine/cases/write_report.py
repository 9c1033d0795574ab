"""What one write did to a case, as a plain value: the event, the stage it left the case in, the state of
the gate it voted on, the deadlines it started, met or moved, and the agency tasks of a stage it entered.

Built from the case right after the write (`report_write`), so a renderer never needs the live `Case`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from reviewflow.engine.cases import gates as gatemod
from reviewflow.engine.cases.case import Case

GATE_KINDS = ("recommended", "decided", "dispute_decided")
GATE_STATE_KINDS = (*GATE_KINDS, "reopened")


@dataclass(frozen=True)
class DeadlineChange:
    """A deadline the event touched. `change`: started (the event anchors it), met, or moved."""

    change: str
    id: str
    title: str
    status: str
    due: date
    window_start: date | None
    original_due: date


@dataclass(frozen=True)
class TaskStarted:
    title: str
    member: str
    due: date | None


@dataclass(frozen=True)
class WriteReport:
    ref: str
    seq: int
    kind: str  # the event kind: opened, recorded, recommended, decided, extended, noted, ...
    name: str
    at: date
    by: str
    agency: str | None
    option: str | None  # for a recommendation or decision
    supersedes: int | None  # for a correction
    stage_id: str
    stage_title: str
    closed: bool
    outcome: str | None  # the final stage's outcome
    gate: dict[str, Any] | None  # the gate's summary (docs/json.md) after a recommendation or decision
    stuck_in_dispute: bool  # the parties disagree and the gate has no dispute path
    deadlines: tuple[DeadlineChange, ...]
    tasks: tuple[TaskStarted, ...]


def report_write(case: Case, as_of: date) -> WriteReport:
    """What the latest event of `case` did, judged on `as_of`."""
    event = case.events[-1]
    stage = case.process.stages[case.stage]
    gate_summary: dict[str, Any] | None = None
    stuck = False
    if event.kind in GATE_STATE_KINDS:
        gate = case.process.gates[event.name]
        gate_summary = gatemod.summary(case.process, gate, case.gate_state(gate.id), case.stage)
        stuck = gate_summary["status"] == "disputed" and gate.dispute is None
    return WriteReport(
        ref=case.ref, seq=event.seq, kind=event.kind, name=event.name, at=event.at, by=event.by,
        agency=event.agency,
        option=event.data.get("option") if event.kind in GATE_KINDS else None,
        supersedes=event.data.get("supersedes") if event.kind == "corrected" else None,
        stage_id=stage.id, stage_title=stage.title,
        closed=case.is_closed, outcome=stage.outcome,
        gate=gate_summary, stuck_in_dispute=stuck,
        deadlines=_deadline_changes(case, event.seq, as_of),
        tasks=_tasks_started(case, event.seq, as_of),
    )


def _deadline_changes(case: Case, seq: int, as_of: date) -> tuple[DeadlineChange, ...]:
    changes = []
    for d in case.deadlines(as_of):
        if d.anchor.seq == seq:
            change = "started"
        elif d.met_seq == seq:
            change = "met"
        elif any(a.seq == seq for a in d.adjustments):
            change = "moved"
        else:
            continue
        changes.append(DeadlineChange(change, d.id, d.title, d.status, d.due, d.window_start, d.original_due))
    return tuple(changes)


def _tasks_started(case: Case, seq: int, as_of: date) -> tuple[TaskStarted, ...]:
    """The open tasks of the stage the event moved the case into (none when it stayed put)."""
    if not case.visits or case.visits[-1].entered_seq != seq:
        return ()
    return tuple(TaskStarted(t.title, t.member, t.due) for t in case.tasks(as_of)
                 if t.stage == case.stage and t.done_at is None)
