"""The benchmarks still run, on tiny sizes (what they measure is not judged here: `make bench` does that).

A benchmark that breaks is found only when someone next runs `make bench`; the scale benchmark once
built stores whose case rows disagreed with their events, which every read now refuses.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(script: str, *args: str) -> str:
    result = subprocess.run([sys.executable, str(ROOT / "bench" / script), *args], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.slow
def test_the_scale_benchmark_runs_every_command_on_a_small_store() -> None:
    out = _run("scale.py", "--sizes", "40", "--rounds", "1")
    cells = [re.split(r"\s{2,}", line) for line in out.splitlines()]
    measured = [row[0] for row in cells if len(row) > 2 and row[1] == "40"]
    assert measured[:4] == ["due", "cases", "case show", "case verify"], out
    assert measured[4:] == [
        "the open-deadline rows alone, read with sqlite3", "the ledger check in SQLite, as due makes it",
        "the check's texts alone (sha256 replaced by the identity)", "the check's 280 sha256 alone, in a Python loop"], out


@pytest.mark.slow
def test_the_runtime_benchmark_replays_and_shows_a_small_store() -> None:
    out = _run("runtime.py", "--cases", "40", "--rounds", "1", "--cli-rounds", "1")
    assert "Runtime:" in out and "case show" in out, out
