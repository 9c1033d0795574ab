"""Benchmark: `reviewflow validate` as a whole process, against `check-jsonschema` and `python -c pass`.

    .venv/bin/python bench/validate.py [--rounds 7]

Each measure runs in turn with its baseline (A B A B ...) in this one invocation; ratios are taken pair
by pair and printed as min / median / max, verdicts from the median (CPU time: user + system, the
operating system's own count; wall ratios are printed too). reviewflow does more than a schema check
(strict YAML, schema, `extends`, lint, conformance to the base), on the same files and schema:

1. cold: the bundled definition files, no validation result cached (each run gets a cache folder of
   its own holding only the calendar table, which any machine keeps after its first run), against
   `check-jsonschema --schemafile schemas/process.schema.json` on the same files. Goal: <= 0.25.
2. the same with an empty cache folder (the calendar table built too), for information.
3. an unchanged workspace (`reviewflow validate`, bundled definitions and scenarios, answered from the
   content-hash cache of clean results) against `python -c pass`. Goal: <= 2x.
4. `reviewflow --version` against `python -c pass`: the floor any command starts from (click and the
   command modules), for information.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from paired import BIN, PYTHON_PASS, REVIEWFLOW, compile_bytecode, env_with, paired, run, spread, table  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def definition_files() -> list[str]:
    files = [p for p in sorted((ROOT / "processes").rglob("*.yaml")) if "scenarios" not in p.parts]
    return [str(p.relative_to(ROOT)) for p in files]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    compile_bytecode(ROOT)
    files = definition_files()
    ours = [REVIEWFLOW, "validate", "--quiet", *files]
    theirs = [str(BIN / "check-jsonschema"), "--schemafile", "schemas/process.schema.json", *files]
    scratch = Path(tempfile.mkdtemp(prefix="reviewflow-bench-validate-"))
    try:
        warm_cache = scratch / "warm"
        run([REVIEWFLOW, "calendar", "add", "2024-01-02", "1"], env_with(REVIEWFLOW_CACHE=str(warm_cache)))
        calendar_files = list(warm_cache.glob("workdays-*.json"))
        counter = iter(range(10**6))

        def cold(keep_calendar: bool) -> object:
            folder = scratch / f"cold-{next(counter)}"
            folder.mkdir()
            for kept in calendar_files if keep_calendar else ():
                shutil.copy(kept, folder)
            return run(ours, env_with(REVIEWFLOW_CACHE=str(folder)), ROOT, ok=(0, 1))

        theirs_env = env_with()
        measures = [
            ("validate cold (calendar kept) / check-jsonschema", lambda: cold(True),
             lambda: run(theirs, theirs_env, ROOT, ok=(0, 1)), 0.25),
            ("validate cold (empty cache) / check-jsonschema", lambda: cold(False),
             lambda: run(theirs, theirs_env, ROOT, ok=(0, 1)), None),
        ]
        workspace_env = env_with(REVIEWFLOW_CACHE=str(warm_cache))
        run([REVIEWFLOW, "validate", "--quiet"], workspace_env, ROOT)  # the first run keeps the clean result
        measures += [
            ("validate, unchanged workspace / python -c pass",
             lambda: run([REVIEWFLOW, "validate", "--quiet"], workspace_env, ROOT),
             lambda: run(PYTHON_PASS, workspace_env, ROOT), 2.0),
            ("reviewflow --version / python -c pass (the floor)",
             lambda: run([REVIEWFLOW, "--version"], workspace_env, ROOT),
             lambda: run(PYTHON_PASS, workspace_env, ROOT), None),
        ]
        rows = []
        for label, a, b, goal in measures:
            pairs = paired(a, b, args.rounds)  # type: ignore[arg-type]
            ratio = statistics.median(pairs.ratios("cpu"))
            rows.append([label, spread([r.cpu for r in pairs.a], "{:.3f}"), spread([r.cpu for r in pairs.b], "{:.3f}"),
                         spread(pairs.ratios("cpu")), spread(pairs.ratios("wall")),
                         f"<= {goal:g}" if goal else "-", ("met" if ratio <= goal else "MISSED") if goal else "-"])
        table(f"validate: {len(files)} bundled definition files; whole processes, min / median / max over "
              f"{args.rounds} paired rounds", ["measure A / B", "A cpu s", "B cpu s", "cpu ratio", "wall ratio",
                                                "goal", "verdict (median cpu)"], rows)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
