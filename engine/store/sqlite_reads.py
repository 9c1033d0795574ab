"""The SQLite store's reads, and the checks that keep a read from handing out what the ledger does not
vouch for: case rows and deadline rows against their cases' last ledger entries, a case's events against
its chain and that entry.

`case`, `events`, `iter_cases` and `iter_due` take the store's read transaction unopened
(`SQLiteStore._read()`) rather than a connection, so that what each does before or after its snapshot
(building the query, decoding the events) stays outside it; the helpers take the open connection.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import date, timedelta
from itertools import islice

from reviewflow.engine.errors import IntegrityError, NotFoundError, did_you_mean
from reviewflow.engine.store.ledger import read_problem
from reviewflow.engine.store.readchain import stored_events
from reviewflow.engine.store.sqlite_rows import case_row, deadline_row, ledger_entry, with_hash
from reviewflow.engine.store.sqlite_schema import (
    CASE_COLUMNS,
    DEADLINE_COLUMNS,
    EVENT_COLUMNS,
    LEDGER_COLUMNS,
)
from reviewflow.engine.store.types import CaseRow, DeadlineRow, LedgerEntry, StoredEvent

_BATCH = 1_000  # rows handed out per integrity check while streaming `cases` and `due`


def _chunks(values: Sequence[str], size: int = 500) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def unknown_case(conn: sqlite3.Connection, ref: str) -> NotFoundError:
    refs = [str(r[0]) for r in conn.execute("SELECT ref FROM cases")]
    return NotFoundError(f'unknown case "{ref}"', hint=did_you_mean(ref, refs))


def case(read: AbstractContextManager[sqlite3.Connection], ref: str, check: bool) -> CaseRow:
    with read as conn:
        row = conn.execute(f"SELECT {CASE_COLUMNS} FROM cases WHERE ref = ?", (ref,)).fetchone()
        if row is None:
            raise unknown_case(conn, ref)
        found = case_row(row)
        if check:
            check_states(conn, [found])
        return found


def deadlines_in(conn: sqlite3.Connection, ref: str) -> list[DeadlineRow]:
    return [deadline_row(r) for r in conn.execute(
        f"SELECT {DEADLINE_COLUMNS} FROM open_deadlines WHERE case_ref = ? ORDER BY deadline_id", (ref,))]


def last_entries(conn: sqlite3.Connection, refs: Sequence[str] | None) -> dict[str, LedgerEntry]:
    """Each case's last ledger entry: of the cases named, or of every case (None)."""
    sql = (f"SELECT {LEDGER_COLUMNS} FROM ledger WHERE position IN "
           "(SELECT MAX(position) FROM ledger {where} GROUP BY case_ref)")
    if refs is None:
        rows = conn.execute(sql.format(where="")).fetchall()
    else:
        rows = [r for chunk in _chunks(refs) for r in conn.execute(
            sql.format(where=f"WHERE case_ref IN ({', '.join('?' * len(chunk))})"), chunk)]
    return {str(r[1]): ledger_entry(r) for r in rows}


def deadlines_of(conn: sqlite3.Connection, refs: Sequence[str] | None) -> dict[str, list[DeadlineRow]]:
    sql = f"SELECT {DEADLINE_COLUMNS} FROM open_deadlines {{where}} ORDER BY case_ref, deadline_id"
    if refs is None:
        rows = conn.execute(sql.format(where="")).fetchall()
    else:
        rows = [r for chunk in _chunks(refs) for r in conn.execute(
            sql.format(where=f"WHERE case_ref IN ({', '.join('?' * len(chunk))})"), chunk)]
    found: dict[str, list[DeadlineRow]] = {}
    for r in rows:
        found.setdefault(str(r[0]), []).append(deadline_row(r))
    return found


def check_states(conn: sqlite3.Connection, cases: Sequence[CaseRow], everything: bool = False,
                 deadlines: dict[str, list[DeadlineRow]] | None = None) -> None:
    """Refuse to hand out case rows (and the deadline rows of those cases) that are not the ones their
    last ledger entry recorded: no command prints a projection edited behind the store's back.
    `deadlines`: every deadline row of these cases, when the caller has read them already."""
    if not cases:
        return
    refs = None if everything else [c.ref for c in cases]
    entries = last_entries(conn, refs)
    if deadlines is None:
        deadlines = deadlines_of(conn, refs)
    for case in cases:
        problem = read_problem(case, deadlines.get(case.ref, []), entries.get(case.ref))
        if problem is not None:
            raise IntegrityError(f"the stored state of case {case.ref} does not verify: {problem}",
                                 hint="run `reviewflow verify` for every problem; restore the store "
                                      "from a backup (`reviewflow db restore`)")


# A case's head and its last ledger entry in one statement (`ledger_by_case` finds the entry's position
# without a scan: EXPLAIN QUERY PLAN shows a covering-index search).
_HEAD = (f"SELECT c.last_seq, {', '.join('l.' + c.strip() for c in LEDGER_COLUMNS.split(','))} FROM cases c "
         "LEFT JOIN ledger l ON l.position = (SELECT position FROM ledger WHERE case_ref = c.ref "
         "ORDER BY position DESC LIMIT 1) WHERE c.ref = ?")
_EVENTS = f"SELECT {EVENT_COLUMNS} FROM events WHERE case_ref = ? ORDER BY seq"


def events(read: AbstractContextManager[sqlite3.Connection], ref: str, check: bool) -> list[StoredEvent]:
    with read as conn:
        head = conn.execute(_HEAD if check else "SELECT last_seq FROM cases WHERE ref = ?", (ref,)).fetchone()
        if head is None:
            raise unknown_case(conn, ref)
        rows = conn.execute(_EVENTS, (ref,)).fetchall()
    entry = ledger_entry(head[1:]) if check and head[1] is not None else None
    return stored_events(ref, rows, int(head[0]), entry, check,
                         "run `reviewflow verify` for every problem; restore the store from a backup "
                         "(`reviewflow db restore`)")


def iter_cases(read: AbstractContextManager[sqlite3.Connection], process_id: str | None, open_only: bool,
               check: bool) -> Iterator[CaseRow]:
    where = ["1 = 1"]
    params: list[object] = []
    if process_id is not None:
        where.append("process_id = ?")
        params.append(process_id)
    if open_only:
        where.append("closed = 0")
    with read as conn:
        cursor = conn.execute(f"SELECT {CASE_COLUMNS} FROM cases WHERE {' AND '.join(where)} ORDER BY ref",
                              params)
        while batch := [case_row(r) for r in cursor.fetchmany(_BATCH)]:
            if check:
                check_states(conn, batch)
            yield from batch


def iter_due(read: AbstractContextManager[sqlite3.Connection], as_of: date, within_days: int | None,
             owner: str | None, check: bool) -> Iterator[tuple[DeadlineRow, str | None]]:
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
    with read as conn:
        # Two index-ordered scans instead of ORDER BY due NULLS LAST, which would need a sort.
        checked: set[str] = set()
        yield from _checked_due(conn, with_hash(conn.execute(select + " AND ".join(dated) + order, params)),
                                check, checked)
        if within_days is None:
            undated = ["d.due IS NULL", *where]
            yield from _checked_due(
                conn, with_hash(conn.execute(select + " AND ".join(undated) + order, params[:len(where)])),
                check, checked)


def _checked_due(conn: sqlite3.Connection, rows: Iterator[tuple[DeadlineRow, str | None]], check: bool,
                 checked: set[str]) -> Iterator[tuple[DeadlineRow, str | None]]:
    """`rows` in batches, the cases of each batch (those not `checked` yet) checked first: a deadline row
    whose case has no case row, or whose case's stored state is not the one its ledger recorded, is
    refused before it is printed."""
    while batch := list(islice(rows, _BATCH)):
        refs = sorted({row.case_ref for row, _ in batch} - checked) if check else []
        if refs:
            cases = [case_row(r) for chunk in _chunks(refs) for r in conn.execute(
                f"SELECT {CASE_COLUMNS} FROM cases WHERE ref IN ({', '.join('?' * len(chunk))})", chunk)]
            missing = sorted(set(refs) - {c.ref for c in cases})
            if missing:
                raise IntegrityError(f"deadline rows are stored for case {missing[0]}, which has no case row",
                                     hint="run `reviewflow verify` for every problem; restore the store from "
                                          "a backup (`reviewflow db restore`)")
            check_states(conn, cases)
            checked.update(refs)
        yield from batch
