"""Runtime benchmark: replaying cases, and `case show` as a whole process (a plain script, not a test).

    .venv/bin/python bench/runtime.py [--cases 10000] [--rounds 5] [--cli-rounds 11]

Every measure is printed beside its baseline taken in the same run, in pairs (A B A B ...), as
min / median / max over the rounds, with the goal of issue #12 and whether the median meets it:

1. replay: N bundled Leeds rapid-review cases of ten events each (bench/casestores.py), each read from
   the store with its chain checked and folded (`store.events` + `Case.replay`), against reading the
   same stored rows alone with sqlite3 (no decoding, no checking). Goal: 10k cases within 1 s.
2. `reviewflow case show REF`, the whole process, against `python -c pass`: warm (the compiled
   definition cached); goal 6x. And the first call after the workspace's copy of the definition was
   edited (the newer version must be built once); goal 15x. Ratios are of CPU time (user + system, the
   operating system's own count); wall-clock ratios are printed too.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import casestores  # noqa: E402
from paired import PYTHON_PASS, REVIEWFLOW, Run, compile_bytecode, env_with, paired, run, spread, table  # noqa: E402
from reviewflow.engine.cases import machine  # noqa: E402
from reviewflow.engine.cases.case import Case  # noqa: E402
from reviewflow.engine.service import CaseService  # noqa: E402
from reviewflow.engine.store import open_store  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def timed(work: Callable[[], object]) -> Run:
    start = time.perf_counter()
    work()
    wall = time.perf_counter() - start
    return Run(wall, wall, 0.0)


def bench_replay(db: Path, cases: int, rounds: int) -> list[list[str]]:
    builds = machine.machine_builds()
    with open_store(str(db), create=False) as store:
        refs = [r.ref for r in store.cases()]
        process = CaseService(store).process_for(store.case(refs[0]).definition_hash)
        raw = sqlite3.connect(str(db))

        def replay() -> None:
            for ref in refs:
                Case.replay(process, ref, [s.event for s in store.events(ref)])

        def rows_alone() -> None:
            for ref in refs:
                raw.execute("SELECT seq, payload, prev_hash, hash, recorded_by FROM events WHERE case_ref = ? "
                            "ORDER BY seq", (ref,)).fetchall()

        pairs = paired(lambda: timed(replay), lambda: timed(rows_alone), rounds)
        raw.close()
    a, b = [r.wall for r in pairs.a], [r.wall for r in pairs.b]
    median = statistics.median(a)
    return [[f"replay {cases:,} cases x 10 events (load, chain check, fold), s", spread(a), spread(b),
             spread(pairs.ratios("wall"), "{:.1f}"), "<= 1 s (10k cases)",
             ("met" if median <= 1 else "MISSED") if cases == 10_000 else "-"],
            ["  machines built while replaying", str(machine.machine_builds() - builds), "-", "-", "<= 1", "-"]]


def bench_show(db: Path, ref: str, rounds: int, env: dict[str, str], workspace: Path) -> list[list[str]]:
    show = [REVIEWFLOW, "case", "show", ref, "--db", str(db)]
    run(show, env)  # compile the definition once: the warm measure starts from a warm cache
    warm = paired(lambda: run(show, env), lambda: run(PYTHON_PASS, env), rounds)

    local = workspace / "leeds" / "leeds-rapid-review.yaml"
    text = local.read_text(encoding="utf-8")
    edits = iter(range(10**6))

    def edited_then_show() -> Run:
        local.write_text(text + f"\n# edit {next(edits)}\n", encoding="utf-8")  # a new version: not compiled yet
        return run([*show, "--processes", str(workspace)], env)

    cold = paired(edited_then_show, lambda: run(PYTHON_PASS, env), max(3, rounds // 2))
    rows = []
    for label, pairs, goal in (("case show, warm cache (x python -c pass)", warm, 6.0),
                               ("case show, first call after a definition change (x python -c pass)", cold, 15.0)):
        ratio = statistics.median(pairs.ratios("cpu"))
        rows.append([label + ", cpu s", spread([r.cpu for r in pairs.a], "{:.3f}"),
                     spread([r.cpu for r in pairs.b], "{:.3f}"), spread(pairs.ratios("cpu"), "{:.1f}"),
                     f"<= {goal:g}x", "met" if ratio <= goal else "MISSED"])
        rows.append(["  the same, wall s", spread([r.wall for r in pairs.a], "{:.3f}"),
                     spread([r.wall for r in pairs.b], "{:.3f}"), spread(pairs.ratios("wall"), "{:.1f}"), "-", "-"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cli-rounds", type=int, default=11)
    args = parser.parse_args()
    compile_bytecode(ROOT)
    # The store on a RAM-backed folder when there is one: only the set-up writes (durably: 20k fsyncs).
    tmp = Path(tempfile.mkdtemp(prefix="reviewflow-bench-", dir="/dev/shm" if Path("/dev/shm").is_dir() else None))
    try:
        env = env_with(REVIEWFLOW_CACHE=str(tmp / "cache"))
        db = tmp / "runtime.db"
        start = time.perf_counter()
        info = casestores.build(db, args.cases)
        print(f"(set-up: {args.cases:,} cases of ten events written through the store API in "
              f"{time.perf_counter() - start:.1f} s)")
        rows = bench_replay(db, args.cases, args.rounds)
        workspace = tmp / "processes"
        (workspace / "leeds").mkdir(parents=True)
        shutil.copy(ROOT / "processes" / "leeds" / "leeds-rapid-review.yaml", workspace / "leeds")
        rows += bench_show(db, str(info["ref"]), args.cli_rounds, env, workspace)
        table(f"Runtime: min / median / max over paired rounds ({args.rounds} in process, {args.cli_rounds} "
              "whole-process)", ["measure", "A", "baseline B", "A / B", "goal", "verdict (median)"], rows)
        print("B: the stored rows read alone with sqlite3 (replay); python -c pass (case show).")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
