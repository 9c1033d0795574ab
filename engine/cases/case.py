"""The `Case` aggregate: a case's state is always a fold of its events under its definition.

`Case.replay(process, ref, events)` is pure: it never reads the clock, the store or the file system.
`Case.apply(event)` returns a new case (the incremental path must equal the full replay, which a
property test checks). The commands that check a request and produce new events live in
`reviewflow.engine.cases.commands` (re-exported here: `runtime.record(case, ...)`).

Rules the fold applies:
- An event may be recorded in a stage when that stage has a transition on it, when it is `anytime`, when
  it is the `done_by` of one of the stage's tasks, or when no stage names it at all (a free event such as
  "information requested": allowed in every non-final stage, it moves nothing).
- A transition's guard is evaluated after the event's data is applied and with the event counted.
- A gate's settled option fires the trigger ``"<gate>:<option>"`` of the shared machine, sets the fields
  its `sets` names with one value, and makes its notifications owed; an event its `notified_by` names
  discharges them. Re-opening a gate (`reconsider`) supersedes the notifications still owed.
- An event with `when:` may be recorded only while its guard holds; an active hold blocks the events it
  names and pauses the deadlines it names (reviewflow.engine.cases.holds).
- ``<gate>.decided`` and ``<gate>.recommended`` anchor on their latest occurrence (a reconsidered decision
  restarts what it anchors); every other event anchors on its first.
- A date correction (a `corrected` event carrying `at_date`) changes the date the fold uses for the event
  it supersedes, everywhere (anchors, met dates, stage visits, the order of events); the stored event
  keeps its original date. Applying one replays the case from its first event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from reviewflow.engine.cases import gates as gatemod
from reviewflow.engine.cases import holds as holdmod
from reviewflow.engine.cases import notifications as notes
from reviewflow.engine.cases import tasks as taskmod
from reviewflow.engine.cases.deadlines import (
    Anchor,
    CalendarLike,
    Control,
    DeadlineExplanation,
    DeadlineInstance,
    calendar_for_process,
    explain,
    instance,
)
from reviewflow.engine.cases.machine import (
    CompiledProcess,
    GuardContext,
    compiled,
    first_holding,
    gate_trigger,
)
from reviewflow.engine.definition.model import Authority, Deadline, EventDef, Process
from reviewflow.engine.errors import NotFoundError, did_you_mean
from reviewflow.engine.events import Event
from reviewflow.engine.values import build

CONTROL_KINDS = ("extended", "paused", "resumed", "waived")
GATE_EVENT_KINDS = ("recommended", "decided", "dispute_decided", "reopened")
PSEUDONYM_KEY = "pseudonym"  # kept in the opened event's data so the fold alone knows it
CORRECTED_DATE_KEY = "at_date"  # in a correction's data: the date the superseded event really happened
CORRECTION_KEYS = frozenset({"supersedes", "reason", CORRECTED_DATE_KEY})  # never case data


@dataclass
class Case:
    process: Process
    ref: str
    calendar: CalendarLike
    machine: CompiledProcess
    events: list[Event] = field(default_factory=list)
    pseudonym: str | None = None
    opened_at: date | None = None
    stage: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    field_source: dict[str, int] = field(default_factory=dict)  # field -> seq of the event that set it
    counts: dict[str, int] = field(default_factory=dict)  # event / "<gate>.decided" -> how many
    first: dict[str, tuple[int, date]] = field(default_factory=dict)  # name -> first (seq, date)
    occurrences: dict[str, list[tuple[int, date]]] = field(default_factory=dict)
    agency_done: dict[str, dict[str, tuple[int, date]]] = field(default_factory=dict)
    planned: dict[str, Anchor] = field(default_factory=dict)  # planned event -> latest plan
    gates: dict[str, gatemod.GateState] = field(default_factory=dict)
    controls: dict[str, list[Control]] = field(default_factory=dict)
    visits: list[taskmod.StageVisit] = field(default_factory=list)
    notifications: list[notes.Notification] = field(default_factory=list)
    holds: list[holdmod.HoldSpan] = field(default_factory=list)
    last_blocked_by_guard: bool = False  # the latest event had transitions but no guard held

    # ------------------------------------------------------------------------------- construction

    @classmethod
    def empty(cls, process: Process, ref: str, calendar: CalendarLike | None = None) -> Case:
        global _last_made
        made = _last_made
        if made is None or made[0] is not process:  # a replay of many cases asks for the same one each time
            made = _last_made = (process, calendar_for_process(process), compiled(process))
        return cls(process, ref, calendar or made[1], made[2])

    @classmethod
    def replay(cls, process: Process, ref: str, events: Iterable[Event],
               calendar: CalendarLike | None = None) -> Case:
        """The case's state from its events alone (pure), each event on its corrected date."""
        events = list(events)
        dates = corrected_dates(events)
        case = cls.empty(process, ref, calendar)
        fold = case._fold
        for event in events:
            fold(replace(event, at=dates[event.seq]) if dates and event.seq in dates else event)
        return case

    def apply(self, event: Event) -> Case:
        """A new case with one more event (this one is left unchanged)."""
        if event.kind == "corrected" and CORRECTED_DATE_KEY in event.data:
            return Case.replay(self.process, self.ref, [*self.events, event], self.calendar)  # dates moved
        new = self.copy()
        new._fold(event)
        return new

    def copy(self) -> Case:
        return replace(
            self, events=list(self.events), fields=dict(self.fields), field_source=dict(self.field_source),
            counts=dict(self.counts), first=dict(self.first),
            occurrences={k: list(v) for k, v in self.occurrences.items()},
            agency_done={k: dict(v) for k, v in self.agency_done.items()}, planned=dict(self.planned),
            gates=dict(self.gates), controls={k: list(v) for k, v in self.controls.items()},
            visits=list(self.visits), notifications=list(self.notifications), holds=list(self.holds),
        )

    # ---------------------------------------------------------------------------------- the fold

    def _fold(self, event: Event) -> None:
        if event.seq == 0:
            event = replace(event, seq=len(self.events) + 1)
        self.events.append(event)
        self.last_blocked_by_guard = False
        kind, data = event.kind, event.data
        if kind == "recorded":  # most events: the checks before each step skip what an empty data does not need
            if data:
                self._set_fields(data, event.seq)
            self._count(event.name, event)
            if event.agency is not None:
                self.agency_done.setdefault(event.name, {}).setdefault(event.agency, (event.seq, event.at))
            if data:
                self._plan(event)
            if self.notifications:
                self.notifications = notes.discharge(self.notifications, event)
            self._fire(event.name, event)
        elif kind == "opened":
            self.pseudonym = data.get(PSEUDONYM_KEY)
            self.opened_at = event.at
            self._set_fields(data, event.seq)
            self._count(event.name, event)
            self._plan(event)
            self._enter(self.machine.initial_stage or self.process.initial_stage.id, event)
        elif kind in GATE_EVENT_KINDS:
            self._fold_gate(event)
        elif kind in holdmod.HOLD_KINDS:
            self._fold_hold(event)
        elif kind in CONTROL_KINDS:
            self.controls.setdefault(event.name, []).append(Control(
                kind, event.seq, event.at, event.by, str(data.get("reason", "")),
                _date_or_none(data.get("to")), data.get("working_days")))
        elif kind == "corrected":
            self._fold_correction(event)
        elif kind == "noted":
            self.notifications = notes.close_by_note(self.notifications, event)

    def _count(self, name: str, event: Event) -> None:
        self.counts[name] = self.counts.get(name, 0) + 1
        hit = (event.seq, event.at)
        if name not in self.first:
            self.first[name] = hit
        hits = self.occurrences.get(name)
        if hits is None:
            self.occurrences[name] = [hit]
        else:
            hits.append(hit)

    def _plan(self, event: Event) -> None:
        """A `planned` event (the opening one too, e.g. an action agreed with its due date) anchors on its date."""
        planned = event.data.get("planned_date")
        if planned and self.process.events.get(event.name, _NO_EVENT).planned:
            self.planned[event.name] = Anchor(event.name, event.seq, date.fromisoformat(planned), event.at)

    def _set_fields(self, data: Mapping[str, Any], seq: int) -> None:
        for key, value in data.items():
            if key in self.process.fields:
                self.fields[key] = value
                self.field_source[key] = seq

    def _fire(self, trigger: str, event: Event) -> None:
        edges = self.machine.edges(self.stage, trigger)
        if not edges:
            return
        edge = first_holding(edges, self.fields, self.counts)
        self.last_blocked_by_guard = edge is None
        if edge is not None and edge.to is not None and edge.to != self.stage:
            self._enter(edge.to, event)

    def _enter(self, stage: str, event: Event) -> None:
        # Built with `build`: constructing the two visits cost more than the rest of a fold step.
        if self.visits:
            left = self.visits[-1]
            self.visits[-1] = build(taskmod.StageVisit, stage=left.stage, entered_seq=left.entered_seq,
                                    entered_at=left.entered_at, left_seq=event.seq, left_at=event.at)
        self.visits.append(build(taskmod.StageVisit, stage=stage, entered_seq=event.seq, entered_at=event.at,
                                 left_seq=None, left_at=None))
        self.stage = stage

    def _fold_gate(self, event: Event) -> None:
        gate = self.process.gates[event.name]
        before = self.gates.get(gate.id) or gatemod.GateState(gate.id)
        if event.kind == "reopened":
            prompted = int(event.data.get("prompted_by", 0))
            name = self.events[prompted - 1].name if 0 < prompted <= len(self.events) else ""
            self.gates[gate.id] = gatemod.reopen(before, event, name)
            self.notifications = notes.supersede(self.notifications, gate.id, event.at)
            return
        after = gatemod.fold(self.process, before, event)
        self.gates[gate.id] = after
        if event.kind == "recommended" and before.recommendation is None:
            self._count(f"{gate.id}.recommended", event)
        if after.outcome is not None and before.outcome is None:
            self._count(f"{gate.id}.decided", event)
            option = gate.option(after.outcome.option)
            if option is not None:
                for key, values in option.sets.items():
                    if len(values) == 1 and key in self.process.fields:
                        self.fields[key] = values[0]
                        self.field_source[key] = event.seq
                self.notifications += notes.owed(gate.id, option, event)
                self._fire(gate_trigger(gate.id, option.id), event)

    def _fold_hold(self, event: Event) -> None:
        """A hold started, reviewed or ended; its pauses become pause/resume controls of its deadlines."""
        hold = self.process.holds.get(event.name)
        if hold is None:
            return
        self.holds = holdmod.fold(self.process, self.holds, event)
        step = {"hold_started": 1, "hold_ended": -1}.get(event.kind, 0)
        for deadline_id in hold.pauses if step else ():
            kind = "paused" if step > 0 else "resumed"
            reason = f'hold {hold.id} ({hold.title}): {event.data.get("reason", "")}'
            self.controls.setdefault(deadline_id, []).append(
                Control(kind, event.seq, event.at, event.by, reason, hold=hold.id))

    def _fold_correction(self, event: Event) -> None:
        target = int(event.data.get("supersedes", 0))
        original = self.events[target - 1] if 0 < target <= len(self.events) else None
        for key, value in event.data.items():
            # A later event that set the same field still wins: a correction fixes history, not the present.
            if key in self.process.fields and key not in CORRECTION_KEYS and self.field_source.get(key, 0) <= target:
                self.fields[key] = value
                self.field_source[key] = target
        planned = event.data.get("planned_date")
        if planned and original is not None:
            current = self.planned.get(original.name)
            if current is not None and current.seq == target:
                self.planned[original.name] = replace(current, at=date.fromisoformat(planned))

    # ---------------------------------------------------------------------------------- queries

    @property
    def is_closed(self) -> bool:
        return self.stage in self.machine.final_stages

    @property
    def last_at(self) -> date | None:
        return self.events[-1].at if self.events else None

    def context(self) -> GuardContext:
        return GuardContext(self.fields, self.counts)

    def event(self, seq: int) -> Event:
        if not 0 < seq <= len(self.events):
            raise NotFoundError(f"case {self.ref} has no event {seq}", f"events are 1 to {len(self.events)}")
        return self.events[seq - 1]

    def gate_state(self, gate_id: str) -> gatemod.GateState:
        return self.gates.get(gate_id) or gatemod.GateState(gate_id)

    def stage_named_events(self) -> frozenset[str]:
        """Events some stage names (in a transition or as a task's done_by): the rest are free."""
        return _bound_events(self.process)

    def stage_refusal(self, name: str) -> str | None:
        """Why `name` may not be recorded now, or None when the stage, its `when` and the holds allow it."""
        if self.is_closed:
            return f'the case is closed: stage "{self.stage}" is final'
        ev = self.process.events[name]
        stage = self.process.stages[self.stage]
        allowed = (ev.anytime or self.machine.has_trigger(self.stage, name)
                   or any(t.done_by == name for t in stage.tasks) or name not in self.stage_named_events())
        if not allowed:
            return f'"{name}" is not allowed in stage "{self.stage}" ({stage.title})'
        if ev.when is not None and not ev.when.evaluate(self.fields, self.counts):
            return f'"{name}" may be recorded only when {ev.when.source}'
        hold = holdmod.blocking(self.holds, name)
        if hold is not None:
            review = f", next review {hold.review_on.isoformat()}" if hold.review_on else ""
            return (f'"{name}" is blocked by the hold {hold.kind} ({hold.title}) since '
                    f"{hold.started.isoformat()}{review}: end the hold first")
        return None

    def field_refusal(self, data: Mapping[str, Any]) -> str | None:
        """Why event data may not set a field that a standing decision fixes (its `sets`), or None."""
        return gatemod.field_refusal(self.process, self.gates, data)

    def agency_list(self, name: str) -> str:
        """The list field whose members a per-agency event is recorded for."""
        for stage in self.process.stages.values():
            for task in stage.tasks:
                if task.done_by == name:
                    return task.per
        return "agencies"

    def agencies_left(self, name: str) -> list[str]:
        listed = self.fields.get(self.agency_list(name))
        done = self.agency_done.get(name, {})
        return [str(a) for a in listed if a not in done] if isinstance(listed, list) else []

    def repeat_refusal(self, ev: EventDef) -> str | None:
        if ev.repeat or ev.per_agency or ev.id not in self.first:
            return None
        seq, at = self.first[ev.id]
        return f'"{ev.id}" was already recorded on {at.isoformat()} (event {seq}) and may not repeat'

    def guard_allows(self, name: str) -> bool:
        edges = self.machine.edges(self.stage, name)
        return not edges or any(e.holds(self.context()) for e in edges)

    def anchor(self, name: str) -> Anchor | None:
        if name in self.planned:
            return self.planned[name]
        if "." in name:  # a gate's decision or recommendation: the latest round counts
            hits = self.occurrences.get(name)
            return Anchor(name, hits[-1][0], hits[-1][1]) if hits else None
        hit = self.first.get(name)
        return Anchor(name, hit[0], hit[1]) if hit else None

    def authority(self, deadline: Deadline) -> Authority:
        return deadline.authority or self.process.deadline_authority

    def deadline_def(self, deadline_id: str) -> Deadline:
        found = self.process.deadlines.get(deadline_id)
        if found is None:
            raise NotFoundError(f'unknown deadline "{deadline_id}"', did_you_mean(deadline_id, self.process.deadlines))
        return found

    def deadline(self, deadline_id: str, as_of: date) -> DeadlineInstance | None:
        """One deadline's instance, or None while its anchor is not recorded."""
        d = self.deadline_def(deadline_id)
        anchor = self.anchor(d.rule.anchor)
        if anchor is None:
            return None
        met = self.met(d, anchor)
        applies = d.applies_when is None or bool(d.applies_when.evaluate(self.fields, self.counts))
        return instance(self.process, self.calendar, d, anchor, met, self.controls.get(d.id, ()), applies, as_of,
                        self.is_closed)

    def met(self, d: Deadline, anchor: Anchor) -> tuple[int, date] | None:
        """(seq, date) of the first event that met deadline `d` counted from `anchor`, or None."""
        planned = anchor.recorded_at is not None  # a plan may come after the work it times
        hits = [h for name in d.met_by for h in self.occurrences.get(name, ())
                if planned or h[0] > anchor.seq]
        return min(hits) if hits else None

    def deadlines(self, as_of: date) -> list[DeadlineInstance]:
        """Every instantiated deadline (its anchor is recorded), in definition order."""
        out = []
        for deadline_id in self.process.deadlines:
            inst = self.deadline(deadline_id, as_of)
            if inst is not None:
                out.append(inst)
        return out

    def explain(self, deadline_id: str, as_of: date) -> DeadlineExplanation:
        d = self.deadline_def(deadline_id)
        inst = self.deadline(deadline_id, as_of)
        if inst is None:
            raise NotFoundError(
                f'deadline "{deadline_id}" has not started in case {self.ref}',
                f'it starts when "{d.rule.anchor}" is recorded ({d.rule.describe()})')
        return explain(self.calendar, d, inst)

    def tasks(self, as_of: date) -> list[taskmod.TaskInstance]:
        return taskmod.instances(self.process, self.calendar, self.visits, self.fields, self.first,
                                 self.agency_done, as_of)

    def blocking_tasks(self, as_of: date) -> list[taskmod.TaskInstance]:
        """Instances in the current stage that must be done before the case may leave it."""
        return [t for t in self.tasks(as_of)
                if t.stage == self.stage and t.on_missing == "block" and t.is_missing]

    def outcome(self) -> str | None:
        return self.process.stages[self.stage].outcome if self.is_closed else None


def corrected_dates(events: Iterable[Event]) -> dict[int, date]:
    """{seq: the date a later correction gives event seq}; the latest correction of an event wins."""
    dates: dict[int, date] = {}
    for event in events:
        if event.kind == "corrected" and isinstance(event.data.get(CORRECTED_DATE_KEY), str):
            dates[int(event.data.get("supersedes", 0))] = date.fromisoformat(event.data[CORRECTED_DATE_KEY])
    return dates


_NO_EVENT = EventDef("", "", ())
# The last definition a case was made for, with its calendar and machine (Case.empty).
_last_made: tuple[Process, CalendarLike, CompiledProcess] | None = None
_bound_cache: dict[int, tuple[Process, frozenset[str]]] = {}


def _bound_events(process: Process) -> frozenset[str]:
    hit = _bound_cache.get(id(process))
    if hit is not None and hit[0] is process:
        return hit[1]
    names = {t.event for s in process.stages.values() for t in s.transitions}
    names |= {t.done_by for s in process.stages.values() for t in s.tasks}
    if len(_bound_cache) > 64:
        _bound_cache.clear()
    _bound_cache[id(process)] = (process, frozenset(names))
    return frozenset(names)


def _date_or_none(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None
