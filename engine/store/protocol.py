"""`Store`: what the application needs from an event store, whichever database is behind it.

A store keeps three things: the exact texts of every definition a case was opened with (by content
hash), every case as an append-only list of events bound by the hash chain of
`reviewflow.engine.store.chain`, and the open-deadline projection (a cache of replay, so `due` never
replays). Every backend keeps the same promises:

- every write is one transaction: it changes everything it says or nothing, and once it returns the
  change is durable;
- events are never updated or deleted (a correction is a new event), and of two writers that append
  after the same `expected_last_seq`, at most one succeeds;
- no exception of the database library escapes: a failure of the backend itself (busy too long,
  unreadable, unreachable, disk full, closed, a schema newer than this code) is a `StoreError` with a
  hint;
- every write (open, append, import) adds one entry to the store-wide ledger
  (`reviewflow.engine.store.ledger`), which commits to the case's head and to the rows written with
  it, chained to every entry before it;
- reads refuse what does not verify: `events` checks the chain and the case's last ledger entry;
  `case`, `cases` and `due` check the case rows and deadline rows they return against the last
  ledger entry of each case (`IntegrityError` naming the case and the row);
- every event records who wrote it as far as the store can tell (`StoredEvent.recorded_by`: the
  database login on PostgreSQL, the OS user on SQLite), set by the store, never by the caller, and
  covered by the hash chain.

Who may act is the backend's to enforce, or not: PostgreSQL refuses an event whose role (`Event.by`)
the login was not granted in the case's partnership (`AccessRefusedError`) and shows a login only the
cases of its partnerships; SQLite cannot (anyone who can write the file can write anything), so there
`by` is advisory and the membership methods raise `StoreError`.

A store object belongs to one thread; processes share a store by each opening their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

from reviewflow.engine.events import Event
from reviewflow.engine.store.types import (
    CaseRow,
    ChainProblem,
    DeadlineRow,
    DefinitionRow,
    LedgerHead,
    Membership,
    StoredEvent,
    StoreInfo,
)
from reviewflow.engine.store.verifying import CaseExaminer


@runtime_checkable
class Store(Protocol):
    """An event store (see the module docstring for the promises every backend keeps).

    Every method may also raise `StoreError` when the backend itself fails; only what else it raises
    is listed below.
    """

    # ---------------------------------------------------------------------------------- definitions

    def save_definition(self, definition_hash: str, process_id: str, version: str,
                        bundle: Mapping[str, str]) -> None:
        """Store a definition's exact file texts ({file name: text}) under the loader's hash, atomically.

        Saving the same definition again is a no-op. Raises `IntegrityError` if the hash is already
        stored with another process id, version or texts (a hash names exactly one set of texts).
        """
        ...

    def definition(self, definition_hash: str) -> DefinitionRow:
        """The stored definition with its exact texts.

        Raises `NotFoundError` if no definition has that hash (the hint names the full hash when the
        argument is the prefix of exactly one).
        """
        ...

    def definition_hashes(self) -> list[str]:
        """The hash of every stored definition, sorted (for `verify`)."""
        ...

    def latest_definition_hash(self, process_id: str) -> str | None:
        """The hash of the process's most recently saved definition, or None if none was saved."""
        ...

    # --------------------------------------------------------------------------------------- writes

    def open_case(self, ref: str, process_id: str, definition_hash: str, pseudonym: str | None,
                  first: Event, *, stage: str | None, closed: bool = False,
                  deadlines: Sequence[DeadlineRow] = (), partnership: str | None = None,
                  projected_on: date | None = None) -> StoredEvent:
        """Create case `ref` with `first` as seq 1, its case row and its deadline rows, in one transaction.

        `partnership` scopes the case for good: who may see it and act in it (PostgreSQL requires it).
        Returns the first event as stored (its seq, hash and `GENESIS_HASH` as prev_hash). Raises
        `CaseExistsError` if `ref` is taken, `NotFoundError` if `definition_hash` was not saved,
        `IntegrityError` if it was saved for another process, `AccessRefusedError` if the login may not
        act as `first.by` in `partnership`; nothing is written in any of these cases. Raises
        `ValueError` (a caller's bug, before any write) if a deadline row is for another case or names a
        deadline twice.
        """
        ...

    def append(self, ref: str, events: Sequence[Event], *, expected_last_seq: int, stage: str | None,
               closed: bool, deadlines: Sequence[DeadlineRow], projected_on: date | None = None) -> list[StoredEvent]:
        """Add `events` after seq `expected_last_seq`, set the case's stage and closed flag, replace its
        deadline rows with `deadlines` (worked out as of `projected_on`), and add the write's ledger
        entry: all in one transaction, or nothing.

        Returns the events as stored, exactly as `events` will later read them back. Raises
        `ConcurrencyError` if the case's last seq is no longer `expected_last_seq` (another writer
        appended first: re-read the case, decide again, retry), `NotFoundError` for an unknown case (or
        one the login may not see), `IntegrityError` if the event the case row names as its last is
        missing, `AccessRefusedError` if the login may not act as an event's `by` role in the case's
        partnership; nothing is written in any of these cases. Raises `ValueError` (a caller's bug, before any write) if `events` is empty
        or a deadline row is for another case or names a deadline twice.
        """
        ...

    def import_case(self, case: CaseRow, events: Sequence[StoredEvent],
                    deadlines: Sequence[DeadlineRow] = ()) -> None:
        """Store a case exactly as another store holds it: its row, its events with their hashes and
        `recorded_by`, its deadline rows; in one transaction, after verifying its chain.

        For moving a store (`reviewflow db export` / `import`), not for recording: on PostgreSQL only an
        administrator may, and the database recomputes every hash itself. Raises `IntegrityError` if the
        chain does not verify, `CaseExistsError` if the ref is taken, `NotFoundError` if its definition
        was not saved first; nothing is written in any of these cases.
        """
        ...

    # ---------------------------------------------------------------------------------------- reads

    def case(self, ref: str, *, check: bool = True) -> CaseRow:
        """The case row. Raises `NotFoundError` for an unknown case (the hint suggests the nearest ref),
        and with `check` (the default) `IntegrityError` when the row or the case's deadline rows are not
        the ones its last ledger entry recorded (`check=False` is for `verify` and forensics)."""
        ...

    def events(self, ref: str, *, check: bool = True) -> list[StoredEvent]:
        """Every event of a case in seq order, read in one consistent snapshot.

        With `check` (the default) the hash chain is verified first, so no command acts on a tampered
        record: raises `IntegrityError` if it does not verify. `check=False` is for forensics only
        (showing a record `verify` has flagged); it still raises `IntegrityError` for an unreadable
        payload. Raises `NotFoundError` for an unknown case.
        """
        ...

    def cases(self, process_id: str | None = None, open_only: bool = False, *, check: bool = True) -> list[CaseRow]:
        """Case rows sorted by ref: all, or those of one process, or only those not closed; with `check`,
        each checked as `case` checks it."""
        ...

    def due(self, as_of: date, within_days: int | None = None, owner: str | None = None, *,
            check: bool = True) -> list[DeadlineRow]:
        """Open deadline rows from the projection only, sorted by due date then case and deadline id,
        undated rows last.

        With `within_days`, only rows due on or before ``as_of + within_days`` calendar days (overdue
        ones included, undated ones left out); with `owner`, only that role's rows. Statuses are as
        the last append wrote them: marking rows overdue whose date has since passed is the caller's.
        With `check`, the case of every row listed is checked as `case` checks it (all its rows, listed
        or not).
        """
        ...

    def iter_cases(self, process_id: str | None = None, open_only: bool = False, *,
                   check: bool = True) -> Iterator[CaseRow]:
        """`cases` one row at a time, in one read snapshot: a listing of any size in constant memory.
        With `check`, no row is handed out before its case's stored state is checked as `cases` checks it."""
        ...

    def iter_due(self, as_of: date, within_days: int | None = None, owner: str | None = None, *,
                 check: bool = True) -> Iterator[tuple[DeadlineRow, str | None]]:
        """`due` one row at a time, each with the definition hash of its case, in one read snapshot; with
        `check`, no row is handed out before its case is checked as `due` checks it.

        Reads of this store made while the rows are being consumed see the same snapshot."""
        ...

    def verify(self, ref: str | None = None, examine: CaseExaminer | None = None) -> list[ChainProblem]:
        """Recompute every hash of one case, or of all, from the stored payloads, and the ledger: every
        entry's hash, every link between entries (store-wide only), every entry against the event it
        names, and each case's rows against its last entry. With `examine`, each case row is also handed
        to it, in the same read snapshot, with its events decoded and its deadline rows, and the problems
        it names are among those returned (how `reviewflow verify` checks every projection in one pass).

        Returns the problems sorted by (ref, seq); an empty list means the record is intact. Tampering
        is reported, never raised; raises `NotFoundError` only for an unknown `ref`. On PostgreSQL the
        links between entries are checked only when the login sees every case (the owner); otherwise
        `ledger_visible()` is False and the caller says so.
        """
        ...

    def ledger_head(self) -> LedgerHead:
        """The ledger's last entry (position 0 and the genesis hash when empty): what an anchor records."""
        ...

    def ledger_hash_at(self, position: int) -> str | None:
        """The hash of the ledger entry at `position`, or None when there is none: what an anchor's
        checkpoint is checked against (any login may ask; it says nothing about which case)."""
        ...

    def ledger_visible(self) -> bool:
        """Whether this login sees every ledger entry, so that `verify` checks the links between them
        (always on SQLite; on PostgreSQL a login that sees every partnership's cases, such as the owner)."""
        ...

    def integrity_check(self) -> list[str]:
        """The database's own check of its files (SQLite: PRAGMA integrity_check); [] when sound.
        PostgreSQL checks its pages itself (data checksums) and gives []."""
        ...

    def begin_integrity_check(self) -> Callable[[], list[str]]:
        """`integrity_check` started now and left to run beside whatever this store is asked next (where
        the backend has a check of its own to run); the function returned waits for it and gives what
        `integrity_check` gives, or raises what it would raise."""
        ...

    def info(self) -> StoreInfo:
        """Which backend, where, its schema version, and the principal recorded on what it writes."""
        ...

    # ---------------------------------------------------------------------------------- memberships

    def grant(self, login: str, role: str, partnership: str) -> bool:
        """Let database login `login` act as `role` in `partnership`; False if it already could.

        PostgreSQL only, and only for an administrator (`AccessRefusedError` otherwise); raises
        `NotFoundError` if there is no such login.
        """
        ...

    def revoke(self, login: str, role: str, partnership: str) -> bool:
        """Withdraw a grant; False if there was none. Events already recorded keep their recorder."""
        ...

    def members(self, partnership: str | None = None) -> list[Membership]:
        """The grants, of one partnership or all, sorted; a login that is not an administrator sees its own."""
        ...

    # ------------------------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Release the store; closing twice is harmless, and any other call afterwards is a `StoreError`."""
        ...

    def __enter__(self) -> Self:
        ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        """Close the store."""
        ...
