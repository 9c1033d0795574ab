"""Shared by the benchmarks: whole-process timings taken in pairs, and the table they are printed in.

A measure and its baseline run in turn (A B A B ...), and each ratio is taken pair by pair, so a
machine whose speed drifts during the run (shared, noisy cores) moves both sides of a pair alike.
Every figure is min / median / max over the rounds; verdicts use the median. CPU is the child's user +
system time from the operating system (os.wait4), wall a monotonic clock around the child, peak the
child's maximum resident set size.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

BIN = Path(sys.executable).parent
REVIEWFLOW = str(BIN / "reviewflow")
PYTHON_PASS = [sys.executable, "-c", "pass"]


@dataclass
class Run:
    wall: float
    cpu: float
    peak_mib: float


# The children are started by a small helper process, not by the benchmark itself: a child's peak memory
# starts at its parent's size when it is forked, and the benchmark holds stores and definitions in memory.
_RUNNER = r"""
import json, os, subprocess, sys, time
for line in sys.stdin:
    job = json.loads(line)
    start = time.perf_counter()
    child = subprocess.Popen(job["command"], env=job["env"], cwd=job["cwd"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    err = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    print(json.dumps({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak_kib": usage.ru_maxrss,
                      "code": os.waitstatus_to_exitcode(status), "err": err.decode(errors="replace")[-2000:]}),
          flush=True)
"""
_runner: subprocess.Popen[str] | None = None


def _helper() -> subprocess.Popen[str]:
    global _runner
    if _runner is None:
        _runner = subprocess.Popen([sys.executable, "-S", "-c", _RUNNER], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, text=True, bufsize=1)
    return _runner


def run(command: Sequence[str], env: Mapping[str, str] | None = None, cwd: str | Path | None = None,
        ok: Sequence[int] = (0,)) -> Run:
    """One whole process: its wall time, CPU time and peak memory; output thrown away."""
    helper = _helper()
    assert helper.stdin is not None and helper.stdout is not None
    helper.stdin.write(json.dumps({"command": list(command), "env": dict(env if env is not None else os.environ),
                                   "cwd": None if cwd is None else str(cwd)}) + "\n")
    done = json.loads(helper.stdout.readline())
    if done["code"] not in ok:
        raise SystemExit(f"{' '.join(command)} exited {done['code']}:\n{done['err']}")
    return Run(done["wall"], done["cpu"], done["peak_kib"] / 1024)


@dataclass
class Pairs:
    a: list[Run] = field(default_factory=list)
    b: list[Run] = field(default_factory=list)

    def ratios(self, what: str = "cpu") -> list[float]:
        return [getattr(x, what) / getattr(y, what) for x, y in zip(self.a, self.b, strict=True)]


def paired(a: Callable[[], Run], b: Callable[[], Run], rounds: int, warmup: int = 1) -> Pairs:
    """Run A and B in turn `rounds` times (after `warmup` unrecorded pairs)."""
    for _ in range(warmup):
        a(), b()
    out = Pairs()
    for _ in range(rounds):
        out.a.append(a())
        out.b.append(b())
    return out


def spread(values: Sequence[float], fmt: str = "{:.2f}") -> str:
    return " / ".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values)))


def verdict(value: float, goal: float) -> str:
    return "met" if value <= goal else "MISSED"


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Left-aligned columns, the figures of one run side by side."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def env_with(**changes: str) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    out.update(changes)
    return out


def compile_bytecode(root: Path) -> None:
    """An installed package has its bytecode compiled; make a checkout's the same before timing it."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", "-x", r"[/\\]\.venv[/\\]", str(root)],
                   check=False, stdout=subprocess.DEVNULL, env=env_with())
