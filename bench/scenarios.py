"""Scenario runner benchmark: a generated scenario of N steps, timed for N = 250, 500, 1000, 2000.

    .venv/bin/python bench/scenarios.py [--steps 250,500,1000,2000]

Prints steps, seconds and milliseconds per step side by side (not a timed test). The runner is linear
in its steps when the time per step stays flat as N doubles; before it kept the case between steps,
each step re-read and re-verified the whole record and replayed it (2,000 steps: 43 s).

The scenario runs `tests/definitions/valid/full_language.yaml`: the case is notified, then the steps
alternate nine `record: note` with one `expect` (stage, allowed), a day apart every 20 steps.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FULL = ROOT / "tests" / "definitions" / "valid" / "full_language.yaml"

from reviewflow.engine.definition.loader import clear_caches  # noqa: E402
from reviewflow.engine.definition.searchpath import resolve  # noqa: E402
from reviewflow.engine.scenarios.suite import run_paths  # noqa: E402


def scenario(steps: int) -> str:
    start = date(2024, 3, 4)
    lines = ["scenario: 1", f"title: generated, {steps} steps", "process: example-full", "open:",
             "  ref: BENCH-1", f'  at: "{start}"', "  by: local_authority",
             "  fields: {harm: died, abuse_suspected: true, agencies: [police, health]}", "steps:",
             "  - record: notified_panel", f'    at: "{start}"', "    by: local_authority"]
    for i in range(1, steps):
        day = start + timedelta(days=1 + i // 20)
        if i % 10 == 0:
            lines += ["  - expect:", f'      as_of: "{day}"', "      stage: rapid_review",
                      "      allowed_contains: [note]"]
        else:
            lines += ["  - record: note", f'    at: "{day}"', "    by: business_manager"]
    return "\n".join(lines) + "\n"


def run(steps: int, workspace: Path) -> float:
    path = workspace / "example" / "scenarios" / f"generated-{steps}.yaml"
    path.write_text(scenario(steps), encoding="utf-8")
    clear_caches()
    search = resolve([str(workspace)], {}, workspace)
    started = time.perf_counter()
    result = run_paths([path], search)
    seconds = time.perf_counter() - started
    if not result.ok or result.results[0].steps_run != steps:
        sys.exit(f"the generated {steps}-step scenario did not pass: {result.results[0].to_dict()}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", default="250,500,1000,2000", help="comma-separated step counts")
    sizes = [int(n) for n in parser.parse_args().steps.split(",")]
    workspace = Path(tempfile.mkdtemp(prefix="reviewflow-bench-"))
    try:
        (workspace / "example" / "scenarios").mkdir(parents=True)
        shutil.copy(FULL, workspace / "example" / FULL.name)
        run(min(sizes), workspace)  # warm up: definitions, schema, calendar
        print(f"{'steps':>6}  {'seconds':>8}  {'ms/step':>8}  {'vs first':>8}")
        first = None
        for steps in sizes:
            seconds = run(steps, workspace)
            per_step = seconds / steps * 1000
            first = first or per_step
            print(f"{steps:>6}  {seconds:>8.2f}  {per_step:>8.2f}  {per_step / first:>7.2f}x")
        print("linear when ms/step stays flat (vs first near 1x) as the steps double")
    finally:
        shutil.rmtree(workspace, ignore_errors=True)


if __name__ == "__main__":
    main()
