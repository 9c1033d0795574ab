"""The SQLite backend of `Store`: one file, every case an append-only, hash-chained list of events.

The record is statutory evidence; this is how SQLite keeps the promises of `Store`:
- nothing acknowledged is lost: every write is one `BEGIN IMMEDIATE` transaction in WAL mode with
  `synchronous=FULL`, so when `append` returns the events are on disk;
- nothing is silently changed: there is no update or delete API for events (a correction is a new
  event), triggers refuse edits made by hand, and every event carries
  ``hash = chain_hash(prev_hash, ref, seq, payload)`` so `verify` detects what the triggers cannot stop;
- nothing is half-written: events, the case row and the open-deadline projection change together or
  not at all.

Who may act is not enforced here: anyone who can write the file can write anything into it, so `by`
(the role) is advisory, as it always was. Each event records the OS user the process runs as
(`recorded_by`, covered by the hash), which says who wrote it as far as the machine can tell.

This module and the `sqlite_*` modules beside it are the only ones that import `sqlite3`; no sqlite3
exception leaves them (they become `StoreError`). The engine never reads the clock, so nothing here does
either (see `sqlite_schema.MIGRATIONS_TABLE`). The tables themselves are in `sqlite_schema`. This module
keeps the connection, the transactions, the migrations and the writes; opening the file is in
`sqlite_connect`, the reads and their checks in `sqlite_reads`, `verify` in `sqlite_verify`, the rows a
write adds in `sqlite_writes`, definitions in `sqlite_definitions`, backups and restores in
`sqlite_backup`, row conversions in `sqlite_rows`.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from datetime import date
from types import TracebackType
from typing import Self

from reviewflow.engine.errors import IntegrityError, StoreError
from reviewflow.engine.events import Event
from reviewflow.engine.store import sqlite_definitions, sqlite_reads, sqlite_verify
from reviewflow.engine.store.chain import GENESIS_HASH, chain_rows, check_chain
from reviewflow.engine.store.errors import CaseExistsError, ConcurrencyError
from reviewflow.engine.store.ledger import EMPTY_HEAD
from reviewflow.engine.store.sqlite_backup import copy_store_file, put_store_file, write_backup
from reviewflow.engine.store.sqlite_connect import OPEN_FILES, connect, foreign
from reviewflow.engine.store.sqlite_files import is_memory, os_user, restrict_sidecars, translate_error
from reviewflow.engine.store.sqlite_reads import unknown_case
from reviewflow.engine.store.sqlite_rows import case_row, event_payload, iso
from reviewflow.engine.store.sqlite_schema import (
    APPLICATION_ID,
    CASE_COLUMNS,
    LEDGER_MIGRATION,
    MIGRATIONS,
    MIGRATIONS_TABLE,
    SCHEMA_VERSION,
)
from reviewflow.engine.store.sqlite_writes import add_ledger_entry, case_in, insert_events, replace_deadlines
from reviewflow.engine.store.types import (
    CaseRow,
    ChainProblem,
    DeadlineRow,
    DefinitionRow,
    LedgerHead,
    Membership,
    StoredEvent,
    StoreInfo,
    check_deadline_rows,
)
from reviewflow.engine.store.verifying import CaseExaminer

__all__ = ["SQLiteStore", "copy_store_file", "put_store_file"]

# bench/store.py measures a bare connection with the store's own settings under this name.
_connect = connect


class SQLiteStore:
    """The `Store` in one SQLite file (":memory:" for tests); the contract of each method is in `Store`."""

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout_ms: int = 10_000,
                 principal: str | None = None, create: bool = True) -> None:
        self.path = os.fspath(path)
        self.busy_timeout_ms = busy_timeout_ms
        self.principal = principal or os_user()
        self.applied_migrations: list[int] = []
        self.notices: list[str] = []  # what the caller should tell the user (a permission tightened)
        self._real = "" if is_memory(self.path) else os.path.realpath(self.path)
        self._conn: sqlite3.Connection | None = connect(self.path, busy_timeout_ms, create)
        if self._real:
            OPEN_FILES[self._real] = OPEN_FILES.get(self._real, 0) + 1
        try:
            if self._real:
                self._make_private()
            self._migrate()
        except BaseException:
            self.close()
            raise
        if self._real:
            restrict_sidecars(self.path)

    def _make_private(self) -> None:
        """An existing store that group or others may read is made private (0600), or refused."""
        mode = os.stat(self.path).st_mode & 0o777
        if not mode & 0o077:
            return
        try:
            os.chmod(self.path, mode & 0o700)
        except OSError as exc:
            raise StoreError(f"the store at {self.path} is readable by other users ({mode:04o}) and cannot be "
                             f"made private: {exc.strerror}; nothing was written to it",
                             hint=f"its owner runs: chmod 600 {self.path}") from exc
        self.notices.append(f"the store at {self.path} was readable by other users ({mode:04o}); it is now "
                            f"{mode & 0o700:04o}")

    # ----------------------------------------------------------------- lifecycle and transactions

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
            if self._real:
                left = OPEN_FILES.get(self._real, 1) - 1
                if left:
                    OPEN_FILES[self._real] = left
                else:
                    OPEN_FILES.pop(self._real, None)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _live(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"the store at {self.path} is closed", hint="open the store again")
        return self._conn

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[sqlite3.Connection]:
        conn = self._live()
        if begin == "BEGIN" and conn.in_transaction:
            yield conn  # a read while a stream (`iter_due`, `iter_cases`) is being consumed: its snapshot
            return
        try:
            conn.execute(begin)
        except sqlite3.Error as exc:
            raise translate_error(exc, self.path, self.busy_timeout_ms) from exc
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                # The original error is the one worth reporting; SQLite rolls back on close anyway.
                with suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise translate_error(exc, self.path, self.busy_timeout_ms) from exc
            raise

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        # IMMEDIATE takes the write lock up front (waiting up to busy_timeout), so two writers never
        # both read last_seq and then race; a deferred transaction could fail mid-way instead.
        return self._transaction("BEGIN IMMEDIATE")

    def _read(self) -> AbstractContextManager[sqlite3.Connection]:
        # A read transaction gives every multi-statement read one consistent WAL snapshot.
        return self._transaction("BEGIN")

    def _schema_version(self, conn: sqlite3.Connection) -> int:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if app_id not in (0, APPLICATION_ID) or (tables and "schema_migrations" not in tables):
            raise foreign(self.path)
        if "schema_migrations" not in tables:
            return 0
        return int(conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()[0])

    def _migrate(self) -> None:
        with self._read() as conn:
            version = self._schema_version(conn)
        if version == SCHEMA_VERSION:
            return
        with self._write() as conn:
            version = self._schema_version(conn)  # again under the lock: another process may have won
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"the store at {self.path} has schema version {version}, newer than this reviewflow "
                    f"understands ({SCHEMA_VERSION})",
                    hint="upgrade reviewflow; never open a store with an older version")
            if version == 0:
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.execute(MIGRATIONS_TABLE)
            for number, name, statements in MIGRATIONS:
                if number > version:
                    for statement in statements:
                        conn.execute(statement)
                    if number == LEDGER_MIGRATION:
                        self._backfill_ledger(conn)
                    conn.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", (number, name))
                    self.applied_migrations.append(number)

    def _backfill_ledger(self, conn: sqlite3.Connection) -> None:
        """Give every case already stored its ledger entry, in the order the cases were last written.

        One entry per case, for its head and its rows as they stand at migration (docs/integrity.md):
        the order is that of the row id of each case's last event, so two copies of a store migrate to
        the same ledger. A case whose last event is missing gets the genesis hash, which `verify` names.
        """
        cases = conn.execute(
            f"SELECT {CASE_COLUMNS} FROM cases c ORDER BY (SELECT e.id FROM events e WHERE e.case_ref = c.ref "
            "AND e.seq = c.last_seq), ref").fetchall()
        for found in cases:
            row = case_row(found)
            event = conn.execute("SELECT hash FROM events WHERE case_ref = ? AND seq = ?",
                                 (row.ref, row.last_seq)).fetchone()
            self._add_ledger_entry(conn, row, GENESIS_HASH if event is None else str(event[0]))

    def info(self) -> StoreInfo:
        with self._read() as conn:
            version = self._schema_version(conn)
        return StoreInfo("sqlite", self.path, version, SCHEMA_VERSION, self.principal,
                         tuple(self.applied_migrations))

    # ---------------------------------------------------------------------------------- definitions

    def save_definition(self, definition_hash: str, process_id: str, version: str,
                        bundle: Mapping[str, str]) -> None:
        """Store a definition's exact texts under the loader's hash; saving the same one again is a no-op."""
        files = dict(bundle)
        with self._write() as conn:
            sqlite_definitions.save(conn, definition_hash, process_id, version, files)

    def definition(self, definition_hash: str) -> DefinitionRow:
        with self._read() as conn:
            return sqlite_definitions.load(conn, definition_hash)

    def definition_hashes(self) -> list[str]:
        return [str(r[0]) for r in self._query("SELECT definition_hash FROM definitions ORDER BY definition_hash")]

    def latest_definition_hash(self, process_id: str) -> str | None:
        """The most recently saved definition of a process, or None."""
        row = self._query("SELECT definition_hash FROM definitions WHERE process_id = ? "
                               "ORDER BY id DESC LIMIT 1", (process_id,))
        return None if not row else str(row[0][0])

    def _query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        with self._read() as conn:
            return [tuple(r) for r in conn.execute(sql, params)]

    # ------------------------------------------------------------------------------------- writes

    def open_case(self, ref: str, process_id: str, definition_hash: str, pseudonym: str | None,
                  first: Event, *, stage: str | None, closed: bool = False,
                  deadlines: Sequence[DeadlineRow] = (), partnership: str | None = None,
                  projected_on: date | None = None) -> StoredEvent:
        """Create the case with its first event (seq 1), its deadline rows and its ledger entry, in one
        transaction."""
        payload = event_payload(first)
        check_deadline_rows(ref, deadlines)
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM cases WHERE ref = ?", (ref,)).fetchone() is not None:
                raise CaseExistsError(f'case "{ref}" already exists',
                                      hint="case references are unique: choose another reference")
            sqlite_definitions.check(conn, definition_hash, process_id)
            conn.execute(f"INSERT INTO cases ({CASE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
                         (ref, process_id, definition_hash, pseudonym, first.at.isoformat(), stage,
                          int(closed), partnership, iso(projected_on)))
            stored = insert_events(conn, ref, [payload], 0, GENESIS_HASH, self.principal)
            replace_deadlines(conn, ref, deadlines)
            self._add_ledger_entry(conn, self._case_in(conn, ref), stored[-1].hash, deadlines)
        return stored[0]

    def append(self, ref: str, events: Sequence[Event], *, expected_last_seq: int, stage: str | None,
               closed: bool, deadlines: Sequence[DeadlineRow], projected_on: date | None = None) -> list[StoredEvent]:
        """Add events after `expected_last_seq` and replace the case's state and deadline rows, atomically."""
        if not events:
            raise ValueError("append needs at least one event: state never changes without a record")
        payloads = [event_payload(event) for event in events]
        check_deadline_rows(ref, deadlines)
        with self._write() as conn:
            row = conn.execute("SELECT last_seq FROM cases WHERE ref = ?", (ref,)).fetchone()
            if row is None:
                raise unknown_case(conn, ref)
            last_seq = int(row[0])
            if last_seq != expected_last_seq:
                raise ConcurrencyError(
                    f'case "{ref}" changed while this command ran (expected last seq {expected_last_seq}, '
                    f"found {last_seq})", hint="re-read the case and try the command again")
            prev = conn.execute("SELECT hash FROM events WHERE case_ref = ? AND seq = ?",
                                (ref, last_seq)).fetchone()
            if prev is None:
                raise IntegrityError(f'case "{ref}" says its last event is seq {last_seq}, which is missing',
                                     hint="run `verify`; restore the store from a backup")
            stored = insert_events(conn, ref, payloads, last_seq, str(prev[0]), self.principal)
            conn.execute("UPDATE cases SET stage = ?, closed = ?, last_seq = ?, projected_on = ? WHERE ref = ?",
                         (stage, int(closed), stored[-1].event.seq, iso(projected_on), ref))
            replace_deadlines(conn, ref, deadlines)
            self._add_ledger_entry(conn, self._case_in(conn, ref), stored[-1].hash, deadlines)
        return stored

    # Methods as well as functions: bench/store.py calls both on a store, and its store without a ledger
    # replaces `_add_ledger_entry`, which is why every write calls it through `self`.
    _case_in = staticmethod(case_in)
    _add_ledger_entry = staticmethod(add_ledger_entry)

    def import_case(self, case: CaseRow, events: Sequence[StoredEvent],
                    deadlines: Sequence[DeadlineRow] = ()) -> None:
        """Store a case exactly as another store holds it (hashes and recorded_by kept), after verifying it."""
        rows = chain_rows(events)
        check_deadline_rows(case.ref, deadlines)
        problems = check_chain(case.ref, rows, case.last_seq)
        if problems:
            raise IntegrityError(f"case {case.ref} does not verify, so it was not imported: {problems[0]}",
                                 hint="export it again from a store where `reviewflow case verify` passes")
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM cases WHERE ref = ?", (case.ref,)).fetchone() is not None:
                raise CaseExistsError(f'case "{case.ref}" already exists in this store',
                                      hint="import into a store that does not hold these cases yet")
            sqlite_definitions.check(conn, case.definition_hash, case.process_id)
            conn.execute(f"INSERT INTO cases ({CASE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (case.ref, case.process_id, case.definition_hash, case.pseudonym,
                          case.opened_at.isoformat(), case.stage, int(case.closed), case.last_seq,
                          case.partnership, iso(case.projected_on)))
            conn.executemany("INSERT INTO events (case_ref, seq, payload, prev_hash, hash, recorded_by) "
                             "VALUES (?, ?, ?, ?, ?, ?)", [(case.ref, *row) for row in rows])
            replace_deadlines(conn, case.ref, deadlines)
            self._add_ledger_entry(conn, self._case_in(conn, case.ref), rows[-1][3], deadlines)

    # -------------------------------------------------------------------------------------- reads

    def case(self, ref: str, *, check: bool = True) -> CaseRow:
        return sqlite_reads.case(self._read(), ref, check)

    def events(self, ref: str, *, check: bool = True) -> list[StoredEvent]:
        """Every event of a case in seq order; raises IntegrityError if the chain does not verify.

        Checking here costs one sha256 per event and means no command ever acts on a tampered record;
        `check=False` is for forensics only (showing a record that `verify` has already flagged).
        """
        return sqlite_reads.events(self._read(), ref, check)

    def cases(self, process_id: str | None = None, open_only: bool = False, *, check: bool = True) -> list[CaseRow]:
        return list(self.iter_cases(process_id, open_only, check=check))

    def iter_cases(self, process_id: str | None = None, open_only: bool = False, *,
                   check: bool = True) -> Iterator[CaseRow]:
        """`cases`, one row at a time from the primary-key order, in one read snapshot; each batch is
        checked against its cases' last ledger entries before it is handed out."""
        return sqlite_reads.iter_cases(self._read(), process_id, open_only, check)

    def due(self, as_of: date, within_days: int | None = None, owner: str | None = None, *,
            check: bool = True) -> list[DeadlineRow]:
        """Open deadline rows, from the projection only, sorted by due date (undated rows last).

        With `within_days`, only rows due on or before ``as_of + within_days`` calendar days (overdue
        ones included); without it, every open row. The cases of the rows listed are checked against
        their last ledger entries (every row of those cases, listed or not).
        """
        return [row for row, _ in self.iter_due(as_of, within_days, owner, check=check)]

    def iter_due(self, as_of: date, within_days: int | None = None, owner: str | None = None, *,
                 check: bool = True) -> Iterator[tuple[DeadlineRow, str | None]]:
        """`due`, one row at a time in the index's order, each with its case's definition hash, in one read
        snapshot (reads made while it is being consumed share that snapshot). The cases of the rows are
        checked against their last ledger entries, a batch at a time, before their rows are handed out."""
        return sqlite_reads.iter_due(self._read(), as_of, within_days, owner, check)

    def verify(self, ref: str | None = None, examine: CaseExaminer | None = None) -> list[ChainProblem]:
        """Recompute every hash from the stored payloads, and the ledger; an empty list means intact."""
        return sqlite_verify.verify(self._read(), ref, examine)

    def backup(self, target: str) -> None:
        """Copy the store, as it is at one moment, into the new private file `target` (SQLite's online
        backup API: other processes may go on writing)."""
        write_backup(self._live(), target, self.path)

    def integrity_check(self) -> list[str]:
        """SQLite's full check of the file (every page, index and constraint); [] when it is sound."""
        return self.begin_integrity_check()()

    def begin_integrity_check(self) -> Callable[[], list[str]]:
        """`integrity_check`, run beside what this store reads next (its own connection and thread)."""
        return sqlite_verify.begin_integrity_check(self._read(), self.path, self.busy_timeout_ms)

    def ledger_head(self) -> LedgerHead:
        with self._read() as conn:
            last = conn.execute("SELECT position, hash FROM ledger ORDER BY position DESC LIMIT 1").fetchone()
        return EMPTY_HEAD if last is None else LedgerHead(int(last[0]), str(last[1]))

    def ledger_hash_at(self, position: int) -> str | None:
        with self._read() as conn:
            row = conn.execute("SELECT hash FROM ledger WHERE position = ?", (position,)).fetchone()
        return None if row is None else str(row[0])

    def ledger_visible(self) -> bool:
        return True

    # ------------------------------------------------------------------------------ memberships

    def _no_memberships(self) -> StoreError:
        return StoreError("an SQLite store has no memberships: anyone who can write the file may act as "
                          "any role, and --by is advisory",
                          hint="use a PostgreSQL store (--db postgresql://…) for a team whose roles the "
                               "database enforces; see docs/deployment.md")

    def grant(self, login: str, role: str, partnership: str) -> bool:
        raise self._no_memberships()

    def revoke(self, login: str, role: str, partnership: str) -> bool:
        raise self._no_memberships()

    def members(self, partnership: str | None = None) -> list[Membership]:
        raise self._no_memberships()
