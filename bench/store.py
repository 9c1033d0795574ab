"""Event store benchmark (a plain script, not a test): `python bench/store.py [--appends N]`.

1. A durable `append` (1 event, hash chain, case row, 5 projection rows) against a raw SQLite INSERT
   with the same durability (WAL, synchronous=FULL, one BEGIN IMMEDIATE transaction per insert).
2. `due()` over 1k / 10k / 100k open cases (3 projection rows each, bulk-loaded; only `due` is timed).
3. `verify()` per 10k events.
Stores live in a temporary directory, so the numbers depend on that file system's fsync.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from reviewflow.engine.events import Event
from reviewflow.engine.store.chain import GENESIS_HASH, canonical_json, chain_hash
from reviewflow.engine.store.sqlite import SQLiteStore, _connect
from reviewflow.engine.store.types import DeadlineRow

DEF_HASH = "b" * 64
START = date(2024, 1, 1)


def event(n: int) -> Event:
    return Event(kind="recorded", name="strategy_meeting", at=START, by="chair", actor="p-17",
                 agency="police", data={"n": n, "note": "agreed actions recorded; minutes circulated"})


def rows(ref: str, n: int) -> list[DeadlineRow]:
    return [DeadlineRow(ref, f"d{i}", "Rapid review", START + timedelta(days=n % 300 + i), None, "statutory",
                        "open", "chair", "lscp", "WT 2023 ch.4 §24") for i in range(5)]


def timed(fn: Callable[[], object], repeat: int) -> float:
    """Median seconds of `repeat` calls."""
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def bench_append(tmp: Path, n: int, rounds: int = 5) -> tuple[float, float]:
    """Median seconds per op; store and raw alternate in rounds so drift in fsync cost hits both alike."""
    store = SQLiteStore(tmp / "append.db")
    store.save_definition(DEF_HASH, "csi", "1", {"p.yaml": "id: csi\n"})
    store.open_case("A-1", "csi", DEF_HASH, None, event(0), stage="s")
    # The baseline uses the store's own connection helper, so the pragmas are identical.
    raw = _connect(str(tmp / "raw.db"), 10_000)
    raw.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, case_ref TEXT NOT NULL, seq INTEGER NOT NULL, "
                "payload TEXT NOT NULL, UNIQUE (case_ref, seq))")
    payload = canonical_json(event(1).to_json_dict())
    last, store_samples, raw_samples = 1, [], []
    per_round = max(1, n // rounds)
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(per_round):
            store.append("A-1", [event(last)], expected_last_seq=last, stage="s", closed=False,
                         deadlines=rows("A-1", last))
            last += 1
        store_samples.append((time.perf_counter() - t0) / per_round)
        t0 = time.perf_counter()
        for i in range(last - per_round, last):
            raw.execute("BEGIN IMMEDIATE")
            raw.execute("INSERT INTO events (case_ref, seq, payload) VALUES (?, ?, ?)", ("A-1", i, payload))
            raw.execute("COMMIT")
        raw_samples.append((time.perf_counter() - t0) / per_round)
    store.close()
    raw.close()
    return statistics.median(store_samples), statistics.median(raw_samples)


def bench_due(tmp: Path, cases: int) -> tuple[float, float, float, float, int, int]:
    with SQLiteStore(tmp / f"due{cases}.db") as store:
        store.save_definition(DEF_HASH, "csi", "1", {"p.yaml": "id: csi\n"})
        # Bulk path: straight into the store's schema through its own connection; not what is timed.
        with store._write() as conn:
            conn.executemany(
                "INSERT INTO cases (ref, process_id, definition_hash, pseudonym, opened_at, stage, closed, "
                "last_seq) VALUES (?, 'csi', ?, NULL, '2024-01-01', 's', 0, 1)",
                [(f"C-{i:06d}", DEF_HASH) for i in range(cases)])
            conn.executemany(
                "INSERT INTO open_deadlines (case_ref, deadline_id, title, due, window_start, weight, status, "
                "owner, escalate_to, citation) VALUES (?, ?, 'title', ?, NULL, 'statutory', 'open', ?, NULL, NULL)",
                [(f"C-{i:06d}", f"d{k}", (START + timedelta(days=(i * 7 + k * 31) % 365)).isoformat(),
                  f"owner-{i % 20}") for i in range(cases) for k in range(3)])
        as_of = START + timedelta(days=10)
        window = timed(lambda: store.due(as_of, within_days=7), 7)
        owner = timed(lambda: store.due(as_of, within_days=7, owner="owner-3"), 7)
        everything = timed(lambda: store.due(as_of), 3)
        # Nothing due yet: shows the index seek itself, independent of how many rows come back.
        empty = timed(lambda: store.due(START - timedelta(days=30), within_days=0), 7)
        return empty, window, owner, everything, len(store.due(as_of, within_days=7)), len(store.due(as_of))


def bench_verify(tmp: Path, cases: int = 100, per_case: int = 100) -> float:
    with SQLiteStore(tmp / "verify.db") as store:
        store.save_definition(DEF_HASH, "csi", "1", {"p.yaml": "id: csi\n"})
        with store._write() as conn:
            for c in range(cases):
                ref = f"V-{c:04d}"
                conn.execute("INSERT INTO cases (ref, process_id, definition_hash, opened_at, closed, last_seq) "
                             "VALUES (?, 'csi', ?, '2024-01-01', 0, ?)", (ref, DEF_HASH, per_case))
                prev, batch = GENESIS_HASH, []
                for seq in range(1, per_case + 1):
                    payload = event(seq).to_json_dict()
                    digest = chain_hash(prev, ref, seq, payload)
                    batch.append((ref, seq, canonical_json(payload), prev, digest))
                    prev = digest
                conn.executemany("INSERT INTO events (case_ref, seq, payload, prev_hash, hash) "
                                 "VALUES (?, ?, ?, ?, ?)", batch)
        assert store.verify() == []
        return timed(store.verify, 3) * 10_000 / (cases * per_case)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appends", type=int, default=500)
    parser.add_argument("--dir", default=None, help="where to put the stores (fsync cost depends on it)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="reviewflow-bench-", dir=args.dir) as name:
        tmp = Path(name)
        store_s, raw_s = bench_append(tmp, args.appends)
        print(f"durable append ({args.appends} appends, 1 event + 5 projection rows each)")
        print(f"  {'':28}{'per op':>12}{'ops/s':>10}")
        print(f"  {'SQLiteStore.append':28}{store_s * 1e6:>10.0f}µs{1 / store_s:>10.0f}")
        print(f"  {'raw INSERT (WAL, FULL)':28}{raw_s * 1e6:>10.0f}µs{1 / raw_s:>10.0f}")
        print(f"  ratio store/raw: {store_s / raw_s:.2f}x")
        print("\ndue() over open cases (3 projection rows each, due dates spread over a year; median ms)")
        print(f"  {'cases':>8}{'none due':>10}{'within 7d':>11}{'+owner':>9}{'all rows':>10}"
              f"{'rows 7d':>9}{'rows all':>10}{'µs/row 7d':>11}")
        for cases in (1_000, 10_000, 100_000):
            empty, window, owner, everything, n_window, n_all = bench_due(tmp, cases)
            print(f"  {cases:>8}{empty * 1e3:>10.3f}{window * 1e3:>11.2f}{owner * 1e3:>9.2f}"
                  f"{everything * 1e3:>10.1f}{n_window:>9}{n_all:>10}{window / n_window * 1e6:>11.1f}")
        per10k = bench_verify(tmp)
        print(f"\nverify(): {per10k * 1e3:.0f} ms per 10k events")


if __name__ == "__main__":
    main()
