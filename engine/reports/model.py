"""The plain values a report is computed from, and the report itself.

Facts come in already read from the records (by `reviewflow.engine.oversight.facts`): no `Case`, no store,
no personal field ever reaches this package. Every count goes out as a `Cell`, which knows whether it is
shown or suppressed and why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

DEFAULT_SUPPRESS_BELOW = 5
DEFAULT_COUNTED_FROM = "notified_panel"
DEFAULT_OUTCOME_FIELD = "review_type"
DEFAULT_CSPR = ("local_cspr",)
DEFAULT_NO_REVIEW = ("no_further_review",)
NATIONAL = "national_review"
DEFAULT_TIMELINESS = ("notify_panel", "rapid_review_due", "review_target")
BREAKDOWN_FIELDS = ("age_band", "sex", "harm")


# ------------------------------------------------------------------------------------------------ in


@dataclass(frozen=True)
class Timeliness:
    """One deadline of one case: when it was due, when (or whether) it was met, and how late."""

    deadline: str
    title: str
    rule: str
    due: date
    met_at: date | None
    status: str  # met, met_late, overdue, pending, due_soon, extended, paused, waived, not_applicable
    late_by: int | None  # days late (met late, or still open past the due date on as_of)
    unit: str  # "working day" or "calendar day"


@dataclass(frozen=True)
class CaseFact:
    ref: str
    pseudonym: str | None
    process: str
    counted_on: date | None  # the date of the event that puts the case in a period (None: not counted)
    values: Mapping[str, str | None]  # the breakdown fields (age_band, sex, harm)
    themes: tuple[str, ...]
    outcome: str | None  # the outcome field's value (the review that followed), None while undecided
    timeliness: tuple[Timeliness, ...] = ()


@dataclass(frozen=True)
class ActionFact:
    ref: str
    plan: str
    body: str | None
    agreed: date
    due: date | None
    status: str
    overdue: bool
    themes: tuple[str, ...]
    from_cases: tuple[str, ...]


@dataclass(frozen=True)
class OutputFact:
    ref: str
    issued: date
    kind: str
    sessions: int
    attendees: int
    themes: tuple[str, ...]
    interim: bool


@dataclass(frozen=True)
class ThemeFact:
    id: str
    title: str
    description: str | None
    responses: tuple[tuple[str, date | None], ...]


@dataclass(frozen=True)
class Dimension:
    """A field counted in a breakdown, with its values in the definition's order."""

    id: str
    title: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Settings:
    suppress_below: int = DEFAULT_SUPPRESS_BELOW
    suppress_note: str | None = None
    counted_from: str = DEFAULT_COUNTED_FROM
    counted_from_title: str = "Serious incident notification sent to the Panel"
    outcome_field: str = DEFAULT_OUTCOME_FIELD
    cspr: tuple[str, ...] = DEFAULT_CSPR
    no_review: tuple[str, ...] = DEFAULT_NO_REVIEW
    timeliness: tuple[str, ...] = DEFAULT_TIMELINESS


@dataclass(frozen=True)
class ReportInput:
    kind: str  # "scrutiny" or "yearly"
    title: str
    partnership: str | None  # the partnership definition's id
    partnership_title: str | None
    period_from: date
    period_to: date
    as_of: date
    settings: Settings
    dimensions: tuple[Dimension, ...]
    cases: tuple[CaseFact, ...]
    actions: tuple[ActionFact, ...] = ()
    outputs: tuple[OutputFact, ...] = ()
    themes: tuple[ThemeFact, ...] = ()
    action_statuses: tuple[str, ...] = ("open", "completed", "closed")


# ----------------------------------------------------------------------------------------------- out


@dataclass(frozen=True)
class Cell:
    """A count as published: shown, or suppressed ("primary": 1 to threshold-1; "secondary": hidden so a
    shown total cannot reveal a primary cell)."""

    value: int
    suppressed: str | None = None  # None, "primary" or "secondary"

    def shown(self, threshold: int) -> str:
        if self.suppressed == "primary":
            return f"<{threshold}"
        if self.suppressed == "secondary":
            return "suppressed"
        return str(self.value)

    def to_json(self) -> dict[str, Any]:
        if self.suppressed:
            return {"value": None, "suppressed": self.suppressed}
        return {"value": self.value, "suppressed": None}


@dataclass(frozen=True)
class Row:
    id: str
    label: str
    cell: Cell


@dataclass(frozen=True)
class Breakdown:
    id: str
    title: str
    rows: tuple[Row, ...]
    total: Cell


@dataclass(frozen=True)
class LateCase:
    ref: str
    status: str
    due: date
    met_at: date | None
    late_by: int
    unit: str


@dataclass(frozen=True)
class TimelinessRow:
    deadline: str
    title: str
    rule: str
    counts: Breakdown  # on time, late, overdue (still open), not yet due, other (waived, not applicable)
    late: tuple[LateCase, ...]  # empty when the late count is suppressed
    late_listed: bool


@dataclass(frozen=True)
class ThemeRow:
    id: str
    title: str
    description: str | None
    cases: Cell
    actions: Cell
    outputs: Cell
    responses: tuple[tuple[str, date | None], ...]


@dataclass(frozen=True)
class Report:
    kind: str
    title: str
    partnership: str | None
    partnership_title: str | None
    period_from: date
    period_to: date
    as_of: date
    threshold: int
    counting_rule: str
    suppression_rule: str
    rapid_reviews: Cell
    breakdowns: tuple[Breakdown, ...]
    outcomes: Breakdown
    cspr: Cell
    local_reviews: Cell
    timeliness: tuple[TimelinessRow, ...]
    themes: tuple[ThemeRow, ...]
    actions: Breakdown
    actions_overdue: Cell
    outputs: Breakdown
    sessions: int
    attendees: int
    interim_outputs: int
    notes: tuple[str, ...] = field(default_factory=tuple)
