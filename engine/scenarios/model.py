"""Scenario values: a scenario file, once it has passed its schema, as frozen dataclasses.

A scenario opens one case under one process definition, then runs `steps` in order. A step is an
action (record, recommend, decide, reconsider, extend, pause, resume, waive, hold, hold_review,
hold_end) or an `expect:` check at a date.
Every element keeps the `Location` it was written at, so a failed expectation points back to its line.
The format is documented in docs/scenarios.md; its structure is schemas/scenario.schema.json.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from reviewflow.engine.dates import iso_date_or_none
from reviewflow.engine.errors import Location

ACTION_KINDS: tuple[str, ...] = ("record", "recommend", "decide", "reconsider", "extend", "pause", "resume", "waive",
                                 "hold", "hold_review", "hold_end")
STEP_KINDS: tuple[str, ...] = (*ACTION_KINDS, "expect")
GATE_KINDS = frozenset({"recommend", "decide", "reconsider"})
DEADLINE_KINDS = frozenset({"extend", "pause", "resume", "waive"})
HOLD_KINDS = frozenset({"hold", "hold_review", "hold_end"})

DEFAULT_REF = "SCENARIO-1"
DEFAULT_PSEUDONYM = "Child A"


@dataclass(frozen=True)
class Refusal:
    """The step must be refused; when `reason_contains` is given, the refusal must say so."""

    reason_contains: str | None
    location: Location


@dataclass(frozen=True)
class Opening:
    ref: str
    at: date
    by: str
    pseudonym: str | None = None
    actor: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)
    location: Location = Location("<unknown>")


@dataclass(frozen=True)
class Action:
    """One action step. `target` is the event, gate or deadline id named by the kind key."""

    kind: str
    target: str
    at: date
    by: str
    index: int  # 0-based position in `steps`
    as_of: date | None = None
    actor: str | None = None
    note: str | None = None
    refused: Refusal | None = None
    agency: str | None = None
    values: Mapping[str, Any] = field(default_factory=dict)  # record: `set`
    planned_date: date | None = None
    option: str | None = None
    rationale: str | None = None
    reason: str | None = None
    to: date | None = None
    working_days: int | None = None
    location: Location = Location("<unknown>")
    prompted_by: int | str | None = None  # reconsider
    review_on: date | None = None  # hold, hold_review
    what: str | None = None  # publication events
    where: str | None = None
    online_until: date | None = None

    def describe(self) -> str:
        text = f"{self.kind} {self.target}"
        if self.option:
            text += f" → {self.option}"
        if self.agency:
            text += f" ({self.agency})"
        return f"{text} by {self.by} on {self.at.isoformat()}"


@dataclass(frozen=True)
class Check:
    """One thing an expectation checks: `what` names it (e.g. "deadline rapid_review due")."""

    what: str
    key: str  # stage | closed | outcome | allowed | allowed_contains | not_allowed | tasks_open | field | deadline |
    #           task | gate | hold | notifications_open | publication
    expected: Any
    location: Location
    deadline: str | None = None  # the deadline, gate or hold id, or TASK/AGENCY (key "task")
    attribute: str | None = None  # deadline attribute or field id


@dataclass(frozen=True)
class Expectation:
    as_of: date | None  # None: the date of the previous step
    checks: tuple[Check, ...]
    index: int
    note: str | None = None
    location: Location = Location("<unknown>")


Step = Action | Expectation


@dataclass(frozen=True)
class Scenario:
    file: str
    title: str
    process: str
    opening: Opening
    steps: tuple[Step, ...]
    description: str | None = None
    location: Location = Location("<unknown>")


# --- building from a schema-valid document -------------------------------------------------------

Locate = Callable[[str], Location]


def _date(value: Any) -> date | None:
    return iso_date_or_none(value)


def parse_scenario(data: Mapping[str, Any], file: str, locate: Locate, locate_key: Locate) -> Scenario:
    """Build a Scenario from data that passed the schema and the date checks (see scenarios_check)."""
    opening_data = data["open"]
    opening = Opening(
        ref=str(opening_data.get("ref") or DEFAULT_REF),
        at=_date(opening_data["at"]) or date.min,
        by=opening_data["by"],
        pseudonym=opening_data.get("pseudonym") or DEFAULT_PSEUDONYM,
        actor=opening_data.get("actor"),
        fields=dict(opening_data.get("fields") or {}),
        location=locate_key("/open"),
    )
    steps: list[Step] = []
    for index, raw in enumerate(data["steps"]):
        pointer = f"/steps/{index}"
        if "expect" in raw:
            steps.append(_expectation(raw, index, pointer, locate, locate_key))
        else:
            steps.append(_action(raw, index, pointer, locate, locate_key))
    return Scenario(
        file=file,
        title=data["title"],
        process=data["process"],
        opening=opening,
        steps=tuple(steps),
        description=data.get("description"),
        location=locate(""),
    )


def step_kind(raw: Mapping[str, Any]) -> str | None:
    kinds = [k for k in STEP_KINDS if k in raw]
    return kinds[0] if len(kinds) == 1 else None


def _action(raw: Mapping[str, Any], index: int, pointer: str, locate: Locate, locate_key: Locate) -> Action:
    kind = step_kind(raw) or "record"
    refused = None
    if "refused" in raw:
        refused_data = raw["refused"] or {}
        refused = Refusal(refused_data.get("reason_contains"), locate_key(f"{pointer}/refused"))
    return Action(
        kind=kind,
        target=raw[kind],
        at=_date(raw["at"]) or date.min,
        by=raw["by"],
        index=index,
        as_of=_date(raw.get("as_of")),
        actor=raw.get("actor"),
        note=raw.get("note"),
        refused=refused,
        agency=raw.get("agency"),
        values=dict(raw.get("set") or {}),
        planned_date=_date(raw.get("planned_date")),
        option=raw.get("option"),
        rationale=raw.get("rationale"),
        reason=raw.get("reason"),
        to=_date(raw.get("to")),
        working_days=raw.get("working_days"),
        location=locate_key(f"{pointer}/{kind}"),
        prompted_by=raw.get("prompted_by"),
        review_on=_date(raw.get("review_on")),
        what=raw.get("what"),
        where=raw.get("where"),
        online_until=_date(raw.get("online_until")),
    )


def _expectation(raw: Mapping[str, Any], index: int, pointer: str, locate: Locate,
                 locate_key: Locate) -> Expectation:
    body = raw["expect"]
    base = f"{pointer}/expect"
    checks: list[Check] = []

    def add(key: str, what: str, expected: Any, sub: str, **extra: Any) -> None:
        checks.append(Check(what, key, expected, locate_key(f"{base}/{sub}"), **extra))

    if "stage" in body:
        add("stage", "stage", body["stage"], "stage")
    if "closed" in body:
        add("closed", "closed", body["closed"], "closed")
    if "outcome" in body:
        add("outcome", "outcome", body["outcome"], "outcome")
    for key in ("allowed", "allowed_contains", "not_allowed", "tasks_open", "notifications_open"):
        if key in body:
            add(key, key.replace("_", " "), list(body[key]), key)
    for field_id, value in (body.get("fields") or {}).items():
        add("field", f"field {field_id}", value, f"fields/{_escape(field_id)}", attribute=field_id)
    for deadline_id, spec in (body.get("deadlines") or {}).items():
        for attribute, value in spec.items():
            expected: Any = value
            if attribute in ("due", "original_due"):
                expected = _date(value)
            elif attribute == "window" and value is not None:
                expected = (_date(value["from"]), _date(value["to"]))
            checks.append(Check(
                what=f"deadline {deadline_id} {attribute.replace('_', ' ')}",
                key="deadline",
                expected=expected,
                location=locate_key(f"{base}/deadlines/{_escape(deadline_id)}/{attribute}"),
                deadline=deadline_id,
                attribute=attribute,
            ))
    for task_key, spec in (body.get("tasks") or {}).items():
        for attribute, value in spec.items():
            checks.append(Check(
                what=f"task {task_key} {attribute.replace('_', ' ')}",
                key="task",
                expected=_date(value) if attribute in ("due", "done_at") else value,
                location=locate_key(f"{base}/tasks/{_escape(task_key)}/{attribute}"),
                deadline=task_key,
                attribute=attribute,
            ))
    checks.extend(_decision_checks(body, base, locate_key))
    return Expectation(
        as_of=_date(body.get("as_of")),
        checks=tuple(checks),
        index=index,
        note=raw.get("note"),
        location=locate_key(f"{pointer}/expect"),
    )


def _decision_checks(body: Mapping[str, Any], base: str, locate_key: Locate) -> list[Check]:
    """The gates, holds and publication expectations of an `expect:` body."""
    checks: list[Check] = []
    for section, key, dated in (("gates", "gate", ()), ("holds", "hold", ("review_on", "ended"))):
        for element_id, spec in (body.get(section) or {}).items():
            for attribute, value in spec.items():
                checks.append(Check(
                    what=f"{key} {element_id} {attribute.replace('_', ' ')}", key=key,
                    expected=_date(value) if attribute in dated else value,
                    location=locate_key(f"{base}/{section}/{_escape(element_id)}/{attribute}"),
                    deadline=element_id, attribute=attribute))
    for attribute, value in (body.get("publication") or {}).items():
        dated_value = attribute in ("planned_date", "online_from", "taken_down")
        checks.append(Check(f"publication {attribute.replace('_', ' ')}", "publication",
                            _date(value) if dated_value else value,
                            locate_key(f"{base}/publication/{attribute}"), attribute=attribute))
    return checks


def _escape(token: str) -> str:
    """JSON pointer escaping of one reference token."""
    return token.replace("~", "~0").replace("/", "~1")
