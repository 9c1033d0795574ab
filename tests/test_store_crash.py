"""SIGKILL a writer at random moments: every acknowledged append survives, nothing is half-written.

A child process appends in a loop and prints each acknowledged seq only after `append` returned. The
parent kills it at a random moment (sometimes before the schema even exists), then reopens the store
and checks it. 3 stores x 18 kills = 54 kills in all.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from reviewflow.engine.store.sqlite import SQLiteStore

KILLS_PER_STORE = 18
REF = "CRASH-1"
ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import random, sys
from datetime import date
from reviewflow.engine.errors import NotFoundError
from reviewflow.engine.events import Event
from reviewflow.engine.store import DeadlineRow
from reviewflow.engine.store.sqlite import SQLiteStore

path, ref, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
rng = random.Random(seed)
store = SQLiteStore(path)
store.save_definition("d" * 64, "csi", "1", {"p.yaml": "id: csi\n"})

def rows(last):
    # The projection records which append wrote it, so the parent can check it moved with the events.
    return [DeadlineRow(ref, f"d{i}", f"after {last}", date(2024, 1, 1 + i), None, "statutory", "open",
                        "chair", None, None) for i in range(5)]

def event(batch, size, n):
    return Event(kind="noted", name="note", at=date(2024, 1, 2), by="chair",
                 data={"batch": batch, "size": size, "n": n, "pad": "x" * rng.randrange(2000)})

try:
    last = store.case(ref).last_seq
except NotFoundError:
    store.open_case(ref, "csi", "d" * 64, None, event(1, 1, 0), stage="s1", deadlines=rows(1))
    last = 1
    print(1, flush=True)
while True:
    size = rng.randint(1, 3)
    batch = last + 1
    stored = store.append(ref, [event(batch, size, i) for i in range(size)], expected_last_seq=last,
                          stage=f"s{last + size}", closed=False, deadlines=rows(last + size))
    last = stored[-1].event.seq
    print(last, flush=True)  # acknowledged: append has returned
"""


def _run_and_kill(path: Path, rng: random.Random, mid_append: bool) -> list[int]:
    """Start the writer, SIGKILL it at a random moment, return the seqs it acknowledged.

    With `mid_append` the kill comes within 0.1 s after the first acknowledgement, so it lands among
    appends however slow the machine starts Python; otherwise anywhere from start-up (imports, schema
    creation, WAL recovery) onwards.
    """
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(path), REF, str(rng.randrange(2**31))],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    assert proc.stdout is not None
    first = ""
    if mid_append:
        first = proc.stdout.readline().decode()
        assert first.endswith("\n"), proc.communicate(timeout=30)[1].decode()
        time.sleep(rng.uniform(0.0, 0.1))
    else:
        time.sleep(rng.uniform(0.0, 0.4))
    proc.send_signal(signal.SIGKILL)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL, err.decode()
    # Each line is one small write(2) to a pipe, so it is atomic; a line without its newline was never
    # acknowledged to anybody.
    text = first + out.decode()
    return [int(line) for line in text.splitlines(keepends=True) if line.endswith("\n")]


def _check(path: Path, acknowledged: list[int], context: str) -> int:
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok", context
    conn.close()
    with SQLiteStore(path) as store:
        assert store.verify() == [], context
        if not store.cases():
            assert not acknowledged, context
            return 0
        case = store.case(REF)
        stored = store.events(REF)  # parses every payload and re-verifies the chain
        seqs = [s.event.seq for s in stored]
        assert seqs == list(range(1, case.last_seq + 1)), context
        assert set(acknowledged) <= set(seqs), f"{context}: lost acknowledged seqs"
        # No partial append: each batch is all there, in order.
        for s in stored[1:]:
            batch, size, n = (s.event.data[k] for k in ("batch", "size", "n"))
            assert s.event.seq == batch + n, context
            assert batch + size - 1 <= case.last_seq, f"{context}: batch {batch} is partial"
        # The case row and the projection moved in the same transaction as the events.
        assert case.stage == f"s{case.last_seq}", context
        rows = store.due(date(2024, 1, 1))
        assert len(rows) == 5 and {r.title for r in rows} == {f"after {case.last_seq}"}, context
        return case.last_seq


@pytest.mark.slow
@pytest.mark.parametrize("round_", range(3))
def test_sigkilled_writer_never_loses_an_acknowledged_append(tmp_path: Path, round_: int) -> None:
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    path = tmp_path / "cases.db"
    acknowledged: list[int] = []
    progress = []
    for kill in range(KILLS_PER_STORE):
        acknowledged += _run_and_kill(path, rng, mid_append=kill % 2 == 1)
        progress.append(_check(path, acknowledged, f"seed {seed}, kill {kill + 1}"))
    # Half the kills came mid-append, so the writers did get somewhere.
    assert progress[-1] > KILLS_PER_STORE // 2, f"seed {seed}: progress {progress}"
