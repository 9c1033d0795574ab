"""Eight processes writing to one store at once: nothing lost, nothing duplicated, every chain intact."""

from __future__ import annotations

import multiprocessing
import random
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from reviewflow.engine.events import Event
from reviewflow.engine.store import ConcurrencyError, DeadlineRow
from reviewflow.engine.store.sqlite import SQLiteStore

WORKERS = 8
PER_WORKER = 12  # appends to the shared case and, separately, to the worker's own case
SHARED = "SHARED"
DEF_HASH = "e" * 64


def _event(worker: int, n: int, target: str) -> Event:
    return Event(kind="noted", name="note", at=date(2024, 5, 1), by="chair",
                 data={"worker": worker, "n": n, "target": target})


def _append_with_retry(store: SQLiteStore, ref: str, event: Event, worker: int) -> list[tuple[int, int]]:
    """The service's retry loop in miniature: read last_seq, decide, append; on ConcurrencyError read again.

    Returns one ``(expected last seq, last seq re-read after the refusal)`` pair per conflict.
    """
    conflicts: list[tuple[int, int]] = []
    last = store.case(ref).last_seq
    while True:
        time.sleep(random.random() / 500)  # the "decide" step, where another writer can slip in
        try:
            store.append(ref, [event], expected_last_seq=last, stage=f"w{worker}", closed=False,
                         deadlines=[DeadlineRow(ref, "next", "next step", date(2024, 6, last % 28 + 1), None,
                                                "statutory", "open", f"w{worker}", None, None)])
            return conflicts
        except ConcurrencyError:
            stale, last = last, store.case(ref).last_seq
            conflicts.append((stale, last))


def _worker(path: str, worker: int, ready: Any, start: Any, results: Any) -> None:
    shared_conflicts: list[tuple[int, int]] = []
    own_conflicts: list[tuple[int, int]] = []
    with SQLiteStore(path, busy_timeout_ms=60_000) as store:
        own = f"OWN-{worker}"
        ready.put(worker)
        start.wait()
        store.open_case(own, "csi", DEF_HASH, None, _event(worker, -1, own), stage=None)
        for n in range(PER_WORKER):
            shared_conflicts += _append_with_retry(store, SHARED, _event(worker, n, SHARED), worker)
            own_conflicts += _append_with_retry(store, own, _event(worker, n, own), worker)
    results.put((worker, shared_conflicts, own_conflicts))


@pytest.mark.slow
def test_concurrent_appends_lose_nothing_and_keep_every_chain(tmp_path: Path) -> None:
    path = str(tmp_path / "cases.db")
    with SQLiteStore(path) as store:
        store.save_definition(DEF_HASH, "csi", "1", {"p.yaml": "id: csi\n"})
        store.open_case(SHARED, "csi", DEF_HASH, None, _event(-1, -1, SHARED), stage=None)

    ctx = multiprocessing.get_context("spawn")
    ready, start, results = ctx.Queue(), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(path, w, ready, start, results)) for w in range(WORKERS)]
    for proc in procs:
        proc.start()
    # Start only once every worker has started Python and opened the store: spawning takes long
    # enough that workers set off one by one would barely overlap.
    assert sorted(ready.get(timeout=120) for _ in procs) == list(range(WORKERS))
    start.set()
    reports = [results.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
        assert proc.exitcode == 0
    assert sorted(worker for worker, _, _ in reports) == list(range(WORKERS))
    shared_conflicts = [c for _, conflicts, _ in reports for c in conflicts]
    own_conflicts = [c for _, _, conflicts in reports for c in conflicts]

    # The race really happened, so the retry loop was exercised; and every refusal was real: by the
    # time the refused worker read the case again, another writer had moved it on.
    assert shared_conflicts, "eight writers on one case never conflicted: the test did not race"
    assert all(found > expected for expected, found in shared_conflicts), shared_conflicts
    # A case only its own worker writes to is never refused, however busy the store.
    assert own_conflicts == []

    with SQLiteStore(path) as store:
        assert store.verify() == []
        shared = store.events(SHARED)
        written = [(s.event.data["worker"], s.event.data["n"]) for s in shared[1:]]
        expected = [(w, n) for w in range(WORKERS) for n in range(PER_WORKER)]
        assert sorted(written) == expected  # 0 lost, 0 duplicated
        assert [s.event.seq for s in shared] == list(range(1, len(expected) + 2))
        assert store.case(SHARED).last_seq == len(expected) + 1
        for w in range(WORKERS):
            own = store.events(f"OWN-{w}")
            assert [s.event.data["n"] for s in own] == list(range(-1, PER_WORKER))
            assert [s.event.seq for s in own] == list(range(1, PER_WORKER + 2))
        # The projection holds exactly the last writer's row for each case.
        rows = store.due(date(2024, 1, 1))
        assert sorted(r.case_ref for r in rows) == sorted([SHARED] + [f"OWN-{w}" for w in range(WORKERS)])


def _open_fresh(path: str, worker: int, ready: Any, start: Any, results: Any) -> None:
    ready.put(worker)
    start.wait()
    with SQLiteStore(path, busy_timeout_ms=60_000) as store:
        store.save_definition(DEF_HASH, "csi", "1", {"p.yaml": "id: csi\n"})
        store.open_case(f"NEW-{worker}", "csi", DEF_HASH, None, _event(worker, 0, "new"), stage=None)
    results.put(worker)


@pytest.mark.slow
def test_processes_racing_to_create_a_new_store_migrate_it_once(tmp_path: Path) -> None:
    path = str(tmp_path / "fresh.db")
    ctx = multiprocessing.get_context("spawn")
    ready, start, results = ctx.Queue(), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_open_fresh, args=(path, w, ready, start, results)) for w in range(WORKERS)]
    for proc in procs:
        proc.start()
    assert sorted(ready.get(timeout=120) for _ in procs) == list(range(WORKERS))  # all started: now race
    start.set()
    assert sorted(results.get(timeout=120) for _ in procs) == list(range(WORKERS))
    for proc in procs:
        proc.join(timeout=30)
        assert proc.exitcode == 0
    with SQLiteStore(path) as store:
        assert [c.ref for c in store.cases()] == [f"NEW-{w}" for w in range(WORKERS)]
        assert store.verify() == []
        assert store._live().execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] == 1
