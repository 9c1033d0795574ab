"""Run one scenario against an in-memory event store and compare every expectation.

The runner drives the same `CaseService` that `reviewflow case ...` uses, so a scenario exercises the
real authorisation, transitions, gates and deadline arithmetic. Nothing here computes a date: the
expected dates come from the scenario file (counted by hand), the actual ones from the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from reviewflow.engine.errors import Diagnostic, EngineError, Location, RefusedError
from reviewflow.engine.scenarios.compare import compare, format_value
from reviewflow.engine.scenarios.model import Action, Expectation, Scenario

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
        for key, value in (("planned_date", step.planned_date), ("online_until", step.online_until)):
            if value is not None:
                data[key] = value.isoformat()
        for key, text in (("what", step.what), ("where", step.where)):
            if text is not None:
                data[key] = text
        service.record(ref, step.target, agency=step.agency, data=data, actor=step.actor, **common)
    elif step.kind in ("recommend", "decide"):
        method = getattr(service, step.kind)
        method(ref, step.target, step.option, rationale=step.rationale, actor=step.actor, **common)
    elif step.kind == "extend":
        service.extend(ref, step.target, reason=step.reason or "", to=step.to,
                       working_days=step.working_days, **common)
    elif step.kind == "reconsider":
        service.reconsider(ref, step.target, step.prompted_by or "", reason=step.reason or "", actor=step.actor,
                           **common)
    elif step.kind in ("hold", "hold_review"):
        getattr(service, step.kind)(ref, step.target, reason=step.reason or "", review_on=step.review_on, **common)
    else:  # pause, resume, waive, hold_end
        getattr(service, step.kind)(ref, step.target, reason=step.reason or "", **common)


def run_all(scenarios: Sequence[Scenario], make_service: ServiceFactory) -> list[ScenarioResult]:
    return [run_scenario(s, make_service) for s in scenarios]
