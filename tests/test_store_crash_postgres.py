"""PostgreSQL under crashes: clients killed mid-transaction, the server itself killed mid-load.

1. A writer appends in a loop, printing "begin N" before each append and "ack N" only after `append`
   returned. It is SIGKILLed 50 times at random moments, most while an append is in flight; after each
   kill the store opens, every chain verifies, every acknowledged event is there, no batch is partial,
   and the case row and projection moved with the events.
2. A writer that reconnects after a lost connection keeps appending while the server is restarted with
   `pg_ctl restart -m immediate` (every server process killed, no checkpoint: crash recovery on start)
   5 times; after each restart the same checks hold, and the writer acknowledges more events.

Each part is one test, run once. Part 2 needs the cluster's data directory (REVIEWFLOW_PG_CLUSTER, set by
scripts/pg-cluster.sh start, as CI and `make test-pg` do).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import IO

import pytest
from reviewflow.engine.store.postgres import PostgresStore
from store_backends import CLUSTER_ENV, PARTNERSHIP, Backend, PgServer, postgres_backend

ROOT = Path(__file__).resolve().parent.parent
REF = "CRASH-1"
CLIENT_KILLS = 50
SERVER_RESTARTS = 5

CHILD = r"""
import random, sys, time
from datetime import date
from reviewflow.engine.errors import NotFoundError, StoreError
from reviewflow.engine.events import Event
from reviewflow.engine.store import ConcurrencyError, DeadlineRow
from reviewflow.engine.store.postgres import PostgresStore

url, ref, seed, survive = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "survive"
rng = random.Random(seed)

def patiently(call):
    # Only the surviving writer waits out a server restart; the other dies with its first error.
    deadline = time.monotonic() + 90
    while True:
        try:
            return call()
        except StoreError:
            if not survive or time.monotonic() > deadline:
                raise
            time.sleep(0.05)

store = patiently(lambda: PostgresStore(url))

def rows(last):
    return [DeadlineRow(ref, f"d{i}", f"after {last}", date(2024, 1, 1 + i), None, "statutory", "open",
                        "chair", None, None) for i in range(5)]

def event(batch, size, n):
    return Event(kind="noted", name="note", at=date(2024, 1, 2), by="chair",
                 data={"batch": batch, "size": size, "n": n, "pad": "x" * rng.randrange(4000)})

try:
    last = patiently(lambda: store.case(ref).last_seq)
except NotFoundError:
    store.save_definition("d" * 64, "csi", "1", {"p.yaml": "id: csi\n"})
    print("begin 1", flush=True)
    store.open_case(ref, "csi", "d" * 64, None, event(1, 1, 0), stage="s1", deadlines=rows(1),
                    partnership=sys.argv[5])
    last = 1
    print("ack 1", flush=True)
while True:
    size = rng.randint(1, 3)
    batch = last + 1
    print(f"begin {last + size}", flush=True)
    try:
        stored = store.append(ref, [event(batch, size, i) for i in range(size)], expected_last_seq=last,
                              stage=f"s{last + size}", closed=False, deadlines=rows(last + size))
    except (ConcurrencyError, StoreError):
        if not survive:
            raise
        # The connection died with the append in flight: it may or may not have committed. Read on.
        print("lost", flush=True)
        last = patiently(lambda: store.case(ref).last_seq)
        continue
    last = stored[-1].event.seq
    print(f"ack {last}", flush=True)  # acknowledged: append has returned
"""


def _spawn(backend: Backend, rng: random.Random, survive: bool) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", CHILD, backend.location, REF, str(rng.randrange(2**31)),
                             "survive" if survive else "die", PARTNERSHIP],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)


def _lines(text: str) -> list[str]:
    # Each line is one small write(2) to a pipe, so it is atomic; a line without its newline was never
    # acknowledged to anybody.
    return [line.strip() for line in text.splitlines(keepends=True) if line.endswith("\n")]


def _acks(lines: list[str]) -> list[int]:
    return [int(line.split()[1]) for line in lines if line.startswith("ack ")]


def _check(backend: Backend, acknowledged: list[int], context: str) -> int:
    with backend.open() as store:
        assert store.verify() == [], context
        if not store.cases():
            assert not acknowledged, context
            return 0
        case = store.case(REF)
        stored = store.events(REF)  # parses every payload and re-verifies the chain
        seqs = [s.event.seq for s in stored]
        assert seqs == list(range(1, case.last_seq + 1)), context
        assert set(acknowledged) <= set(seqs), f"{context}: lost acknowledged seqs"
        for s in stored[1:]:  # no partial append: each batch is all there, in order
            batch, size, n = (s.event.data[k] for k in ("batch", "size", "n"))
            assert s.event.seq == batch + n, context
            assert batch + size - 1 <= case.last_seq, f"{context}: batch {batch} is partial"
        assert case.stage == f"s{case.last_seq}", context
        rows = store.due(date(2024, 1, 1))
        assert len(rows) == 5 and {r.title for r in rows} == {f"after {case.last_seq}"}, context
        return case.last_seq


def _read_until(stream: IO[bytes], count: int, timeout: float, after: str | None = None) -> list[str]:
    """Lines from the writer until `count` acknowledgements (after the line `after`, when given).

    The writer keeps running; lines it wrote before now may still be in the pipe, which is why a
    restart is looked for as the writer's own "lost" line, not by the clock.
    """
    lines: list[str] = []

    def counted() -> list[str]:
        if after is None:
            return lines
        return lines[lines.index(after):] if after in lines else []

    end = time.monotonic() + timeout
    while len(_acks(counted())) < count:
        assert time.monotonic() < end, f"the writer made no progress: {lines[-5:]}"
        line = stream.readline().decode()
        assert line, "the writer died"
        lines.append(line.strip())
    return lines


@pytest.fixture
def crash_store(pg_server: PgServer) -> Backend:
    found = postgres_backend(pg_server)
    yield found  # type: ignore[misc]
    assert found.database is not None
    pg_server.drop(found.database)


@pytest.mark.slow
def test_clients_killed_mid_transaction_never_lose_an_acknowledged_append(crash_store: Backend) -> None:
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    acknowledged: list[int] = []
    in_flight = 0
    progress = []
    for kill in range(CLIENT_KILLS):
        proc = _spawn(crash_store, rng, survive=False)
        assert proc.stdout is not None
        # After the first acknowledgement, so the kill lands among appends however slow Python starts.
        first = _read_until(proc.stdout, 1, 60)
        time.sleep(rng.uniform(0.0, 0.05))
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGKILL, err.decode()
        lines = first + _lines(out.decode())
        in_flight += lines[-1].startswith("begin ")  # killed between sending an append and its answer
        acknowledged += _acks(lines)
        progress.append(_check(crash_store, acknowledged, f"seed {seed}, kill {kill + 1}"))
    assert progress[-1] > CLIENT_KILLS, f"seed {seed}: progress {progress}"
    assert in_flight >= CLIENT_KILLS // 2, f"seed {seed}: only {in_flight} kills came mid-transaction"
    # Every killed client's session is gone: the server rolled back what they left open.
    assert crash_store.server is not None
    with crash_store.server.connect() as conn:
        left = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND state LIKE 'idle in%%'",
                            (crash_store.database,)).fetchone()
    assert left == (0,)


@pytest.mark.slow
def test_server_restarted_mid_load_never_loses_an_acknowledged_append(crash_store: Backend) -> None:
    cluster = os.environ.get(CLUSTER_ENV)
    if not cluster:
        pytest.skip(f"restarting the server needs the cluster made by scripts/pg-cluster.sh ({CLUSTER_ENV})")
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    proc = _spawn(crash_store, rng, survive=True)
    assert proc.stdout is not None
    acknowledged: list[int] = []
    lost = 0
    try:
        acknowledged += _acks(_read_until(proc.stdout, 5, 60))
        for restart in range(SERVER_RESTARTS):
            time.sleep(rng.uniform(0.0, 0.2))
            subprocess.run(["bash", str(ROOT / "scripts" / "pg-cluster.sh"), "restart-immediate", cluster],
                           check=True, timeout=120)
            # The writer loses its connection, reconnects and carries on; what it acknowledged before
            # and since is all there.
            lines = _read_until(proc.stdout, 5, 120, after="lost")
            lost += lines.count("lost")
            acknowledged += _acks(lines)
            # Checked with the writer stopped (perhaps mid-transaction, invisible to the check), so the
            # case row, the events and the projection are read as of one moment.
            proc.send_signal(signal.SIGSTOP)
            try:
                last = _check(crash_store, acknowledged, f"seed {seed}, restart {restart + 1}")
            finally:
                proc.send_signal(signal.SIGCONT)
            assert last >= max(acknowledged)
    finally:
        proc.kill()
        _, err = proc.communicate(timeout=30)
    assert lost >= SERVER_RESTARTS, f"seed {seed}: the writer lost its connection only {lost} times"
    with PostgresStore(crash_store.location) as store:
        assert store.verify() == []
