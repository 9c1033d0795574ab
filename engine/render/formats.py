"""The one registry of what reviewflow prints: each kind of output, the formats it comes in, and the
function that renders each format.

A renderer takes the kind's value (named beside each kind below) and returns text, except that a `json`
renderer returns the JSON-ready payload (the shapes docs/json.md and docs/calendar.md document), which
`render` writes out. The first format of a kind is its default.

Renderers are named here ("module:function" under reviewflow.engine.render) and imported only when used:
the commands read their `--format` choices from this module when they are defined, and `reviewflow
--help` must not load the engine behind the renderers (tests/test_layering.py).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterator, Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from reviewflow.engine.render.terminal import json_safe, printable

RENDER_PACKAGE = "reviewflow.engine.render"


class Output(StrEnum):
    """A kind of output, with the value its renderers take."""

    DIAGNOSTICS = "diagnostics"  # validate: diagnostics.Validation
    PROCESSES = "processes"  # processes: process_view.Catalogue
    GUIDE = "guide"  # show: definition.model.Process
    DIAGRAM = "diagram"  # diagram: definition.model.Process
    CASE = "case"  # case show: service.CaseView
    WRITE = "write"  # case open/record/…: cases.write_report.WriteReport
    HISTORY = "history"  # case history: service.CaseHistory
    EXPLANATION = "explanation"  # case explain: service.DeadlineView
    VERIFICATION = "verification"  # case verify: service.Verification
    CASES = "cases"  # cases: sequence of store.types.CaseRow
    DUE = "due"  # due: service.DueList
    SCENARIOS = "scenarios"  # test: scenario_report.ScenarioReport
    CALENDAR_SUM = "calendar sum"  # calendar add: calendar.answers.DateSum
    CALENDAR_COUNT = "calendar count"  # calendar between: calendar.answers.WorkingDayCount
    CALENDAR_HOLIDAYS = "calendar holidays"  # calendar holidays: calendar.answers.YearHolidays
    CALENDAR_DAY = "calendar day"  # calendar is-working-day: calendar.answers.DayStatus
    STORE_INFO = "store info"  # db info: store.types.StoreInfo
    MEMBERS = "members"  # admin members: store_text.MemberList
    ACTIONS = "actions"  # actions: oversight_text.ActionList
    OUTPUTS = "outputs"  # learning list: oversight_text.OutputList
    REPORT = "report"  # report scrutiny/yearly: reports.model.Report


def _text_and_json(module: str, stem: str) -> Mapping[str, str]:
    return {"text": f"{module}:{stem}_text", "json": f"{module}:{stem}_json"}


REGISTRY: Mapping[Output, Mapping[str, str]] = MappingProxyType({
    Output.DIAGNOSTICS: {"text": "diagnostics:validation_text", "json": "diagnostics:validation_json",
                         "github": "diagnostics:validation_github"},
    Output.PROCESSES: _text_and_json("process_view", "catalogue"),
    Output.GUIDE: {"markdown": "guide:guide_markdown", "json": "process_view:process_json"},
    Output.DIAGRAM: {"mermaid": "diagram:mermaid", "dot": "diagram:dot"},
    Output.CASE: {**_text_and_json("case_text", "show"), "ics": "ics:show_ics"},
    Output.WRITE: {"text": "case_text:write_text"},
    Output.HISTORY: _text_and_json("case_record", "history"),
    Output.EXPLANATION: _text_and_json("case_record", "explanation"),
    Output.VERIFICATION: _text_and_json("case_lists", "verification"),
    Output.CASES: _text_and_json("case_lists", "cases"),
    Output.DUE: {**_text_and_json("case_lists", "due"), "ics": "ics:due_ics"},
    Output.SCENARIOS: {"text": "scenario_report:text_report", "json": "scenario_report:json_report",
                       "junit": "scenario_report:junit_report"},
    Output.CALENDAR_SUM: _text_and_json("calendar_text", "sum"),
    Output.CALENDAR_COUNT: _text_and_json("calendar_text", "count"),
    Output.CALENDAR_HOLIDAYS: _text_and_json("calendar_text", "holidays"),
    Output.CALENDAR_DAY: _text_and_json("calendar_text", "day"),
    Output.STORE_INFO: _text_and_json("store_text", "info"),
    Output.MEMBERS: _text_and_json("store_text", "members"),
    Output.ACTIONS: _text_and_json("oversight_text", "actions"),
    Output.OUTPUTS: _text_and_json("oversight_text", "outputs"),
    Output.REPORT: {"markdown": "report_text:report_markdown", "csv": "report_text:report_csv",
                    "json": "report_text:report_json", "html": "report_html:report_html"},
})


# Outputs written as their rows come (engine.render.streams), so a long list needs no memory for itself.
STREAMS: Mapping[tuple[Output, str], str] = MappingProxyType({
    (Output.CASES, "text"): "streams:cases_text", (Output.CASES, "json"): "streams:cases_json",
    (Output.DUE, "text"): "streams:due_text", (Output.DUE, "json"): "streams:due_json",
})


def formats(kind: Output) -> tuple[str, ...]:
    return tuple(REGISTRY[kind])


def default_format(kind: Output) -> str:
    return formats(kind)[0]


def renderer(kind: Output, output_format: str) -> Callable[[Any], Any]:
    module, _, function = REGISTRY[kind][output_format].partition(":")
    found: Callable[[Any], Any] = getattr(importlib.import_module(f"{RENDER_PACKAGE}.{module}"), function)
    return found


CRLF_FORMATS = frozenset({"ics", "csv"})  # their standards end lines with CR LF (RFC 5545, RFC 4180)


def json_text(payload: Any) -> str:
    return json_safe(json.dumps(payload, indent=2, ensure_ascii=False, default=str))


def render(kind: Output, output_format: str, value: Any) -> str:
    """`value` as `kind` in `output_format`: the whole output, ending with one newline.

    Every format but JSON is made terminal-safe here (`terminal.printable`: control characters in
    anything a user typed are shown as escapes; iCalendar and CSV keep their CR LF line ends); JSON
    keeps exact values, escaped the JSON way."""
    produced = renderer(kind, output_format)(value)
    if output_format == "json":
        text = json_text(produced)
    else:
        text = printable(str(produced), crlf=output_format in CRLF_FORMATS)
    return text if text.endswith("\n") else text + "\n"


def render_stream(kind: Output, output_format: str, value: Any) -> Iterator[str]:
    """`render`, in pieces: the same text, written as it is made where `STREAMS` has a writer for it."""
    where = STREAMS.get((kind, output_format))
    if where is None:
        yield render(kind, output_format, value)
        return
    module, _, function = where.partition(":")
    yield from getattr(importlib.import_module(f"{RENDER_PACKAGE}.{module}"), function)(value)
