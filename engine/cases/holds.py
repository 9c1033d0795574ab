"""Legal holds on a case: criminal proceedings, an inquest, family court, a police investigation.

A hold is started (kind "hold_started", name = the hold's id in the definition's `holds:`), reviewed
(kind "hold_reviewed", a new review date) and ended (kind "hold_ended"); each carries a reason. While a
hold is active:

- every deadline it `pauses` stands still. The hold is turned into the same pause and resume controls a
  `case pause` records, so a held deadline moves on exactly as a paused one does (engine.cases.deadlines);
  two holds (or a hold and a manual pause) over one deadline pause it once, from the first start to the
  last end;
- every event it `blocks` (publication, typically) is refused, with the hold and its review date;
- everything else stays allowed: interim learning and corrective action go on during proceedings.

A hold's review date is due like a deadline (`case show`, `due`): the partners review the hold then.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from reviewflow.engine.definition.model import Process
from reviewflow.engine.events import Event

HOLD_KINDS = ("hold_started", "hold_reviewed", "hold_ended")


@dataclass(frozen=True)
class HoldReview:
    seq: int
    at: date
    by: str
    review_on: date | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "at": self.at.isoformat(), "by": self.by,
                "review_on": self.review_on.isoformat() if self.review_on else None, "reason": self.reason}


@dataclass(frozen=True)
class HoldSpan:
    """One hold on one case, from its start to its end (None while active)."""

    kind: str
    title: str
    seq: int
    started: date
    by: str
    reason: str
    review_on: date | None
    pauses: tuple[str, ...]
    blocks: tuple[str, ...]
    reviews: tuple[HoldReview, ...] = ()
    ended: date | None = None
    ended_seq: int | None = None
    end_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.ended is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "title": self.title, "active": self.active, "seq": self.seq,
            "started": self.started.isoformat(), "by": self.by, "reason": self.reason,
            "review_on": self.review_on.isoformat() if self.review_on else None,
            "pauses": list(self.pauses), "blocks": list(self.blocks),
            "reviews": [r.to_dict() for r in self.reviews],
            "ended": self.ended.isoformat() if self.ended else None, "end_reason": self.end_reason,
        }


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def fold(process: Process, spans: list[HoldSpan], event: Event) -> list[HoldSpan]:
    """The case's holds after one hold event (a new list; the old one is left unchanged)."""
    out = list(spans)
    reason = str(event.data.get("reason", ""))
    if event.kind == "hold_started":
        hold = process.holds[event.name]
        out.append(HoldSpan(hold.id, hold.title, event.seq, event.at, event.by, reason,
                            _date(event.data.get("review_on")), hold.pauses, hold.blocks))
        return out
    index = active_index(out, event.name)
    if index is None:
        return out
    span = out[index]
    if event.kind == "hold_reviewed":
        review_on = _date(event.data.get("review_on"))
        out[index] = replace(span, review_on=review_on,
                             reviews=(*span.reviews, HoldReview(event.seq, event.at, event.by, review_on, reason)))
    else:
        out[index] = replace(span, ended=event.at, ended_seq=event.seq, end_reason=reason)
    return out


def active_index(spans: list[HoldSpan], kind: str) -> int | None:
    return next((i for i in range(len(spans) - 1, -1, -1) if spans[i].kind == kind and spans[i].active), None)


def active(spans: list[HoldSpan]) -> list[HoldSpan]:
    return [s for s in spans if s.active]


def blocking(spans: list[HoldSpan], event_name: str) -> HoldSpan | None:
    """The active hold that blocks `event_name`, if any."""
    return next((s for s in spans if s.active and event_name in s.blocks), None)


def pausing(spans: list[HoldSpan], deadline_id: str) -> list[HoldSpan]:
    """The active holds that pause `deadline_id`."""
    return [s for s in spans if s.active and deadline_id in s.pauses]
