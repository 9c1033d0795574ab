"""Run one scenario against an in-memory event store and compare every expectation.

The runner drives the same `CaseService` that `reviewflow case ...` uses, so a scenario exercises the
real authorisation, transitions, gates and deadline arithmetic. Nothing here computes a date: the
expected dates come from the scenario file (counted by hand), the actual ones from the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from reviewflow.engine.dates import iso_date_or_none
from reviewflow.engine.errors import Diagnostic, EngineError, Location, RefusedError
from reviewflow.engine.scenarios.model import Action, Check, Expectation, Scenario

# --- results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    """One unmet expectation (or an action that went differently from the scenario)."""

    location: Location  # the line of the expectation in the scenario file
    what: str  # e.g. "deadline rapid_review due"
    expected: str  # printable
    actual: str  # printable
    as_of: date | None = None
    step: int = 0  # 1-based
    note: str | None = None
    detail: str | None = None  # extra lines: a diff of lists, the refusal hint

    def headline(self) -> str:
        when = f" (as of {format_value(self.as_of)})" if self.as_of else ""
        return f"{self.location}: step {self.step}: {self.what}{when}"

    def diff(self) -> str:
        lines = [f"- expected: {self.expected}", f"+ actual:   {self.actual}"]
        if self.detail:
            lines.extend(f"  {line}" for line in self.detail.splitlines())
        return "\n".join(lines)

    def message(self) -> str:
        note = f"\n  ({self.note})" if self.note else ""
        return f"{self.headline()}{note}\n{self.diff()}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.location.file, "line": self.location.line, "col": self.location.col,
            "step": self.step, "what": self.what, "as_of": self.as_of.isoformat() if self.as_of else None,
            "expected": self.expected, "actual": self.actual, "detail": self.detail, "note": self.note,
        }


@dataclass
class ScenarioResult:
    file: str  # as displayed (bundled:… for bundled scenarios, else relative to the working directory)
    title: str
    process: str | None
    definition: str | None = None  # the definition file the scenario ran against, as users name it
    failures: list[Failure] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)  # the file is invalid: not run
    checks: int = 0  # expectations compared
    steps_run: int = 0
    seconds: float = 0.0
    case: dict[str, Any] | None = None  # the last `show` summary (for golden recordings)
    store: Any = None  # the in-memory store after the run (for golden recordings); not serialised

    @property
    def invalid(self) -> bool:
        return any(d.is_error for d in self.diagnostics)

    @property
    def passed(self) -> bool:
        return not self.invalid and not self.failures

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file, "title": self.title, "process": self.process, "definition": self.definition,
            "status": "invalid" if self.invalid else ("passed" if self.passed else "failed"),
            "checks": self.checks, "steps_run": self.steps_run, "seconds": round(self.seconds, 3),
            "failures": [f.to_dict() for f in self.failures],
            "diagnostics": [d.to_dict() for d in self.diagnostics],
        }


# --- printing values -----------------------------------------------------------------------------


def format_value(value: Any) -> str:
    """Dates with their weekday (`Tue 2024-01-23`), lists sorted, None as `none`."""
    if isinstance(value, date):
        return f"{value:%a} {value.isoformat()}"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, date) for v in value):
        return f"{format_value(value[0])} to {format_value(value[1])}"
    if isinstance(value, list | tuple | set | frozenset):
        return "[" + ", ".join(str(v) for v in sorted(value, key=str)) + "]" if value else "[] (none)"
    return repr(value) if isinstance(value, str) and value != value.strip() else str(value)


def _date_gap(expected: date, actual: date) -> str:
    days = (actual - expected).days
    unit = "day" if abs(days) == 1 else "days"
    return f"actual is {abs(days)} calendar {unit} {'later' if days > 0 else 'earlier'} than expected"


def _as_date(value: Any) -> date | None:
    return iso_date_or_none(value)


# --- reading a `show` summary --------------------------------------------------------------------


PLAIN_ACTIONS = ("record", "recommend", "decide")


def allowed_names(summary: Mapping[str, Any]) -> tuple[set[str], set[str]]:
    """(plain names, "VERB NAME" strings) of what may be done now.

    Plain names are the events that may be recorded and the gates that may be recommended or
    decided; every action with a name (extend, pause, resume, waive included) is also in the second set.
    """
    plain: set[str] = set()
    verbs: set[str] = set()
    for item in summary.get("allowed") or []:
        if isinstance(item, str):
            verb, _, name = item.partition(" ")
            if not name:
                verb, name = "record", verb
        else:
            verb, name = str(item.get("action") or ""), str(item.get("name") or "")
        if not name:
            continue
        verbs.add(f"{verb} {name}")
        if verb in PLAIN_ACTIONS:
            plain.add(name)
    return plain, verbs


def open_tasks(summary: Mapping[str, Any]) -> list[str]:
    """Open tasks as TASK/AGENCY strings."""
    out: list[str] = []
    for task in summary.get("tasks") or []:
        if isinstance(task, str):
            out.append(task)
            continue
        if str(task.get("status") or "") in CLOSED_TASK_STATUSES:
            continue
        out.append(task_key(task))
    return out


CLOSED_TASK_STATUSES = frozenset({"done", "done_late", "missing"})


def task_key(task: Mapping[str, Any]) -> str:
    task_id = task.get("task") or task.get("id") or "?"
    agency = task.get("agency") or task.get("member")
    return f"{task_id}/{agency}" if agency else str(task_id)


def _task(summary: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    for item in summary.get("tasks") or []:
        if isinstance(item, Mapping) and task_key(item) == key:
            return item
    return None


def _deadline(summary: Mapping[str, Any], deadline_id: str) -> Mapping[str, Any] | None:
    for item in summary.get("deadlines") or []:
        if item.get("id") == deadline_id:
            return item
    return None


# --- comparing -----------------------------------------------------------------------------------


def compare(check: Check, summary: Mapping[str, Any]) -> tuple[bool, Any, str | None]:
    """(passed, actual value, extra detail) for one check against one `show` summary."""
    key = check.key
    if key == "stage":
        stage = summary.get("stage")
        actual = stage.get("id") if isinstance(stage, Mapping) else stage
        return actual == check.expected, actual, None
    if key in ("closed", "outcome"):
        actual = summary.get(key)
        return actual == check.expected, actual, None
    if key == "allowed":
        plain, _verbs = allowed_names(summary)
        want = set(check.expected)
        return plain == want, sorted(plain), _set_diff(want, plain)
    if key in ("allowed_contains", "not_allowed"):
        plain, verbs = allowed_names(summary)
        want = set(check.expected)
        present = {w for w in want if w in (verbs if " " in w else plain)}
        if key == "allowed_contains":
            ok = present == want
            return ok, sorted(present), None if ok else f"not allowed now: {', '.join(sorted(want - present))}"
        ok = not present
        return ok, sorted(present), None if ok else f"allowed but should not be: {', '.join(sorted(present))}"
    if key == "tasks_open":
        tasks = open_tasks(summary)
        return set(tasks) == set(check.expected), sorted(tasks), _set_diff(set(check.expected), set(tasks))
    if key == "field":
        values = summary.get("fields") or {}
        actual = values.get(check.attribute) if isinstance(values, Mapping) else None
        expected = check.expected
        if isinstance(expected, list) and isinstance(actual, list | tuple):
            return sorted(map(str, expected)) == sorted(map(str, actual)), list(actual), None
        return actual == expected, actual, None
    if key == "deadline":
        return _compare_deadline(check, summary)
    if key == "task":
        return _compare_task(check, summary)
    raise ValueError(f"unknown check {key}")


def _set_diff(want: set[str], have: set[str]) -> str | None:
    lines = []
    if want - have:
        lines.append(f"missing:    {', '.join(sorted(want - have))}")
    if have - want:
        lines.append(f"unexpected: {', '.join(sorted(have - want))}")
    return "\n".join(lines) or None


def _compare_deadline(check: Check, summary: Mapping[str, Any]) -> tuple[bool, Any, str | None]:
    assert check.deadline is not None
    item = _deadline(summary, check.deadline)
    attribute = check.attribute
    if attribute == "listed":
        return (item is not None) == check.expected, item is not None, None
    if item is None:
        listed = ", ".join(str(d.get("id")) for d in summary.get("deadlines") or []) or "none"
        return False, "not listed", f"deadlines listed on that date: {listed}"
    if attribute in ("due", "original_due"):
        actual = _as_date(item.get(attribute))
        detail = None
        if actual is not None and check.expected is not None and actual != check.expected:
            detail = _date_gap(check.expected, actual)
        return actual == check.expected, actual, detail
    if attribute == "window":
        window = item.get("window")
        actual_window = (_as_date(window.get("from")), _as_date(window.get("to"))) if window else None
        return actual_window == check.expected, actual_window, None
    actual = item.get(attribute or "")
    return actual == check.expected, actual, None


def _compare_task(check: Check, summary: Mapping[str, Any]) -> tuple[bool, Any, str | None]:
    assert check.deadline is not None  # the TASK/AGENCY key
    item = _task(summary, check.deadline)
    if item is None:
        listed = ", ".join(task_key(t) for t in summary.get("tasks") or []) or "none"
        return False, "not listed", f"tasks listed on that date: {listed}"
    if check.attribute in ("due", "done_at"):
        actual = _as_date(item.get(check.attribute))
        detail = None
        if actual is not None and check.expected is not None and actual != check.expected:
            detail = _date_gap(check.expected, actual)
        return actual == check.expected, actual, detail
    actual = item.get(check.attribute or "")
    return actual == check.expected, actual, None


# --- running -------------------------------------------------------------------------------------

ServiceFactory = Callable[[], tuple[Any, Any]]  # () -> (service, store)


def run_scenario(scenario: Scenario, make_service: ServiceFactory) -> ScenarioResult:
    """Open the case, run every step in order, compare every expectation; never raises EngineError."""
    result = ScenarioResult(file=scenario.file, title=scenario.title, process=scenario.process)
    service, store = make_service()
    result.store = store
    opening = scenario.opening
    ref = opening.ref
    try:
        service.open(scenario.process, ref, at=opening.at, by=opening.by, fields=dict(opening.fields),
                     pseudonym=opening.pseudonym, actor=opening.actor)
    except EngineError as exc:
        result.failures.append(Failure(opening.location, "open the case", "opened",
                                       f"refused: {exc.message}", step=0, detail=_hint(exc)))
        return result
    last = opening.at
    for step_number, step in enumerate(scenario.steps, start=1):
        result.steps_run = step_number
        if isinstance(step, Expectation):
            as_of = step.as_of or last
            last = as_of
            try:
                summary = service.show(ref, as_of=as_of, check_newer=False)
            except EngineError as exc:
                result.failures.append(Failure(step.location, "show the case", "a summary",
                                               f"error: {exc.message}", as_of, step_number, step.note))
                continue
            result.case = summary
            for check in step.checks:
                result.checks += 1
                ok, actual, detail = compare(check, summary)
                if not ok:
                    result.failures.append(Failure(check.location, check.what, format_value(check.expected),
                                                   format_value(actual), as_of, step_number, step.note, detail))
            continue
        last = step.as_of or step.at
        stop = _run_action(service, ref, step, step_number, result)
        if stop:
            remaining = len(scenario.steps) - step_number
            if remaining:
                result.failures[-1] = _with_detail(result.failures[-1],
                                                   f"the remaining {remaining} step(s) were not run")
            break
    return result


def _hint(exc: EngineError) -> str | None:
    parts = []
    if exc.hint:
        parts.append(f"hint: {exc.hint}")
    allowed = getattr(exc, "allowed", None)
    if allowed:
        parts.append(f"allowed now: {', '.join(map(str, allowed))}")
    return "\n".join(parts) or None


def _with_detail(failure: Failure, line: str) -> Failure:
    detail = f"{failure.detail}\n{line}" if failure.detail else line
    return Failure(failure.location, failure.what, failure.expected, failure.actual, failure.as_of,
                   failure.step, failure.note, detail)


def _run_action(service: Any, ref: str, step: Action, number: int, result: ScenarioResult) -> bool:
    """Run one action; record a failure when it went otherwise than expected. True: stop the run."""
    as_of = step.as_of or step.at
    try:
        perform(service, ref, step, as_of)
    except RefusedError as exc:
        if step.refused is None:
            result.failures.append(Failure(step.location, step.describe(), "accepted",
                                           f"refused: {exc.message}", as_of, number, step.note, _hint(exc)))
            return True
        result.checks += 1
        wanted = step.refused.reason_contains
        text = f"{exc.message}\n{exc.hint or ''}"
        if wanted and wanted.casefold() not in text.casefold():
            result.failures.append(Failure(step.refused.location, f"{step.describe()}: refusal reason",
                                           f"refused, with a reason containing {wanted!r}",
                                           f"refused: {exc.message}", as_of, number, step.note,
                                           f"hint: {exc.hint}" if exc.hint else None))
        return False
    except EngineError as exc:
        result.failures.append(Failure(step.location, step.describe(), "accepted" if step.refused is None
                                       else "refused", f"error: {exc.message}", as_of, number, step.note,
                                       _hint(exc)))
        return True
    if step.refused is not None:
        result.checks += 1
        wanted = step.refused.reason_contains
        expected = f"refused, with a reason containing {wanted!r}" if wanted else "refused"
        result.failures.append(Failure(step.refused.location, step.describe(), expected, "accepted",
                                       as_of, number, step.note))
    return False


def perform(service: Any, ref: str, step: Action, as_of: date) -> None:
    """Call the CaseService method for one action step."""
    common: dict[str, Any] = {"at": step.at, "by": step.by, "as_of": as_of}
    if step.kind == "record":
        data = dict(step.values)
        if step.planned_date is not None:
            data["planned_date"] = step.planned_date.isoformat()
        service.record(ref, step.target, agency=step.agency, data=data, actor=step.actor, **common)
    elif step.kind in ("recommend", "decide"):
        method = getattr(service, step.kind)
        method(ref, step.target, step.option, rationale=step.rationale, actor=step.actor, **common)
    elif step.kind == "extend":
        service.extend(ref, step.target, reason=step.reason or "", to=step.to,
                       working_days=step.working_days, **common)
    else:  # pause, resume, waive
        getattr(service, step.kind)(ref, step.target, reason=step.reason or "", **common)


def run_all(scenarios: Sequence[Scenario], make_service: ServiceFactory) -> list[ScenarioResult]:
    return [run_scenario(s, make_service) for s in scenarios]
