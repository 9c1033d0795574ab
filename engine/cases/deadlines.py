"""Deadline instances of a case: due dates, windows, statuses and explanations.

A deadline is instantiated when its anchor is recorded: the first event of that name (for
``<gate>.decided`` the event that settled the gate), or for a `planned` event the latest
``planned_date`` recorded. ``before`` rules count back from the anchor (R2). The due date is then
re-derived, in order, from the extensions, pauses and resumptions recorded against it; the original
due date is always kept.

Pause rule (to copy into docs/architecture.md): the clock stops at the end of the day a
pause is recorded and restarts at the end of the day it is resumed. On resume the due date moves on by
the time spent paused: for working-day rules, by the number of working days d with pause < d <= resume
(so a pause and resume on the same day moves nothing); for calendar-day and month rules, by the number
of calendar days between the two dates. While paused the status is `paused` and the due date shown is
the one that applied when the clock stopped.

Statuses, first match wins: not_applicable (applies_when is false), waived, early / met / met_late (the
first met_by event: before a window opened, by the due date in force, or after it), closed (the case ended
without meeting it), paused, overdue (as_of after due), due_soon (the due date is within the largest
reminder, or 2 working days, of as_of), extended (pending, but the due date was moved by an extension),
pending.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from reviewflow.engine.calendar.rules import CalendarLike, base_dates
from reviewflow.engine.definition.model import Citation, Deadline, DeadlineRule, Process

if TYPE_CHECKING:
    from reviewflow.engine.definition.model import CalendarSpec

DEFAULT_DUE_SOON = 2  # working days, when a deadline lists no reminder
OPEN_STATUSES = ("pending", "due_soon", "overdue", "extended", "paused")


_calendars: dict[Any, CalendarLike] = {}


def calendar_for_process(process: Process) -> CalendarLike:
    """The real working-day calendar of a definition, built once per calendar spec."""
    spec: CalendarSpec = process.calendar
    found = _calendars.get(spec)
    if found is None:
        from reviewflow.engine.calendar.workdays import (
            calendar_for,  # imported late: `holidays` is slow to import
        )

        found = _calendars[spec] = calendar_for(spec)
    return found


@dataclass(frozen=True)
class Anchor:
    event: str  # an event id, or "<gate>.decided" / "<gate>.recommended"
    seq: int
    at: date  # the date counted from: the event's date, or its planned_date for a planned event
    recorded_at: date | None = None  # set for planned anchors: when the plan was recorded

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"event": self.event, "seq": self.seq, "date": self.at.isoformat()}
        if self.recorded_at is not None:
            out["recorded_at"] = self.recorded_at.isoformat()
        return out


@dataclass(frozen=True)
class Control:
    """An extension, pause, resumption or waiver recorded against a deadline."""

    kind: str  # "extended" | "paused" | "resumed" | "waived"
    seq: int
    at: date
    by: str
    reason: str
    to: date | None = None
    working_days: int | None = None
    hold: str | None = None  # set when a hold's start or end made this pause or resumption


@dataclass(frozen=True)
class Adjustment:
    """One move of the due date (or a waiver), kept so the original is never lost."""

    kind: str  # "extended" | "paused" | "waived"
    seq: int
    at: date
    by: str
    reason: str
    from_due: date
    to_due: date
    until: date | None = None  # for a pause: the resume date (None while still paused)
    days: int = 0  # for a pause: the working (or calendar) days the due date moved on

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "seq": self.seq, "at": self.at.isoformat(), "by": self.by,
            "reason": self.reason, "from": self.from_due.isoformat(), "to": self.to_due.isoformat(),
            "until": self.until.isoformat() if self.until else None, "days": self.days,
        }


@dataclass(frozen=True)
class DeadlineInstance:
    id: str
    title: str
    weight: str
    rule: str
    citation: str | None
    anchor: Anchor
    due: date
    window_start: date | None
    original_due: date
    status: str
    met_at: date | None = None
    met_seq: int | None = None
    early: bool = False  # met before the window opened
    non_working: str | None = None  # why the due date is not a working day (calendar-day rules, D-3)
    provisional: bool = False  # the calendar's holidays for that year may still change
    adjustments: tuple[Adjustment, ...] = ()
    owner: str | None = None
    escalate_to: str | None = None
    unit: str = "working_days"

    @property
    def extensions(self) -> tuple[Adjustment, ...]:
        return tuple(a for a in self.adjustments if a.kind == "extended")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "due": self.due.isoformat(),
            "window": ({"from": self.window_start.isoformat(), "to": self.due.isoformat()}
                       if self.window_start else None),
            "status": self.status,
            "weight": self.weight,
            "citation": self.citation,
            "original_due": self.original_due.isoformat(),
            "rule": self.rule,
            "anchor": self.anchor.to_dict(),
            "met_at": self.met_at.isoformat() if self.met_at else None,
            "early": self.early,
            "non_working": self.non_working,
            "provisional": self.provisional,
            "extensions": [a.to_dict() for a in self.adjustments if a.kind == "extended"],
            "pauses": [a.to_dict() for a in self.adjustments if a.kind == "paused"],
            "owner": self.owner,
            "escalate_to": self.escalate_to,
        }


def citation_text(process: Process, cite: Citation | None) -> str | None:
    """One line naming the source, section and basis, e.g. 'SEED-X §2 Notification (WT): 5 WD …'."""
    if cite is None:
        return None
    text = cite.source
    if cite.section:
        text += f" §{cite.section}"
    if cite.basis is not None:
        text += f" ({cite.basis.value})"
    if cite.note:
        text += f": {cite.note}"
    return text


def working_days_in(cal: CalendarLike, after: date, upto: date) -> int:
    """Working days d with after < d <= upto (0 when upto <= after)."""
    count, d = 0, after + timedelta(days=1)
    while d <= upto:
        count += cal.is_working_day(d)
        d += timedelta(days=1)
    return count


def _apply_controls(cal: CalendarLike, rule: DeadlineRule, due: date, controls: Sequence[Control],
                    anchor_at: date) -> tuple[date, tuple[Adjustment, ...], Control | None, Control | None]:
    """The due date after every control in order; returns (due, adjustments, open pause, waiver).

    Pauses nest (a hold and a manual pause, or two holds, over one deadline): the clock stops at the first
    pause and restarts at the last resumption. Time paused before the deadline's anchor is not counted."""
    if not controls:  # most deadlines of most cases: nothing recorded against them
        return due, (), None, None
    adjustments: list[Adjustment] = []
    paused: Control | None = None
    depth = 0
    waiver: Control | None = None
    for c in sorted(controls, key=lambda c: c.seq):
        if c.kind == "extended":
            new = c.to if c.to is not None else cal.add_working_days(due, c.working_days or 0)
            adjustments.append(Adjustment("extended", c.seq, c.at, c.by, c.reason, due, new))
            due = new
        elif c.kind == "paused":
            if depth == 0:
                paused = c
            depth += 1
        elif c.kind == "resumed" and paused is not None:
            depth -= 1
            if depth > 0:
                continue
            start = max(paused.at, anchor_at)
            if rule.unit == "working_days":
                days = working_days_in(cal, start, c.at)
                new = cal.add_working_days(due, days) if days else due
            else:
                days = max((c.at - start).days, 0)
                new = due + timedelta(days=days)
            adjustments.append(Adjustment("paused", paused.seq, paused.at, paused.by, paused.reason,
                                          due, new, until=c.at, days=days))
            due, paused = new, None
        elif c.kind == "waived":
            waiver = c
            adjustments.append(Adjustment("waived", c.seq, c.at, c.by, c.reason, due, due))
    if paused is not None:
        adjustments.append(Adjustment("paused", paused.seq, paused.at, paused.by, paused.reason, due, due))
    return due, tuple(adjustments), paused, waiver


def due_soon_days(deadline: Deadline) -> int:
    return max((r.working_days_before for r in deadline.reminders), default=DEFAULT_DUE_SOON)


def owner_of(process: Process, deadline: Deadline) -> str | None:
    """Who is expected to meet it: the first role that may record its first met_by event."""
    for name in deadline.met_by:
        if name in process.events and process.events[name].by:
            return process.events[name].by[0]
        gate_id, _, suffix = name.partition(".")
        gate = process.gates.get(gate_id)
        if gate is not None:
            return gate.recommended_by if suffix == "recommended" and gate.recommended_by else gate.decided_by
    return None


def open_status(cal: CalendarLike, due: date, as_of: date, soon: int, paused: bool, extended: bool) -> str:
    """The status of a deadline not met, waived or closed: the one rule `case show` and `due` share."""
    if paused:
        return "paused"
    if as_of > due:
        return "overdue"
    if cal.add_working_days(as_of, soon) >= due:
        return "due_soon"
    return "extended" if extended else "pending"


def instance(process: Process, cal: CalendarLike, deadline: Deadline, anchor: Anchor,
             met: tuple[int, date] | None, controls: Sequence[Control], applies: bool,
             as_of: date, closed: bool = False) -> DeadlineInstance:
    """One deadline of one case, with its status as of `as_of` (`closed`: the case has ended)."""
    rule = deadline.rule
    window_start, original, due, adjustments, status, early = _worked_out(cal, deadline, anchor, met, controls,
                                                                          applies, as_of, closed)
    described, citation, owner = fixed_parts(process, deadline)
    return DeadlineInstance(
        id=deadline.id, title=deadline.title, weight=deadline.weight.value, rule=described,
        citation=citation, anchor=anchor, due=due,
        window_start=window_start, original_due=original, status=status,
        met_at=met[1] if met else None, met_seq=met[0] if met else None, early=early,
        non_working=None if rule.unit == "working_days" else cal.non_working_reason(due),
        provisional=cal.is_provisional(due), adjustments=adjustments,
        owner=owner, escalate_to=deadline.escalate_to, unit=rule.unit,
    )


def open_dates(cal: CalendarLike, deadline: Deadline, anchor: Anchor,
               met: tuple[int, date] | None, controls: Sequence[Control], applies: bool,
               as_of: date, closed: bool = False) -> tuple[date | None, date, str, bool] | None:
    """(window start, due date, status, whether an extension moved it) of the deadline when `instance`
    would give it an open status, None otherwise; without building the instance (what the open-deadline projection needs of every
    deadline of every case, and `verify` works out again for every case in the store).

    Every step that can fail on a case's own dates is taken as `instance` takes it, so a case whose
    deadlines cannot be worked out fails here too."""
    rule = deadline.rule
    window_start, _, due, adjustments, status, _ = _worked_out(cal, deadline, anchor, met, controls, applies, as_of,
                                                               closed)
    if rule.unit != "working_days":
        cal.non_working_reason(due)
    if status not in OPEN_STATUSES:
        return None
    return window_start, due, status, any(a.kind == "extended" for a in adjustments)


def _worked_out(cal: CalendarLike, deadline: Deadline, anchor: Anchor, met: tuple[int, date] | None,
                controls: Sequence[Control], applies: bool, as_of: date, closed: bool
                ) -> tuple[date | None, date, date, tuple[Adjustment, ...], str, bool]:
    """(window start, original due, due, adjustments, status, early) of one deadline of one case."""
    rule = deadline.rule
    window_start, original = base_dates(cal, rule, anchor.at)
    due, adjustments, paused, waiver = _apply_controls(cal, rule, original, controls, anchor.at)
    early = False
    if not applies:
        status = "not_applicable"
    elif waiver is not None:
        status = "waived"
    elif met is not None:
        early = window_start is not None and met[1] < window_start
        status = "early" if early else "met" if met[1] <= due else "met_late"
    elif closed:
        status = "closed"
    else:
        status = open_status(cal, due, as_of, due_soon_days(deadline), paused is not None,
                             any(a.kind == "extended" for a in adjustments))
    return window_start, original, due, adjustments, status, early


# What a deadline's instances share whatever the case (its rule in words, its citation, its owner), worked
# out once per definition: every case replayed, listed or verified asks for them again.
_fixed_cache: dict[int, tuple[Process, dict[int, tuple[Deadline, str, str | None, str | None]]]] = {}


def fixed_parts(process: Process, deadline: Deadline) -> tuple[str, str | None, str | None]:
    """(its rule in words, its citation, its owner): the same for every case under `process`."""
    kept = _fixed_cache.get(id(process))
    if kept is None or kept[0] is not process:
        if len(_fixed_cache) > 64:
            _fixed_cache.clear()
        kept = _fixed_cache[id(process)] = (process, {})
    hit = kept[1].get(id(deadline))
    if hit is None or hit[0] is not deadline:
        hit = kept[1][id(deadline)] = (deadline, deadline.rule.describe(), citation_text(process, deadline.cite),
                                       owner_of(process, deadline))
    return hit[1], hit[2], hit[3]


@dataclass(frozen=True)
class DeadlineExplanation:
    """Everything needed to check a due date by hand."""

    deadline: DeadlineInstance
    counted: list[date] = field(default_factory=list)
    skipped: list[tuple[date, str]] = field(default_factory=list)
    method: str = ""
    calendar: str = ""
    met_by: tuple[str, ...] = ()  # the events any one of which meets it
    ruling: str | None = None  # the definition's reading of an ambiguous source (deadline `ruling:`)

    def to_dict(self) -> dict[str, Any]:
        d = self.deadline
        return {
            "id": d.id, "title": d.title, "rule": d.rule, "anchor": d.anchor.to_dict(),
            "met_by": list(self.met_by), "ruling": self.ruling,
            "citation": d.citation, "weight": d.weight, "status": d.status, "method": self.method,
            "counted": [x.isoformat() for x in self.counted],
            "skipped": [{"date": x.isoformat(), "reason": why} for x, why in self.skipped],
            "window": ({"from": d.window_start.isoformat(), "to": d.due.isoformat()}
                       if d.window_start else None),
            "original_due": d.original_due.isoformat(), "due": d.due.isoformat(),
            "non_working": d.non_working, "provisional": d.provisional,
            "adjustments": [a.to_dict() for a in d.adjustments],
            "met_at": d.met_at.isoformat() if d.met_at else None, "calendar": self.calendar,
        }


def explain(cal: CalendarLike, deadline: Deadline, inst: DeadlineInstance) -> DeadlineExplanation:
    """The counted and skipped days from the anchor to the original due date, plus the adjustments."""
    rule = deadline.rule
    sign = -1 if rule.direction == "before" else 1
    n = sign * (rule.n_to if rule.n_to is not None else rule.n)
    counted: list[date] = []
    skipped: list[tuple[date, str]] = []
    start = inst.anchor.at
    if rule.fixed is not None:
        method = f"a fixed date: {rule.fixed.isoformat()}, whenever the case opened"
    elif rule.unit == "working_days":
        ex = cal.explain_working_days(start, n)
        counted, skipped = list(ex.counted), [(d, str(why)) for d, why in ex.skipped]
        method = (f"R1/R2: day 0 is {start.isoformat()} and is never counted; "
                  f"{abs(n)} working day{'' if abs(n) == 1 else 's'} counted {'back' if n < 0 else 'on'}")
    elif rule.unit == "calendar_days":
        step = 1 if n >= 0 else -1
        counted = [start + timedelta(days=step * i) for i in range(1, abs(n) + 1)]
        raw = start + timedelta(days=n)
        d = raw
        while d < inst.original_due:  # days passed over by rolling forward to a working day
            skipped.append((d, cal.non_working_reason(d) or "not a working day"))
            d += timedelta(days=1)
        method = f"{abs(n)} calendar days {'before' if n < 0 else 'after'} {start.isoformat()}"
        method += " (rolled forward to a working day)" if rule.roll == "forward" else " (no roll)"
    else:
        method = (f"{abs(n)} calendar months {'before' if n < 0 else 'after'} {start.isoformat()}, "
                  "clamped to the end of a shorter month; no working-day adjustment (R5)")
    provenance = getattr(cal, "provenance", "")
    return DeadlineExplanation(inst, counted, skipped, method, str(provenance), deadline.met_by, deadline.ruling)
