"""`reviewflow verify`: everything the tool prints, checked against what it was derived from.

- the database's own check of its file (SQLite `PRAGMA integrity_check`);
- every stored definition text against its content hash (an edited text would move every deadline
  of every case under it);
- every case's hash chain, and the store-wide ledger (`reviewflow.engine.store.ledger`): every entry,
  every link, every entry against the event it names, each case's rows against its last entry, so a
  deleted case, a lowered head or a rewritten-and-rehashed case is found;
- every projection against a fresh fold: the case row (`cases`) and the open-deadline rows (`due`)
  are worked out again from the events under the stored definition and compared field by field.

"Fresh" for the deadline rows means *as of the day they were written*: a row's status (pending,
due_soon, overdue, extended) depends on the day it is worked out, so each case keeps the date its rows
were worked out as of (`CaseRow.projected_on`, the command's --as-of) and the fold is taken as of that
day; every field, the status included, must then be identical. Rows written before that date was kept
(stores migrated from schema 2) are compared on every field but the status, whose time-dependent values
count as one ("open"); `paused` must still match. `due` itself marks a row overdue when its date has
passed since (CaseService.due), so what it prints is right on the day it is asked.

The anchor (`reviewflow.engine.store.anchor`) is checked, and written, by the command around this.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reviewflow.engine.cases.definitions import process_file_of
from reviewflow.engine.cases.projection import deadline_rows
from reviewflow.engine.cases.views import Verification
from reviewflow.engine.definition.registry import Registry
from reviewflow.engine.errors import DefinitionError, EngineError, IntegrityError, NotFoundError, StoreError
from reviewflow.engine.events import Event
from reviewflow.engine.service import CaseService, row_differences
from reviewflow.engine.store.protocol import Store
from reviewflow.engine.store.types import CaseRow, ChainProblem, DeadlineRow

if TYPE_CHECKING:
    from reviewflow.engine.store.sqlite import SQLiteStore

Progress = Callable[[int, int], None]
_TIME_DEPENDENT = frozenset({"pending", "due_soon", "overdue", "extended"})
_ROW_FIELDS = ("title", "due", "window_start", "weight", "status", "owner", "escalate_to", "citation")


def verify_store(service: CaseService, ref: str | None = None, progress: Progress | None = None) -> Verification:
    """Check the whole store (or one case), reporting every problem rather than stopping at the first."""
    store = service.store
    problems: list[ChainProblem] = []
    notes: list[str] = []
    # The database's check of its own file runs beside the pass below (SQLite: in a thread of its own).
    file_check = store.begin_integrity_check() if ref is None else None
    try:
        hashes = store.definition_hashes() if ref is None else [store.case(ref, check=False).definition_hash]
        broken = _definitions(service, hashes)
        # One pass over the store, a case at a time in one read snapshot: its chain and ledger entries (the
        # store's), then its projection against a fresh fold of the events that pass read (_Projections).
        projections = _Projections(service, broken, progress)
        problems += store.verify(ref, projections)
    except Exception:
        if file_check is not None:
            file_check()  # a file the database cannot read: said as its own check says it, as before
        raise
    for definition_hash, wrong in broken.items():
        problems += wrong.problems(projections.users.get(definition_hash, []))
    if file_check is not None:
        problems += [ChainProblem("", 0, f"the database file does not pass its own check: {line}", "store")
                     for line in file_check()]
    if ref is None and not store.ledger_visible():
        notes.append(f"the links between ledger entries were not checked: login {store.info().principal} sees "
                     "only its partnerships' entries; run `reviewflow verify` as the store's owner for the whole "
                     "ledger")
    unique = sorted(set(problems), key=lambda p: (p.ref, p.seq, p.kind, p.message))
    return Verification(projections.cases, projections.events, tuple(unique), len(hashes),
                        store.ledger_head().position, tuple(notes))


@dataclass(frozen=True)
class _Broken:
    """A stored definition that cannot be trusted to fold with, and what to say of it."""

    definition_hash: str
    before: str | None = None  # the problem, up to where the cases under it are named; None: not stored
    after: str = ""

    def problems(self, users: list[str]) -> list[ChainProblem]:
        """What to say of it, given the cases under it (in ref order)."""
        if self.before is None:
            return [ChainProblem(ref, 0, f"its definition {self.definition_hash} is not stored", "definition")
                    for ref in users]
        used = f" (used by {', '.join(users[:5])}{' …' if len(users) > 5 else ''})" if users else ""
        return [ChainProblem("", 0, self.before + used + self.after, "definition")]


def _definitions(service: CaseService, hashes: list[str]) -> dict[str, _Broken]:
    """Each stored definition against its hash: those that cannot be trusted to fold with."""
    broken: dict[str, _Broken] = {}
    for definition_hash in hashes:
        try:
            stored = service.store.definition(definition_hash)
        except NotFoundError:
            broken[definition_hash] = _Broken(definition_hash)
            continue
        from reviewflow.engine.definition.loader import load_from_bundle

        try:
            process = load_from_bundle(stored.bundle, process_file_of(stored.bundle, stored.process_id))
        except (DefinitionError, NotFoundError) as exc:
            broken[definition_hash] = _Broken(definition_hash, f"the stored definition {definition_hash}",
                                              f" no longer loads ({exc.message}): its text was changed")
            continue
        if process.text_hash != definition_hash or process.id != stored.process_id \
                or process.version != stored.version:
            broken[definition_hash] = _Broken(definition_hash, f"the stored definition {definition_hash} of "
                                              f"{stored.process_id}", " does not match its hash: its text was "
                                              "changed after it was stored")
    return broken


class _Projections:
    """`verify`'s examiner (store.verifying.CaseExaminer): every case row's projection against a fresh
    fold, counting the cases and events checked and noting the cases of the definitions that are broken
    (their projections are not folded: the definition's own problem says why)."""

    def __init__(self, service: CaseService, broken: dict[str, _Broken], progress: Progress | None) -> None:
        self._service, self._broken, self._progress = service, broken, progress
        self.total = self.cases = self.events = 0
        self.users: dict[str, list[str]] = {}

    def begin(self, cases: int) -> None:
        self.total = cases

    def __call__(self, row: CaseRow, events: Sequence[Event] | None,
                 deadlines: Sequence[DeadlineRow]) -> list[ChainProblem]:
        self.cases += 1
        self.events += row.last_seq
        if row.definition_hash in self._broken:
            self.users.setdefault(row.definition_hash, []).append(row.ref)
            found = []
        else:
            found = [] if events is None else _projection(self._service, row, list(events), deadlines)
        if self._progress is not None:
            self._progress(self.cases, max(self.total, self.cases))
        return found


def _projection(service: CaseService, row: CaseRow, events: list[Event],
                stored_rows: Sequence[DeadlineRow]) -> list[ChainProblem]:
    """A case's row and deadline rows against a fresh fold of its events under its stored definition
    (`events` as stored, read in the same snapshot as the rows)."""
    try:
        case = service.replay(row, events)
    except (EngineError, ValueError, KeyError, TypeError) as exc:  # the chain problem is reported already
        message = exc.message if isinstance(exc, EngineError) else str(exc)
        if isinstance(exc, IntegrityError):
            return []
        return [ChainProblem(row.ref, 0, f"its events do not fold under its definition {row.definition_hash} "
                             f"({message})", "projection")]
    if len(events) != row.last_seq:
        return []  # the chain and ledger checks name a case row that does not match its events
    problems = [ChainProblem(row.ref, 0, f"case row: {difference}", "projection")
                for difference in row_differences(row, case)]
    as_of = row.projected_on or case.last_at
    if as_of is None:
        return problems
    fresh = {d.deadline_id: d for d in deadline_rows(case, as_of)}
    stored = {d.deadline_id: d for d in stored_rows}
    if fresh == stored:
        return problems  # the common case: every row equal, field for field
    for deadline_id in sorted(set(fresh) | set(stored)):
        if deadline_id not in stored:
            problems.append(ChainProblem(row.ref, 0, f"deadline row {deadline_id} is missing: its events give an "
                                         f"open deadline ({fresh[deadline_id].status}, due "
                                         f"{fresh[deadline_id].due})", "projection"))
            continue
        if deadline_id not in fresh:
            problems.append(ChainProblem(row.ref, 0, f"deadline row {deadline_id} is stored, but its events give "
                                         "no such open deadline", "projection"))
            continue
        for field in _ROW_FIELDS:
            was, now = getattr(stored[deadline_id], field), getattr(fresh[deadline_id], field)
            if field == "status" and row.projected_on is None and {was, now} <= _TIME_DEPENDENT:
                continue  # written before the projection date was kept: only open/paused can be compared
            if was != now:
                problems.append(ChainProblem(row.ref, 0, f"deadline row {deadline_id}: {field} is stored as "
                                             f"{_show(was)} but its events give {_show(now)}", "projection"))
    return problems


def _show(value: object) -> str:
    return "nothing" if value is None else repr(str(value))


# -- backups (SQLite) ----------------------------------------------------------------------------------

_PG_BACKUPS = ("a PostgreSQL store is backed up and restored by the database server, not by reviewflow: "
               "pg_dump / pg_restore, or the provider's point-in-time recovery (docs/deployment.md)")


@dataclass(frozen=True)
class Restored:
    verification: Verification  # of the backup, before it replaced anything
    aside: str | None  # where the store it replaced was kept


def _sqlite(store: Store) -> SQLiteStore:
    from reviewflow.engine.store.sqlite import SQLiteStore

    if not isinstance(store, SQLiteStore):
        raise StoreError(_PG_BACKUPS, hint="see docs/deployment.md, section on backups")
    return store


def backup_store(service: CaseService, target: str) -> Verification:
    """Copy the store into the new file `target` and verify the copy fully (the copy is kept either way:
    a store that does not verify is still worth having, and the result says so)."""
    _sqlite(service.store).backup(target)
    from reviewflow.engine.store.sqlite import SQLiteStore

    with SQLiteStore(target) as copy:
        return verify_store(CaseService(copy, service.registry))


def restore_store(backup: str, target: str, registry: Registry | None = None) -> Restored:
    """Replace the SQLite store `target` by the backup `backup`, only once a copy of it verifies fully
    (the database's check, every chain, the ledger, every definition and projection); the store replaced
    is kept aside. The backup file itself is never changed."""
    from reviewflow.engine.store import is_database_url
    from reviewflow.engine.store.sqlite import SQLiteStore, copy_store_file, put_store_file

    if is_database_url(target):
        raise StoreError(_PG_BACKUPS, hint="see docs/deployment.md, section on backups")
    staged = os.path.join(os.path.dirname(os.path.abspath(target)),
                          f".{os.path.basename(target)}.restoring-{os.getpid()}")
    copy_store_file(backup, staged)
    try:
        with SQLiteStore(staged) as copy:
            checked = verify_store(CaseService(copy, registry))
        if not checked.ok:
            raise IntegrityError(f"the backup {backup} does not verify ({len(checked.problems)} problems; the first: "
                                 f"{checked.problems[0]}); nothing was replaced",
                                 hint=f"run `reviewflow verify --db {backup}` to see them all; restore an "
                                      "older backup")
        aside = put_store_file(staged, target)
    except BaseException:
        from reviewflow.engine.store.sqlite_files import remove_store_files

        remove_store_files(staged)
        raise
    return Restored(checked, aside)
