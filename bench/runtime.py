"""Runtime benchmark, printed as ratios (not a timed test).

    .venv/bin/python bench/runtime.py [--cases 10000]

Rows:
1. replay of N cases (~10 events each) vs loading their events alone from the store
   (loading + replaying / loading), and machines built for the whole run (must be 1).
2. whole-process `reviewflow case show REF` vs `python -c pass` (goal <= 6x); prints
   "not available yet" when the CLI has no `case show` command.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from reviewflow.engine.cases import commands as actions  # noqa: E402
from reviewflow.engine.cases import machine  # noqa: E402
from reviewflow.engine.cases.case import Case  # noqa: E402
from reviewflow.engine.definition.loader import default_registry, load_path  # noqa: E402
from reviewflow.engine.store import open_store  # noqa: E402

FULL = ROOT / "tests" / "definitions" / "valid" / "full_language.yaml"
D = date


def template_events(process):  # one realistic case: 10 events through to the review stage
    first = actions.open_case(process, "T", D(2024, 3, 4), "local_authority",
                              {"harm": "died", "abuse_suspected": True, "agencies": ["police", "health"]}, "Child B")
    case = Case.replay(process, "T", [first])
    steps = [
        lambda c: actions.record(c, "notified_panel", D(2024, 3, 5), "local_authority", D(2024, 3, 5)),
        lambda c: actions.record(c, "information_requested", D(2024, 3, 6), "business_manager", D(2024, 3, 6)),
        lambda c: actions.record(c, "scoping_returned", D(2024, 3, 7), "agency", D(2024, 3, 7), agency="police"),
        lambda c: actions.record(c, "scoping_returned", D(2024, 3, 8), "agency", D(2024, 3, 8), agency="health"),
        lambda c: actions.record(c, "meeting_held", D(2024, 3, 15), "business_manager", D(2024, 3, 15)),
        lambda c: actions.recommend(c, "review_decision", "review", D(2024, 3, 18), "review_group", "r", D(2024, 3, 18)),
        lambda c: actions.decide(c, "review_decision", "review", D(2024, 3, 19), "local_authority", "y", D(2024, 3, 19)),
        lambda c: actions.decide(c, "review_decision", "review", D(2024, 3, 19), "police", "y", D(2024, 3, 19)),
        lambda c: actions.decide(c, "review_decision", "review", D(2024, 3, 19), "health", "y", D(2024, 3, 19)),
    ]
    for step in steps:
        case = case.apply(step(case))
    return case.events


def best_of(fn, runs=3):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_replay(store, process, refs, builds):
    loaded: dict[str, list] = {}

    def load():
        for ref in refs:
            loaded[ref] = [s.event for s in store.events(ref)]

    def replay():
        for ref in refs:
            Case.replay(process, ref, loaded[ref])

    t_load = best_of(load)
    t_replay = best_of(replay)
    print(f"replay {len(refs)} cases (~10 events): loading events {t_load:.2f}s, replaying them "
          f"{t_replay:.2f}s: replay/load ratio {t_replay / t_load:.2f}x; "
          f"machines built in the whole run {machine.machine_builds() - builds}")


def bench_cli(db, ref):
    exe = shutil.which("reviewflow", path=str(Path(sys.executable).parent)) or shutil.which("reviewflow")
    env = {**os.environ, "REVIEWFLOW_DB": str(db)}
    attempts = [[exe, "case", "show", ref, "--db", str(db), "--as-of", "2024-04-01"],
                [exe, "case", "show", ref, "--db", str(db)], [exe, "case", "show", ref]] if exe else []
    command = None
    for attempt in attempts:
        if subprocess.run(attempt, env=env, capture_output=True).returncode == 0:
            command = attempt
            break
    if command is None:
        print("reviewflow case show vs python -c pass: not available yet")
        return

    def run(cmd):
        def go():
            subprocess.run(cmd, env=env, capture_output=True, check=True)
        return statistics.median(best_of(go, 1) for _ in range(7))

    t_pass = run([sys.executable, "-c", "pass"])
    t_show = run(command)
    verdict = "ok" if t_show / t_pass <= 6 else "over the 6x goal"
    print(f"reviewflow case show: {t_show * 1000:.0f} ms vs python -c pass {t_pass * 1000:.0f} ms: "
          f"ratio {t_show / t_pass:.1f}x ({verdict})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000)
    args = parser.parse_args()
    builds = machine.machine_builds()
    result = load_path(FULL, default_registry())
    process = result.process
    assert process is not None
    events = template_events(process)
    tmp = Path(tempfile.mkdtemp(prefix="rf-bench-"))
    try:
        db = tmp / "bench.db"
        store = open_store(db)
        store.save_definition(process.text_hash, process.id, process.version, result.bundle)
        refs = [f"B-{i:05d}" for i in range(args.cases)]
        start = time.perf_counter()
        for ref in refs:
            store.open_case(ref, process.id, process.text_hash, "Child B", events[0], stage="aware")
            store.append(ref, events[1:], expected_last_seq=1, stage="review", closed=False, deadlines=())
        print(f"(setup: {args.cases} cases written in {time.perf_counter() - start:.1f}s)")
        bench_replay(store, process, refs, builds)
        store.close()
        bench_cli(db, refs[0])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
