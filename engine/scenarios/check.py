"""Scenario checks beyond the schema: real dates, and names that exist in the process definition.

Each problem is a Diagnostic at the exact line:col of the offending value (or key), with a
"did you mean" hint built from the definition's own names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from reviewflow.engine.dates import iso_date_or_none
from reviewflow.engine.definition.model import Process
from reviewflow.engine.errors import CodeInfo, Diagnostic, Location, Severity, did_you_mean
from reviewflow.engine.scenarios.model import DEADLINE_KINDS, GATE_KINDS, HOLD_KINDS, STEP_KINDS, _escape

CODES: dict[str, CodeInfo] = {
    info.code: info
    for info in (
        CodeInfo("T701", "scenario-unknown-process", Severity.ERROR, "The scenario names a process id that does not exist."),
        CodeInfo("T702", "scenario-unknown-event", Severity.ERROR, "A step or expectation names an event the definition does not have."),
        CodeInfo("T703", "scenario-unknown-gate", Severity.ERROR, "A recommend/decide step names a gate the definition does not have."),
        CodeInfo("T704", "scenario-unknown-option", Severity.ERROR, "A recommend/decide step names an option the gate does not have."),
        CodeInfo("T705", "scenario-unknown-deadline", Severity.ERROR, "A step or expectation names a deadline the definition does not have."),
        CodeInfo("T706", "scenario-unknown-role", Severity.ERROR, "A step acts as a role the definition does not have."),
        CodeInfo("T707", "scenario-unknown-stage", Severity.ERROR, "An expectation names a stage the definition does not have."),
        CodeInfo("T708", "scenario-unknown-field", Severity.ERROR, "A step or expectation names a field the definition does not have."),
        CodeInfo("T709", "scenario-bad-date", Severity.ERROR, "A date that does not exist in the calendar (e.g. 2023-02-30)."),
        CodeInfo("T710", "scenario-unknown-task", Severity.ERROR, "An expectation names a task the definition does not have."),
        CodeInfo("T711", "scenario-invalid-definition", Severity.ERROR, "The process the scenario runs under does not load."),
        CodeInfo("T712", "scenario-extend-amount", Severity.ERROR, "An extend step needs exactly one of `to` and `working_days`."),
        CodeInfo("T713", "scenario-step-kind", Severity.ERROR, "A step must be exactly one of record, recommend, decide, reconsider, extend, pause, resume, waive, hold, hold_review, hold_end, expect."),
        CodeInfo("T714", "scenario-date-order", Severity.WARNING, "An action dated before the case opened."),
        CodeInfo("T715", "scenario-window-order", Severity.ERROR, "A window expectation whose `from` is after its `to`."),
        CodeInfo("T716", "scenario-runs-on-bundled", Severity.WARNING, "A workspace scenario runs against a bundled definition, not one of the workspace's."),
        CodeInfo("T717", "scenario-unknown-hold", Severity.ERROR, "A hold step or expectation names a hold the definition does not have."),
    )
}

Locate = Callable[[str], Location]


def code(code_id: str, message: str, location: Location, hint: str | None = None) -> Diagnostic:
    return CODES[code_id].diagnostic(message, location, hint)


def _valid_date(value: Any) -> bool:
    return iso_date_or_none(value) is not None


def date_pointers(data: Mapping[str, Any]) -> Iterable[str]:
    """Every JSON pointer of the document that holds a date."""
    opening = data.get("open") or {}
    if "at" in opening:
        yield "/open/at"
    for index, step in enumerate(data.get("steps") or []):
        if not isinstance(step, Mapping):
            continue
        for key in ("at", "as_of", "planned_date", "to", "review_on", "online_until"):
            if key in step:
                yield f"/steps/{index}/{key}"
        expect = step.get("expect")
        if isinstance(expect, Mapping):
            if "as_of" in expect:
                yield f"/steps/{index}/expect/as_of"
            for deadline_id, spec in (expect.get("deadlines") or {}).items():
                if not isinstance(spec, Mapping):
                    continue
                base = f"/steps/{index}/expect/deadlines/{_escape(deadline_id)}"
                for key in ("due", "original_due"):
                    if spec.get(key) is not None:
                        yield f"{base}/{key}"
                if isinstance(spec.get("window"), Mapping):
                    yield f"{base}/window/from"
                    yield f"{base}/window/to"
            for task_key, spec in (expect.get("tasks") or {}).items():
                if not isinstance(spec, Mapping):
                    continue
                base = f"/steps/{index}/expect/tasks/{_escape(task_key)}"
                for key in ("due", "done_at"):
                    if spec.get(key) is not None:
                        yield f"{base}/{key}"
            for hold_id, spec in (expect.get("holds") or {}).items():
                for key in ("review_on", "ended"):
                    if isinstance(spec, Mapping) and spec.get(key) is not None:
                        yield f"/steps/{index}/expect/holds/{_escape(hold_id)}/{key}"
            publication = expect.get("publication")
            for key in ("planned_date", "online_from", "taken_down"):
                if isinstance(publication, Mapping) and publication.get(key) is not None:
                    yield f"/steps/{index}/expect/publication/{key}"


def _get(data: Any, pointer: str) -> Any:
    node = data
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def check_structure(data: Mapping[str, Any], locate: Locate, locate_key: Locate) -> list[Diagnostic]:
    """Checks that need no definition: real calendar dates, step kinds, extend amounts, windows."""
    problems: list[Diagnostic] = []
    for pointer in date_pointers(data):
        value = _get(data, pointer)
        if not _valid_date(value):
            problems.append(code("T709", f"{value!r} is not a real date", locate(pointer),
                                 "write YYYY-MM-DD with a month 01-12 and a day that exists in that month"))
    opened = data.get("open", {}).get("at")
    opened_on = date.fromisoformat(opened) if opened and _valid_date(opened) else None
    for index, step in enumerate(data.get("steps") or []):
        pointer = f"/steps/{index}"
        kinds = [k for k in STEP_KINDS if k in step]
        if len(kinds) != 1:
            found = ", ".join(kinds) if kinds else "none"
            problems.append(code("T713", f"step {index + 1} must be exactly one of {', '.join(STEP_KINDS)} (found: {found})",
                                 locate(pointer), "split it into one step per action"))
            continue
        kind = kinds[0]
        if kind == "extend" and ("to" in step) == ("working_days" in step):
            problems.append(code("T712", "extend needs exactly one of `to: DATE` and `working_days: N`",
                                 locate_key(f"{pointer}/extend")))
        at = step.get("at")
        if opened_on and at and _valid_date(at) and date.fromisoformat(at) < opened_on:
            problems.append(code("T714", f"{kind} dated {at}, before the case opened on {opened}",
                                 locate(f"{pointer}/at"), "is the date a typing mistake?"))
        expect = step.get("expect")
        if isinstance(expect, Mapping):
            for deadline_id, spec in (expect.get("deadlines") or {}).items():
                window = spec.get("window") if isinstance(spec, Mapping) else None
                if isinstance(window, Mapping) and _valid_date(window.get("from")) and _valid_date(window.get("to")) \
                        and window["from"] > window["to"]:
                    problems.append(code("T715", f"window of {deadline_id} starts after it ends",
                                         locate(f"{pointer}/expect/deadlines/{_escape(deadline_id)}/window")))
    return problems


def check_against_process(data: Mapping[str, Any], process: Process, locate: Locate,
                          locate_key: Locate, allowed_names: Iterable[str] = ()) -> list[Diagnostic]:
    """Every name the scenario uses must exist in `process`; each unknown one gets a did-you-mean hint."""
    problems: list[Diagnostic] = []
    roles = set(process.roles)
    fields = set(process.fields)
    events = set(process.events)
    gates = set(process.gates)
    deadlines = set(process.deadlines)
    stages = set(process.stages)
    tasks = {task.id for stage in process.stages.values() for task in stage.tasks}
    doable = events | gates | set(process.holds) | set(allowed_names)

    def unknown(code_id: str, what: str, name: Any, pool: set[str], location: Location) -> None:
        if isinstance(name, str) and name not in pool:
            problems.append(code(code_id, f'unknown {what} "{name}" in process {process.id}', location,
                                 did_you_mean(name, pool)))

    opening = data.get("open") or {}
    unknown("T706", "role", opening.get("by"), roles, locate("/open/by"))
    for field_id in (opening.get("fields") or {}):
        unknown("T708", "field", field_id, fields, locate_key(f"/open/fields/{_escape(field_id)}"))

    for index, step in enumerate(data.get("steps") or []):
        pointer = f"/steps/{index}"
        kinds = [k for k in STEP_KINDS if k in step]
        if len(kinds) != 1:
            continue
        kind = kinds[0]
        if "by" in step:
            unknown("T706", "role", step["by"], roles, locate(f"{pointer}/by"))
        target = step[kind]
        where = locate(f"{pointer}/{kind}")
        if kind == "record":
            unknown("T702", "event", target, events, where)
            for field_id in (step.get("set") or {}):
                unknown("T708", "field", field_id, fields, locate_key(f"{pointer}/set/{_escape(field_id)}"))
        elif kind in GATE_KINDS:
            unknown("T703", "gate", target, gates, where)
            gate = process.gates.get(target)
            if gate is not None and "option" in step:
                options = {o.id for o in gate.options}
                if step["option"] not in options:
                    problems.append(code("T704", f'gate {gate.id} has no option "{step["option"]}"',
                                         locate(f"{pointer}/option"), did_you_mean(step["option"], options)))
        elif kind in DEADLINE_KINDS:
            unknown("T705", "deadline", target, deadlines, where)
        elif kind in HOLD_KINDS:
            unknown("T717", "hold", target, set(process.holds), where)
        elif kind == "expect":
            _check_expectation(step["expect"], f"{pointer}/expect", unknown, locate, locate_key,
                               stages, doable, deadlines, tasks, fields)
            for gate_id in (step["expect"].get("gates") or {}):
                unknown("T703", "gate", gate_id, gates, locate_key(f"{pointer}/expect/gates/{_escape(gate_id)}"))
            for hold_id in (step["expect"].get("holds") or {}):
                unknown("T717", "hold", hold_id, set(process.holds),
                        locate_key(f"{pointer}/expect/holds/{_escape(hold_id)}"))
    return problems


def _check_expectation(body: Mapping[str, Any], base: str, unknown: Callable[..., None], locate: Locate,
                       locate_key: Locate, stages: set[str], doable: set[str], deadlines: set[str],
                       tasks: set[str], fields: set[str]) -> None:
    if "stage" in body:
        unknown("T707", "stage", body["stage"], stages, locate(f"{base}/stage"))
    for key in ("allowed", "allowed_contains", "not_allowed"):
        for position, item in enumerate(body.get(key) or []):
            where = locate(f"{base}/{key}/{position}")
            verb, _, name = str(item).partition(" ")
            if not name:
                unknown("T702", "event or gate", verb, doable, where)
            elif verb in ("record", "recommend", "decide", "reconsider", "hold", "hold-review", "hold-end"):
                unknown("T702", "event, gate or hold", name, doable, where)
            elif verb in ("extend", "pause", "resume", "waive"):
                unknown("T705", "deadline", name, deadlines, where)
            else:
                unknown("T702", "action", verb, {"record", "recommend", "decide", "reconsider", "extend", "pause",
                                                  "resume", "waive", "hold", "hold-review", "hold-end"}, where)
    for position, name in enumerate(body.get("tasks_open") or []):
        task_id = str(name).split("/", 1)[0]
        unknown("T710", "task", task_id, tasks, locate(f"{base}/tasks_open/{position}"))
    for name in (body.get("tasks") or {}):
        task_id = str(name).split("/", 1)[0]
        unknown("T710", "task", task_id, tasks, locate_key(f"{base}/tasks/{_escape(name)}"))
    for deadline_id in (body.get("deadlines") or {}):
        unknown("T705", "deadline", deadline_id, deadlines, locate_key(f"{base}/deadlines/{_escape(deadline_id)}"))
    for field_id in (body.get("fields") or {}):
        unknown("T708", "field", field_id, fields, locate_key(f"{base}/fields/{_escape(field_id)}"))
