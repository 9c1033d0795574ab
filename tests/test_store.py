"""The SQLite event store: round trips, the hash chain, the deadline projection, files and schema."""

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
from reviewflow.engine.store.sqlite import SQLiteStore
from reviewflow.engine.store.sqlite_schema import SCHEMA_VERSION

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
def store(db_path: Path) -> Iterator[SQLiteStore]:
    with SQLiteStore(db_path) as s:
        s.save_definition(DEF_HASH, "csi", "1", BUNDLE)
        yield s


def open_case(store: SQLiteStore, ref: str = "LS-1", **kw: object) -> None:
    store.open_case(ref, "csi", DEF_HASH, "Child A", ev("referral", "opened"), stage="notification", **kw)  # type: ignore[arg-type]


def raw(path: Path) -> sqlite3.Connection:
    """A hand-held connection, as an attacker or a careless admin would use; triggers dropped."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER IF EXISTS events_no_update")
    conn.execute("DROP TRIGGER IF EXISTS events_no_delete")
    return conn


# -------------------------------------------------------------------------------------- interface

def test_open_store_gives_a_store_for_a_path_or_memory(db_path: Path) -> None:
    with open_store(db_path) as on_disk, open_store(":memory:") as in_memory:
        assert isinstance(on_disk, Store) and isinstance(in_memory, Store)
        on_disk.save_definition(DEF_HASH, "csi", "1", BUNDLE)
        assert on_disk.definition(DEF_HASH).bundle == BUNDLE and in_memory.cases() == []
    assert db_path.exists()


def test_importing_the_store_package_does_not_import_sqlite3() -> None:
    """Start-up paths import the package for its types; only opening a store may load a backend."""
    code = "import sys, reviewflow.engine.store\nprint('sqlite3' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False", result.stdout


# ------------------------------------------------------------------------------------- round trip

def test_events_round_trip_with_seq_and_exact_data(store: SQLiteStore) -> None:
    first = store.open_case("LS-1", "csi", DEF_HASH, "Child A", ev("referral", "opened"), stage="notification")
    assert first.event.seq == 1 and first.prev_hash == GENESIS_HASH
    added = store.append("LS-1", [ev("rapid_review", day=5, note="£5 – ü", n=[1, 2.5, None])],
                         expected_last_seq=1, stage="review", closed=False, deadlines=[])
    got = store.events("LS-1")
    assert [s.event.seq for s in got] == [1, 2]
    assert got[0] == first and got[1] == added[0]
    assert got[1].event.data == {"note": "£5 – ü", "n": [1, 2.5, None]}
    assert got[1].prev_hash == got[0].hash
    payload = canonical_json(got[1].event.to_json_dict())
    assert got[1].hash == chain_hash(got[0].hash, "LS-1", 2, json.loads(payload))


def test_case_row_follows_appends(store: SQLiteStore) -> None:
    open_case(store)
    row = store.case("LS-1")
    assert (row.process_id, row.definition_hash, row.pseudonym, row.opened_at) == ("csi", DEF_HASH, "Child A",
                                                                                     date(2024, 3, 1))
    assert (row.stage, row.closed, row.last_seq) == ("notification", False, 1)
    store.append("LS-1", [ev("a"), ev("b")], expected_last_seq=1, stage="closed", closed=True, deadlines=[])
    row = store.case("LS-1")
    assert (row.stage, row.closed, row.last_seq) == ("closed", True, 3)


def test_seq_is_gap_free_over_many_appends_and_chain_verifies(store: SQLiteStore) -> None:
    open_case(store)
    for i in range(1, 30):
        store.append("LS-1", [ev(f"e{i}")] * (i % 3 + 1), expected_last_seq=store.case("LS-1").last_seq,
                     stage=None, closed=False, deadlines=[])
    seqs = [s.event.seq for s in store.events("LS-1")]
    assert seqs == list(range(1, len(seqs) + 1))
    assert store.verify() == [] and store.verify("LS-1") == []


def test_duplicate_case_ref_is_refused_and_changes_nothing(store: SQLiteStore) -> None:
    open_case(store)
    with pytest.raises(CaseExistsError, match='case "LS-1" already exists') as info:
        open_case(store)
    assert isinstance(info.value, EngineError) and info.value.hint
    assert len(store.events("LS-1")) == 1


def test_unknown_case_suggests_the_nearest_ref(store: SQLiteStore) -> None:
    open_case(store, "LS-2024-017")
    for call in (lambda: store.case("LS-2024-071"), lambda: store.events("LS-2024-071"),
                 lambda: store.verify("LS-2024-071"),
                 lambda: store.append("LS-2024-071", [ev()], expected_last_seq=1, stage=None, closed=False,
                                      deadlines=[])):
        with pytest.raises(NotFoundError, match="unknown case") as info:
            call()
        assert info.value.hint == 'did you mean "LS-2024-017"?'


def test_stale_expected_last_seq_raises_concurrency_error_and_writes_nothing(store: SQLiteStore) -> None:
    open_case(store, deadlines=[dl("LS-1", "d1", date(2024, 4, 1))])
    store.append("LS-1", [ev("a")], expected_last_seq=1, stage="s", closed=False, deadlines=[])
    with pytest.raises(ConcurrencyError, match="expected last seq 1, found 2") as info:
        store.append("LS-1", [ev("b")], expected_last_seq=1, stage="x", closed=True, deadlines=[])
    assert isinstance(info.value, StoreError) and info.value.hint
    assert store.case("LS-1").last_seq == 2 and store.case("LS-1").stage == "s"
    assert len(store.events("LS-1")) == 2


def test_append_without_events_is_a_bug() -> None:
    with SQLiteStore(":memory:") as s, pytest.raises(ValueError):
        s.append("x", [], expected_last_seq=0, stage=None, closed=False, deadlines=[])


def test_open_case_needs_a_saved_definition_of_the_same_process(store: SQLiteStore) -> None:
    with pytest.raises(NotFoundError, match="not stored"):
        store.open_case("X", "csi", "f" * 64, None, ev(), stage=None)
    with pytest.raises(IntegrityError, match="belongs to process"):
        store.open_case("X", "other", DEF_HASH, None, ev(), stage=None)
    assert store.cases() == []


def test_cases_filters_by_process_and_open(store: SQLiteStore) -> None:
    store.save_definition("b" * 64, "lcspr", "2", {"p.yaml": "x"})
    open_case(store, "A")
    open_case(store, "B", closed=True)
    store.open_case("C", "lcspr", "b" * 64, None, ev(), stage=None)
    assert [c.ref for c in store.cases()] == ["A", "B", "C"]
    assert [c.ref for c in store.cases("csi")] == ["A", "B"]
    assert [c.ref for c in store.cases(open_only=True)] == ["A", "C"]
    assert [c.ref for c in store.cases("csi", open_only=True)] == ["A"]


# ------------------------------------------------------------------------------------ definitions

def test_definition_round_trips_exact_texts(store: SQLiteStore) -> None:
    row = store.definition(DEF_HASH)
    assert (row.process_id, row.version, row.bundle) == ("csi", "1", BUNDLE)


def test_save_definition_is_idempotent_and_refuses_another_bundle_under_the_same_hash(store: SQLiteStore) -> None:
    store.save_definition(DEF_HASH, "csi", "1", dict(BUNDLE))
    with pytest.raises(IntegrityError, match="different content"):
        store.save_definition(DEF_HASH, "csi", "1", {**BUNDLE, "process.yaml": "id: csi\n"})
    with pytest.raises(IntegrityError):
        store.save_definition(DEF_HASH, "csi", "2", BUNDLE)
    assert store.definition(DEF_HASH).bundle == BUNDLE


def test_latest_definition_hash_is_the_last_saved(store: SQLiteStore) -> None:
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

def test_projection_is_replaced_with_each_append(store: SQLiteStore) -> None:
    open_case(store, deadlines=[dl("LS-1", "notify", date(2024, 3, 5)), dl("LS-1", "rr", date(2024, 3, 20))])
    assert [d.deadline_id for d in store.due(date(2024, 3, 1))] == ["notify", "rr"]
    store.append("LS-1", [ev("notified")], expected_last_seq=1, stage=None, closed=False,
                 deadlines=[dl("LS-1", "rr", date(2024, 3, 22))])
    assert [(d.deadline_id, d.due) for d in store.due(date(2024, 3, 1))] == [("rr", date(2024, 3, 22))]


def test_projection_is_untouched_when_the_append_fails(store: SQLiteStore, db_path: Path) -> None:
    open_case(store, deadlines=[dl("LS-1", "notify", date(2024, 3, 5))])
    # A row for another case is a caller bug: refused before anything is written.
    with pytest.raises(ValueError):
        store.append("LS-1", [ev()], expected_last_seq=1, stage="x", closed=False,
                     deadlines=[dl("LS-2", "notify", date(2024, 3, 9))])
    # A failure inside the transaction (here: the disk refuses the insert) rolls everything back.
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("CREATE TRIGGER fail BEFORE INSERT ON open_deadlines BEGIN SELECT RAISE(ABORT, 'boom'); END")
    conn.close()
    with pytest.raises(StoreError, match="boom"):
        store.append("LS-1", [ev()], expected_last_seq=1, stage="x", closed=False,
                     deadlines=[dl("LS-1", "rr", date(2024, 3, 9))])
    assert store.case("LS-1").last_seq == 1 and store.case("LS-1").stage == "notification"
    assert len(store.events("LS-1")) == 1
    assert [d.deadline_id for d in store.due(date(2024, 3, 1))] == ["notify"]


def test_due_filters_by_window_and_owner_and_sorts_by_date(store: SQLiteStore) -> None:
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
def test_due_queries_use_an_index_without_a_sort(store: SQLiteStore, owner: str | None, within: int | None) -> None:
    # Capture the statements `due` really runs (with their bound values inlined), then ask for their plans.
    issued: list[str] = []
    conn = store._live()
    conn.set_trace_callback(issued.append)
    store.due(date(2024, 3, 1), within_days=within, owner=owner)
    conn.set_trace_callback(None)
    selects = [sql for sql in issued if sql.lstrip().upper().startswith("SELECT")]
    assert selects
    for sql in selects:
        plan = " ".join(str(r[-1]) for r in conn.execute("EXPLAIN QUERY PLAN " + sql))
        assert "INDEX open_deadlines_by_" in plan, plan
        assert "TEMP B-TREE" not in plan and "SCAN" not in plan, plan


# ----------------------------------------------------------------------------- files and schema

def test_new_store_file_and_its_wal_files_are_private(db_path: Path) -> None:
    with SQLiteStore(db_path) as s:
        s.save_definition(DEF_HASH, "csi", "1", BUNDLE)
        for name in ("cases.db", "cases.db-wal", "cases.db-shm"):
            assert stat.S_IMODE(os.stat(db_path.parent / name).st_mode) == 0o600, name


def test_store_uses_wal_full_sync_and_records_migrations(store: SQLiteStore, db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    rows = conn.execute("SELECT version, name, applied_at_utc FROM schema_migrations").fetchall()
    conn.close()
    assert [(v, n) for v, n, _ in rows] == [(1, "initial schema")] and SCHEMA_VERSION == 1
    assert all(at for _, _, at in rows)
    assert store._live().execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_reopening_an_existing_store_keeps_everything(db_path: Path) -> None:
    with SQLiteStore(db_path) as s:
        s.save_definition(DEF_HASH, "csi", "1", BUNDLE)
        open_case(s, deadlines=[dl("LS-1", "d", date(2024, 3, 5))])
    with SQLiteStore(db_path) as s:
        assert s.case("LS-1").last_seq == 1
        s.append("LS-1", [ev()], expected_last_seq=1, stage=None, closed=False, deadlines=[])
    with SQLiteStore(db_path) as s:
        assert len(s.events("LS-1")) == 2 and s.verify() == []
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] == 1
    conn.close()


def test_newer_schema_version_is_refused_with_a_hint(db_path: Path) -> None:
    SQLiteStore(db_path).close()
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("INSERT INTO schema_migrations (version, name) VALUES (99, 'from the future')")
    conn.close()
    with pytest.raises(StoreError, match="schema version 99") as info:
        SQLiteStore(db_path)
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


def test_closed_store_refuses_use(db_path: Path) -> None:
    s = SQLiteStore(db_path)
    s.close()
    s.close()
    with pytest.raises(StoreError, match="closed"):
        s.cases()


def test_events_cannot_be_edited_by_hand_while_triggers_stand(store: SQLiteStore, db_path: Path) -> None:
    open_case(store)
    conn = sqlite3.connect(db_path, isolation_level=None)
    for sql in ("UPDATE events SET payload = '{}'", "DELETE FROM events"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(sql)
    conn.close()


@pytest.mark.parametrize("kind", [Store, SQLiteStore])
def test_store_has_no_update_or_delete_api_for_events(kind: type) -> None:
    public = {n for n in dir(kind) if not n.startswith("_")}
    assert not {n for n in public if any(w in n for w in ("update", "delete", "edit", "remove"))}


# -------------------------------------------------------------------------------------- tampering

@pytest.fixture
def chained(store: SQLiteStore) -> SQLiteStore:
    open_case(store, "LS-1")
    open_case(store, "LS-2")
    for ref in ("LS-1", "LS-2"):
        store.append(ref, [ev("a"), ev("b"), ev("c"), ev("d")], expected_last_seq=1, stage=None, closed=False,
                     deadlines=[])
    assert store.verify() == []
    return store


def problems_of(store: SQLiteStore) -> list[tuple[str, int]]:
    return [(p.ref, p.seq) for p in store.verify()]


def test_tampered_payload_is_named_by_case_and_seq(chained: SQLiteStore, db_path: Path) -> None:
    conn = raw(db_path)
    payload = json.loads(conn.execute("SELECT payload FROM events WHERE case_ref='LS-2' AND seq=3").fetchone()[0])
    payload["by"] = "somebody else"
    conn.execute("UPDATE events SET payload = ? WHERE case_ref = 'LS-2' AND seq = 3", (canonical_json(payload),))
    conn.close()
    problems = chained.verify()
    assert [(p.ref, p.seq) for p in problems] == [("LS-2", 3)]
    assert "payload or its hash was edited" in problems[0].message and "LS-2 seq 3" in str(problems[0])
    assert chained.verify("LS-1") == []
    with pytest.raises(IntegrityError, match="LS-2 seq 3"):
        chained.events("LS-2")
    assert chained.events("LS-2", check=False)[2].event.by == "somebody else"  # forensics still possible


def test_whitespace_only_payload_edit_is_detected(chained: SQLiteStore, db_path: Path) -> None:
    conn = raw(db_path)
    conn.execute("UPDATE events SET payload = ' ' || payload WHERE case_ref = 'LS-1' AND seq = 2")
    conn.close()
    assert problems_of(chained) == [("LS-1", 2)]


def test_garbage_payload_is_detected(chained: SQLiteStore, db_path: Path) -> None:
    conn = raw(db_path)
    conn.execute("UPDATE events SET payload = '{\"kind\": ' WHERE case_ref = 'LS-1' AND seq = 4")
    conn.close()
    assert problems_of(chained) == [("LS-1", 4)]


def test_tampered_hash_is_named_by_case_and_seq(chained: SQLiteStore, db_path: Path) -> None:
    conn = raw(db_path)
    conn.execute("UPDATE events SET hash = ? WHERE case_ref = 'LS-1' AND seq = 2", ("f" * 64,))
    conn.close()
    # seq 2 no longer matches its content, and seq 3 no longer links to seq 2.
    assert problems_of(chained) == [("LS-1", 2), ("LS-1", 3)]


def test_rehashed_edit_still_breaks_the_next_link(chained: SQLiteStore, db_path: Path) -> None:
    conn = raw(db_path)
    prev, payload = conn.execute("SELECT prev_hash, payload FROM events WHERE case_ref='LS-1' AND seq=2").fetchone()
    edited = json.loads(payload) | {"name": "forged"}
    conn.execute("UPDATE events SET payload = ?, hash = ? WHERE case_ref = 'LS-1' AND seq = 2",
                 (canonical_json(edited), chain_hash(prev, "LS-1", 2, edited)))
    conn.close()
    assert problems_of(chained) == [("LS-1", 3)]


def test_deleted_middle_event_is_named(chained: SQLiteStore, db_path: Path) -> None:
    conn = raw(db_path)
    conn.execute("DELETE FROM events WHERE case_ref = 'LS-2' AND seq = 3")
    conn.close()
    problems = chained.verify()
    assert ("LS-2", 3) in [(p.ref, p.seq) for p in problems]
    assert {p.ref for p in problems} == {"LS-2"}
    assert any("seq 3 is missing" in p.message for p in problems)


def test_deleted_last_event_is_caught_by_the_case_row(chained: SQLiteStore, db_path: Path) -> None:
    conn = raw(db_path)
    conn.execute("DELETE FROM events WHERE case_ref = 'LS-1' AND seq = 5")
    conn.close()
    problems = chained.verify()
    assert [(p.ref, p.seq) for p in problems] == [("LS-1", 5)]
    assert "last stored event is seq 4" in problems[0].message


def test_case_row_last_seq_disagreeing_is_reported(chained: SQLiteStore, db_path: Path) -> None:
    conn = raw(db_path)
    conn.execute("UPDATE cases SET last_seq = 9 WHERE ref = 'LS-2'")
    conn.close()
    assert problems_of(chained) == [("LS-2", 9)]
