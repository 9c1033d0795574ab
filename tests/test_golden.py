"""Golden case histories: recorded events replayed must give exactly the recorded summary.

Each tests/golden/<process>/<scenario>.json holds the events a bundled scenario produced and the case
summary (`show`: stage, allowed, deadlines, tasks, gates, notifications) at a stated `as_of`. Replaying
the events under the current definition must reproduce the summary byte for byte. A change in the
engine or a definition that moves any of it fails here; when the change is intended, regenerate with
`pytest tests/test_golden.py --update-golden` and read the diff (dates must still match facts.md §10).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from reviewflow.engine.cases.case import Case
from reviewflow.engine.cases.summary import summarize
from reviewflow.engine.definition.loader import load_process_by_id
from reviewflow.engine.events import Event
from reviewflow.engine.paths import processes_dir
from reviewflow.engine.scenarios.suite import run_file

GOLDEN = Path(__file__).resolve().parent / "golden"
SCENARIOS = sorted(processes_dir().glob("**/scenarios/*.yaml"))


def golden_path(process_id: str, scenario: Path) -> Path:
    return GOLDEN / process_id / f"{scenario.stem}.json"


def record(scenario: Path) -> tuple[str, dict[str, Any]]:
    """Run the scenario and capture its history: (process id, golden payload)."""
    result = run_file(scenario)
    assert result.passed, f"{scenario}: the scenario must pass before it is recorded"
    assert result.case is not None and result.process is not None
    ref = result.case["case"]
    events = [stored.event.to_json_dict() for stored in result.store.events(ref)]
    summary = {k: v for k, v in result.case.items() if k != "definition"}
    return result.process, {
        "scenario": scenario.relative_to(processes_dir()).as_posix(),
        "process": result.process,
        "case": ref,
        "as_of": summary["as_of"],
        "events": events,
        "summary": summary,
    }


def dump(payload: dict[str, Any]) -> str:
    return json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.relative_to(processes_dir()).as_posix())
def test_golden_history_replays_identically(scenario: Path, request: pytest.FixtureRequest) -> None:
    if request.config.getoption("--update-golden"):
        process_id, payload = record(scenario)
        target = golden_path(process_id, scenario)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(dump(payload), encoding="utf-8")
    candidates = sorted(GOLDEN.glob(f"*/{scenario.stem}.json"))
    candidates = [c for c in candidates
                  if json.loads(c.read_text(encoding="utf-8"))["scenario"] == scenario.relative_to(processes_dir()).as_posix()]
    assert candidates, f"no golden history for {scenario.name}: run pytest --update-golden and review it"
    golden = json.loads(candidates[0].read_text(encoding="utf-8"))

    process = load_process_by_id(golden["process"])
    events = [Event.from_json_dict(e, seq=i) for i, e in enumerate(golden["events"], start=1)]
    case = Case.replay(process, golden["case"], events)
    replayed = json.loads(json.dumps(summarize(case, date.fromisoformat(golden["as_of"])), default=str))
    assert replayed == golden["summary"]


def test_every_golden_file_has_its_scenario() -> None:
    names = {p.relative_to(processes_dir()).as_posix() for p in SCENARIOS}
    for path in sorted(GOLDEN.glob("*/*.json")):
        assert json.loads(path.read_text(encoding="utf-8"))["scenario"] in names, f"{path}: stale golden file"
