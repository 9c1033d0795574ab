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

This is the only module that imports `sqlite3`; no sqlite3 exception leaves it (they become
`StoreError`). The engine never reads the clock, so nothing here does either (see
`sqlite_schema.MIGRATIONS_TABLE`). The tables themselves are in `sqlite_schema`.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from datetime import date, timedelta
from itertools import groupby, islice
from operator import itemgetter
from types import TracebackType
from typing import Any, Self

from reviewflow.engine.errors import IntegrityError, NotFoundError, StoreError, did_you_mean
from reviewflow.engine.events import Event
from reviewflow.engine.store.chain import (
    GENESIS_HASH,
    canonical_json,
    chain_hash,
    chain_rows,
    check_chain,
)
from reviewflow.engine.store.errors import CaseExistsError, ConcurrencyError
from reviewflow.engine.store.ledger import (
    EMPTY_HEAD,
    check_case_ledger,
    check_head,
    check_ledger_links,
    next_entry,
    read_problem,
)
from reviewflow.engine.store.readchain import read_events, verify_rows
from reviewflow.engine.store.sqlite_files import (
    create_new_private,
    create_private,
    in_use_elsewhere,
    is_memory,
    move_into_place,
    os_user,
    read_header,
    remove_store_files,
    restrict_sidecars,
    translate_error,
    wal_problem,
)
from reviewflow.engine.store.sqlite_schema import (
    APPLICATION_ID,
    CASE_COLUMNS,
    DEADLINE_COLUMNS,
    EVENT_COLUMNS,
    LEDGER_COLUMNS,
    LEDGER_MIGRATION,
    MIGRATIONS,
    MIGRATIONS_TABLE,
    SCHEMA_VERSION,
)
from reviewflow.engine.store.types import (
    CaseRow,
    ChainProblem,
    DeadlineRow,
    DefinitionRow,
    LedgerEntry,
    LedgerHead,
    Membership,
    StoredEvent,
    StoreInfo,
    check_deadline_rows,
)

__all__ = ["SQLiteStore", "copy_store_file", "put_store_file"]


# How many connections this process holds to each store file (by real path): Python must not open and
# close a file this process has an SQLite connection to (that would drop SQLite's POSIX locks), so the
# files are inspected only by the first connection.
_OPEN_FILES: dict[str, int] = {}
# A store up to this size gets SQLite's quick_check on every open (a few milliseconds); a larger one only
# in `verify` (the full integrity_check).
QUICK_CHECK_MAX_BYTES = 64 * 1024 * 1024
_RESTORE = "restore it from a backup: reviewflow db restore BACKUP --db {path} (docs/integrity.md)"


def _foreign(path: str) -> StoreError:
    return StoreError(f"{path} is an SQLite database but not a reviewflow store; nothing was written to it",
                      hint="point reviewflow at its own store file, or at a new path to create one")


def _inspect(path: str, create: bool) -> tuple[str, int]:
    """What the file is before SQLite touches it: refuse a foreign database, an empty file for a command
    that only reads, a damaged header, a file cut short, a damaged or missing WAL."""
    if _OPEN_FILES.get(os.path.realpath(path), 0):
        return "sqlite", APPLICATION_ID  # this process opened it already, and checked it then
    kind, app_id = read_header(path)
    if kind == "empty" and not create:
        raise StoreError(f"{path} is an empty file, not a reviewflow store; nothing was written to it",
                         hint="pass --db PATH|URL of a store; `reviewflow case open` creates a new store")
    if kind == "sqlite" and app_id not in (0, APPLICATION_ID):
        raise _foreign(path)
    if kind == "sqlite" and in_use_elsewhere(path) is False:
        problem = wal_problem(path)
        if problem is not None:
            raise StoreError(f"the store at {path} has lost data: {problem}",
                             hint=_RESTORE.format(path=path) + "; keep the damaged file with its -wal and -shm "
                                  "for investigation")
    return kind, app_id


def _connect(path: str, busy_timeout_ms: int, create: bool = True) -> sqlite3.Connection:
    """A connection with the store's durability settings (also used by bench/store.py), made only after
    the file was found to be a store, a new or empty file (`create`), or nothing yet."""
    memory = is_memory(path)
    kind, app_id = ("memory", APPLICATION_ID) if memory else _inspect(path, create)
    if kind == "missing":
        create_private(path)
    try:
        # isolation_level=None: the sqlite3 module must not open transactions behind our back;
        # every write below says BEGIN IMMEDIATE itself.
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
                raise _foreign(path)
            if not names and not create:
                raise StoreError(f"{path} is an empty SQLite database, not a reviewflow store; nothing was "
                                 "written to it", hint="pass --db PATH|URL of a store; `reviewflow case open` "
                                                       "creates a new store")
        if kind == "sqlite" and os.path.getsize(path) <= QUICK_CHECK_MAX_BYTES:
            found = [str(r[0]) for r in conn.execute("PRAGMA quick_check")]
            if found != ["ok"]:
                raise StoreError(f"the store at {path} is damaged: {'; '.join(found[:3])}",
                                 hint=_RESTORE.format(path=path))
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if not memory and str(mode).lower() != "wal":
            raise StoreError(f"the store at {path} cannot use WAL journal mode (got {mode!r})",
                             hint="keep the store on a local file system, not a network share")
        # WAL + synchronous=FULL: the WAL is fsynced at every commit, so an acknowledged append survives
        # SIGKILL *and* power loss. NORMAL would survive a process crash but could lose the last
        # commits on power loss; for statutory evidence one fsync per append is worth it.
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as exc:
        conn.close()
        raise translate_error(exc, path, busy_timeout_ms) from exc
    except BaseException:
        conn.close()
        raise
    return conn


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _case_row(row: tuple[Any, ...]) -> CaseRow:
    ref, process_id, definition_hash, pseudonym, opened_at, stage, closed, last_seq, partnership, projected = row
    return CaseRow(ref, process_id, definition_hash, pseudonym, date.fromisoformat(opened_at), stage,
                   bool(closed), last_seq, partnership, _date(projected))


def _ledger_entry(row: tuple[Any, ...]) -> LedgerEntry:
    position, case_ref, seq, event_hash, state, prev_hash, digest = row
    return LedgerEntry(int(position), str(case_ref), int(seq), str(event_hash), str(state), str(prev_hash),
                       str(digest))


_BATCH = 1_000  # rows handed out per integrity check while streaming `cases` and `due`


def _chunks(values: Sequence[str], size: int = 500) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _deadline_row(row: tuple[Any, ...]) -> DeadlineRow:
    ref, did, title, due, start, weight, status, owner, escalate_to, citation = row
    return DeadlineRow(ref, did, title, _date(due), _date(start), weight, status, owner, escalate_to, citation)


def _with_hash(rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[DeadlineRow, str | None]]:
    """Deadline rows joined with their case's definition hash; a date text is parsed once per query."""
    dates: dict[str | None, date | None] = {None: None}
    for ref, did, title, due, start, weight, status, owner, escalate_to, citation, definition_hash in rows:
        due_date = dates[due] if due in dates else dates.setdefault(due, date.fromisoformat(due))
        start_date = dates[start] if start in dates else dates.setdefault(start, date.fromisoformat(start))
        yield (DeadlineRow(ref, did, title, due_date, start_date, weight, status, owner, escalate_to, citation),
               definition_hash)


def _payload(event: Event) -> str:
    return canonical_json(event.to_json_dict())


def _backup(source: sqlite3.Connection, target: str, where: str) -> None:
    create_new_private(target)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)  # page by page, one consistent snapshot, while others may keep writing
        finally:
            copy.close()
    except sqlite3.Error as exc:
        remove_store_files(target)
        raise translate_error(exc, where, 0) from exc
    except BaseException:
        remove_store_files(target)
        raise


def copy_store_file(source: str, target: str) -> None:
    """Copy the store file `source` (a backup) into the new file `target` with SQLite's backup API,
    reading `source` without changing it (no -wal or -shm is made beside it)."""
    kind, app_id = read_header(source)
    if kind != "sqlite" or app_id != APPLICATION_ID:
        raise StoreError(f"{source} is not a reviewflow store" + (" (it is empty)" if kind == "empty" else ""),
                         hint="restore from a file written by `reviewflow db backup`")
    from urllib.parse import quote

    try:
        reader = sqlite3.connect(f"file:{quote(os.path.abspath(source))}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error as exc:
        raise translate_error(exc, source, 0) from exc
    try:
        _backup(reader, target, source)
    finally:
        reader.close()


def put_store_file(new: str, target: str) -> str | None:
    """Replace the store file `target` by `new` atomically (a rename), keeping the old one aside; refused
    while any process, this one included, has `target` open. Returns where the old file went."""
    if _OPEN_FILES.get(os.path.realpath(target), 0):
        raise StoreError(f"the store at {target} is open; nothing was replaced", hint="close it first")
    return move_into_place(new, target)


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
        self._conn: sqlite3.Connection | None = _connect(self.path, busy_timeout_ms, create)
        if self._real:
            _OPEN_FILES[self._real] = _OPEN_FILES.get(self._real, 0) + 1
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
                left = _OPEN_FILES.get(self._real, 1) - 1
                if left:
                    _OPEN_FILES[self._real] = left
                else:
                    _OPEN_FILES.pop(self._real, None)

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
            raise _foreign(self.path)
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
            row = _case_row(found)
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
            row = conn.execute("SELECT process_id, version FROM definitions WHERE definition_hash = ?",
                               (definition_hash,)).fetchone()
            if row is not None:
                if tuple(row) != (process_id, version) or self._bundle(conn, definition_hash) != files:
                    raise IntegrityError(
                        f"definition {definition_hash} is already stored with different content",
                        hint="a definition hash names exactly one set of texts; recompute it from the files")
                return
            conn.execute("INSERT INTO definitions (definition_hash, process_id, version) VALUES (?, ?, ?)",
                         (definition_hash, process_id, version))
            conn.executemany("INSERT INTO definition_files (definition_hash, name, content) VALUES (?, ?, ?)",
                             [(definition_hash, name, text) for name, text in sorted(files.items())])

    @staticmethod
    def _bundle(conn: sqlite3.Connection, definition_hash: str) -> dict[str, str]:
        rows = conn.execute("SELECT name, content FROM definition_files WHERE definition_hash = ? "
                            "ORDER BY name", (definition_hash,))
        return {str(name): str(content) for name, content in rows}

    def definition(self, definition_hash: str) -> DefinitionRow:
        with self._read() as conn:
            row = conn.execute("SELECT process_id, version FROM definitions WHERE definition_hash = ?",
                               (definition_hash,)).fetchone()
            if row is None:
                # Hashes are typed abbreviated, not misspelt: suggest by prefix rather than by similarity.
                known = [str(r[0]) for r in conn.execute(
                    "SELECT definition_hash FROM definitions WHERE substr(definition_hash, 1, ?) = ?",
                    (len(definition_hash), definition_hash))] if definition_hash else []
                raise NotFoundError(f"no stored definition has hash {definition_hash}",
                                    hint=f'did you mean "{known[0]}"?' if len(known) == 1 else
                                    "definitions are stored when a case is opened with them")
            return DefinitionRow(definition_hash, row[0], row[1], self._bundle(conn, definition_hash))

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
        payload = _payload(first)
        check_deadline_rows(ref, deadlines)
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM cases WHERE ref = ?", (ref,)).fetchone() is not None:
                raise CaseExistsError(f'case "{ref}" already exists',
                                      hint="case references are unique: choose another reference")
            self._check_definition(conn, definition_hash, process_id)
            conn.execute(f"INSERT INTO cases ({CASE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
                         (ref, process_id, definition_hash, pseudonym, first.at.isoformat(), stage,
                          int(closed), partnership, _iso(projected_on)))
            stored = self._insert_events(conn, ref, [payload], 0, GENESIS_HASH, self.principal)
            self._replace_deadlines(conn, ref, deadlines)
            self._add_ledger_entry(conn, self._case_in(conn, ref), stored[-1].hash, deadlines)
        return stored[0]

    def append(self, ref: str, events: Sequence[Event], *, expected_last_seq: int, stage: str | None,
               closed: bool, deadlines: Sequence[DeadlineRow], projected_on: date | None = None) -> list[StoredEvent]:
        """Add events after `expected_last_seq` and replace the case's state and deadline rows, atomically."""
        if not events:
            raise ValueError("append needs at least one event: state never changes without a record")
        payloads = [_payload(event) for event in events]
        check_deadline_rows(ref, deadlines)
        with self._write() as conn:
            row = conn.execute("SELECT last_seq FROM cases WHERE ref = ?", (ref,)).fetchone()
            if row is None:
                raise self._unknown_case(conn, ref)
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
            stored = self._insert_events(conn, ref, payloads, last_seq, str(prev[0]), self.principal)
            conn.execute("UPDATE cases SET stage = ?, closed = ?, last_seq = ?, projected_on = ? WHERE ref = ?",
                         (stage, int(closed), stored[-1].event.seq, _iso(projected_on), ref))
            self._replace_deadlines(conn, ref, deadlines)
            self._add_ledger_entry(conn, self._case_in(conn, ref), stored[-1].hash, deadlines)
        return stored

    @staticmethod
    def _case_in(conn: sqlite3.Connection, ref: str) -> CaseRow:
        return _case_row(conn.execute(f"SELECT {CASE_COLUMNS} FROM cases WHERE ref = ?", (ref,)).fetchone())

    @staticmethod
    def _add_ledger_entry(conn: sqlite3.Connection, row: CaseRow, event_hash: str,
                          deadlines: Sequence[DeadlineRow] | None = None) -> LedgerEntry:
        """Chain one entry for `row` (as it stands after the write) onto the ledger: the caller holds the
        write lock, so the head read here is the head the entry follows."""
        if deadlines is None:
            deadlines = SQLiteStore._deadlines_in(conn, row.ref)
        last = conn.execute("SELECT position, hash FROM ledger ORDER BY position DESC LIMIT 1").fetchone()
        head = EMPTY_HEAD if last is None else LedgerHead(int(last[0]), str(last[1]))
        entry = next_entry(head, row, event_hash, sorted(deadlines, key=lambda d: d.deadline_id))
        conn.execute(f"INSERT INTO ledger ({LEDGER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (entry.position, entry.case_ref, entry.seq, entry.event_hash, entry.state, entry.prev_hash,
                      entry.hash))
        return entry

    @staticmethod
    def _insert_events(conn: sqlite3.Connection, ref: str, payloads: Sequence[str], last_seq: int,
                       prev: str, recorded_by: str) -> list[StoredEvent]:
        rows: list[tuple[str, int, str, str, str, str]] = []
        stored: list[StoredEvent] = []
        for seq, payload in enumerate(payloads, start=last_seq + 1):
            # Hash and return what was stored (the parsed canonical text), so that what the caller
            # gets back is exactly what `events` and `verify` will later read.
            parsed = json.loads(payload)
            digest = chain_hash(prev, ref, seq, parsed, recorded_by)
            rows.append((ref, seq, payload, prev, digest, recorded_by))
            stored.append(StoredEvent(Event.from_json_dict(parsed, seq=seq), digest, prev, recorded_by))
            prev = digest
        conn.executemany("INSERT INTO events (case_ref, seq, payload, prev_hash, hash, recorded_by) "
                         "VALUES (?, ?, ?, ?, ?, ?)", rows)
        return stored

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
            self._check_definition(conn, case.definition_hash, case.process_id)
            conn.execute(f"INSERT INTO cases ({CASE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (case.ref, case.process_id, case.definition_hash, case.pseudonym,
                          case.opened_at.isoformat(), case.stage, int(case.closed), case.last_seq,
                          case.partnership, _iso(case.projected_on)))
            conn.executemany("INSERT INTO events (case_ref, seq, payload, prev_hash, hash, recorded_by) "
                             "VALUES (?, ?, ?, ?, ?, ?)", [(case.ref, *row) for row in rows])
            self._replace_deadlines(conn, case.ref, deadlines)
            self._add_ledger_entry(conn, self._case_in(conn, case.ref), rows[-1][3], deadlines)

    @staticmethod
    def _check_definition(conn: sqlite3.Connection, definition_hash: str, process_id: str) -> None:
        row = conn.execute("SELECT process_id FROM definitions WHERE definition_hash = ?",
                           (definition_hash,)).fetchone()
        if row is None:
            raise NotFoundError(f"definition {definition_hash} is not stored",
                                hint="save the definition before opening a case with it")
        if row[0] != process_id:
            raise IntegrityError(f"definition {definition_hash} belongs to process {row[0]!r}, "
                                 f"not {process_id!r}", hint="open the case with its own process")

    @staticmethod
    def _replace_deadlines(conn: sqlite3.Connection, ref: str, deadlines: Sequence[DeadlineRow]) -> None:
        conn.execute("DELETE FROM open_deadlines WHERE case_ref = ?", (ref,))
        conn.executemany(
            f"INSERT INTO open_deadlines ({DEADLINE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(d.case_ref, d.deadline_id, d.title, _iso(d.due), _iso(d.window_start), d.weight, d.status,
              d.owner, d.escalate_to, d.citation) for d in deadlines])

    # -------------------------------------------------------------------------------------- reads

    @staticmethod
    def _unknown_case(conn: sqlite3.Connection, ref: str) -> NotFoundError:
        refs = [str(r[0]) for r in conn.execute("SELECT ref FROM cases")]
        return NotFoundError(f'unknown case "{ref}"', hint=did_you_mean(ref, refs))

    def case(self, ref: str, *, check: bool = True) -> CaseRow:
        with self._read() as conn:
            row = conn.execute(f"SELECT {CASE_COLUMNS} FROM cases WHERE ref = ?", (ref,)).fetchone()
            if row is None:
                raise self._unknown_case(conn, ref)
            case = _case_row(row)
            if check:
                self._check_states(conn, [case])
            return case

    @staticmethod
    def _deadlines_in(conn: sqlite3.Connection, ref: str) -> list[DeadlineRow]:
        return [_deadline_row(r) for r in conn.execute(
            f"SELECT {DEADLINE_COLUMNS} FROM open_deadlines WHERE case_ref = ? ORDER BY deadline_id", (ref,))]

    @staticmethod
    def _last_entries(conn: sqlite3.Connection, refs: Sequence[str] | None) -> dict[str, LedgerEntry]:
        """Each case's last ledger entry: of the cases named, or of every case (None)."""
        sql = (f"SELECT {LEDGER_COLUMNS} FROM ledger WHERE position IN "
               "(SELECT MAX(position) FROM ledger {where} GROUP BY case_ref)")
        if refs is None:
            rows = conn.execute(sql.format(where="")).fetchall()
        else:
            rows = [r for chunk in _chunks(refs) for r in conn.execute(
                sql.format(where=f"WHERE case_ref IN ({', '.join('?' * len(chunk))})"), chunk)]
        return {str(r[1]): _ledger_entry(r) for r in rows}

    @staticmethod
    def _deadlines_of(conn: sqlite3.Connection, refs: Sequence[str] | None) -> dict[str, list[DeadlineRow]]:
        sql = f"SELECT {DEADLINE_COLUMNS} FROM open_deadlines {{where}} ORDER BY case_ref, deadline_id"
        if refs is None:
            rows = conn.execute(sql.format(where="")).fetchall()
        else:
            rows = [r for chunk in _chunks(refs) for r in conn.execute(
                sql.format(where=f"WHERE case_ref IN ({', '.join('?' * len(chunk))})"), chunk)]
        found: dict[str, list[DeadlineRow]] = {}
        for r in rows:
            found.setdefault(str(r[0]), []).append(_deadline_row(r))
        return found

    def _check_states(self, conn: sqlite3.Connection, cases: Sequence[CaseRow], everything: bool = False,
                      deadlines: dict[str, list[DeadlineRow]] | None = None) -> None:
        """Refuse to hand out case rows (and the deadline rows of those cases) that are not the ones their
        last ledger entry recorded: no command prints a projection edited behind the store's back.
        `deadlines`: every deadline row of these cases, when the caller has read them already."""
        if not cases:
            return
        refs = None if everything else [c.ref for c in cases]
        entries = self._last_entries(conn, refs)
        if deadlines is None:
            deadlines = self._deadlines_of(conn, refs)
        for case in cases:
            problem = read_problem(case, deadlines.get(case.ref, []), entries.get(case.ref))
            if problem is not None:
                raise IntegrityError(f"the stored state of case {case.ref} does not verify: {problem}",
                                     hint="run `reviewflow verify` for every problem; restore the store "
                                          "from a backup (`reviewflow db restore`)")

    def events(self, ref: str, *, check: bool = True) -> list[StoredEvent]:
        """Every event of a case in seq order; raises IntegrityError if the chain does not verify.

        Checking here costs one sha256 per event and means no command ever acts on a tampered record;
        `check=False` is for forensics only (showing a record that `verify` has already flagged).
        """
        with self._read() as conn:
            head = conn.execute("SELECT last_seq FROM cases WHERE ref = ?", (ref,)).fetchone()
            if head is None:
                raise self._unknown_case(conn, ref)
            rows = conn.execute(f"SELECT {EVENT_COLUMNS} FROM events WHERE case_ref = ? "
                                "ORDER BY seq", (ref,)).fetchall()
            entry = self._last_entries(conn, [ref]).get(ref) if check else None
        if check:  # decoded once, its chain checked in the same pass; then its head against the ledger
            events = read_events(ref, rows, int(head[0]))
            problems = check_head(ref, rows, entry)
            if problems:
                raise IntegrityError(f"the record of case {ref} does not verify: {problems[0]}",
                                     hint="run `reviewflow verify` for every problem; restore the store from a "
                                          "backup (`reviewflow db restore`)")
            return events
        try:
            return [StoredEvent(Event.from_json_dict(json.loads(payload), seq=seq), digest, prev, by)
                    for seq, payload, prev, digest, by in rows]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:  # only reachable with check=False
            raise IntegrityError(f"the record of case {ref} holds an unreadable event",
                                 hint="run `verify` to see which one") from exc

    def cases(self, process_id: str | None = None, open_only: bool = False, *, check: bool = True) -> list[CaseRow]:
        return list(self.iter_cases(process_id, open_only, check=check))

    def iter_cases(self, process_id: str | None = None, open_only: bool = False, *,
                   check: bool = True) -> Iterator[CaseRow]:
        """`cases`, one row at a time from the primary-key order, in one read snapshot; each batch is
        checked against its cases' last ledger entries before it is handed out."""
        where = ["1 = 1"]
        params: list[object] = []
        if process_id is not None:
            where.append("process_id = ?")
            params.append(process_id)
        if open_only:
            where.append("closed = 0")
        with self._read() as conn:
            cursor = conn.execute(f"SELECT {CASE_COLUMNS} FROM cases WHERE {' AND '.join(where)} ORDER BY ref",
                                  params)
            while batch := [_case_row(r) for r in cursor.fetchmany(_BATCH)]:
                if check:
                    self._check_states(conn, batch)
                yield from batch

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
        where: list[str] = []
        params: list[object] = []
        if owner is not None:
            where.append("d.owner = ?")
            params.append(owner)
        dated = ["d.due IS NOT NULL", *where]
        if within_days is not None:
            dated.append("d.due <= ?")
            params.append((as_of + timedelta(days=within_days)).isoformat())
        columns = ", ".join(f"d.{c.strip()}" for c in DEADLINE_COLUMNS.split(","))
        select = (f"SELECT {columns}, c.definition_hash FROM open_deadlines d "
                  "LEFT JOIN cases c ON c.ref = d.case_ref WHERE ")
        order = " ORDER BY d.due, d.case_ref, d.deadline_id"
        with self._read() as conn:
            # Two index-ordered scans instead of ORDER BY due NULLS LAST, which would need a sort.
            checked: set[str] = set()
            yield from self._checked_due(conn, _with_hash(conn.execute(select + " AND ".join(dated) + order, params)),
                                         check, checked)
            if within_days is None:
                undated = ["d.due IS NULL", *where]
                yield from self._checked_due(
                    conn, _with_hash(conn.execute(select + " AND ".join(undated) + order, params[:len(where)])),
                    check, checked)

    def _checked_due(self, conn: sqlite3.Connection, rows: Iterator[tuple[DeadlineRow, str | None]], check: bool,
                     checked: set[str]) -> Iterator[tuple[DeadlineRow, str | None]]:
        """`rows` in batches, the cases of each batch (those not `checked` yet) checked first: a deadline row
        whose case has no case row, or whose case's stored state is not the one its ledger recorded, is
        refused before it is printed."""
        while batch := list(islice(rows, _BATCH)):
            refs = sorted({row.case_ref for row, _ in batch} - checked) if check else []
            if refs:
                cases = [_case_row(r) for chunk in _chunks(refs) for r in conn.execute(
                    f"SELECT {CASE_COLUMNS} FROM cases WHERE ref IN ({', '.join('?' * len(chunk))})", chunk)]
                missing = sorted(set(refs) - {c.ref for c in cases})
                if missing:
                    raise IntegrityError(f"deadline rows are stored for case {missing[0]}, which has no case row",
                                         hint="run `reviewflow verify` for every problem; restore the store from "
                                              "a backup (`reviewflow db restore`)")
                self._check_states(conn, cases)
                checked.update(refs)
            yield from batch

    def verify(self, ref: str | None = None) -> list[ChainProblem]:
        """Recompute every hash from the stored payloads, and the ledger; an empty list means intact."""
        problems: list[ChainProblem] = []
        one = ref is not None
        with self._read() as conn:
            where, params = ("WHERE case_ref = ?", (ref,)) if one else ("", ())
            cases = {str(r[0]): _case_row(r) for r in conn.execute(
                f"SELECT {CASE_COLUMNS} FROM cases" + (" WHERE ref = ?" if one else ""), params)}
            deadlines = self._deadlines_of(conn, [ref] if one else None)  # type: ignore[list-item]
            entries: dict[str, list[LedgerEntry]] = {}
            for r in conn.execute(f"SELECT {LEDGER_COLUMNS} FROM ledger {where} ORDER BY case_ref, position",
                                  params):
                entries.setdefault(str(r[1]), []).append(_ledger_entry(r))
            if not one:
                link_problems, _ = check_ledger_links(_ledger_entry(r) for r in conn.execute(
                    f"SELECT {LEDGER_COLUMNS} FROM ledger ORDER BY position"))
                problems += link_problems
            rows = conn.execute(f"SELECT case_ref, {EVENT_COLUMNS} FROM events {where} ORDER BY case_ref, seq",
                                params)
            seen: set[str] = set()
            for case_ref, group in groupby(rows, key=itemgetter(0)):
                seen.add(case_ref)
                links = [r[1:] for r in group]
                row = cases.get(case_ref)
                if row is None:
                    problems.append(ChainProblem(case_ref, 0, "events are stored for a case with no case row"))
                problems.extend(verify_rows(case_ref, links, None if row is None else row.last_seq))
                problems.extend(check_case_ledger(case_ref, row, {int(r[0]): str(r[3]) for r in links},
                                                  deadlines.get(case_ref, []), entries.pop(case_ref, [])))
            if one and not seen and not cases and not entries:
                raise self._unknown_case(conn, ref)  # type: ignore[arg-type]
        for missing in sorted(set(cases) - seen):
            row = cases[missing]
            problems.append(ChainProblem(missing, row.last_seq, "the case row exists but no events are stored"))
            problems.extend(check_case_ledger(missing, row, {}, deadlines.get(missing, []), entries.pop(missing, [])))
        for gone in sorted(entries):
            problems.extend(check_case_ledger(gone, None, {}, [], entries[gone]))
        for orphan in sorted(set(deadlines) - set(cases)):
            problems.append(ChainProblem(orphan, 0, "deadline rows are stored for a case with no case row",
                                         "projection"))
        return sorted(problems, key=lambda p: (p.ref, p.seq))

    def backup(self, target: str) -> None:
        """Copy the store, as it is at one moment, into the new private file `target` (SQLite's online
        backup API: other processes may go on writing)."""
        _backup(self._live(), target, self.path)

    def integrity_check(self) -> list[str]:
        """SQLite's full check of the file (every page, index and constraint); [] when it is sound."""
        with self._read() as conn:
            found = [str(r[0]) for r in conn.execute("PRAGMA integrity_check")]
        return [] if found == ["ok"] else found

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
