"""Benchmark: working-day arithmetic against an O(1) lookup table and the day-by-day loop, and a CLI run.

Plain script (not a test): `.venv/bin/python bench/workdays.py [--runs 9] [--rounds 7]`. Everything is
measured in this one run, so the ratios compare like with like on the same machine.

First, paired rounds (issue #12's goal): `Calendar.add_working_days` against the physical limit, a bare
function over a precomputed table (`dates[upto[ordinal - first] + n - 1]`, no checks at all), and
against the day-by-day loop over one reused `holidays` object; N=5 and N=15, 10,000 calls each, the
two timed in turn in every round; goal: within 1.5x of the table. Then the disagreement checks
(0 allowed, over 2015-2035) and the whole-process CLI figures.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

sys.path.insert(0, str(REPO / "tests"))  # the test-only reference implementation
from reviewflow.engine.calendar.workdays import calendar_for  # noqa: E402
from workdays_reference import reference_add_working_days  # noqa: E402

SEED = 20240102
FIRST, LAST = date(2015, 1, 1), date(2035, 12, 31)


def random_cases(count: int, low: int, high: int) -> list[tuple[date, int]]:
    rng = random.Random(SEED)
    span = (LAST - FIRST).days
    return [(FIRST + timedelta(days=rng.randrange(span + 1)), rng.randint(low, high)) for _ in range(count)]


def seconds(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def compare(label: str, cases: list[tuple[date, int]], rows: list[tuple[str, str, str, str, str]]) -> int:
    calendar = calendar_for()
    fast_results: list[date] = []
    slow_results: list[date] = []
    fast = seconds(lambda: fast_results.extend(calendar.add_working_days(d, n) for d, n in cases))
    slow = seconds(lambda: slow_results.extend(reference_add_working_days(d, n) for d, n in cases))
    disagreements = sum(a != b for a, b in zip(fast_results, slow_results, strict=True))
    per_call = len(cases) > 1 and label.startswith("per call")
    scale, unit = (1e6 / len(cases), "µs") if per_call else (1.0, "s")
    rows.append((label, f"{fast * scale:,.3f} {unit}", f"{slow * scale:,.3f} {unit}", f"{slow / fast:,.0f}×",
                 str(disagreements)))
    return disagreements


def bare_table() -> Callable[[date, int], date]:
    """The O(1) limit: a precomputed count of working days per date, the working days as date objects,
    two list indexes and no checks."""
    from itertools import accumulate

    from reviewflow.engine.calendar.table import FIRST_ORDINAL, LAST_ORDINAL

    working = list(calendar_for()._working)
    flags = bytearray(LAST_ORDINAL - FIRST_ORDINAL + 1)
    for ordinal in working:
        flags[ordinal - FIRST_ORDINAL] = 1
    upto = list(accumulate(flags))
    dates = [date.fromordinal(o) for o in working]

    def add(d: date, n: int) -> date:
        return dates[upto[d.toordinal() - FIRST_ORDINAL] + n - 1]

    return add


def paired_table(rounds: int) -> tuple[list[tuple[str, ...]], bool]:
    """Rows of the paired comparison: ours, the bare table, the reused-object loop (per call, µs)."""
    ours, table_add = calendar_for(), bare_table()
    rows: list[tuple[str, ...]] = []
    met = True
    for n in (5, 15):
        cases = random_cases(10_000, n, n)
        assert [ours.add_working_days(d, k) for d, k in cases] == [table_add(d, k) for d, k in cases]
        mine, limit = [], []
        for _ in range(rounds):
            mine.append(per_call(ours.add_working_days, cases))
            limit.append(per_call(table_add, cases))
        loop = per_call(reference_add_working_days, cases[:1000])
        ratios = [a / b for a, b in zip(mine, limit, strict=True)]
        median = statistics.median(ratios)
        met = met and median <= 1.5
        rows.append((f"N={n}", spread_us(mine), spread_us(limit), f"{loop * 1e6:,.2f}",
                     f"{min(ratios):.2f} / {median:.2f} / {max(ratios):.2f}",
                     f"{loop / statistics.median(mine):,.0f}x / {loop / statistics.median(limit):,.0f}x",
                     "<= 1.5", "met" if median <= 1.5 else "MISSED"))
    return rows, met


def per_call(add: Callable[[date, int], date], cases: list[tuple[date, int]]) -> float:
    start = time.perf_counter()
    for d, n in cases:
        add(d, n)
    return (time.perf_counter() - start) / len(cases)


def spread_us(values: list[float]) -> str:
    return f"{min(values) * 1e6:.3f} / {statistics.median(values) * 1e6:.3f} / {max(values) * 1e6:.3f}"


def print_rows(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def fresh_package_per_call(cases: list[tuple[date, int]]) -> tuple[str, str, str, str, str]:
    """The loop as code without a calendar object would write it: a new `holidays` lookup per deadline."""
    import holidays

    calendar = calendar_for()

    def naive(d: date, n: int) -> date:
        listed = holidays.country_holidays("GB", subdiv="ENG")
        current, remaining = d, n
        while remaining:
            current += timedelta(days=1)
            if current.weekday() < 5 and current not in listed:
                remaining -= 1
        return current

    fast = seconds(lambda: [calendar.add_working_days(d, n) for d, n in cases]) / len(cases)
    slow = seconds(lambda: [naive(d, n) for d, n in cases]) / len(cases)
    return (f"per call, N=15, fresh holidays object ({len(cases)})", f"{fast * 1e6:,.3f} µs",
            f"{slow * 1e6:,.3f} µs", f"{slow / fast:,.0f}×", "-")


def median_wall_time(command: list[str], runs: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=9, help="process runs per CLI measurement (median)")
    parser.add_argument("--rounds", type=int, default=41, help="paired rounds against the O(1) table")
    args = parser.parse_args()

    calendar_for().add_working_days(date(2024, 1, 2), 1)  # build/load once; not part of the timings
    reference_add_working_days(date(2024, 1, 2), 1)
    for d, n in random_cases(200, 1, 15):  # past the first calls, which count by binary search
        calendar_for().add_working_days(d, n)

    paired_rows, _ = paired_table(args.rounds)
    print(f"Per call, µs (min / median / max over {args.rounds} paired rounds of 10,000 calls); "
          "loop: the day-by-day reference over one reused holidays object")
    print_rows(("N", "add_working_days", "bare O(1) table", "loop", "ours / table", "loop / ours, / table",
                "goal", "verdict"), paired_rows)
    print()

    rows: list[tuple[str, str, str, str, str]] = []
    disagreements = compare("per call, N=5 (10,000 calls)", random_cases(10_000, 5, 5), rows)
    disagreements += compare("per call, N=15 (10,000 calls)", random_cases(10_000, 15, 15), rows)
    disagreements += compare("per call, N=250 (10,000 calls)", random_cases(10_000, 250, 250), rows)
    disagreements += compare("100,000 random, N in -60..60", random_cases(100_000, -60, 60), rows)
    rows.append(fresh_package_per_call(random_cases(200, 15, 15)))

    print(f"Working-day arithmetic, dates {FIRST}..{LAST}, seed {SEED}")
    header = ("case", "add_working_days", "day-by-day loop", "loop/ours", "disagreements")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(5)]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))))
    print(f"total disagreements: {disagreements}")

    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory() as cache:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "REVIEWFLOW_CACHE": cache}
        cli = [str(bin_dir / "reviewflow"), "calendar", "add", "2024-01-02", "15"]
        cold = median_wall_time(cli, 1, env)  # the first run builds the cache
        baseline = median_wall_time([sys.executable, "-c", "pass"], args.runs, env)
        warm = median_wall_time(cli, args.runs, env)
        baseline_again = median_wall_time([sys.executable, "-c", "pass"], args.runs, env)
    print()
    print(f"Whole process, median of {args.runs} runs each")
    print(f"  python -c pass                              {baseline * 1000:7.1f} ms "
          f"(again after: {baseline_again * 1000:.1f} ms)")
    print(f"  reviewflow calendar add 2024-01-02 15       {warm * 1000:7.1f} ms (warm cache)")
    print(f"  same, first run with an empty cache         {cold * 1000:7.1f} ms")
    print(f"  CLI overhead over bare interpreter start    {(warm - baseline) * 1000:7.1f} ms")
    if disagreements:
        sys.exit(1)


if __name__ == "__main__":
    main()
