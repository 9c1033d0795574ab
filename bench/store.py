"""Event store benchmark, SQLite and PostgreSQL side by side (a plain script, not a test).

    python bench/store.py [--rounds 5] [--appends 300] [--cases 100000]
    make bench    # starts a throw-away PostgreSQL server for it (scripts/pg-cluster.sh)

PostgreSQL is measured when REVIEWFLOW_TEST_PG names a server (a superuser's URL: the benchmark creates
its own database and login there and drops them afterwards); otherwise only SQLite is. Each measure is
taken over several rounds and printed as min / median / max of the rounds:

1. durable append: one event + 5 projection rows, one transaction, on disk when it returns (SQLite: WAL,
   synchronous=FULL; PostgreSQL: synchronous_commit=on, over TCP to localhost); beside it a raw INSERT
   of one row with the same durability, to show what the store adds;
   and the same append with the store-wide ledger switched off (the store before #14), to show what
   the ledger's one extra row per write costs;
2. 8-writer throughput: 8 processes, each appending to its own case, all at once (with and without the
   ledger: on PostgreSQL writes take turns at the ledger's head);
3. `due` over 100k open cases (3 projection rows each, bulk-loaded; only `due` is timed), on
   PostgreSQL as an everyday login, so row-level security is in the plan, as in production;
4. `verify` per 10k events.

The SQLite stores and the PostgreSQL cluster live in the same temporary directory's file system when
`make bench` starts the cluster, so their fsyncs cost the same.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from reviewflow.engine.events import Event
from reviewflow.engine.store import Store
from reviewflow.engine.store.chain import GENESIS_HASH, canonical_json, chain_hash
from reviewflow.engine.store.postgres import PostgresStore
from reviewflow.engine.store.sqlite import SQLiteStore, _connect
from reviewflow.engine.store.types import DeadlineRow

DEF_HASH = "b" * 64
START = date(2024, 1, 1)
PARTNERSHIP = "bench"
WRITERS = 8


def event(n: int) -> Event:
    return Event(kind="recorded", name="strategy_meeting", at=START, by="chair", actor="p-17",
                 agency="police", data={"n": n, "note": "agreed actions recorded; minutes circulated"})


def rows(ref: str, n: int) -> list[DeadlineRow]:
    return [DeadlineRow(ref, f"d{i}", "Rapid review", START + timedelta(days=n % 300 + i), None, "statutory",
                        "open", "chair", "lscp", "WT 2023 ch.4 §24") for i in range(5)]


def spread(samples: list[float], scale: float = 1.0, digits: int = 2) -> str:
    values = [s * scale for s in samples]
    return f"{min(values):.{digits}f} / {statistics.median(values):.{digits}f} / {max(values):.{digits}f}"


# -- the two backends ------------------------------------------------------------------------------


class NoLedgerSQLiteStore(SQLiteStore):
    """The SQLite store as it was before the ledger (#14): the same writes, no ledger entry."""

    @staticmethod
    def _add_ledger_entry(*args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return None


def open_sqlite(location: str, ledger: bool = True) -> Store:
    kind = SQLiteStore if ledger else NoLedgerSQLiteStore
    return kind(location, busy_timeout_ms=120_000)


class Backend:
    name = ""

    def fresh(self, label: str, ledger: bool = True) -> str:
        """The location of a new, empty store (without `ledger`: one whose writes add no ledger entry)."""
        raise NotImplementedError

    def open(self, location: str, ledger: bool = True) -> Store:
        raise NotImplementedError

    def raw_insert(self, location: str) -> Callable[[int], None]:
        """One durable single-row INSERT transaction per call, beside the store."""
        raise NotImplementedError

    def bulk_load(self, location: str, cases: int) -> None:
        raise NotImplementedError

    def bulk_chains(self, location: str, chains: dict[str, list[tuple[int, str, str, str, str | None]]]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


class SQLite(Backend):
    name = "sqlite"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def fresh(self, label: str, ledger: bool = True) -> str:
        return str(self.directory / f"{label}{'' if ledger else '-no-ledger'}.db")

    def open(self, location: str, ledger: bool = True) -> Store:
        return open_sqlite(location, ledger)

    def raw_insert(self, location: str) -> Callable[[int], None]:
        # The store's own connection helper: the pragmas are identical.
        raw = _connect(location + ".raw", 10_000)
        raw.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, case_ref TEXT NOT NULL, seq INTEGER NOT NULL, "
                    "payload TEXT NOT NULL, UNIQUE (case_ref, seq))")
        payload = canonical_json(event(1).to_json_dict())

        def insert(i: int) -> None:
            raw.execute("BEGIN IMMEDIATE")
            raw.execute("INSERT INTO events (case_ref, seq, payload) VALUES (?, ?, ?)", ("A-1", i, payload))
            raw.execute("COMMIT")
        return insert

    def bulk_load(self, location: str, cases: int) -> None:
        with SQLiteStore(location) as store, store._write() as conn:
            conn.executemany(
                "INSERT INTO cases (ref, process_id, definition_hash, pseudonym, opened_at, stage, closed, "
                "last_seq, partnership) VALUES (?, 'csi', ?, NULL, '2024-01-01', 's', 0, 1, ?)",
                [(f"C-{i:06d}", DEF_HASH, PARTNERSHIP) for i in range(cases)])
            conn.executemany(
                "INSERT INTO open_deadlines (case_ref, deadline_id, title, due, window_start, weight, status, "
                "owner, escalate_to, citation) VALUES (?, ?, 'title', ?, NULL, 'statutory', 'open', ?, NULL, NULL)",
                [(ref, did, due.isoformat(), owner) for ref, did, due, owner in _deadlines(cases)])
            _sqlite_ledger(store, conn, {f"C-{i:06d}": GENESIS_HASH for i in range(cases)})

    def bulk_chains(self, location: str, chains: dict[str, list[tuple[int, str, str, str, str | None]]]) -> None:
        with SQLiteStore(location) as store, store._write() as conn:
            for ref, links in chains.items():
                conn.execute("INSERT INTO cases (ref, process_id, definition_hash, opened_at, closed, last_seq, "
                             "partnership) VALUES (?, 'csi', ?, '2024-01-01', 0, ?, ?)",
                             (ref, DEF_HASH, len(links), PARTNERSHIP))
                conn.executemany("INSERT INTO events (case_ref, seq, payload, prev_hash, hash, recorded_by) "
                                 "VALUES (?, ?, ?, ?, ?, ?)", [(ref, *link) for link in links])
            _sqlite_ledger(store, conn, {ref: links[-1][3] for ref, links in chains.items()})


def _sqlite_ledger(store: SQLiteStore, conn: Any, heads: dict[str, str]) -> None:
    """Bulk-loaded cases get their ledger entries as a write would give them (reads check them)."""
    for ref, event_hash in heads.items():
        store._add_ledger_entry(conn, store._case_in(conn, ref), event_hash)


class Postgres(Backend):
    """A database of its own on the given server, and an everyday login that may act as `chair`."""

    name = "postgresql"

    def __init__(self, url: str) -> None:
        import psycopg

        self.psycopg = psycopg
        self.url = url
        self.login = f"rf_bench_{os.getpid()}"
        self.password = secrets.token_hex(12)
        self.databases: list[str] = []
        self.superuser(f"CREATE ROLE {self.login} LOGIN PASSWORD '{self.password}'")

    def _url(self, database: str | None = None, login: tuple[str, str] | None = None) -> str:
        parts = urlsplit(self.url)
        netloc = parts.netloc
        if login is not None:
            netloc = f"{quote(login[0])}:{quote(login[1])}@{parts.hostname}:{parts.port}"
        return urlunsplit((parts.scheme, netloc, f"/{database}" if database else parts.path, parts.query, ""))

    def superuser(self, sql: str, database: str | None = None) -> None:
        with self.psycopg.connect(self._url(database), autocommit=True) as conn:
            conn.execute(sql)

    def fresh(self, label: str, ledger: bool = True) -> str:
        database = f"rf_bench_{os.getpid()}_{label}{'' if ledger else '_no_ledger'}"
        self.superuser(f'CREATE DATABASE "{database}"')
        self.databases.append(database)
        with PostgresStore(self._url(database)) as owner:  # creates the store; grants are per database
            owner.grant(self.login, "chair", PARTNERSHIP)
        if not ledger:  # the write functions as they were before #14: no ledger entry, no turn at its head
            self.superuser("CREATE OR REPLACE FUNCTION reviewflow.add_ledger_entry(p_ref text, p_event_hash text) "
                           "RETURNS void LANGUAGE plpgsql AS $$ BEGIN END $$", database)
        return self._url(database, (self.login, self.password))

    def open(self, location: str, ledger: bool = True) -> Store:
        return PostgresStore(location, lock_timeout_ms=120_000)

    def _owner(self, location: str) -> Any:
        return self.psycopg.connect(self._url(urlsplit(location).path.lstrip("/")), autocommit=True)

    def raw_insert(self, location: str) -> Callable[[int], None]:
        conn = self._owner(location)
        conn.execute("CREATE TABLE public.raw_events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
                     "case_ref text NOT NULL, seq integer NOT NULL, payload text NOT NULL, UNIQUE (case_ref, seq))")
        payload = canonical_json(event(1).to_json_dict())

        def insert(i: int) -> None:
            with conn.transaction():
                conn.execute("INSERT INTO public.raw_events (case_ref, seq, payload) VALUES (%s, %s, %s)",
                             ("A-1", i, payload))
        return insert

    def bulk_load(self, location: str, cases: int) -> None:
        with self._owner(location) as conn, conn.transaction():
            conn.execute("SET session_replication_role = replica")  # a bulk path, not the write functions
            with conn.cursor().copy("COPY reviewflow.cases (ref, partnership, process_id, definition_hash, "
                                    "opened_at, stage, closed, last_seq) FROM STDIN") as copy:
                for i in range(cases):
                    copy.write_row((f"C-{i:06d}", PARTNERSHIP, "csi", DEF_HASH, START, "s", False, 1))
            with conn.cursor().copy("COPY reviewflow.open_deadlines (case_ref, partnership, deadline_id, title, "
                                    "due, weight, status, owner) FROM STDIN") as copy:
                for ref, did, due, owner in _deadlines(cases):
                    copy.write_row((ref, PARTNERSHIP, did, "title", due, "statutory", "open", owner))
            conn.execute("SELECT reviewflow.add_ledger_entry(ref, repeat('0', 64)) FROM reviewflow.cases ORDER BY ref")
            conn.execute("ANALYZE reviewflow.cases")
            conn.execute("ANALYZE reviewflow.open_deadlines")

    def bulk_chains(self, location: str, chains: dict[str, list[tuple[int, str, str, str, str | None]]]) -> None:
        with self._owner(location) as conn, conn.transaction():
            conn.execute("SET session_replication_role = replica")
            with conn.cursor().copy("COPY reviewflow.cases (ref, partnership, process_id, definition_hash, "
                                    "opened_at, closed, last_seq) FROM STDIN") as copy:
                for ref, links in chains.items():
                    copy.write_row((ref, PARTNERSHIP, "csi", DEF_HASH, START, False, len(links)))
            with conn.cursor().copy("COPY reviewflow.events (case_ref, partnership, seq, payload, prev_hash, hash, "
                                    "recorded_by) FROM STDIN") as copy:
                for ref, links in chains.items():
                    for seq, payload, prev, digest, by in links:
                        copy.write_row((ref, PARTNERSHIP, seq, payload, prev, digest, by))
            for ref, links in chains.items():
                conn.execute("SELECT reviewflow.add_ledger_entry(%s, %s)", (ref, links[-1][3]))

    def close(self) -> None:
        for database in self.databases:
            self.superuser(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        self.superuser(f"DROP ROLE IF EXISTS {self.login}")


def _deadlines(cases: int) -> Iterator[tuple[str, str, date, str]]:
    for i in range(cases):
        for k in range(3):
            yield f"C-{i:06d}", f"d{k}", START + timedelta(days=(i * 7 + k * 31) % 365), f"owner-{i % 20}"


# -- the measures ----------------------------------------------------------------------------------


def prepared(backend: Backend, label: str, ledger: bool = True) -> tuple[str, Store]:
    location = backend.fresh(label, ledger)
    store = backend.open(location, ledger)
    store.save_definition(DEF_HASH, "csi", "1", {"p.yaml": "id: csi\n"})
    return location, store


def bench_append(backend: Backend, appends: int, rounds: int) -> tuple[list[float], list[float], list[float]]:
    """Seconds per op in each round, with the ledger, without it, and a raw INSERT; the three alternate,
    so drift in fsync cost hits them alike."""
    location, store = prepared(backend, "append")
    _, before = prepared(backend, "append", ledger=False)
    for s in (store, before):
        s.open_case("A-1", "csi", DEF_HASH, None, event(0), stage="s", partnership=PARTNERSHIP)
    insert = backend.raw_insert(location)
    last, store_rounds, before_rounds, raw_rounds = 1, [], [], []
    for _ in range(rounds):
        for s, out in ((store, store_rounds), (before, before_rounds)):
            t0 = time.perf_counter()
            for n in range(last, last + appends):
                s.append("A-1", [event(n)], expected_last_seq=n, stage="s", closed=False, deadlines=rows("A-1", n))
            out.append((time.perf_counter() - t0) / appends)
        t0 = time.perf_counter()
        for i in range(last, last + appends):
            insert(i)
        raw_rounds.append((time.perf_counter() - t0) / appends)
        last += appends
    store.close()
    before.close()
    return store_rounds, before_rounds, raw_rounds


def _writer(backend_name: str, location: str, ledger: bool, appends: int, worker: int, ready: Any, start: Any,
            results: Any) -> None:
    store: Store = open_sqlite(location, ledger) if backend_name == "sqlite" else \
        PostgresStore(location, lock_timeout_ms=120_000)
    ref = f"W-{worker}-{os.getpid()}"
    store.open_case(ref, "csi", DEF_HASH, None, event(0), stage="s", partnership=PARTNERSHIP)
    ready.put(worker)
    start.wait()
    for n in range(1, appends + 1):
        store.append(ref, [event(n)], expected_last_seq=n, stage="s", closed=False, deadlines=rows(ref, n))
    store.close()
    results.put(worker)


def bench_writers(backend: Backend, appends: int, rounds: int, ledger: bool = True) -> list[float]:
    """Appends per second with 8 processes writing at once, each to its own case, in each round."""
    location, store = prepared(backend, "writers", ledger)
    store.close()
    ctx = multiprocessing.get_context("spawn")
    out = []
    for _ in range(rounds):
        ready, start, results = ctx.Queue(), ctx.Event(), ctx.Queue()
        procs = [ctx.Process(target=_writer, args=(backend.name, location, ledger, appends, w, ready, start, results))
                 for w in range(WRITERS)]
        for proc in procs:
            proc.start()
        for _ in procs:
            ready.get(timeout=120)
        t0 = time.perf_counter()
        start.set()
        for _ in procs:
            results.get(timeout=600)
        out.append(WRITERS * appends / (time.perf_counter() - t0))
        for proc in procs:
            proc.join(timeout=30)
    return out


def bench_due(backend: Backend, cases: int, rounds: int) -> dict[str, list[float]]:
    location, store = prepared(backend, "due")
    store.close()
    backend.bulk_load(location, cases)
    as_of = START + timedelta(days=10)
    queries: dict[str, Callable[[Store], object]] = {
        "none due": lambda s: s.due(START - timedelta(days=30), within_days=0),
        "within 7 days": lambda s: s.due(as_of, within_days=7),
        "within 7 days, one owner": lambda s: s.due(as_of, within_days=7, owner="owner-3"),
        "every open row": lambda s: s.due(as_of),
    }
    out: dict[str, list[float]] = {name: [] for name in queries}
    with backend.open(location) as store:
        for query in queries.values():
            query(store)  # warm: the first read of a fresh store pays for the cache
        for _ in range(rounds):
            for name, query in queries.items():
                t0 = time.perf_counter()
                query(store)
                out[name].append(time.perf_counter() - t0)
        counts = (len(store.due(as_of, within_days=7)), len(store.due(as_of)))
    out["_rows"] = [float(c) for c in counts]
    return out


def bench_verify(backend: Backend, rounds: int, cases: int = 100, per_case: int = 100) -> list[float]:
    """Seconds per 10k events in each round."""
    location, store = prepared(backend, "verify")
    store.close()
    chains: dict[str, list[tuple[int, str, str, str, str | None]]] = {}
    for c in range(cases):
        prev, links = GENESIS_HASH, []
        for seq in range(1, per_case + 1):
            payload = event(seq).to_json_dict()
            digest = chain_hash(prev, f"V-{c:04d}", seq, payload, "bench")
            links.append((seq, canonical_json(payload), prev, digest, "bench"))
            prev = digest
        chains[f"V-{c:04d}"] = links
    backend.bulk_chains(location, chains)
    out = []
    with backend.open(location) as store:
        assert store.verify() == []
        for _ in range(rounds):
            t0 = time.perf_counter()
            store.verify()
            out.append((time.perf_counter() - t0) * 10_000 / (cases * per_case))
    return out


@contextmanager
def backends(directory: Path) -> Iterator[list[Backend]]:
    found: list[Backend] = [SQLite(directory)]
    url = os.environ.get("REVIEWFLOW_TEST_PG")
    if url:
        found.append(Postgres(url))
    try:
        yield found
    finally:
        for backend in found:
            backend.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--appends", type=int, default=300, help="appends per round, per writer")
    parser.add_argument("--cases", type=int, default=100_000, help="open cases for `due`")
    parser.add_argument("--dir", default=None, help="where to put the SQLite stores (fsync cost depends on it)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="reviewflow-bench-", dir=args.dir) as name, \
            backends(Path(name)) as found:
        names = [b.name for b in found]
        print(f"event store, {' and '.join(names)}; min / median / max over {args.rounds} rounds")
        if len(found) == 1:
            print("(PostgreSQL not measured: set REVIEWFLOW_TEST_PG, or run `make bench`, which starts a server)")
        table: list[tuple[str, list[str]]] = []
        appends = {b.name: bench_append(b, args.appends, args.rounds) for b in found}
        table.append(("durable append, 1 event + 5 rows (ms)", [spread(appends[n][0], 1e3) for n in names]))
        table.append(("  the same without the ledger (before #14)", [spread(appends[n][1], 1e3) for n in names]))
        table.append(("  ledger's cost per append (medians)",
                      [f"{(statistics.median(appends[n][0]) / statistics.median(appends[n][1]) - 1) * 100:+.0f}%"
                       for n in names]))
        table.append(("raw INSERT, same durability (ms)", [spread(appends[n][2], 1e3) for n in names]))
        table.append(("append / raw INSERT (median)",
                      [f"{statistics.median(appends[n][0]) / statistics.median(appends[n][2]):.1f}x"
                       for n in names]))
        writers = {b.name: bench_writers(b, args.appends, args.rounds) for b in found}
        before = {b.name: bench_writers(b, args.appends, args.rounds, ledger=False) for b in found}
        table.append((f"{WRITERS} writers, own cases (appends/s)", [spread(writers[n], digits=0) for n in names]))
        table.append(("  the same without the ledger (before #14)", [spread(before[n], digits=0) for n in names]))
        due = {b.name: bench_due(b, args.cases, args.rounds) for b in found}
        for query in ("none due", "within 7 days", "within 7 days, one owner", "every open row"):
            table.append((f"due, {args.cases // 1000}k cases: {query} (ms)", [spread(due[n][query], 1e3) for n in names]))
        table.append(("  rows: within 7 days / every open row",
                      [f"{int(due[n]['_rows'][0])} / {int(due[n]['_rows'][1])}" for n in names]))
        verify = {b.name: bench_verify(b, args.rounds) for b in found}
        table.append(("verify, per 10k events (ms)", [spread(verify[n], 1e3, 0) for n in names]))
        width = max(len(label) for label, _ in table) + 2
        print(f"\n{'':{width}}" + "".join(f"{n:>30}" for n in names))
        for label, cells in table:
            print(f"{label:{width}}" + "".join(f"{c:>30}" for c in cells))
        if "postgresql" in names:
            print("\nPostgreSQL: over TCP to localhost, `due` as an everyday login (row-level security on).")


if __name__ == "__main__":
    main()
