"""A small, lint-clean process built straight from the model, and helpers to break it one way at a time.

Used by test_lint.py and test_conformance.py so the lint rules are tested without YAML.
"""

from __future__ import annotations

import dataclasses
import itertools
from datetime import date
from typing import Any

from reviewflow.engine.definition.guards.expressions import Expression, parse
from reviewflow.engine.definition.model import (
    Citation,
    Deadline,
    DeadlineRule,
    Deviation,
    EventDef,
    Field,
    Gate,
    GateOption,
    Process,
    Reminder,
    Role,
    Source,
    Stage,
    Task,
    Transition,
    Weight,
    frozen_map,
)
from reviewflow.engine.errors import Diagnostic, Location
from reviewflow.engine.lint import lint_process

FILE = "local.yaml"
_lines = itertools.count(10)


def at(file: str = FILE) -> Location:
    """A fresh, distinct location so tests can tell which element a diagnostic points at."""
    return Location(file, next(_lines), 3)


def guard(source: str) -> Expression:
    return parse(source, at())


def after(n: int, anchor: str, unit: str = "working_days", **kw: Any) -> DeadlineRule:
    return DeadlineRule(unit=unit, n=n, anchor=anchor, location=at(), **kw)  # type: ignore[arg-type]


def by_id(*items: Any) -> dict[str, Any]:
    return {item.id: item for item in items}


def make_process(file: str = FILE, **overrides: Any) -> Process:
    """A rapid-review process every lint rule passes. `overrides` replace whole sections."""
    cite = Citation("WT", section="2", location=at(file))
    roles = by_id(
        Role("local_authority", "Local authority", "partner", mandatory=True, cite=cite, location=at(file)),
        Role("police", "Police", "partner", cite=cite, location=at(file)),
        Role("partners", "Safeguarding partners", "body", members=("local_authority", "police"),
             chair="local_authority", cite=cite, location=at(file)),
        Role("review_group", "Review group", "body", members=("local_authority", "police"), cite=cite,
             location=at(file)),
        Role("scrutineer", "Scrutineer", "officer", cite=cite, location=at(file)),
        Role("national_panel", "National Panel", "external", cite=cite, location=at(file)),
        Role("agency", "Agency", "agency", cite=cite, location=at(file)),
    )
    fields = by_id(
        Field("harm", "Harm", "enum", values=("died", "seriously_harmed"), required=True, location=at(file)),
        Field("abuse_suspected", "Abuse suspected", "bool", location=at(file)),
        Field("agencies", "Agencies", "list", values=("police", "health"), location=at(file)),
        Field("age_years", "Age", "int", location=at(file)),
        Field("date_of_birth", "Date of birth", "date", personal=True, location=at(file)),
    )
    events = by_id(
        EventDef("became_aware", "Aware", ("local_authority",), sets=("harm",), may_set=("agencies",),
                 cite=cite, location=at(file)),
        EventDef("notified_panel", "Notified", ("local_authority",), cite=cite, location=at(file)),
        EventDef("information_requested", "Requested", ("partners",), cite=cite, location=at(file),
                 when=guard("recorded(notified_panel)")),
        EventDef("scoping_returned", "Returned", ("agency",), per_agency=True, cite=cite, location=at(file)),
        EventDef("meeting_held", "Meeting", ("review_group",), cite=cite, location=at(file)),
        EventDef("publication_planned", "Planned", ("partners",), planned=True, repeat=True, cite=cite,
                 location=at(file), when=guard("recorded(review_decision.decided)")),
        EventDef("report_copied", "Copied", ("partners",), cite=cite, location=at(file),
                 when=guard("recorded(publication_planned)")),
        EventDef("published", "Published", ("partners",), cite=cite, location=at(file)),
        EventDef("note", "Note", ("partners",), anytime=True, repeat=True, cite=cite, location=at(file)),
    )
    stages = by_id(
        Stage("aware", "Aware", owner="local_authority", initial=True, mandatory=True, cite=cite,
              transitions=(Transition("notified_panel", "rapid_review", guard('harm == "died" or abuse_suspected'),
                                      at(file)),), location=at(file)),
        Stage("rapid_review", "Rapid review", owner="review_group",
              transitions=(Transition("meeting_held", "decision", location=at(file)),),
              tasks=(Task("agency_returns", "Returns", per="agencies", done_by="scoping_returned",
                          due=after(5, "information_requested"), location=at(file)),),
              cite=cite, location=at(file)),
        Stage("decision", "Decision", owner="partners", cite=cite, location=at(file)),
        Stage("review", "Review", owner="partners",
              transitions=(Transition("published", "published", location=at(file)),), cite=cite, location=at(file)),
        Stage("published", "Published", final=True, outcome="Published", location=at(file)),
        Stage("closed", "Closed", final=True, outcome="No review", location=at(file)),
    )
    deadlines = by_id(
        Deadline("notify_panel", "Notify the Panel", after(5, "became_aware"), ("notified_panel",),
                 weight=Weight.GUIDANCE, mandatory=True, locked=True, reminders=(Reminder(2),),
                 escalate_to="partners", cite=cite, location=at(file)),
        Deadline("request_information", "Ask agencies", after(2, "notified_panel", "calendar_days", roll="forward"),
                 ("information_requested",), weight=Weight.LOCAL, cite=cite, location=at(file)),
        Deadline("meeting_window", "Meeting", after(7, "notified_panel", n_to=13), ("meeting_held",),
                 weight=Weight.GUIDANCE, cite=cite, location=at(file)),
        Deadline("review_target", "Complete the review", after(6, "review_decision.decided", "months"),
                 ("published",), weight=Weight.TARGET, applies_when=guard('harm == "died"'), cite=cite,
                 location=at(file)),
        Deadline("pre_publication_copy", "Copy before publication",
                 after(7, "publication_planned", direction="before"), ("report_copied",), cite=cite, location=at(file)),
    )
    gates = by_id(
        Gate("review_decision", "Decide on a review", at="decision", decided_by="partners",
             recommended_by="review_group", rule="all", mandatory=True, cite=cite,
             options=(GateOption("review", "Commission", "review", notify=("national_panel",), location=at(file)),
                      GateOption("none", "No review", "closed", location=at(file))),
             location=at(file)),
    )
    sections: dict[str, Any] = {"roles": roles, "fields": fields, "events": events, "stages": stages,
                                "deadlines": deadlines, "gates": gates,
                                "sources": {"WT": Source("WT", "Working Together", location=at(file))}}
    for key, value in overrides.items():
        if key in sections:
            sections[key] = value
    plain = {k: v for k, v in overrides.items() if k not in sections}
    return Process(
        id="example", title="Example", version="1.0.0", opens_with="became_aware", file=file,
        location=Location(file, 1, 1),
        **{k: frozen_map(v) for k, v in sections.items()}, **plain,  # type: ignore[arg-type]
    )


def change(process: Process, section: str, element_id: str, **changes: Any) -> Process:
    """`process` with one element of a section replaced (changes=None removes it)."""
    items = dict(getattr(process, section))
    if changes.get("remove"):
        del items[element_id]
    else:
        items[element_id] = dataclasses.replace(items[element_id], **changes)
    return dataclasses.replace(process, **{section: frozen_map(items)})


def add(process: Process, section: str, element: Any) -> Process:
    items = dict(getattr(process, section))
    items[element.id] = element
    return dataclasses.replace(process, **{section: frozen_map(items)})


def deviate(process: Process, item: str, reason: str = "Agreed locally for a good reason.") -> Process:
    deviation = Deviation(item, reason, approved_by="Executive", approved_on=date(2024, 3, 1), location=at())
    return dataclasses.replace(process, deviations=(*process.deviations, deviation))


def codes(diagnostics: list[Diagnostic]) -> list[str]:
    return [d.code for d in diagnostics]


def only(diagnostics: list[Diagnostic], code: str) -> list[Diagnostic]:
    return [d for d in diagnostics if d.code == code]


def test_the_factory_process_is_lint_clean() -> None:
    assert lint_process(make_process(), None) == []


def test_an_unchanged_copy_conforms_to_its_base() -> None:
    assert lint_process(make_process(), make_process("base.yaml")) == []
