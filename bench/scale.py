"""Scale benchmark: `due`, `cases`, `case show` and `case verify` as whole processes on stores of 1k, 10k
and 100k cases (ten events each: the 100k store holds 1M events), beside `python -c pass` in the same
run, with each process's peak memory (a plain script, not a test).

    .venv/bin/python bench/scale.py [--sizes 1000,10000,100000] [--rounds 3] [--dir /dev/shm]

The stores are written through the public API (bench/casestores.py). They are put on a RAM-backed
folder when there is one (/dev/shm) only to keep the set-up short (100k cases are 200k durable
transactions); everything measured reads. Goals (issue #12): `due` at 100k cases within 150 MiB and
2 s; `case verify` over 1M events within 5 s; `case show` within 6x `python -c pass` (warm cache).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import casestores  # noqa: E402
import floors  # noqa: E402
from paired import PYTHON_PASS, REVIEWFLOW, compile_bytecode, env_with, paired, run, spread, table  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def measure(size: int, folder: Path, rounds: int, env: dict[str, str]) -> tuple[list[list[str]], list[list[str]]]:
    db = folder / f"scale-{size}.db"
    print(f"building {size:,} cases in {db} ...", flush=True)
    info = casestores.build(db, size)
    commands = {
        "due": [REVIEWFLOW, "due", "--as-of", info["as_of"], "--db", str(db)],
        "cases": [REVIEWFLOW, "cases", "--db", str(db)],
        "case show": [REVIEWFLOW, "case", "show", info["ref"], "--db", str(db)],
        "case verify": [REVIEWFLOW, "case", "verify", "--db", str(db)],
    }
    rows = []
    for name, command in commands.items():
        pairs = paired(lambda command=command: run(command, env), lambda: run(PYTHON_PASS, env), rounds)
        wall = [r.wall for r in pairs.a]
        peak = [r.peak_mib for r in pairs.a]
        goal, met = goal_of(name, size, info, statistics.median(wall), statistics.median(peak),
                            statistics.median(pairs.ratios("cpu")))
        rows.append([name, f"{size:,}", spread(wall), spread([r.cpu for r in pairs.a]), spread(peak, "{:.0f}"),
                     spread([r.wall for r in pairs.b], "{:.3f}"), spread(pairs.ratios("cpu"), "{:.1f}"), goal, met])
    floor_rows = floors.measure(db, size, rounds)
    db.unlink(missing_ok=True)
    for sidecar in folder.glob(f"scale-{size}.db-*"):
        sidecar.unlink()
    return rows, floor_rows


def goal_of(name: str, size: int, info: dict[str, object], wall: float, peak: float, ratio: float) -> tuple[str, str]:
    if name == "due" and size >= 100_000:
        return "<= 2 s, <= 150 MiB", "met" if wall <= 2 and peak <= 150 else "MISSED"
    if name == "case verify" and int(str(info["events"])) >= 1_000_000:
        return "<= 5 s (1M events)", "met" if wall <= 5 else "MISSED"
    if name == "case show":
        return "<= 6x python -c pass (cpu)", "met" if ratio <= 6 else "MISSED"
    return "-", "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", default="/dev/shm" if Path("/dev/shm").is_dir() else None)
    args = parser.parse_args()
    compile_bytecode(ROOT)
    folder = Path(tempfile.mkdtemp(prefix="reviewflow-scale-", dir=args.dir))
    cache = Path(tempfile.mkdtemp(prefix="reviewflow-scale-cache-"))
    env = env_with(REVIEWFLOW_CACHE=str(cache))
    try:
        rows, floor_rows = [], []
        for size in (int(s) for s in args.sizes.split(",")):
            measured, floored = measure(size, folder, args.rounds, env)
            rows += measured
            floor_rows += floored
        table(f"Scale: whole processes, min / median / max over {args.rounds} paired rounds "
              "(peak = the process's maximum resident memory)",
              ["command", "cases", "wall s", "cpu s", "peak MiB", "python -c pass wall s", "cpu ratio",
               "goal", "verdict"], rows)
        table(f"What due cannot be faster than (bench/floors.py): parts of its work timed alone in one process, "
              f"wall s, min / median / max over {args.rounds} rounds; due's goal at 100k cases is 2 s in all",
              ["part of due's work", "cases", "wall s"], floor_rows)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
