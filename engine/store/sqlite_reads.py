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

from reviewflow.engine.errors import IntegrityError, NotFoundError, did_you_mean
from reviewflow.engine.store.ledger import read_problem
from reviewflow.engine.store.readchain import stored_events
from reviewflow.engine.store.sqlite_rows import case_row, deadline_row, deadline_rows, ledger_entry
from reviewflow.engine.store.sqlite_schema import (
    CASE_COLUMNS,
    DEADLINE_COLUMNS,
    EVENT_COLUMNS,
    LEDGER_COLUMNS,
)
from reviewflow.engine.store.sqlite_statecheck import cases_with_deadlines, unproven
from reviewflow.engine.store.types import CaseRow, DeadlineRow, LedgerEntry, StoredEvent

_BATCH = 1_000  # rows handed out per integrity check while streaming `cases` and `due`
_JUDGED_ALONE = 8  # cases checked in Python without asking the database first (sqlite_statecheck)


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


def check_states(conn: sqlite3.Connection, cases: Sequence[CaseRow]) -> None:
    """Refuse to hand out case rows (and the deadline rows of those cases) that are not the ones their
    last ledger entry recorded: no command prints a projection edited behind the store's back. The
    database proves most cases of a list itself (sqlite_statecheck); `_judge` decides the rest, and a
    case or two alone (`case show`), where asking the database first costs more than it saves."""
    if len(cases) <= _JUDGED_ALONE:
        _judge(conn, cases)
        return
    doubtful = unproven(conn, [c.ref for c in cases])
    _judge(conn, [c for c in cases if c.ref in doubtful])


def _judge(conn: sqlite3.Connection, cases: Sequence[CaseRow]) -> None:
    """`ledger.read_problem` for each case: the first problem found is raised, in its own words."""
    if not cases:
        return
    refs = [c.ref for c in cases]
    entries, deadlines = last_entries(conn, refs), deadlines_of(conn, refs)
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
    """The open-deadline rows (`owner`'s, due within `within_days` of `as_of`) in the due index's order,
    each with its case's definition hash; with `check`, only after every case they belong to was found
    to be in the state its last ledger entry recorded (so a refused store prints no row)."""
    where: list[str] = []
    params: list[object] = []
    if owner is not None:
        where.append("owner = ?")
        params.append(owner)
    if within_days is not None:
        where.append("due <= ?")
        params.append((as_of + timedelta(days=within_days)).isoformat())
    # `+`: the pass below must find each case's rows by its key, never scan an owner's rows per case.
    matching = " AND ".join(f"+d.{w}" for w in where) or "1"
    select = f"SELECT {DEADLINE_COLUMNS} FROM open_deadlines WHERE "
    order = " ORDER BY due, case_ref, deadline_id"
    with read as conn:
        # Each case is checked (and its definition hash read) once, in one pass over the cases in key
        # order before the first row; joining `cases` to every row instead was a random lookup for each
        # of 500k rows at 100k cases, and checking the cases of each batch of rows as it came, another.
        hashes, doubtful = cases_with_deadlines(conn, matching, params, check)
        for chunk in _chunks(doubtful, _BATCH):
            _judge(conn, [case_row(r) for r in conn.execute(
                f"SELECT {CASE_COLUMNS} FROM cases WHERE ref IN ({', '.join('?' * len(chunk))})", chunk)])
        # Two index-ordered scans instead of ORDER BY due NULLS LAST, which would need a sort.
        dated = " AND ".join(["due IS NOT NULL", *where])
        yield from _with_hashes(deadline_rows(conn.execute(select + dated + order, params)), hashes, check)
        if within_days is None:
            undated = " AND ".join(["due IS NULL", *where])
            yield from _with_hashes(deadline_rows(conn.execute(select + undated + order, params)), hashes, check)


def _with_hashes(rows: Iterator[DeadlineRow], hashes: dict[str, str],
                 check: bool) -> Iterator[tuple[DeadlineRow, str | None]]:
    """Each row with its case's definition hash; a row of a case with no case row is refused (`check`)."""
    for row in rows:
        definition_hash = hashes.get(row.case_ref)
        if definition_hash is None and check:
            raise IntegrityError(f"deadline rows are stored for case {row.case_ref}, which has no case row",
                                 hint="run `reviewflow verify` for every problem; restore the store from "
                                      "a backup (`reviewflow db restore`)")
        yield row, definition_hash
