"""Tampering (#14): every kind of edit behind the store's back is found by `verify`, naming the case, the
row and the kind, and refused by the reads that would print it; what only an anchor can find, the anchor
finds. On both backends.

Every tamper drops the triggers first, as an attacker would (SQLite: `raw` drops them all; PostgreSQL:
`raw` acts as the superuser with triggers off), so the triggers are never what catches it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from reviewflow.engine.definition.loader import Registry, definition_hash
from reviewflow.engine.errors import IntegrityError, StoreError
from reviewflow.engine.integrity import verify_store
from reviewflow.engine.service import CaseService
from reviewflow.engine.store.anchor import check_anchor, checkpoint_line, key_from, read_checkpoints
from reviewflow.engine.store.chain import canonical_json, chain_hash
from reviewflow.engine.store.ledger import entry_hash, state_text
from store_backends import PARTNERSHIP, Backend
from test_runtime_support import FULL, OPEN_FIELDS

D = date
NOTIFY = "working_days: 5, after: became_aware"
NOTIFY_50 = "working_days: 50, after: became_aware"


@pytest.fixture
def svc(backend: Backend, root: Path) -> Iterator[CaseService]:
    """C-1 (open), C-2 (open, panel notified), C-3 (the last write in the store)."""
    with backend.open() as store:
        service = CaseService(store, Registry([root]))
        for ref, pseudonym in (("C-1", "Child A"), ("C-2", "Child B")):
            service.open("example-full", ref, D(2024, 3, 4), "local_authority", OPEN_FIELDS, pseudonym,
                         partnership=PARTNERSHIP)
        service.record("C-2", "notified_panel", D(2024, 3, 5), "local_authority", D(2024, 3, 6))
        service.open("example-full", "C-3", D(2024, 3, 7), "local_authority", OPEN_FIELDS, "Child C",
                     partnership=PARTNERSHIP)
        assert verify_store(service).ok
        yield service


def fresh(backend: Backend, root: Path) -> CaseService:
    """A new service over a newly opened store: nothing cached from before the tampering."""
    return CaseService(backend.open(), Registry([root]))


def found(backend: Backend, root: Path) -> list[tuple[str, str, str]]:
    """(case, kind, message) of every problem `verify` finds, run as the store's owner (on PostgreSQL only
    a login that sees every partnership's cases can follow the ledger's links)."""
    service = CaseService(backend.admin(), Registry([root]))
    try:
        return [(p.ref, p.kind, p.message) for p in verify_store(service).problems]
    finally:
        service.store.close()


def kinds_for(problems: list[tuple[str, str, str]], ref: str) -> set[str]:
    return {kind for case, kind, _ in problems if case == ref}


def refused_read(backend: Backend, root: Path, read: str) -> str:
    service = fresh(backend, root)
    try:
        with pytest.raises(IntegrityError) as info:
            {"show": lambda: service.show("C-1", D(2024, 3, 8)),
             "show C-2": lambda: service.show("C-2", D(2024, 3, 8)),
             "cases": lambda: service.cases(),
             "due": lambda: service.due(D(2024, 3, 8)),
             "events C-2": lambda: service.history("C-2")}[read]()
        return info.value.message
    finally:
        service.store.close()


def ledger(backend: Backend) -> list[tuple[int, str, int, str, str, str, str]]:
    return [tuple(r) for r in backend.raw("SELECT position, case_ref, seq, event_hash, state, prev_hash, hash "
                                          "FROM ledger ORDER BY position")]  # type: ignore[misc]


def rewrite_ledger(backend: Backend, from_position: int = 1) -> None:
    """What a thorough attacker does after an edit: make every entry from `from_position` agree with the
    rows as they now are (each case's last entry) and relink the chain, so the ledger alone shows nothing."""
    entries = ledger(backend)
    last_of = {ref: position for position, ref, *_ in entries}
    prev = "0" * 64 if from_position == 1 else entries[from_position - 2][6]
    with backend.open() as store:
        for position, ref, seq, event, state, _, _ in entries[from_position - 1:]:
            if last_of[ref] == position:
                row = store.case(ref, check=False)
                rows = sorted((d for d in store.due(D.min, check=False) if d.case_ref == ref),
                              key=lambda d: d.deadline_id)
                seq, state = row.last_seq, state_text(row, rows)
                event = backend.raw("SELECT hash FROM events WHERE case_ref = ? AND seq = ?", (ref, seq))[0][0]
            digest = entry_hash(prev, position, ref, seq, event, state)
            backend.raw("UPDATE ledger SET seq = ?, event_hash = ?, state = ?, prev_hash = ?, hash = ? "
                        "WHERE position = ?", (seq, event, state, prev, digest, position))
            prev = digest


def rehash_events(backend: Backend, ref: str, from_seq: int) -> None:
    """Recompute a case's chain from `from_seq` on, as whoever edited an event would."""
    rows = backend.raw("SELECT seq, payload, prev_hash, recorded_by FROM events WHERE case_ref = ? ORDER BY seq",
                       (ref,))
    prev = None
    for seq, payload, stored_prev, by in rows:
        if seq < from_seq:
            prev = backend.raw("SELECT hash FROM events WHERE case_ref = ? AND seq = ?", (ref, seq))[0][0]
            continue
        link = stored_prev if prev is None else prev
        digest = chain_hash(link, ref, seq, json.loads(payload), by)
        backend.raw("UPDATE events SET prev_hash = ?, hash = ? WHERE case_ref = ? AND seq = ?",
                    (link, digest, ref, seq))
        prev = digest


def edit_payload(backend: Backend, ref: str, seq: int, **changes: object) -> None:
    payload = json.loads(backend.raw("SELECT payload FROM events WHERE case_ref = ? AND seq = ?", (ref, seq))[0][0])
    payload.update(changes)
    backend.raw("UPDATE events SET payload = ? WHERE case_ref = ? AND seq = ?", (canonical_json(payload), ref, seq))


# ------------------------------------------------------------------------------- definitions

def test_an_edited_definition_text_is_found_and_never_run(svc: CaseService, backend: Backend, root: Path) -> None:
    """Notify within 50 working days instead of 5: every deadline of every case under it would move."""
    backend.raw(f"UPDATE definition_files SET content = replace(content, '{NOTIFY}', '{NOTIFY_50}')")
    problems = found(backend, root)
    definition = [m for case, kind, m in problems if kind == "definition"]
    assert len(definition) == 1 and "does not match its hash" in definition[0]
    assert all(ref in definition[0] for ref in ("C-1", "C-2", "C-3"))  # the cases it would move
    assert "does not match its hash" in refused_read(backend, root, "show")


def test_a_swapped_definition_hash_is_found(svc: CaseService, backend: Backend, root: Path) -> None:
    """A second, genuine definition (its own hash) put under a case opened with the first."""
    text = FULL.read_text(encoding="utf-8").replace(NOTIFY, NOTIFY_50)
    other = definition_hash([text])
    svc.store.save_definition(other, "example-full", "2", {"example.yaml": text})
    backend.raw("UPDATE cases SET definition_hash = ? WHERE ref = 'C-1'", (other,))
    problems = found(backend, root)
    assert kinds_for(problems, "C-1") == {"projection"} and kinds_for(problems, "C-2") == set()
    assert any("case row" in m for case, _, m in problems if case == "C-1")
    assert "case row" in refused_read(backend, root, "show")
    assert "C-1" in refused_read(backend, root, "cases")


# ----------------------------------------------------------------------------- removed records

def test_a_deleted_case_is_found_by_the_ledger(svc: CaseService, backend: Backend, root: Path) -> None:
    for table, column in (("open_deadlines", "case_ref"), ("events", "case_ref"), ("cases", "ref")):
        backend.raw(f"DELETE FROM {table} WHERE {column} = 'C-1'")
    problems = found(backend, root)
    assert [(case, kind) for case, kind, _ in problems] == [("C-1", "ledger")]
    assert "which is not in the store (the case was deleted)" in problems[0][2]


def test_a_deleted_last_event_with_the_head_lowered_is_found(svc: CaseService, backend: Backend, root: Path) -> None:
    stage = backend.raw("SELECT stage FROM cases WHERE ref = 'C-1'")[0][0]
    backend.raw("DELETE FROM events WHERE case_ref = 'C-2' AND seq = 2")
    backend.raw("UPDATE cases SET last_seq = 1, stage = ? WHERE ref = 'C-2'", (stage,))
    problems = found(backend, root)
    assert "ledger" in kinds_for(problems, "C-2")
    assert any("seq 2, which is no longer stored" in m for _, _, m in problems)
    assert "recorded seq 2" in refused_read(backend, root, "show C-2")


def test_an_edited_event_with_its_chain_recomputed_is_found(svc: CaseService, backend: Backend, root: Path) -> None:
    edit_payload(backend, "C-2", 1, actor="somebody else")
    rehash_events(backend, "C-2", 1)
    problems = found(backend, root)
    assert kinds_for(problems, "C-2") == {"ledger"}  # every chain link holds: only the ledger remembers
    assert any("another hash for seq" in m for case, _, m in problems if case == "C-2")
    assert "another hash" in refused_read(backend, root, "events C-2")


# -------------------------------------------------------------------------------- projections

PROJECTION_EDITS = {
    "stage": ("UPDATE cases SET stage = 'closed' WHERE ref = 'C-1'", "stage is stored as"),
    "closed": ("UPDATE cases SET closed = ? WHERE ref = 'C-1'", "closed is stored as True"),
    "pseudonym": ("UPDATE cases SET pseudonym = 'Child Z' WHERE ref = 'C-1'", "pseudonym is stored as 'Child Z'"),
    "opened": ("UPDATE cases SET opened_at = '2024-01-01' WHERE ref = 'C-1'", "opened is stored as"),
    "deadline due": ("UPDATE open_deadlines SET due = '2024-04-30' WHERE case_ref = 'C-1' "
                     "AND deadline_id = 'notify_panel'", "deadline row notify_panel: due is stored as '2024-04-30'"),
    "deadline status": ("UPDATE open_deadlines SET status = 'due_soon' WHERE case_ref = 'C-1' "
                        "AND deadline_id = 'notify_panel'", "deadline row notify_panel: status"),
    "deadline removed": ("DELETE FROM open_deadlines WHERE case_ref = 'C-1' AND deadline_id = 'notify_panel'",
                         "deadline row notify_panel is missing"),
}


@pytest.mark.parametrize("edit", list(PROJECTION_EDITS))
def test_an_edited_projection_is_found_and_refused_by_the_reads(svc: CaseService, backend: Backend, root: Path,
                                                                edit: str) -> None:
    sql, said = PROJECTION_EDITS[edit]
    backend.raw(sql, (True,) if "?" in sql else ())
    problems = found(backend, root)
    assert kinds_for(problems, "C-1") == {"projection"} and not kinds_for(problems, "C-2")
    assert any(said in m for _, _, m in problems), problems
    # `due` lists rows, so it checks the cases of the rows it lists: a row removed leaves nothing to list
    # when it was the case's only one (verify, `cases` and every command on the case still refuse).
    listed = edit.startswith("deadline") and edit != "deadline removed"
    for read in ("show", "cases", "due") if listed else ("show", "cases"):
        message = refused_read(backend, root, read)
        assert "C-1" in message and ("deadline row notify_panel" in message or "case row" in message), message


def test_due_refuses_before_its_first_row_when_any_listed_case_is_edited(svc: CaseService, backend: Backend,
                                                                          root: Path) -> None:
    """C-3's rows come last in `due`'s order; an edit of C-3 still stops the list before C-1's first row."""
    last = max(svc.due(D(2024, 3, 8)), key=lambda row: (row.due is None, row.due or D.max, row.case_ref))
    backend.raw("UPDATE open_deadlines SET title = 'edited' WHERE case_ref = ? AND deadline_id = ?",
                (last.case_ref, last.deadline_id))
    service = fresh(backend, root)
    try:
        rows = service.iter_due(D(2024, 3, 8))
        if backend.name == "sqlite":
            with pytest.raises(IntegrityError, match=last.case_ref):
                next(rows)
        else:  # PostgreSQL checks each batch of 1,000 rows before handing it out
            with pytest.raises(IntegrityError, match=last.case_ref):
                list(rows)
    finally:
        service.store.close()


def test_a_projection_edited_with_the_ledger_rewritten_is_found_by_the_fold(svc: CaseService, backend: Backend,
                                                                             root: Path) -> None:
    """The thorough attacker makes the ledger agree with the edited row: the fresh fold still disagrees."""
    backend.raw("UPDATE open_deadlines SET due = '2024-04-30' WHERE case_ref = 'C-1' AND deadline_id = 'notify_panel'")
    rewrite_ledger(backend)
    problems = found(backend, root)
    assert [(case, kind) for case, kind, _ in problems] == [("C-1", "projection")]
    assert "deadline row notify_panel: due is stored as '2024-04-30' but its events give '2024-03-11'" \
        in problems[0][2]


def test_a_ledger_entry_edited_or_removed_is_found(svc: CaseService, backend: Backend, root: Path) -> None:
    backend.raw("UPDATE ledger SET state = replace(state, 'a', 'b') WHERE position = 2")
    problems = found(backend, root)
    assert any("does not match its hash" in m for case, kind, m in problems if kind == "ledger"), problems
    backend.raw("DELETE FROM ledger WHERE position = 2")
    problems = found(backend, root)
    assert any("ledger position 2 is missing" in m for _, _, m in problems)
    if backend.name == "postgresql":  # an everyday login cannot follow the links, and says so
        with backend.open() as store:
            checked = verify_store(CaseService(store, Registry([root])))
        assert any("links between ledger entries were not checked" in n for n in checked.notes)


# ------------------------------------------------------------------------------------- anchors

def anchor_lines(svc: CaseService, key: bytes | None = None) -> list[str]:
    info = svc.store.info()
    return [checkpoint_line(svc.store.ledger_head(), info.backend, info.location, 3, 4, key)]


def anchor_problems(backend: Backend, lines: list[str], key: bytes | None = None) -> list[str]:
    with backend.open() as store:
        checked = check_anchor(read_checkpoints(lines, "anchor"), store, key, "anchor")
    return [p.message for p in checked.problems] + [f"note: {n}" for n in checked.notes]


def test_the_last_write_cut_off_whole_is_found_only_by_an_anchor(svc: CaseService, backend: Backend,
                                                                  root: Path) -> None:
    lines = anchor_lines(svc)
    assert anchor_problems(backend, lines) == []
    head = svc.store.ledger_head().position
    for table, column in (("open_deadlines", "case_ref"), ("events", "case_ref"), ("cases", "ref")):
        backend.raw(f"DELETE FROM {table} WHERE {column} = 'C-3'")
    backend.raw("DELETE FROM ledger WHERE position = ?", (head,))
    assert found(backend, root) == []  # a consistent prefix: the store alone cannot tell
    assert anchor_problems(backend, lines) == [f"anchor line 1 (ledger position {head}): the ledger ends at "
                                               f"position {head - 1}, before this checkpoint: writes recorded up "
                                               "to it were removed or lost (restore the store from a backup)"]


def test_a_history_rewritten_and_rehashed_throughout_is_found_only_by_an_anchor(
        svc: CaseService, backend: Backend, root: Path) -> None:
    lines = anchor_lines(svc)
    edit_payload(backend, "C-1", 1, actor="somebody else")  # nothing the projection shows
    rehash_events(backend, "C-1", 1)
    rewrite_ledger(backend)
    assert found(backend, root) == []
    problems = anchor_problems(backend, lines)
    assert len(problems) == 1 and "the history up to it was rewritten" in problems[0]


def test_a_signed_anchor_refuses_a_forged_checkpoint(svc: CaseService, backend: Backend, root: Path) -> None:
    key = key_from("k" * 32)
    genuine = anchor_lines(svc, key)
    assert anchor_problems(backend, genuine, key) == []
    # The attacker rewrites history and writes a new checkpoint of it, without the key.
    edit_payload(backend, "C-1", 1, actor="somebody else")
    rehash_events(backend, "C-1", 1)
    rewrite_ledger(backend)
    forged = json.loads(anchor_lines(svc)[0]) | {"mac": "hmac-sha256:" + "0" * 64}
    problems = anchor_problems(backend, [canonical_json(forged)], key)
    assert problems == ["anchor line 1 (ledger position 4): the checkpoint's signature does not match "
                        "REVIEWFLOW_KEY (it was forged or edited, or signed with another key)"]
    # Without the key a signed file is still checked as hashes, and says the signatures were not.
    assert anchor_problems(backend, genuine)[-1].startswith("note: the checkpoints of anchor are signed")
    edited = json.loads(genuine[0]) | {"position": 2}
    assert "does not match its digest" in anchor_problems(backend, [canonical_json(edited)])[0]


def test_a_short_key_is_refused() -> None:
    with pytest.raises(StoreError, match="at least 16"):
        key_from("short")
    assert key_from(None) is None and key_from("") is None


# ------------------------------------------------------------------------------------ migration

def test_existing_postgres_cases_get_ledger_entries_in_the_order_they_were_last_written(
        pg_server: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """Migration 2 on a store of schema 1: one entry per case for its head and rows, ordered by the id of
    each case's last event (SQLite's migration 3 does the same: tests/test_store.py)."""
    from reviewflow.engine.store import postgres_migrate
    from reviewflow.engine.store.chain import GENESIS_HASH
    from reviewflow.engine.store.postgres import PostgresStore

    server = pg_server
    database = server.fresh_database(template=False)  # type: ignore[attr-defined]
    try:
        url = server.database_url(database)  # type: ignore[attr-defined]
        with monkeypatch.context() as patch:
            patch.setattr(postgres_migrate, "MIGRATIONS", postgres_migrate.MIGRATIONS[:1])
            patch.setattr(postgres_migrate, "SCHEMA_VERSION", 1)
            PostgresStore(url).close()
        with server.connect(database) as conn:  # type: ignore[attr-defined]
            conn.execute("SET session_replication_role = replica")
            conn.execute("INSERT INTO reviewflow.definitions (definition_hash, process_id, version) "
                         "VALUES ('h', 'csi', '1')")
            heads: dict[str, str] = {}
            # B is opened first, A last written: A's last event has the highest id.
            for ref, seq in (("B", 1), ("A", 1), ("B", 2), ("A", 2)):
                payload = {"actor": None, "agency": None, "at": "2024-03-01", "by": "chair", "data": {"n": seq},
                           "kind": "noted", "name": "note"}
                digest = chain_hash(heads.get(ref, GENESIS_HASH), ref, seq, payload, "someone")
                if seq == 1:
                    conn.execute("INSERT INTO reviewflow.cases (ref, partnership, process_id, definition_hash, "
                                 "opened_at, stage, closed, last_seq) VALUES (%s, 'test', 'csi', 'h', "
                                 "'2024-03-01', 's', false, 2)", (ref,))
                conn.execute("INSERT INTO reviewflow.events (case_ref, partnership, seq, payload, prev_hash, hash, "
                             "recorded_by) VALUES (%s, 'test', %s, %s, %s, %s, 'someone')",
                             (ref, seq, canonical_json(payload), heads.get(ref, GENESIS_HASH), digest))
                heads[ref] = digest
        with PostgresStore(url, upgrade=True) as owner:
            assert owner.info().applied_now == (2,)
            assert owner.verify() == [] and owner.ledger_head().position == 2
            with server.connect(database) as conn:  # type: ignore[attr-defined]
                order = conn.execute("SELECT case_ref, seq, event_hash FROM reviewflow.ledger "
                                     "ORDER BY position").fetchall()
            assert order == [("B", 2, heads["B"]), ("A", 2, heads["A"])]
    finally:
        server.drop(database)  # type: ignore[attr-defined]


def test_existing_sqlite_cases_get_ledger_entries_in_the_order_they_were_last_written(tmp_path: Path) -> None:
    import sqlite3

    from reviewflow.engine.store.chain import GENESIS_HASH
    from reviewflow.engine.store.sqlite import SQLiteStore
    from reviewflow.engine.store.sqlite_schema import MIGRATIONS, MIGRATIONS_TABLE

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(MIGRATIONS_TABLE)
    for number, name, statements in MIGRATIONS[:2]:
        for statement in statements:
            conn.execute(statement)
        conn.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", (number, name))
    conn.execute("INSERT INTO definitions (definition_hash, process_id, version) VALUES ('h', 'csi', '1')")
    heads: dict[str, str] = {}
    for ref, seq in (("B", 1), ("A", 1), ("B", 2), ("A", 2)):
        payload = {"actor": None, "agency": None, "at": "2024-03-01", "by": "chair", "data": {"n": seq},
                   "kind": "noted", "name": "note"}
        digest = chain_hash(heads.get(ref, GENESIS_HASH), ref, seq, payload, "someone")
        if seq == 1:
            conn.execute("INSERT INTO cases VALUES (?, 'csi', 'h', NULL, '2024-03-01', 's', 0, 2, 'test')", (ref,))
        conn.execute("INSERT INTO events (case_ref, seq, payload, prev_hash, hash, recorded_by) "
                     "VALUES (?, ?, ?, ?, ?, 'someone')",
                     (ref, seq, canonical_json(payload), heads.get(ref, GENESIS_HASH), digest))
        heads[ref] = digest
    conn.close()
    with SQLiteStore(path) as store:
        assert store.applied_migrations == [3] and store.verify() == []
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT case_ref, seq, event_hash FROM ledger ORDER BY position").fetchall() == [
        ("B", 2, heads["B"]), ("A", 2, heads["A"])]
    conn.close()


def test_verify_anchor_from_the_command_line(tmp_path: Path, root: Path) -> None:
    from click.testing import CliRunner
    from reviewflow.cli import cli
    from reviewflow.engine.store.sqlite import SQLiteStore

    db, anchor = str(tmp_path / "cases.db"), str(tmp_path / "store.anchor")
    with SQLiteStore(db) as store:
        service = CaseService(store, Registry([root]))
        service.open("example-full", "C-1", D(2024, 3, 4), "local_authority", OPEN_FIELDS, "Child A")
    runner = CliRunner()
    env = {"REVIEWFLOW_KEY": "k" * 32}
    first = runner.invoke(cli, ["verify", "--db", db, "--anchor", anchor], env=env)
    assert first.exit_code == 0 and "0 checkpoints checked; the current head was added" in first.stdout
    assert json.loads(Path(anchor).read_text(encoding="utf-8"))["mac"].startswith("hmac-sha256:")
    with SQLiteStore(db) as store:
        CaseService(store, Registry([root])).open("example-full", "C-2", D(2024, 3, 5), "local_authority",
                                                  OPEN_FIELDS, "Child B")
    second = runner.invoke(cli, ["verify", "--db", db, "--anchor", anchor, "--format", "json"], env=env)
    assert json.loads(second.stdout)["anchor"] == {"file": anchor, "checkpoints": 1, "written": True}
    assert len(Path(anchor).read_text(encoding="utf-8").splitlines()) == 2
    # The last write cut off whole: the store alone is consistent, the anchor is not.
    backend = Backend("sqlite", db)
    for table, column in (("open_deadlines", "case_ref"), ("events", "case_ref"), ("cases", "ref")):
        backend.raw(f"DELETE FROM {table} WHERE {column} = 'C-2'")
    backend.raw("DELETE FROM ledger WHERE position = 2")
    assert runner.invoke(cli, ["verify", "--db", db]).exit_code == 0
    checked = runner.invoke(cli, ["verify", "--db", db, "--anchor", anchor, "--check-only"], env=env)
    assert checked.exit_code == 1 and "error: store: anchor: " in checked.stderr
    assert "the ledger ends at position 1, before this checkpoint" in checked.stderr
    assert len(Path(anchor).read_text(encoding="utf-8").splitlines()) == 2  # never anchors a broken store
    assert runner.invoke(cli, ["verify", "--db", db, "--check-only"]).exit_code == 2
    assert runner.invoke(cli, ["verify", "--db", db, "--anchor", str(tmp_path / "none"), "--check-only"]).exit_code == 1
