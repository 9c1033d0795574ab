"""Opening an SQLite store file: what the file is before SQLite touches it, and a connection with the
store's durability settings.

Every sqlite3 exception raised here leaves as a `StoreError` (`sqlite_files.translate_error`).
"""

from __future__ import annotations

import os
import sqlite3
import time

from reviewflow.engine.errors import StoreError
from reviewflow.engine.store.sqlite_files import (
    create_private,
    in_use_elsewhere,
    is_memory,
    read_header,
    translate_error,
    wal_problem,
)
from reviewflow.engine.store.sqlite_schema import APPLICATION_ID
from reviewflow.engine.store.sqlite_statecheck import register

# How many connections this process holds to each store file (by real path): Python must not open and
# close a file this process has an SQLite connection to (that would drop SQLite's POSIX locks), so the
# files are inspected only by the first connection.
OPEN_FILES: dict[str, int] = {}
# A store up to this size gets SQLite's quick_check on every open (a few milliseconds); a larger one only
# in `verify` (the full integrity_check).
QUICK_CHECK_MAX_BYTES = 64 * 1024 * 1024
_RESTORE = "restore it from a backup: reviewflow db restore BACKUP --db {path} (docs/integrity.md)"


def foreign(path: str) -> StoreError:
    return StoreError(f"{path} is an SQLite database but not a reviewflow store; nothing was written to it",
                      hint="point reviewflow at its own store file, or at a new path to create one")


def _inspect(path: str, create: bool) -> tuple[str, int]:
    """What the file is before SQLite touches it: refuse a foreign database, an empty file for a command
    that only reads, a damaged header, a file cut short, a damaged or missing WAL."""
    if OPEN_FILES.get(os.path.realpath(path), 0):
        return "sqlite", APPLICATION_ID  # this process opened it already, and checked it then
    kind, app_id = read_header(path)
    if kind == "empty" and not create:
        raise StoreError(f"{path} is an empty file, not a reviewflow store; nothing was written to it",
                         hint="pass --db PATH|URL of a store; `reviewflow case open` creates a new store")
    if kind == "sqlite" and app_id not in (0, APPLICATION_ID):
        raise foreign(path)
    if kind == "sqlite" and in_use_elsewhere(path) is False:
        problem = wal_problem(path)
        if problem is not None:
            raise StoreError(f"the store at {path} has lost data: {problem}",
                             hint=_RESTORE.format(path=path) + "; keep the damaged file with its -wal and -shm "
                                  "for investigation")
    return kind, app_id


def connect(path: str, busy_timeout_ms: int, create: bool = True) -> sqlite3.Connection:
    """A connection with the store's durability settings (also used by bench/store.py), made only after
    the file was found to be a store, a new or empty file (`create`), or nothing yet."""
    memory = is_memory(path)
    kind, app_id = ("memory", APPLICATION_ID) if memory else _inspect(path, create)
    if kind == "missing":
        create_private(path)
    try:
        # isolation_level=None: the sqlite3 module must not open transactions behind our back;
        # every write of `SQLiteStore` says BEGIN IMMEDIATE itself.
        conn = sqlite3.connect(path, isolation_level=None, timeout=busy_timeout_ms / 1000)
    except sqlite3.Error as exc:
        raise translate_error(exc, path, busy_timeout_ms) from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        if kind == "sqlite" and app_id == 0:
            # Reading the schema writes nothing; switching the journal mode would. A store made by hand
            # (or before the header id was set) is known by its migrations table.
            names = {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master")}
            if names and "schema_migrations" not in names:
                raise foreign(path)
            if not names and not create:
                raise StoreError(f"{path} is an empty SQLite database, not a reviewflow store; nothing was "
                                 "written to it", hint="pass --db PATH|URL of a store; `reviewflow case open` "
                                                       "creates a new store")
        if kind == "sqlite" and os.path.getsize(path) <= QUICK_CHECK_MAX_BYTES:
            found = [str(r[0]) for r in conn.execute("PRAGMA quick_check")]
            if found != ["ok"]:
                raise StoreError(f"the store at {path} is damaged: {'; '.join(found[:3])}",
                                 hint=_RESTORE.format(path=path))
        mode = _journal_mode_wal(conn, busy_timeout_ms)
        if not memory and str(mode).lower() != "wal":
            raise StoreError(f"the store at {path} cannot use WAL journal mode (got {mode!r})",
                             hint="keep the store on a local file system, not a network share")
        # WAL + synchronous=FULL: the WAL is fsynced at every commit, so an acknowledged append survives
        # SIGKILL *and* power loss. NORMAL would survive a process crash but could lose the last
        # commits on power loss; for statutory evidence one fsync per append is worth it.
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        register(conn)
    except sqlite3.Error as exc:
        conn.close()
        raise translate_error(exc, path, busy_timeout_ms) from exc
    except BaseException:
        conn.close()
        raise
    return conn


def _journal_mode_wal(conn: sqlite3.Connection, busy_timeout_ms: int) -> str:
    """`PRAGMA journal_mode = WAL`, retried while another connection holds the file: SQLite answers a
    journal-mode switch that meets a lock with SQLITE_BUSY at once, without calling the busy handler,
    which processes racing to create one store hit (tests/test_store_concurrency.py)."""
    give_up = time.monotonic() + busy_timeout_ms / 1000
    wait = 0.002
    while True:
        try:
            return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY or time.monotonic() >= give_up:
                raise
        time.sleep(wait)
        wait = min(wait * 2, 0.1)
