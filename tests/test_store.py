"""The store contract, on every backend: round trips, the hash chain, the deadline projection, schema.

Every test taking `backend` (or `store`, `chained`) runs on SQLite and on PostgreSQL (see
tests/store_backends.py). Tests of what only one backend has (SQLite's file, WAL and busy timeout;
PostgreSQL's connection errors and locks) take `db_path` or `pg_backend` instead.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from reviewflow.engine.errors import EngineError, IntegrityError, NotFoundError, StoreError
from reviewflow.engine.events import Event
from reviewflow.engine.store import CaseExistsError, ConcurrencyError, DeadlineRow, Store, open_store
from reviewflow.engine.store.chain import GENESIS_HASH, canonical_json, chain_hash
from reviewflow.engine.store.postgres import PostgresStore
from reviewflow.engine.store.sqlite import SQLiteStore
from reviewflow.engine.store.sqlite_files import os_user
from reviewflow.engine.store.sqlite_schema import SCHEMA_VERSION
from store_backends import JANE, PARTNERSHIP, Backend

DEF_HASH = "a" * 64
BUNDLE = {"process.yaml": "id: csi\nversion: '1'\n# £ and ü kept exactly\n", "local.yaml": "extends: csi\n"}


def ev(name: str = "referral", kind: str = "recorded", day: int = 1, **data: object) -> Event:
    return Event(kind=kind, name=name, at=date(2024, 3, day), by="lscp", data=data)


def dl(ref: str, did: str, due: date | None, owner: str | None = None, status: str = "open") -> DeadlineRow:
    return DeadlineRow(ref, did, f"title {did}", due, None, "statutory", status, owner, "chair", "WT 2023 4.2")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "cases.db"


@pytest.fixture
def store(backend: Backend) -> Iterator[Store]:
    with backend.open() as s:
        s.save_definition(DEF_HASH, "csi", "1", BUNDLE)
        yield s


@pytest.fixture
def pg_backend(pg_server: object, tmp_path: Path, request: pytest.FixtureRequest) -> Backend:
    """A PostgreSQL store location only (for what only PostgreSQL has)."""
    from store_backends import postgres_backend

    found = postgres_backend(pg_server)  # type: ignore[arg-type]
    request.addfinalizer(lambda: pg_server.drop(found.database))  # type: ignore[attr-defined]
    return found


def open_case(store: Store, ref: str = "LS-1", **kw: object) -> None:
    store.open_case(ref, "csi", DEF_HASH, "Child A", ev("referral", "opened"), stage="notification",  # type: ignore[arg-type]
                    partnership=PARTNERSHIP, **kw)


def recorder(backend: Backend) -> str:
    """Who the store records as writing: the login on PostgreSQL, the OS user on SQLite."""
    return JANE if backend.name == "postgresql" else os_user()


# -------------------------------------------------------------------------------------- interface

def test_open_store_gives_a_store_for_a_path_or_memory(db_path: Path) -> None:
    with open_store(db_path) as on_disk, open_store(":memory:") as in_memory:
        assert isinstance(on_disk, Store) and isinstance(in_memory, Store)
        on_disk.save_definition(DEF_HASH, "csi", "1", BUNDLE)
        assert on_disk.definition(DEF_HASH).bundle == BUNDLE and in_memory.cases() == []
    assert db_path.exists()


def test_open_store_gives_the_backend_a_location_names(backend: Backend) -> None:
    with open_store(backend.location) as store:
        assert isinstance(store, Store)
        assert type(store) is (PostgresStore if backend.name == "postgresql" else SQLiteStore)
        info = store.info()
        assert (info.backend, info.schema_version, info.principal) == (backend.name, info.code_schema_version,
                                                                      recorder(backend))
        assert "***" in info.location or backend.name == "sqlite"  # never a password in what is shown


@pytest.mark.parametrize("library", ["sqlite3", "psycopg"])
def test_importing_the_store_package_imports_no_database_library(library: str) -> None:
    """Start-up paths import the package for its types; only opening a store may load a backend."""
    code = f"import sys, reviewflow.engine.store\nprint({library!r} in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False", result.stdout


# ------------------------------------------------------------------------------------- round trip

def test_events_round_trip_with_seq_and_exact_data(store: Store, backend: Backend) -> None:
    first = store.open_case("LS-1", "csi", DEF_HASH, "Child A", ev("referral", "opened"), stage="notification",
                            partnership=PARTNERSHIP)
    assert first.event.seq == 1 and first.prev_hash == GENESIS_HASH
    added = store.append("LS-1", [ev("rapid_review", day=5, note="£5 – ü \"q\" \\ \n\t\x01\u2028 😀",
                                     n=[1, 2.5, None, -3, 10**20])],
                         expected_last_seq=1, stage="review", closed=False, deadlines=[])
    got = store.events("LS-1")
    assert [s.event.seq for s in got] == [1, 2]
    assert got[0] == first and got[1] == added[0]
    assert got[1].event.data == {"note": "£5 – ü \"q\" \\ \n\t\x01\u2028 😀", "n": [1, 2.5, None, -3, 10**20]}
    assert got[1].prev_hash == got[0].hash
    # The store names who wrote each event, and the hash covers it (on PostgreSQL the database computed
    # it: this is Python's chain agreeing with the server's, byte for byte).
    assert {s.recorded_by for s in got} == {recorder(backend)}
    payload = canonical_json(got[1].event.to_json_dict())
    assert got[1].hash == chain_hash(got[0].hash, "LS-1", 2, json.loads(payload), recorder(backend))
    assert got[1].hash != chain_hash(got[0].hash, "LS-1", 2, json.loads(payload))


def test_case_row_follows_appends(store: Store) -> None:
    open_case(store)
    row = store.case("LS-1")
    assert (row.process_id, row.definition_hash, row.pseudonym, row.opened_at) == ("csi", DEF_HASH, "Child A",
                                                                                     date(2024, 3, 1))
    assert row.partnership == PARTNERSHIP
    assert (row.stage, row.closed, row.last_seq) == ("notification", False, 1)
    store.append("LS-1", [ev("a"), ev("b")], expected_last_seq=1, stage="closed", closed=True, deadlines=[])
    row = store.case("LS-1")
    assert (row.stage, row.closed, row.last_seq) == ("closed", True, 3)


def test_seq_is_gap_free_over_many_appends_and_chain_verifies(store: Store) -> None:
    open_case(store)
    for i in range(1, 30):
        store.append("LS-1", [ev(f"e{i}")] * (i % 3 + 1), expected_last_seq=store.case("LS-1").last_seq,
                     stage=None, closed=False, deadlines=[])
    seqs = [s.event.seq for s in store.events("LS-1")]
    assert seqs == list(range(1, len(seqs) + 1))
    assert store.verify() == [] and store.verify("LS-1") == []


def test_duplicate_case_ref_is_refused_and_changes_nothing(store: Store) -> None:
    open_case(store)
    with pytest.raises(CaseExistsError, match='case "LS-1" already exists') as info:
        open_case(store)
    assert isinstance(info.value, EngineError) and info.value.hint
    assert len(store.events("LS-1")) == 1


def test_unknown_case_suggests_the_nearest_ref(store: Store) -> None:
    open_case(store, "LS-2024-017")
    for call in (lambda: store.case("LS-2024-071"), lambda: store.events("LS-2024-071"),
                 lambda: store.verify("LS-2024-071"),
                 lambda: store.append("LS-2024-071", [ev()], expected_last_seq=1, stage=None, closed=False,
                                      deadlines=[])):
        with pytest.raises(NotFoundError, match="unknown case") as info:
            call()
        assert info.value.hint == 'did you mean "LS-2024-017"?'


def test_stale_expected_last_seq_raises_concurrency_error_and_writes_nothing(store: Store) -> None:
    open_case(store, deadlines=[dl("LS-1", "d1", date(2024, 4, 1))])
    store.append("LS-1", [ev("a")], expected_last_seq=1, stage="s", closed=False, deadlines=[])
    with pytest.raises(ConcurrencyError, match="expected last seq 1, found 2") as info:
        store.append("LS-1", [ev("b")], expected_last_seq=1, stage="x", closed=True, deadlines=[])
    assert isinstance(info.value, StoreError) and info.value.hint
    assert store.case("LS-1").last_seq == 2 and store.case("LS-1").stage == "s"
    assert len(store.events("LS-1")) == 2


def test_append_without_events_is_a_bug(store: Store) -> None:
    with pytest.raises(ValueError):
        store.append("x", [], expected_last_seq=0, stage=None, closed=False, deadlines=[])


def test_open_case_needs_a_saved_definition_of_the_same_process(store: Store) -> None:
    with pytest.raises(NotFoundError, match="not stored"):
        store.open_case("X", "csi", "f" * 64, None, ev(), stage=None, partnership=PARTNERSHIP)
    with pytest.raises(IntegrityError, match="belongs to process"):
        store.open_case("X", "other", DEF_HASH, None, ev(), stage=None, partnership=PARTNERSHIP)
    assert store.cases() == []


def test_cases_filters_by_process_and_open(store: Store) -> None:
    store.save_definition("b" * 64, "lcspr", "2", {"p.yaml": "x"})
    open_case(store, "A")
    open_case(store, "B", closed=True)
    store.open_case("C", "lcspr", "b" * 64, None, ev(), stage=None, partnership=PARTNERSHIP)
    assert [c.ref for c in store.cases()] == ["A", "B", "C"]
    assert [c.ref for c in store.cases("csi")] == ["A", "B"]
    assert [c.ref for c in store.cases(open_only=True)] == ["A", "C"]
    assert [c.ref for c in store.cases("csi", open_only=True)] == ["A"]


# ------------------------------------------------------------------------------------ definitions

def test_definition_round_trips_exact_texts(store: Store) -> None:
    row = store.definition(DEF_HASH)
    assert (row.process_id, row.version, row.bundle) == ("csi", "1", BUNDLE)


def test_save_definition_is_idempotent_and_refuses_another_bundle_under_the_same_hash(store: Store) -> None:
    store.save_definition(DEF_HASH, "csi", "1", dict(BUNDLE))
    with pytest.raises(IntegrityError, match="different content"):
        store.save_definition(DEF_HASH, "csi", "1", {**BUNDLE, "process.yaml": "id: csi\n"})
    with pytest.raises(IntegrityError):
        store.save_definition(DEF_HASH, "csi", "2", BUNDLE)
    assert store.definition(DEF_HASH).bundle == BUNDLE


def test_latest_definition_hash_is_the_last_saved(store: Store) -> None:
    assert store.latest_definition_hash("csi") == DEF_HASH
    store.save_definition("c" * 64, "csi", "2", {"p.yaml": "v2"})
    store.save_definition(DEF_HASH, "csi", "1", BUNDLE)  # saving an old one again does not make it latest
    assert store.latest_definition_hash("csi") == "c" * 64
    assert store.latest_definition_hash("nope") is None
    with pytest.raises(NotFoundError) as info:
        store.definition("d" * 64)
    assert info.value.hint and "did you mean" not in info.value.hint
    with pytest.raises(NotFoundError) as info:
        store.definition("c" * 12)
    assert info.value.hint == f'did you mean "{"c" * 64}"?'



# --------------------------------------------------------------------------------- the projection

def test_projection_is_replaced_with_each_append(store: Store) -> None:
    open_case(store, deadlines=[dl("LS-1", "notify", date(2024, 3, 5)), dl("LS-1", "rr", date(2024, 3, 20))])
    assert [d.deadline_id for d in store.due(date(2024, 3, 1))] == ["notify", "rr"]
    store.append("LS-1", [ev("notified")], expected_last_seq=1, stage=None, closed=False,
                 deadlines=[dl("LS-1", "rr", date(2024, 3, 22))])
    assert [(d.deadline_id, d.due) for d in store.due(date(2024, 3, 1))] == [("rr", date(2024, 3, 22))]


def test_projection_is_untouched_when_the_append_fails(store: Store, backend: Backend) -> None:
    open_case(store, deadlines=[dl("LS-1", "notify", date(2024, 3, 5))])
    # A row for another case is a caller bug: refused before anything is written.
    with pytest.raises(ValueError):
        store.append("LS-1", [ev()], expected_last_seq=1, stage="x", closed=False,
                     deadlines=[dl("LS-2", "notify", date(2024, 3, 9))])
    # A failure inside the transaction (here: the disk refuses the insert) rolls everything back.
    backend.make_inserts_fail("open_deadlines", "boom")
    with pytest.raises(StoreError, match="boom"):
        store.append("LS-1", [ev()], expected_last_seq=1, stage="x", closed=False,
                     deadlines=[dl("LS-1", "rr", date(2024, 3, 9))])
    assert store.case("LS-1").last_seq == 1 and store.case("LS-1").stage == "notification"
    assert len(store.events("LS-1")) == 1
    assert [d.deadline_id for d in store.due(date(2024, 3, 1))] == ["notify"]


def test_due_filters_by_window_and_owner_and_sorts_by_date(store: Store) -> None:
    open_case(store, "A", deadlines=[dl("A", "late", date(2024, 2, 1), "chair"),
                                     dl("A", "far", date(2024, 6, 1), "chair"),
                                     dl("A", "undated", None, "chair")])
    open_case(store, "B", deadlines=[dl("B", "soon", date(2024, 3, 10), "police"),
                                     dl("B", "edge", date(2024, 3, 15), "chair")])
    as_of = date(2024, 3, 1)
    assert [d.deadline_id for d in store.due(as_of)] == ["late", "soon", "edge", "far", "undated"]
    assert [d.deadline_id for d in store.due(as_of, within_days=14)] == ["late", "soon", "edge"]
    assert [d.deadline_id for d in store.due(as_of, within_days=13)] == ["late", "soon"]
    assert [d.deadline_id for d in store.due(as_of, within_days=0)] == ["late"]
    assert [d.deadline_id for d in store.due(as_of, within_days=14, owner="chair")] == ["late", "edge"]
    assert [d.deadline_id for d in store.due(as_of, owner="chair")] == ["late", "edge", "far", "undated"]
    row = store.due(as_of, owner="police")[0]
    assert row == dl("B", "soon", date(2024, 3, 10), "police")


@pytest.mark.parametrize("owner", [None, "chair"])
@pytest.mark.parametrize("within", [None, 14])
def test_due_queries_use_an_index_without_a_sort(db_path: Path, owner: str | None, within: int | None) -> None:
    store = SQLiteStore(db_path)
    # Capture the statements `due` really runs (with their bound values inlined), then ask for their plans.
    issued: list[str] = []
    conn = store._live()
    conn.set_trace_callback(issued.append)
    store.due(date(2024, 3, 1), within_days=within, owner=owner)
    conn.set_trace_callback(None)
    selects = [sql for sql in issued if sql.lstrip().upper().startswith("SELECT")]
    rows = [sql for sql in selects if sql.startswith("SELECT case_ref")]
    passes = [sql for sql in selects if sql.startswith("SELECT c.ref, c.definition_hash")]
    assert rows and len(passes) == 1
    for sql in rows:
        plan = " ".join(str(r[-1]) for r in conn.execute("EXPLAIN QUERY PLAN " + sql))
        assert "INDEX open_deadlines_by_" in plan, plan
        assert "TEMP B-TREE" not in plan and "SCAN" not in plan, plan
    # The one pass over the cases that checks them: in key order, each case's rows found by its key.
    plan = [str(r[-1]) for r in conn.execute("EXPLAIN QUERY PLAN " + passes[0])]
    assert plan[0] == "SCAN c USING INDEX sqlite_autoindex_cases_1", plan
    assert "SEARCH d USING PRIMARY KEY (case_ref=?)" in plan and not any("TEMP B-TREE" in p for p in plan), plan
    assert [p for p in plan if p.startswith("SCAN")] == [plan[0], "SCAN (subquery-1)"], plan
    store.close()


@pytest.mark.parametrize("owner", [None, "chair"])
@pytest.mark.parametrize("within", [None, 14])
def test_postgres_due_can_be_read_in_index_order(pg_backend: Backend, owner: str | None,
                                                 within: int | None) -> None:
    """With sequential and bitmap scans ruled out (a small table would use one), the plan needs no sort step."""
    from reviewflow.engine.store.postgres_schema import DEADLINE_COLUMNS

    where = ["true"] + (["owner = 'chair'"] if owner else []) + (["due <= '2024-03-15'"] if within else [])
    sql = (f"SELECT {DEADLINE_COLUMNS} FROM open_deadlines WHERE {' AND '.join(where)} "
           "ORDER BY due, case_ref, deadline_id")
    with pg_backend.server.connect(pg_backend.database) as conn:  # type: ignore[union-attr]
        conn.execute("SET search_path = reviewflow")
        conn.execute("SET enable_seqscan = off")
        conn.execute("SET enable_bitmapscan = off")
        plan = " ".join(str(r[0]) for r in conn.execute("EXPLAIN " + sql))
    assert "open_deadlines_by_" in plan and "Sort" not in plan, plan


# ----------------------------------------------------------------------------- files and schema

def test_new_store_file_and_its_wal_files_are_private(db_path: Path) -> None:
    with SQLiteStore(db_path) as s:
        s.save_definition(DEF_HASH, "csi", "1", BUNDLE)
        for name in ("cases.db", "cases.db-wal", "cases.db-shm"):
            assert stat.S_IMODE(os.stat(db_path.parent / name).st_mode) == 0o600, name


def test_store_uses_wal_full_sync_and_records_migrations(db_path: Path) -> None:
    store = SQLiteStore(db_path)
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    rows = conn.execute("SELECT version, name, applied_at_utc FROM schema_migrations").fetchall()
    conn.close()
    assert [(v, n) for v, n, _ in rows] == [(1, "initial schema"), (2, "recorded_by and partnership"),
                                            (3, "ledger and projection date")]
    assert SCHEMA_VERSION == 3 and store.applied_migrations == [1, 2, 3]
    assert all(at for _, _, at in rows)
    assert store._live().execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    store.close()


def test_a_store_of_schema_1_is_migrated_and_its_old_events_still_verify(db_path: Path) -> None:
    """Events written before recorded_by existed keep their hashes (computed without it)."""
    from reviewflow.engine.store.sqlite_schema import MIGRATIONS, MIGRATIONS_TABLE

    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute(MIGRATIONS_TABLE)
    for statement in MIGRATIONS[0][2]:
        conn.execute(statement)
    conn.execute("INSERT INTO schema_migrations (version, name) VALUES (1, 'initial schema')")
    conn.execute("INSERT INTO definitions (definition_hash, process_id, version) VALUES (?, 'csi', '1')",
                 (DEF_HASH,))
    payload = ev("referral", "opened").to_json_dict()
    old_hash = chain_hash(GENESIS_HASH, "OLD-1", 1, payload)
    conn.execute("INSERT INTO cases VALUES ('OLD-1', 'csi', ?, NULL, '2024-03-01', 's', 0, 1)", (DEF_HASH,))
    conn.execute("INSERT INTO events (case_ref, seq, payload, prev_hash, hash) VALUES ('OLD-1', 1, ?, ?, ?)",
                 (canonical_json(payload), GENESIS_HASH, old_hash))
    conn.close()
    with SQLiteStore(db_path) as store:
        assert store.applied_migrations == [2, 3]
        assert store.verify() == [] and store.events("OLD-1")[0].recorded_by is None
        assert store.ledger_head().position == 1  # the migration gave the old case its ledger entry
        assert store.case("OLD-1").partnership is None
        added = store.append("OLD-1", [ev()], expected_last_seq=1, stage=None, closed=False, deadlines=[])
        assert added[0].recorded_by == os_user() and store.verify() == []


def test_reopening_an_existing_store_keeps_everything(backend: Backend) -> None:
    with backend.open() as s:
        s.save_definition(DEF_HASH, "csi", "1", BUNDLE)
        open_case(s, deadlines=[dl("LS-1", "d", date(2024, 3, 5))])
    with backend.open() as s:
        assert s.case("LS-1").last_seq == 1
        s.append("LS-1", [ev()], expected_last_seq=1, stage=None, closed=False, deadlines=[])
    with backend.open() as s:
        assert len(s.events("LS-1")) == 2 and s.verify() == []
        assert s.info().applied_now == ()
    from reviewflow.engine.store.postgres_schema import SCHEMA_VERSION as PG_SCHEMA_VERSION

    assert backend.raw("SELECT COUNT(*) FROM schema_migrations") == [(SCHEMA_VERSION if backend.name == "sqlite"
                                                                      else PG_SCHEMA_VERSION,)]


def test_newer_schema_version_is_refused_with_a_hint(backend: Backend) -> None:
    backend.admin().close()
    backend.raw("INSERT INTO schema_migrations (version, name) VALUES (99, 'from the future')")
    with pytest.raises(StoreError, match="schema version 99") as info:
        backend.open()
    assert "upgrade" in (info.value.hint or "")


@pytest.mark.parametrize("content", [b"this is not a database at all" * 100, None])
def test_foreign_files_are_refused_as_store_errors(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "other.db"
    if content is None:
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE people (name TEXT)")
        conn.close()
    else:
        path.write_bytes(content)
    with pytest.raises(StoreError) as info:
        SQLiteStore(path)
    assert info.value.hint


def test_unusable_path_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot create"):
        SQLiteStore(tmp_path / "missing" / "cases.db")


def test_busy_store_is_a_store_error_after_the_timeout(db_path: Path) -> None:
    with SQLiteStore(db_path) as s:
        s.save_definition(DEF_HASH, "csi", "1", BUNDLE)
        holder = sqlite3.connect(db_path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        with SQLiteStore(db_path, busy_timeout_ms=50) as other, pytest.raises(StoreError, match="busy") as info:
            open_case(other)
        holder.execute("ROLLBACK")
        holder.close()
        assert info.value.hint and not isinstance(info.value, ConcurrencyError)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("problem", ["no server", "bad password", "no database", "not a url"])
def test_postgres_connection_problems_are_store_errors_without_the_password(pg_backend: Backend,
                                                                            problem: str) -> None:
    from store_backends import with_login

    url = pg_backend.location
    bad = {"no server": with_login(url).replace(f":{url.split(':')[-1].split('/')[0]}/", f":{free_port()}/"),
           "bad password": with_login(url, JANE, "wrong-password"),
           "no database": with_login(url, dbname="no_such_database"),
           "not a url": with_login(url).replace("@", "@[::1", 1)}[problem]
    with pytest.raises(StoreError) as info:
        open_store(bad)
    text = f"{info.value.message} {info.value.hint}"
    assert info.value.hint and "Traceback" not in text
    assert pg_backend.server is not None and all(p not in text for p in pg_backend.server.passwords.values())
    assert {"no server": "cannot connect", "bad password": "refused the password",
            "no database": "no database no_such_database", "not a url": "not a PostgreSQL URL"}[problem] in text


def test_postgres_a_case_locked_too_long_is_busy_not_a_hang(pg_backend: Backend) -> None:
    with pg_backend.open() as s:
        s.save_definition(DEF_HASH, "csi", "1", BUNDLE)
        open_case(s)
    assert pg_backend.server is not None
    with pg_backend.server.connect(pg_backend.database) as holder:
        holder.execute("BEGIN")
        holder.execute("SELECT 1 FROM reviewflow.cases WHERE ref = 'LS-1' FOR UPDATE")
        with pg_backend.open(lock_timeout_ms=50) as other, pytest.raises(StoreError, match="busy") as info:
            other.append("LS-1", [ev()], expected_last_seq=1, stage=None, closed=False, deadlines=[])
        holder.execute("ROLLBACK")
    assert info.value.hint and not isinstance(info.value, ConcurrencyError)


def test_postgres_a_database_with_a_foreign_reviewflow_schema_is_refused(pg_server: object) -> None:
    database = pg_server.fresh_database(template=False)  # type: ignore[attr-defined]
    with pg_server.connect(database) as conn:  # type: ignore[attr-defined]
        conn.execute("CREATE SCHEMA reviewflow")
        conn.execute("CREATE TABLE reviewflow.people (name text)")
    with pytest.raises(StoreError, match="not a reviewflow store") as info:
        open_store(pg_server.database_url(database))  # type: ignore[attr-defined]
    assert info.value.hint


def test_closed_store_refuses_use(backend: Backend) -> None:
    s = backend.open()
    s.close()
    s.close()
    with pytest.raises(StoreError, match="closed"):
        s.cases()


def test_events_cannot_be_edited_by_hand_while_triggers_stand(store: Store, backend: Backend) -> None:
    """Even the store's owner (on PostgreSQL a superuser here) is stopped by the triggers."""
    open_case(store)
    for sql in ("UPDATE events SET payload = '{}'", "DELETE FROM events"):
        with pytest.raises(backend.raw_error(), match="append-only"):
            backend.raw(sql, triggers=True)
    assert store.verify() == []


@pytest.mark.parametrize("kind", [Store, SQLiteStore, PostgresStore])
def test_store_has_no_update_or_delete_api_for_events(kind: type) -> None:
    public = {n for n in dir(kind) if not n.startswith("_")}
    assert not {n for n in public if any(w in n for w in ("update", "delete", "edit", "remove"))}


# -------------------------------------------------------------------------------------- tampering

@pytest.fixture
def chained(store: Store) -> Store:
    open_case(store, "LS-1")
    open_case(store, "LS-2")
    for ref in ("LS-1", "LS-2"):
        store.append(ref, [ev("a"), ev("b"), ev("c"), ev("d")], expected_last_seq=1, stage=None, closed=False,
                     deadlines=[])
    assert store.verify() == []
    return store


def problems_of(store: Store) -> list[tuple[str, int]]:
    return [(p.ref, p.seq) for p in store.verify()]


def test_tampered_payload_is_named_by_case_and_seq(chained: Store, backend: Backend) -> None:
    payload = json.loads(backend.raw("SELECT payload FROM events WHERE case_ref='LS-2' AND seq=3")[0][0])
    payload["by"] = "somebody else"
    backend.raw("UPDATE events SET payload = ? WHERE case_ref = 'LS-2' AND seq = 3", (canonical_json(payload),))
    problems = chained.verify()
    assert [(p.ref, p.seq) for p in problems] == [("LS-2", 3)]
    assert "payload, its recorded_by or its hash was edited" in problems[0].message
    assert "LS-2 seq 3" in str(problems[0])
    assert chained.verify("LS-1") == []
    with pytest.raises(IntegrityError, match="LS-2 seq 3"):
        chained.events("LS-2")
    assert chained.events("LS-2", check=False)[2].event.by == "somebody else"  # forensics still possible


def test_whitespace_only_payload_edit_is_detected(chained: Store, backend: Backend) -> None:
    backend.raw("UPDATE events SET payload = ' ' || payload WHERE case_ref = 'LS-1' AND seq = 2")
    assert problems_of(chained) == [("LS-1", 2)]


def test_garbage_payload_is_detected(chained: Store, backend: Backend) -> None:
    backend.raw("UPDATE events SET payload = '{\"kind\": ' WHERE case_ref = 'LS-1' AND seq = 4")
    assert problems_of(chained) == [("LS-1", 4)]


def test_tampered_hash_is_named_by_case_and_seq(chained: Store, backend: Backend) -> None:
    backend.raw("UPDATE events SET hash = ? WHERE case_ref = 'LS-1' AND seq = 2", ("f" * 64,))
    # seq 2 no longer matches its content, and seq 3 no longer links to seq 2.
    assert problems_of(chained) == [("LS-1", 2), ("LS-1", 3)]


def test_rehashed_edit_still_breaks_the_next_link(chained: Store, backend: Backend) -> None:
    prev, payload, by = backend.raw("SELECT prev_hash, payload, recorded_by FROM events "
                                    "WHERE case_ref='LS-1' AND seq=2")[0]
    edited = json.loads(payload) | {"name": "forged"}
    backend.raw("UPDATE events SET payload = ?, hash = ? WHERE case_ref = 'LS-1' AND seq = 2",
                (canonical_json(edited), chain_hash(prev, "LS-1", 2, edited, by)))
    assert problems_of(chained) == [("LS-1", 3)]


def test_deleted_middle_event_is_named(chained: Store, backend: Backend) -> None:
    backend.raw("DELETE FROM events WHERE case_ref = 'LS-2' AND seq = 3")
    problems = chained.verify()
    assert ("LS-2", 3) in [(p.ref, p.seq) for p in problems]
    assert {p.ref for p in problems} == {"LS-2"}
    assert any("seq 3 is missing" in p.message for p in problems)


def test_deleted_last_event_is_caught_by_the_case_row(chained: Store, backend: Backend) -> None:
    backend.raw("DELETE FROM events WHERE case_ref = 'LS-1' AND seq = 5")
    problems = chained.verify()
    assert {(p.ref, p.seq) for p in problems} == {("LS-1", 5)}
    assert "last stored event is seq 4" in problems[0].message
    assert {p.kind for p in problems} == {"chain", "ledger"}  # the ledger recorded seq 5 too


def test_case_row_last_seq_disagreeing_is_reported(chained: Store, backend: Backend) -> None:
    backend.raw("UPDATE cases SET last_seq = 9 WHERE ref = 'LS-2'")
    problems = chained.verify()
    assert ("LS-2", 9) in problems_of(chained) and {p.ref for p in problems} == {"LS-2"}
    assert {p.kind for p in problems} == {"chain", "ledger", "projection"}


def test_a_changed_recorder_is_detected(chained: Store, backend: Backend) -> None:
    """recorded_by is inside the hash: whoever rewrites it breaks the chain at that event."""
    backend.raw("UPDATE events SET recorded_by = 'someone-else' WHERE case_ref = 'LS-1' AND seq = 3")
    assert problems_of(chained) == [("LS-1", 3)]
    backend.raw("UPDATE events SET recorded_by = NULL WHERE case_ref = 'LS-2' AND seq = 2")
    assert problems_of(chained) == [("LS-1", 3), ("LS-2", 2)]
