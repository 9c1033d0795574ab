"""The process model: frozen values built once from a valid, resolved definition.

Everything downstream (lint, machine, deadlines, runtime, render) reads these types and never the
raw YAML. Each element keeps the `Location` it was written at, so a later problem can point back
to the line that caused it. Mappings keep the order of the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from reviewflow.engine.definition.guards.expressions import Expression
from reviewflow.engine.errors import Location

if TYPE_CHECKING:
    from dataclasses import dataclass  # what type checkers see: the classes are plain frozen dataclasses
else:  # the same classes, defined without compiling generated methods (import time: engine.values)
    from reviewflow.engine.values import frozen_dataclass as dataclass

NOWHERE = Location("<unknown>")

LANGUAGE_VERSION = 1

# Names a gate adds to the event vocabulary: "<gate>.recommended" and "<gate>.decided".
GATE_EVENT_SUFFIXES = ("recommended", "decided")


class Basis(StrEnum):
    LAW = "LAW"
    WT = "WT"
    PANEL = "PANEL"
    LOCAL = "LOCAL"


class Weight(StrEnum):
    STATUTORY = "statutory"
    GUIDANCE = "guidance"
    LOCAL = "local"
    TARGET = "target"

    @property
    def rank(self) -> int:
        """Higher binds harder: a local definition may not lower it below the base's."""
        return {"target": 0, "local": 1, "guidance": 2, "statutory": 3}[self.value]


RoleKind = Literal["partner", "body", "officer", "external", "agency", "family", "practitioner"]
FieldType = Literal["string", "text", "enum", "bool", "int", "date", "list"]
DecisionRule = Literal["single", "all", "majority"]
Unit = Literal["working_days", "calendar_days", "months", "date"]
Recommendation = Literal["required", "advisory"]
PublicationRole = Literal["planned", "published", "taken_down", "disclosed"]
ProcessKind = Literal["case", "action_plan", "learning", "partnership"]
# Kinds whose records are about a child (they need a pseudonym and are listed by `cases`).
CHILD_KINDS = ("case",)


def frozen_map(items: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    return MappingProxyType(dict(items or {}))


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    file: str | None = None
    url: str | None = None
    location: Location = NOWHERE


@dataclass(frozen=True)
class Citation:
    source: str  # key into Process.sources
    section: str | None = None
    basis: Basis | None = None
    note: str | None = None
    confidence: Literal["C", "I", "U"] | None = None
    location: Location = NOWHERE


@dataclass(frozen=True)
class ChairRotation:
    """A chair that rotates among roles every `every_months`, starting with the first on `starting`."""

    among: tuple[str, ...]
    every_months: int
    starting: date

    def chair_on(self, on: date) -> str:
        months = (on.year - self.starting.year) * 12 + (on.month - self.starting.month)
        if on.day < self.starting.day:
            months -= 1
        turn = (months // self.every_months) % len(self.among)
        return self.among[turn]


@dataclass(frozen=True)
class Role:
    id: str
    title: str
    kind: RoleKind = "officer"
    description: str | None = None
    members: tuple[str, ...] = ()
    chair: str | ChairRotation | None = None
    replaces: str | None = None  # a base role this one stands for
    mandatory: bool = False
    cite: Citation | None = None
    location: Location = NOWHERE

    def chair_on(self, on: date) -> str | None:
        if isinstance(self.chair, ChairRotation):
            return self.chair.chair_on(on)
        return self.chair


@dataclass(frozen=True)
class Field:
    id: str
    title: str
    type: FieldType
    values: tuple[str, ...] = ()  # allowed values for enum, or for list members
    personal: bool = False
    required: bool = False  # must be given when the case opens
    description: str | None = None
    vocabulary: str | None = None  # a partnership definition whose theme ids are the allowed members
    location: Location = NOWHERE


@dataclass(frozen=True)
class EventDef:
    id: str
    title: str
    by: tuple[str, ...]  # roles that may record it
    sets: tuple[str, ...] = ()  # fields it must carry
    may_set: tuple[str, ...] = ()  # fields it may carry
    repeat: bool = False
    per_agency: bool = False
    anytime: bool = False
    planned: bool = False  # carries a planned date; `before` deadlines count back from it
    description: str | None = None
    cite: Citation | None = None
    location: Location = NOWHERE
    when: Expression | None = None  # the event may be recorded only while this guard holds
    publication: PublicationRole | None = None  # its part in the case's publication record


@dataclass(frozen=True)
class DeadlineRule:
    """`n` units after/before `anchor`; a window has `n` as its earliest and `n_to` as its latest."""

    unit: Unit
    n: int
    anchor: str  # an event id or "<gate>.decided" / "<gate>.recommended"
    direction: Literal["after", "before"] = "after"
    n_to: int | None = None  # set for windows
    roll: Literal["none", "forward"] = "none"  # calendar days only
    location: Location = NOWHERE
    fixed: date | None = None  # unit "date": a fixed calendar date (anchor: the opening event)

    @property
    def is_window(self) -> bool:
        return self.n_to is not None

    def describe(self) -> str:
        if self.fixed is not None:
            return f"on {self.fixed.isoformat()}"
        unit = self.unit.replace("_", " ")
        if self.n == 1 and not self.is_window:
            unit = unit.rstrip("s")  # "1 working day", "1 month"
        if self.is_window:
            return f"between {self.n} and {self.n_to} {unit} {self.direction} {self.anchor}"
        text = f"{self.n} {unit} {self.direction} {self.anchor}"
        if self.roll == "forward":
            text += " (rolled forward to a working day)"
        return text


@dataclass(frozen=True)
class Reminder:
    working_days_before: int


@dataclass(frozen=True)
class Authority:
    extend: tuple[str, ...] = ()
    pause: tuple[str, ...] = ()
    waive: tuple[str, ...] = ()


@dataclass(frozen=True)
class Deadline:
    id: str
    title: str
    rule: DeadlineRule
    met_by: tuple[str, ...]
    weight: Weight = Weight.GUIDANCE
    applies_when: Expression | None = None
    reminders: tuple[Reminder, ...] = ()
    escalate_to: str | None = None
    authority: Authority | None = None  # None: the process-wide deadline_authority
    mandatory: bool = False
    locked: bool = False
    description: str | None = None
    cite: Citation | None = None
    location: Location = NOWHERE
    ruling: str | None = None  # how an ambiguous source was read for this deadline (shown by explain)


@dataclass(frozen=True)
class Transition:
    event: str
    to: str
    when: Expression | None = None
    location: Location = NOWHERE


@dataclass(frozen=True)
class Task:
    """Parallel work: one instance per member of the list field `per` (normally `agencies`)."""

    id: str
    title: str
    per: str
    done_by: str
    due: DeadlineRule | None = None
    on_missing: Literal["proceed", "block"] = "proceed"
    location: Location = NOWHERE


@dataclass(frozen=True)
class Stage:
    id: str
    title: str
    owner: str | None = None
    description: str | None = None
    initial: bool = False
    final: bool = False
    outcome: str | None = None
    transitions: tuple[Transition, ...] = ()
    tasks: tuple[Task, ...] = ()
    mandatory: bool = False
    cite: Citation | None = None
    location: Location = NOWHERE


@dataclass(frozen=True)
class GateOption:
    id: str
    title: str
    to: str | None
    notify: tuple[str, ...] = ()
    notify_note: str | None = None
    location: Location = NOWHERE
    # field -> the values this decision allows it (one value: the decision sets it)
    sets: Mapping[str, tuple[Any, ...]] = field(default_factory=frozen_map)
    notified_by: Mapping[str, str] = field(default_factory=frozen_map)  # recipient -> discharging event


@dataclass(frozen=True)
class Reconsider:
    """Who may re-open a settled decision, and which recorded events may prompt it."""

    by: tuple[str, ...]
    prompted_by: tuple[str, ...]
    location: Location = NOWHERE


@dataclass(frozen=True)
class Dispute:
    decided_by: str
    location: Location = NOWHERE


@dataclass(frozen=True)
class Gate:
    id: str
    title: str
    at: str  # the stage in which the gate is open
    decided_by: str
    options: tuple[GateOption, ...]
    question: str | None = None
    criteria: tuple[str, ...] = ()
    recommended_by: str | None = None
    rule: DecisionRule = "single"
    dispute: Dispute | None = None
    separation_of_duties: bool = True
    rationale_required: bool = True
    mandatory: bool = False
    cite: Citation | None = None
    location: Location = NOWHERE
    recommendation: Recommendation = "required"  # advisory: the decision need not wait for it
    reconsider: Reconsider | None = None  # None: once settled, the decision is final

    def option(self, option_id: str) -> GateOption | None:
        return next((o for o in self.options if o.id == option_id), None)


@dataclass(frozen=True)
class Hold:
    """A legal hold on a case (criminal proceedings, an inquest ...): what it pauses and what it blocks."""

    id: str
    title: str
    by: tuple[str, ...]  # who may start, review and end it
    pauses: tuple[str, ...] = ()  # deadline ids whose clocks stop while it is active
    blocks: tuple[str, ...] = ()  # event ids that may not be recorded while it is active
    description: str | None = None
    cite: Citation | None = None
    location: Location = NOWHERE


@dataclass(frozen=True)
class Deviation:
    item: str  # "<section>.<id>", e.g. "deadlines.notify_panel"
    reason: str
    approved_by: str | None = None
    approved_on: date | None = None
    location: Location = NOWHERE


@dataclass(frozen=True)
class Closure:
    on: date
    name: str
    location: Location = field(default=NOWHERE, compare=False)  # not part of a calendar's identity


@dataclass(frozen=True)
class CalendarSpec:
    region: str = "england-and-wales"
    closures: tuple[Closure, ...] = ()
    extra_holidays: tuple[Closure, ...] = ()


@dataclass(frozen=True)
class ThemeResponse:
    text: str
    as_of: date | None = None
    cite: Citation | None = None


@dataclass(frozen=True)
class Theme:
    """One theme of a partnership's vocabulary: what reviews found, and the partnership's responses."""

    id: str
    title: str
    description: str | None = None
    responses: tuple[ThemeResponse, ...] = ()
    cite: Citation | None = None
    location: Location = NOWHERE


@dataclass(frozen=True)
class Reporting:
    """A partnership's report settings (docs/learning.md); None means the documented default."""

    suppress_below: int | None = None
    suppress_note: str | None = None
    counted_from: str | None = None
    outcome_field: str | None = None
    cspr: tuple[str, ...] | None = None
    no_review: tuple[str, ...] | None = None
    timeliness: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Process:
    id: str
    title: str
    version: str
    language: int = LANGUAGE_VERSION
    kind: ProcessKind = "case"
    partnership: str | None = None
    description: str | None = None
    effective_from: date | None = None
    effective_to: date | None = None
    extends: str | None = None
    opens_with: str | None = None
    notes: tuple[str, ...] = ()
    sources: Mapping[str, Source] = field(default_factory=frozen_map)
    calendar: CalendarSpec = CalendarSpec()
    roles: Mapping[str, Role] = field(default_factory=frozen_map)
    fields: Mapping[str, Field] = field(default_factory=frozen_map)
    events: Mapping[str, EventDef] = field(default_factory=frozen_map)
    stages: Mapping[str, Stage] = field(default_factory=frozen_map)
    deadlines: Mapping[str, Deadline] = field(default_factory=frozen_map)
    gates: Mapping[str, Gate] = field(default_factory=frozen_map)
    holds: Mapping[str, Hold] = field(default_factory=frozen_map)
    deadline_authority: Authority = Authority()
    deviations: tuple[Deviation, ...] = ()
    overseen_by: str | None = None  # action plans: the body that oversees the actions
    member_processes: tuple[str, ...] = ()  # partnerships: `processes:`, the definitions that belong to it
    themes: Mapping[str, Theme] = field(default_factory=frozen_map)  # partnerships: the theme vocabulary
    reporting: Reporting | None = None  # partnerships: report settings
    file: str = "<memory>"
    text_hash: str = ""  # sha256 of the exact resolved definition text(s)
    location: Location = NOWHERE
    # Paths of the base this file deleted with `null` (e.g. ("deadlines", "notify_panel")): where each
    # `null` was written, so a finding about a removed item can point at the line that removed it.
    removed: Mapping[tuple[str | int, ...], Location] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def about_a_child(self) -> bool:
        """Its records are cases about a child: they carry a pseudonym and `cases` lists them."""
        return self.kind in CHILD_KINDS

    @property
    def initial_stage(self) -> Stage:
        return next(s for s in self.stages.values() if s.initial)

    def in_force(self, on: date) -> bool:
        """Whether `on` lies within effective_from .. effective_to (either may be open)."""
        return ((self.effective_from is None or on >= self.effective_from)
                and (self.effective_to is None or on <= self.effective_to))

    def gate_at(self, stage_id: str) -> Gate | None:
        return next((g for g in self.gates.values() if g.at == stage_id), None)

    def event_names(self) -> set[str]:
        """Every name an anchor or met_by may use: events plus the gates' implicit events."""
        names = set(self.events)
        for gate in self.gates:
            names.update(f"{gate}.{suffix}" for suffix in GATE_EVENT_SUFFIXES)
        return names

    def personal_fields(self) -> set[str]:
        return {f.id for f in self.fields.values() if f.personal}
