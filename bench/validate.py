"""Benchmark: whole-process `reviewflow validate processes/` vs `check-jsonschema` on the same files.

Both run in this one invocation, alternating, several times; medians are compared. reviewflow does
more (strict YAML, schema, extends, lint, conformance), so a ratio at or below 1.0 means it is at least
as fast as a schema-only check while also linting.

    .venv/bin/python bench/validate.py [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def definition_files() -> list[str]:
    files = [p for p in sorted((ROOT / "processes").rglob("*.yaml")) if "scenarios" not in p.parts]
    return [str(p.relative_to(ROOT)) for p in files]


def wall_time(command: list[str]) -> float:
    start = time.perf_counter()
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if completed.returncode not in (0, 1):
        raise SystemExit(f"{command[0]} failed ({completed.returncode}):\n{completed.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    files = definition_files()
    ours = [str(BIN / "reviewflow"), "validate", "--quiet", "processes/"]
    theirs = [str(BIN / "check-jsonschema"), "--schemafile", "schemas/process.schema.json", *files]
    baseline = [sys.executable, "-c", "pass"]
    wall_time(ours), wall_time(theirs)  # warm the file cache and reviewflow's calendar cache
    samples: dict[str, list[float]] = {"reviewflow validate": [], "check-jsonschema": [], "python -c pass": []}
    for _ in range(args.runs):
        samples["reviewflow validate"].append(wall_time(ours))
        samples["check-jsonschema"].append(wall_time(theirs))
        samples["python -c pass"].append(wall_time(baseline))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    print(f"validate benchmark: {len(files)} definition files, median of {args.runs} runs each (same run)")
    print(f"{'command':<24}{'median ms':>12}{'vs check-jsonschema':>22}{'vs python -c pass':>20}")
    for name, median in medians.items():
        print(f"{name:<24}{median * 1000:>12.1f}{median / medians['check-jsonschema']:>21.2f}x"
              f"{median / medians['python -c pass']:>19.2f}x")
    ratio = medians["reviewflow validate"] / medians["check-jsonschema"]
    verdict = "goal met" if ratio <= 1.0 else "goal NOT met"
    print(f"reviewflow / check-jsonschema = {ratio:.2f} ({verdict}: at least as fast while also linting)")


if __name__ == "__main__":
    main()
