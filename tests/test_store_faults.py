"""Store faults (#14): a damaged, cut-short, foreign or empty file, a lost or garbled WAL, a full disk, a
read-only store, a world-readable one: each is named, never silent, and nothing is written where it
should not be. Backups and restores (SQLite). PostgreSQL keeps its own files: its faults are the
server's (tests/test_store_crash_postgres.py), and `db backup` says to use the server's tools.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from reviewflow.cli import cli
from reviewflow.engine.errors import IntegrityError, StoreError
from reviewflow.engine.events import Event
from reviewflow.engine.store import DeadlineRow, open_store
from reviewflow.engine.store.sqlite import SQLiteStore

ROOT = Path(__file__).resolve().parent.parent
DEF = "d" * 64
REF = "F-1"

# A writer that dies without closing the store (as a crash would): its last commits stay in the WAL,
# not yet copied into the database file.
CRASHING_WRITER = r"""
import os, sys
from datetime import date
from reviewflow.engine.events import Event
from reviewflow.engine.store import DeadlineRow
from reviewflow.engine.store.sqlite import SQLiteStore
store = SQLiteStore(sys.argv[1])
last = store.case("F-1").last_seq
for n in range(int(sys.argv[2])):
    row = DeadlineRow("F-1", "next", "TITLE-AFTER-CRASH", date(2024, 5, 1), None, "statutory", "open", "chair", None, None)
    last = store.append("F-1", [Event("noted", "note", date(2024, 3, 2), "chair", data={"n": n, "pad": "x" * 3000})],
                        expected_last_seq=last, stage="s", closed=False, deadlines=[row])[-1].event.seq
os._exit(0)
"""


def event(n: int = 0) -> Event:
    return Event(kind="noted", name="note", at=date(2024, 3, 1), by="chair", data={"n": n})


def row(title: str = "UNIQUE-DEADLINE-TITLE") -> DeadlineRow:
    return DeadlineRow(REF, "next", title, date(2024, 4, 1), None, "statutory", "open", "chair", None, None)


def make_store(path: Path, appends: int = 3) -> None:
    with SQLiteStore(path) as store:
        store.save_definition(DEF, "csi", "1", {"p.yaml": "id: csi\n"})
        store.open_case(REF, "csi", DEF, None, event(), stage="s", deadlines=[row()])
        for n in range(appends):
            store.append(REF, [event(n + 1)], expected_last_seq=n + 1, stage="s", closed=False, deadlines=[row()])


def make_real_store(path: Path) -> None:
    """A store of a real definition (what the commands read): one case, two events."""
    from reviewflow.engine.definition.loader import Registry
    from reviewflow.engine.service import CaseService
    from test_runtime_support import FULL, OPEN_FIELDS

    root = path.parent / "processes"
    root.mkdir(exist_ok=True)
    (root / "example.yaml").write_text(FULL.read_text(encoding="utf-8"), encoding="utf-8")
    with SQLiteStore(path) as store:
        service = CaseService(store, Registry([root]))
        service.open("example-full", REF, date(2024, 3, 4), "local_authority", OPEN_FIELDS, "Child A")
        service.record(REF, "notified_panel", date(2024, 3, 5), "local_authority", date(2024, 3, 5))


def crash_after_writes(path: Path, writes: int = 3) -> None:
    done = subprocess.run([sys.executable, "-c", CRASHING_WRITER, str(path), str(writes)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert os.path.getsize(f"{path}-wal") > 32 and os.path.exists(f"{path}-shm")


def flip(path: str, offset: int, mask: int = 0xFF) -> None:
    with open(path, "r+b") as handle:
        handle.seek(offset)
        byte = handle.read(1)
        handle.seek(offset)
        handle.write(bytes([byte[0] ^ mask]))


def wal_frame(path: Path, frame: int) -> int:
    """The offset of WAL frame `frame` (from 1)."""
    with open(f"{path}-wal", "rb") as handle:
        page_size = int.from_bytes(handle.read(12)[8:12], "big")
    return 32 + (frame - 1) * (24 + page_size)


def cli_run(*args: str) -> object:
    return CliRunner().invoke(cli, list(args))


# ------------------------------------------------------------------------------------ the file

def test_a_file_cut_short_is_named(tmp_path: Path) -> None:
    path = tmp_path / "cases.db"
    make_store(path, appends=40)
    size = os.path.getsize(path)
    with open(path, "r+b") as handle:
        handle.truncate(size // 2)
    with pytest.raises(StoreError, match="cut short") as info:
        SQLiteStore(path)
    assert "reviewflow db restore" in (info.value.hint or "")


def test_a_damaged_page_fails_the_quick_check_on_open(tmp_path: Path) -> None:
    path = tmp_path / "cases.db"
    make_store(path, appends=40)
    flip(str(path), 4096 * 2)  # the b-tree page header of page 3: structure, not content
    with pytest.raises(StoreError) as info:
        SQLiteStore(path)
    assert "damaged" in info.value.message or "not a readable" in info.value.message
    assert "restore" in (info.value.hint or "")


def test_a_flipped_byte_in_a_deadline_row_is_refused_by_due_and_named_by_verify(tmp_path: Path) -> None:
    path = tmp_path / "cases.db"
    make_store(path)
    data = path.read_bytes()
    start = 0
    while (start := data.find(b"UNIQUE-DEADLINE-TITLE", start) + 1) > 0:  # the row and its index entry
        flip(str(path), start - 1 + 3, 0x01)  # Q -> P: in a row's text, where SQLite cannot see it
    with SQLiteStore(path) as store, pytest.raises(IntegrityError, match=f"case {REF} does not verify: deadline "
                                                                         "row next is not the one last written"):
        store.due(date(2024, 3, 1))
    with SQLiteStore(path) as store:
        assert [(p.ref, p.kind) for p in store.verify()] == [(REF, "projection")]


def test_a_header_that_is_not_sqlite_is_named(tmp_path: Path) -> None:
    path = tmp_path / "cases.db"
    make_store(path)
    flip(str(path), 0)
    with pytest.raises(StoreError, match="not an SQLite database, or its header is damaged"):
        SQLiteStore(path)


# ------------------------------------------------------------------------------------- the WAL

def test_a_removed_wal_after_a_crash_is_named(tmp_path: Path) -> None:
    path = tmp_path / "cases.db"
    make_store(path)
    crash_after_writes(path)
    os.remove(f"{path}-wal")
    with pytest.raises(StoreError, match="WAL file .* is missing or empty, but the store's index says it held"):
        SQLiteStore(path)


def test_a_garbled_wal_header_is_named(tmp_path: Path) -> None:
    path = tmp_path / "cases.db"
    make_store(path)
    crash_after_writes(path)
    flip(f"{path}-wal", 17)  # the salt: the header's checksum no longer holds
    with pytest.raises(StoreError, match="the header of its WAL file .* is damaged"):
        SQLiteStore(path)


@pytest.mark.parametrize("index", ["kept", "removed"])
def test_a_garbled_wal_frame_is_named(tmp_path: Path, index: str) -> None:
    """With the -shm index, by the frames it says were committed; without it, by a later commit frame."""
    path = tmp_path / "cases.db"
    make_store(path)
    crash_after_writes(path, writes=4)
    flip(f"{path}-wal", wal_frame(path, 2) + 24 + 100)  # inside the page of frame 2
    if index == "removed":
        os.remove(f"{path}-shm")
    with pytest.raises(StoreError, match="WAL file .* is damaged at frame 2"):
        SQLiteStore(path)


def test_a_crash_alone_loses_nothing_and_says_nothing(tmp_path: Path) -> None:
    path = tmp_path / "cases.db"
    make_store(path)
    crash_after_writes(path, writes=4)
    with SQLiteStore(path) as store:
        assert store.case(REF).last_seq == 8 and store.verify() == [] and store.notices == []


def test_a_wal_in_use_by_another_process_is_not_mistaken_for_damage(tmp_path: Path) -> None:
    path = tmp_path / "cases.db"
    make_store(path)
    holder = sqlite3.connect(path)
    holder.execute("SELECT count(*) FROM cases").fetchone()  # holds the -shm open, as a running process does
    try:
        with SQLiteStore(path) as store:
            assert store.verify() == []
    finally:
        holder.close()


# --------------------------------------------------------------------------- writes refused cleanly

def test_a_full_disk_refuses_the_write_and_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "cases.db"
    make_store(path)
    with SQLiteStore(path) as store:
        head = store.ledger_head()
        pages = store._live().execute("PRAGMA page_count").fetchone()[0]
        store._live().execute(f"PRAGMA max_page_count = {pages}")  # the disk has no room for one more page
        with pytest.raises(StoreError, match="is full; nothing was written") as info:
            store.append(REF, [Event("noted", "note", date(2024, 3, 1), "chair", data={"pad": "x" * 50_000})],
                         expected_last_seq=4, stage="s", closed=False, deadlines=[row()])
        assert info.value.hint
    with SQLiteStore(path) as store:
        assert store.ledger_head() == head and store.case(REF).last_seq == 4 and store.verify() == []


def test_a_read_only_store_refuses_the_write_and_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "cases.db"
    make_store(path)
    with SQLiteStore(path) as store:
        store._live().execute("PRAGMA query_only = ON")  # as a read-only file or mount answers a write
        with pytest.raises(StoreError, match="read-only"):
            store.append(REF, [event()], expected_last_seq=4, stage="s", closed=False, deadlines=[row()])
    with SQLiteStore(path) as store:
        assert store.case(REF).last_seq == 4 and store.verify() == []


def test_a_world_readable_store_is_made_private_and_the_user_told(tmp_path: Path) -> None:
    path = tmp_path / "cases.db"
    make_real_store(path)
    os.chmod(path, 0o644)
    with SQLiteStore(path) as store:
        assert store.notices == [f"the store at {path} was readable by other users (0644); it is now 0600"]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    os.chmod(path, 0o640)
    result = cli_run("cases", "--db", str(path))
    assert result.exit_code == 0 and "warning: the store at" in result.stderr  # type: ignore[attr-defined]


# ------------------------------------------------------------------------- not a store at all

def test_a_foreign_database_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE people (name TEXT)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    for create in (True, False):
        with pytest.raises(StoreError, match="not a reviewflow store; nothing was written"):
            SQLiteStore(path, create=create)
    assert path.read_bytes() == before  # still in its own journal mode: not switched to WAL
    assert not os.path.exists(f"{path}-wal")


@pytest.mark.parametrize("command", [["cases"], ["due", "--as-of", "2024-01-01"], ["case", "verify"], ["verify"],
                                     ["db", "info"]])
def test_a_read_only_command_never_turns_an_empty_file_into_a_store(tmp_path: Path, command: list[str]) -> None:
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    result = cli_run(*command, "--db", str(path))
    assert result.exit_code == 1 and "is an empty file, not a reviewflow store" in result.stderr  # type: ignore[attr-defined]
    assert path.read_bytes() == b"" and not os.path.exists(f"{path}-wal")
    with SQLiteStore(path) as store:  # a command that writes may make a store of it
        assert store.cases() == []


def test_memory_from_the_command_line_is_refused(tmp_path: Path) -> None:
    for args, env in ((["cases", "--db", ":memory:"], {}), (["cases"], {"REVIEWFLOW_DB": ":memory:"})):
        result = CliRunner().invoke(cli, args, env=env)
        assert result.exit_code == 2 and "would be lost" in result.stderr, result.stderr
    with open_store(":memory:") as store:  # the API (tests, scenario runs) may still use it
        assert store.cases() == []


# ------------------------------------------------------------------------------- backup, restore

def test_backup_and_restore_round_trip_keeping_the_replaced_store(tmp_path: Path) -> None:
    path, backup = tmp_path / "cases.db", tmp_path / "backup.db"
    make_real_store(path)
    result = cli_run("db", "backup", str(backup), "--db", str(path))
    assert result.exit_code == 0 and "the copy verifies" in result.stdout, result.stderr  # type: ignore[attr-defined]
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600
    assert cli_run("case", "note", REF, "later", "--at", "2024-03-06", "--by", "local_authority",
                   "--db", str(path)).exit_code == 0  # the store moves on after the backup
    before = backup.read_bytes()
    result = cli_run("db", "restore", str(backup), "--db", str(path))
    assert result.exit_code == 0, result.stderr  # type: ignore[attr-defined]
    assert f"kept as {path}.before-restore" in result.stdout  # type: ignore[attr-defined]
    assert backup.read_bytes() == before  # the backup was only read
    with SQLiteStore(path) as store:
        assert store.case(REF).last_seq == 2 and store.verify() == []
    with SQLiteStore(f"{path}.before-restore") as kept:
        assert kept.case(REF).last_seq == 3
    assert cli_run("db", "backup", str(backup), "--db", str(path)).exit_code == 1  # never overwritten


def test_a_damaged_backup_replaces_nothing(tmp_path: Path) -> None:
    path, backup = tmp_path / "cases.db", tmp_path / "backup.db"
    make_real_store(path)
    assert cli_run("db", "backup", str(backup), "--db", str(path)).exit_code == 0
    raw = sqlite3.connect(backup)
    raw.execute("DROP TRIGGER events_no_update")
    raw.execute("UPDATE events SET payload = replace(payload, '2024-03-05', '2024-03-04') WHERE seq = 2")
    raw.commit()
    raw.close()
    before = path.read_bytes()
    result = cli_run("db", "restore", str(backup), "--db", str(path))
    assert result.exit_code == 1 and "does not verify" in result.stderr and "nothing was replaced" in result.stderr  # type: ignore[attr-defined]
    assert path.read_bytes() == before and not os.path.exists(f"{path}.before-restore")
    assert not [p for p in os.listdir(tmp_path) if "restoring" in p]


def test_a_store_whose_wal_was_lost_is_restored_from_its_backup(tmp_path: Path) -> None:
    path, backup = tmp_path / "cases.db", tmp_path / "backup.db"
    make_real_store(path)
    assert cli_run("db", "backup", str(backup), "--db", str(path)).exit_code == 0
    crash_after_writes(path)
    os.remove(f"{path}-wal")
    assert cli_run("cases", "--db", str(path)).exit_code == 1  # refused, named
    assert cli_run("db", "restore", str(backup), "--db", str(path)).exit_code == 0
    assert cli_run("verify", "--db", str(path)).exit_code == 0


def test_postgres_backups_are_the_servers(backend: object, tmp_path: Path) -> None:
    from store_backends import Backend

    assert isinstance(backend, Backend)
    if backend.name != "postgresql":
        pytest.skip("the SQLite backups are tested above")
    result = cli_run("db", "backup", str(tmp_path / "b.db"), "--db", backend.admin_location)
    assert result.exit_code == 1 and "pg_dump" in result.stderr  # type: ignore[attr-defined]
    result = cli_run("db", "restore", str(tmp_path / "b.db"), "--db", backend.admin_location)
    assert result.exit_code == 1 and "pg_dump" in result.stderr  # type: ignore[attr-defined]
