"""Notifications a decision owes: one per recipient its option `notify`s, until they are told.

A notification is owed from the decision that settled the gate. It is done when the event its option's
`notified_by` names for that recipient is recorded after the decision (e.g. `commissioning_notified`
tells the Panel, Ofsted and the DfE), or when a `case note … --notified RECIPIENT` says so. When the
decision is re-opened (`reconsider`) before it is done, it is superseded: the new decision owes its own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from reviewflow.engine.definition.model import GateOption
from reviewflow.engine.events import Event
from reviewflow.engine.values import build


@dataclass(frozen=True)
class Notification:
    gate: str
    option: str
    recipient: str
    note: str | None
    since: date
    seq: int
    done_at: date | None = None
    discharged_by: str | None = None  # the event that performs it (the option's notified_by), if any
    done_by: str | None = None  # what closed it: that event's id, or "note"
    superseded_at: date | None = None  # the decision that owed it was re-opened first

    @property
    def status(self) -> str:
        return "done" if self.done_at else "superseded" if self.superseded_at else "open"

    def to_dict(self) -> dict[str, Any]:
        return {"gate": self.gate, "option": self.option, "recipient": self.recipient, "note": self.note,
                "since": self.since.isoformat(), "status": self.status,
                "done_at": self.done_at.isoformat() if self.done_at else None,
                "discharged_by": self.discharged_by, "done_by": self.done_by,
                "text": f"notify: {self.recipient}" + (f" ({self.note})" if self.note else "")}


def owed(gate: str, option: GateOption, event: Event) -> list[Notification]:
    """What the decision `event` settled on `option` owes."""
    return [build(Notification, gate=gate, option=option.id, recipient=recipient, note=option.notify_note,
                  since=event.at, seq=event.seq, done_at=None, discharged_by=option.notified_by.get(recipient),
                  done_by=None, superseded_at=None) for recipient in option.notify]


def discharge(items: list[Notification], event: Event) -> list[Notification]:
    """Close the notifications this recorded event performs (`items` itself when it performs none: the
    fold asks after every recorded event, and most perform none)."""
    name = event.name
    for owed_item in items:
        if owed_item.discharged_by == name:
            break
    else:
        return items
    return [replace(n, done_at=event.at, done_by=name)
            if n.status == "open" and n.discharged_by == name and event.seq > n.seq else n for n in items]


def close_by_note(items: list[Notification], event: Event) -> list[Notification]:
    """Close the notifications a note's `notified` names."""
    named = event.data.get("notified")
    names = set(named) if isinstance(named, list) else {named} if named else set()
    return [replace(n, done_at=event.at, done_by="note") if n.recipient in names and n.status == "open" else n
            for n in items]


def supersede(items: list[Notification], gate: str, at: date) -> list[Notification]:
    """The open notifications of a re-opened gate's decision are no longer owed."""
    return [replace(n, superseded_at=at) if n.gate == gate and n.status == "open" else n for n in items]
