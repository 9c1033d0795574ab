"""The event value type: the only thing a case is made of.

A case's state is a fold of its events under the definition it was opened with. Events are never
edited or deleted: a correction is a new event that supersedes an earlier sequence number. How the
stored events are chained together is `reviewflow.engine.store.chain`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

# `kind` says what the event does; `name` says which definition element it concerns.
EventKind = Literal[
    "opened",  # name: the definition's opens_with event
    "recorded",  # name: a definition event id
    "recommended",  # name: gate id; data: option, rationale
    "decided",  # name: gate id; data: option, rationale (one per party under all/majority rules)
    "dispute_decided",  # name: gate id; data: option, rationale (the dispute decider)
    "extended",  # name: deadline id; data: to (ISO date) or working_days, reason
    "paused",  # name: deadline id; data: reason
    "resumed",  # name: deadline id; data: reason
    "waived",  # name: deadline id; data: reason
    "corrected",  # name: "correction"; data: supersedes (seq), reason, and the corrected fields
    "noted",  # name: "note"; data: text
]

EVENT_KINDS: tuple[str, ...] = (
    "opened", "recorded", "recommended", "decided", "dispute_decided",
    "extended", "paused", "resumed", "waived", "corrected", "noted",
)


@dataclass(frozen=True)
class Event:
    kind: str
    name: str
    at: date  # calendar date in Europe/London (facts.md D-9)
    by: str  # the acting role
    actor: str | None = None  # a person id, when given (separation of duties between people)
    agency: str | None = None  # for per-agency events and tasks
    data: Mapping[str, Any] = field(default_factory=dict)
    seq: int = 0  # 1-based position in the case; assigned by the store

    def to_json_dict(self) -> dict[str, Any]:
        """The canonical, JSON-safe form (seq excluded: the store owns it)."""
        return {
            "kind": self.kind,
            "name": self.name,
            "at": self.at.isoformat(),
            "by": self.by,
            "actor": self.actor,
            "agency": self.agency,
            "data": dict(self.data),
        }

    @classmethod
    def from_json_dict(cls, payload: Mapping[str, Any], seq: int = 0) -> Event:
        return cls(
            kind=payload["kind"],
            name=payload["name"],
            at=date.fromisoformat(payload["at"]),
            by=payload["by"],
            actor=payload.get("actor"),
            agency=payload.get("agency"),
            data=dict(payload.get("data") or {}),
            seq=seq,
        )


def decoded_event(payload: dict[str, Any], seq: int) -> Event:
    """`Event.from_json_dict(payload, seq=seq)` for a payload just decoded from JSON text, which nobody
    else holds (a store decodes every event of every case it reads). When it holds exactly an event's
    members with a `data` object, as every stored payload does, the dict itself becomes the event's
    fields (its date parsed, its seq added): nothing is copied and no field is assigned one at a time.
    The same fields, values and errors as `from_json_dict` (tests/test_events.py holds the two to each
    other)."""
    if payload.keys() == _MEMBERS and type(payload["data"]) is dict:
        payload["at"] = _date(payload["at"])
        payload["seq"] = seq
        event = _new(Event)
        _set(event, "__dict__", payload)
        return event
    return Event.from_json_dict(payload, seq=seq)


_MEMBERS = frozenset(("kind", "name", "at", "by", "actor", "agency", "data"))  # of `to_json_dict`
_new = object.__new__
_set = object.__setattr__
_dates: dict[str, date] = {}


def _date(text: str) -> date:
    """`date.fromisoformat`, remembered: a store's events fall on a few thousand distinct days."""
    found = _dates.get(text)
    if found is None:
        if len(_dates) >= 4096:
            _dates.clear()
        found = _dates[text] = date.fromisoformat(text)
    return found
