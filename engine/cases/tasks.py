"""Per-agency task instances: parallel work inside a stage, one instance per member of a list field.

A stage's task exists once the case has entered that stage. Each instance is done by the first
`done_by` event recorded for its member (the event's `agency`). Its due date follows the task's rule
from the rule's anchor, once that is recorded. When the case leaves the stage, an instance not done is
`missing`; under `on_missing: block` the case may not leave while one is missing (runtime refuses).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from reviewflow.engine.calendar.rules import CalendarLike, base_dates
from reviewflow.engine.definition.model import Process, Task


@dataclass(frozen=True)
class StageVisit:
    stage: str
    entered_seq: int
    entered_at: date
    left_seq: int | None = None
    left_at: date | None = None


@dataclass(frozen=True)
class TaskInstance:
    task: str
    title: str
    stage: str
    member: str  # normally an agency
    done_by: str
    due: date | None
    status: str  # pending | due_soon | overdue | done | done_late | missing
    done_at: date | None
    on_missing: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task, "title": self.title, "stage": self.stage, "agency": self.member,
            "done_by": self.done_by, "due": self.due.isoformat() if self.due else None,
            "status": self.status, "done_at": self.done_at.isoformat() if self.done_at else None,
            "on_missing": self.on_missing,
        }

    @property
    def is_missing(self) -> bool:
        return self.status not in ("done", "done_late")


def members(task: Task, fields: Mapping[str, Any]) -> list[str]:
    value = fields.get(task.per)
    return [str(v) for v in value] if isinstance(value, list) else []


def instances(process: Process, cal: CalendarLike, visits: Sequence[StageVisit],
              fields: Mapping[str, Any], first: Mapping[str, tuple[int, date]],
              done: Mapping[str, Mapping[str, tuple[int, date]]], as_of: date) -> list[TaskInstance]:
    """Every task instance of every stage the case has entered (a revisited stage counts once)."""
    out: list[TaskInstance] = []
    seen: set[str] = set()
    for visit in visits:
        if visit.stage in seen:
            continue
        seen.add(visit.stage)
        last = next(v for v in reversed(visits) if v.stage == visit.stage)
        for task in process.stages[visit.stage].tasks:
            due: date | None = None
            if task.due is not None and task.due.anchor in first:
                due = base_dates(cal, task.due, first[task.due.anchor][1])[1]
            for member in members(task, fields):
                hit = done.get(task.done_by, {}).get(member)
                out.append(_instance(task, visit.stage, member, due, hit, last.left_seq is not None,
                                     cal, as_of))
    return out


def _instance(task: Task, stage: str, member: str, due: date | None, hit: tuple[int, date] | None,
              left: bool, cal: CalendarLike, as_of: date) -> TaskInstance:
    done_at = hit[1] if hit else None
    if done_at is not None:
        status = "done" if due is None or done_at <= due else "done_late"
    elif left:
        status = "missing"
    elif due is not None and as_of > due:
        status = "overdue"
    elif due is not None and cal.add_working_days(as_of, 2) >= due:
        status = "due_soon"
    else:
        status = "pending"
    return TaskInstance(task.id, task.title, stage, member, task.done_by, due, status, done_at,
                        task.on_missing)
