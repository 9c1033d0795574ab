"""What an action or a learning output is, read from its replayed record: plain values for lists and reports.

The views read the field ids of the national bases (processes/national/action-plan.yaml and
learning-outputs.yaml), which every local action plan and learning definition extends: `finding`,
`owner_agency`, `owner_role`, `from_cases`, `progress`, `evidence`, `impact_rating`, `sessions` … An
action's due date is its definition's first deadline counted from the event that opens it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from reviewflow.engine.cases.case import Case
from reviewflow.engine.cases.deadlines import DeadlineInstance

OPEN_DUE = ("pending", "due_soon", "overdue", "extended", "paused")


@dataclass(frozen=True)
class Entry:
    """A dated piece of text on a record: progress, evidence or an impact assessment."""

    at: date
    by: str
    text: str
    rating: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"at": self.at.isoformat(), "by": self.by, "text": self.text}
        if self.rating is not None:
            out["rating"] = self.rating
        return out


@dataclass(frozen=True)
class ActionView:
    ref: str
    plan: str
    overseen_by: str | None
    body_title: str | None
    agreed: date
    status: str  # the stage id
    status_title: str
    closed: bool
    due: date | None
    original_due: date | None
    due_status: str | None  # the due deadline's status (pending, due_soon, overdue, extended, met …)
    fields: dict[str, Any]
    progress: tuple[Entry, ...]
    evidence: tuple[Entry, ...]
    assessments: tuple[Entry, ...]
    closed_at: date | None

    @property
    def overdue(self) -> bool:
        return self.due_status == "overdue"

    def get(self, key: str) -> Any:
        return self.fields.get(key)

    @property
    def from_cases(self) -> list[str]:
        return [str(r) for r in self.fields.get("from_cases") or []]

    def to_dict(self) -> dict[str, Any]:
        f = self.fields
        return {
            "action": self.ref, "plan": self.plan, "overseen_by": self.overseen_by, "agreed": self.agreed.isoformat(),
            "status": self.status, "status_title": self.status_title, "closed": self.closed,
            "due": _iso(self.due), "original_due": _iso(self.original_due), "due_status": self.due_status,
            "overdue": self.overdue, "finding": f.get("finding"), "answers": f.get("answers"),
            "from_cases": self.from_cases, "from_review": f.get("from_review"),
            "owner": {"agency": f.get("owner_agency"), "role": f.get("owner_role")},
            "success_criteria": f.get("success_criteria"), "timescale": f.get("timescale"),
            "themes": list(f.get("themes") or []),
            "progress": [e.to_dict() for e in self.progress], "evidence": [e.to_dict() for e in self.evidence],
            "impact_assessments": [e.to_dict() for e in self.assessments],
            "closure": f.get("closure"), "closure_note": f.get("closure_note"), "closed_at": _iso(self.closed_at),
        }


@dataclass(frozen=True)
class OutputView:
    ref: str
    definition: str
    issued: date
    status: str
    fields: dict[str, Any]
    sessions: int
    attendees: int
    interim: bool  # a source case's review was still open on the day it was issued

    @property
    def from_cases(self) -> list[str]:
        return [str(r) for r in self.fields.get("from_cases") or []]

    def to_dict(self) -> dict[str, Any]:
        f = self.fields
        return {"output": self.ref, "definition": self.definition, "issued": self.issued.isoformat(),
                "kind": f.get("output_kind"), "title": f.get("title"), "audience": f.get("audience"),
                "channel": f.get("channel"), "from_cases": self.from_cases, "from_review": f.get("from_review"),
                "themes": list(f.get("themes") or []), "reach": {"sessions": self.sessions,
                                                                 "attendees": self.attendees},
                "interim": self.interim, "status": self.status}


def due_instance(case: Case, as_of: date) -> DeadlineInstance | None:
    """The action's due date: the first deadline counted from the event that opens it."""
    opening = case.process.opens_with
    for deadline in case.process.deadlines.values():
        if deadline.rule.anchor == opening:
            return case.deadline(deadline.id, as_of)
    return None


def _entries(case: Case, key: str, rating: str | None = None) -> tuple[Entry, ...]:
    return tuple(Entry(e.at, e.by, str(e.data[key]), str(e.data[rating]) if rating and rating in e.data else None)
                 for e in case.events if e.kind in ("opened", "recorded") and key in e.data)


def action_view(case: Case, as_of: date) -> ActionView:
    process = case.process
    due = due_instance(case, as_of)
    stage = process.stages[case.stage]
    body = process.roles.get(process.overseen_by or "")
    closed_at = case.last_at if case.is_closed else None
    assert case.opened_at is not None
    return ActionView(
        ref=case.ref, plan=process.id, overseen_by=process.overseen_by, body_title=body.title if body else None,
        agreed=case.opened_at, status=stage.id, status_title=stage.title, closed=case.is_closed,
        due=due.due if due else None, original_due=due.original_due if due else None,
        due_status=due.status if due else None, fields=dict(case.fields),
        progress=_entries(case, "progress"), evidence=_entries(case, "evidence"),
        assessments=_entries(case, "impact_narrative", "impact_rating"), closed_at=closed_at)


def reach(case: Case) -> tuple[int, int]:
    """Sessions and attendees: the sum over every event that carries them (the opening one included)."""
    sessions = attendees = 0
    for e in case.events:
        if e.kind in ("opened", "recorded"):
            sessions += int(e.data.get("sessions") or 0)
            attendees += int(e.data.get("attendees") or 0)
    return sessions, attendees


def output_view(case: Case, interim: bool) -> OutputView:
    sessions, attendees = reach(case)
    assert case.opened_at is not None
    return OutputView(case.ref, case.process.id, case.opened_at, case.stage, dict(case.fields), sessions,
                      attendees, interim)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
