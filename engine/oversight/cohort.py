"""Replay a cohort: a JSON-lines file of steps, each one command through the engine with all its checks.

One step per line (blank lines and lines starting with `#` are skipped). Every step names its kind:

    {"step": "open", "process": ID, "ref": REF, "at": DATE, "by": ROLE, "pseudonym": TEXT, "set": {FIELD: VALUE}}
    {"step": "record", "ref": REF, "event": ID, "at": DATE, "by": ROLE, "agency": AGENCY?, "set": {…}?}
    {"step": "recommend" | "decide", "ref": REF, "gate": ID, "option": ID, "at": DATE, "by": ROLE,
     "rationale": TEXT}
    {"step": "extend", "ref": REF, "deadline": ID, "at": DATE, "by": ROLE, "reason": TEXT, "to": DATE}
    {"step": "action", "plan": ID, "ref": REF, "at": DATE, "by": ROLE, "finding": TEXT, "owner_agency": A,
     "owner_role": R, "due": DATE | "within": TIMESCALE, "from_cases": [REF]?, "from_review": TEXT?,
     "success_criteria": TEXT?, "themes": [ID]?, "answers": "finding" | "recommendation"?}
    {"step": "action_update", "ref": REF, "at": DATE, "by": ROLE, "progress" | "evidence": TEXT,
     "completed": true, "extend_to": DATE, "reason": TEXT}
    {"step": "assess", "ref": REF, "at": DATE, "by": ROLE, "rating": R, "narrative": TEXT}
    {"step": "close", "ref": REF, "at": DATE, "by": ROLE, "closure": C, "note": TEXT?}
    {"step": "learning", "definition": ID, "ref": REF, "at": DATE, "by": ROLE, "kind": K, "title": T,
     "audience": A, "channel": C, "from_cases": [REF]?, "themes": [ID]?, "sessions": N?, "attendees": N?}
    {"step": "reach", "ref": REF, "at": DATE, "by": ROLE, "sessions": N, "attendees": N}

A refused step stops the import: the error names the file and line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from reviewflow.engine.dates import parse_iso_date
from reviewflow.engine.errors import EngineError, NotFoundError, did_you_mean
from reviewflow.engine.oversight.records import ActionRequest, OutputRequest, OversightService
from reviewflow.engine.paths import processes_dir
from reviewflow.engine.service import CaseService, Progress

SUFFIX = ".jsonl"


@dataclass(frozen=True)
class CohortResult:
    name: str
    steps: int
    cases: int
    actions: int
    outputs: int


def bundled_cohorts() -> dict[str, Path]:
    """Cohorts shipped with reviewflow, by name: processes/<partnership>/cohort/<name>.jsonl."""
    return {p.stem: p for p in sorted(processes_dir().glob(f"*/cohort/*{SUFFIX}"))}


def resolve_cohort(source: str) -> Path:
    """A file path, or the name of a bundled cohort."""
    path = Path(source)
    if path.is_file():
        return path
    bundled = bundled_cohorts()
    if source in bundled:
        return bundled[source]
    raise NotFoundError(f'"{source}" is neither a cohort file nor a bundled cohort',
                        did_you_mean(source, bundled) or f"bundled cohorts: {', '.join(bundled) or 'none'}")


def read_steps(path: Path) -> list[tuple[int, dict[str, Any]]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise EngineError(f"cannot read {path}: {exc.strerror or type(exc).__name__}", None) from None
    steps = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            step = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EngineError(f"{path.name}:{number}: not a JSON object ({exc.msg})",
                              "one JSON object per line") from None
        if not isinstance(step, dict) or not isinstance(step.get("step"), str):
            raise EngineError(f'{path.name}:{number}: a step is an object with "step": KIND', None)
        steps.append((number, step))
    return steps


def import_cohort(svc: CaseService, path: Path, as_of: date | None = None,
                  progress: Progress | None = None) -> CohortResult:
    """Run every step of `path` against `svc` (the checks of each command apply); counts what was opened."""
    steps = read_steps(path)
    runner = _Runner(svc, as_of)
    for done, (number, step) in enumerate(steps, start=1):
        try:
            runner.run(step)
        except EngineError as exc:
            raise _located(exc, path, number, step) from None
        except KeyError as exc:
            raise EngineError(f"{path.name}:{number}: a {step['step']} step needs \"{exc.args[0]}\"",
                              "see the step formats in docs/learning.md") from None
        if progress is not None:
            progress(done, len(steps))
    return CohortResult(path.stem, len(steps), runner.opened["case"], runner.opened["action"],
                        runner.opened["learning"])


def _located(exc: EngineError, path: Path, number: int, step: Mapping[str, Any]) -> EngineError:
    exc.message = f"{path.name}:{number} ({step.get('step')} {step.get('ref', '')}): {exc.message}"
    exc.args = (exc.message,)
    return exc


class _Runner:
    def __init__(self, svc: CaseService, as_of: date | None) -> None:
        self.svc = svc
        self.oversight = OversightService(svc)
        self.as_of = as_of
        self.opened = {"case": 0, "action": 0, "learning": 0}

    def run(self, s: dict[str, Any]) -> None:
        handler: Callable[[dict[str, Any], date, date], Any] | None = getattr(self, "_" + s["step"], None)
        if handler is None:
            raise EngineError(f'unknown step "{s["step"]}"',
                              did_you_mean(s["step"], [n[1:] for n in dir(self) if n.startswith("_") and
                                                       not n.startswith("__") and n[1:2].isalpha()]))
        at = parse_iso_date(str(s.get("at")), "at")
        handler(s, at, self.as_of or at)

    def _open(self, s: dict[str, Any], at: date, as_of: date) -> None:
        self.svc.open(s["process"], s["ref"], at, s["by"], s.get("set") or {}, s.get("pseudonym"), s.get("actor"),
                      as_of)
        self.opened["case"] += 1

    def _record(self, s: dict[str, Any], at: date, as_of: date) -> None:
        self.svc.record(s["ref"], s["event"], at, s["by"], as_of, s.get("agency"), s.get("set"), s.get("actor"))

    def _recommend(self, s: dict[str, Any], at: date, as_of: date) -> None:
        self.svc.recommend(s["ref"], s["gate"], s["option"], at, s["by"], s.get("rationale"), as_of, s.get("actor"))

    def _decide(self, s: dict[str, Any], at: date, as_of: date) -> None:
        self.svc.decide(s["ref"], s["gate"], s["option"], at, s["by"], s.get("rationale"), as_of, s.get("actor"))

    def _extend(self, s: dict[str, Any], at: date, as_of: date) -> None:
        to = parse_iso_date(s["to"], "to") if s.get("to") else None
        self.svc.extend(s["ref"], s["deadline"], at, s["by"], as_of, s.get("reason"), to, s.get("working_days"))

    def _action(self, s: dict[str, Any], at: date, as_of: date) -> None:
        request = ActionRequest(s.get("finding"), s.get("owner_agency"), s.get("owner_role"),
                                parse_iso_date(s["due"], "due") if s.get("due") else None, s.get("within"),
                                s.get("answers"), tuple(s.get("from_cases") or ()), s.get("from_review"),
                                s.get("success_criteria"), tuple(s.get("themes") or ()))
        self.oversight.add_action(s["plan"], s["ref"], at, s["by"], as_of, request, s.get("actor"))
        self.opened["action"] += 1

    def _action_update(self, s: dict[str, Any], at: date, as_of: date) -> None:
        extend_to = parse_iso_date(s["extend_to"], "extend_to") if s.get("extend_to") else None
        self.oversight.update_action(s["ref"], at, s["by"], as_of, progress=s.get("progress"),
                                     evidence=s.get("evidence"), completed=bool(s.get("completed")),
                                     extend_to=extend_to, reason=s.get("reason"), actor=s.get("actor"))

    def _assess(self, s: dict[str, Any], at: date, as_of: date) -> None:
        self.oversight.assess(s["ref"], at, s["by"], as_of, s.get("rating"), s.get("narrative"), s.get("actor"))

    def _close(self, s: dict[str, Any], at: date, as_of: date) -> None:
        self.oversight.close(s["ref"], at, s["by"], as_of, s.get("closure", "achieved"), s.get("note"),
                             s.get("actor"))

    def _learning(self, s: dict[str, Any], at: date, as_of: date) -> None:
        request = OutputRequest(s.get("kind"), s.get("title"), s.get("audience"), s.get("channel"),
                                tuple(s.get("from_cases") or ()), s.get("from_review"), tuple(s.get("themes") or ()),
                                s.get("sessions"), s.get("attendees"))
        self.oversight.add_output(s["definition"], s["ref"], at, s["by"], as_of, request, s.get("actor"))
        self.opened["learning"] += 1

    def _reach(self, s: dict[str, Any], at: date, as_of: date) -> None:
        self.oversight.record_reach(s["ref"], at, s["by"], as_of, int(s["sessions"]), int(s["attendees"]),
                                    s.get("actor"))
