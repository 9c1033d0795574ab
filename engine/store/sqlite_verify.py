"""`verify` of the SQLite store: every chain recomputed from the stored payloads, and the ledger checked
against the chains, the case rows and the deadline rows (docs/integrity.md)."""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from itertools import groupby
from operator import itemgetter

from reviewflow.engine.store.ledger import check_ledger_links
from reviewflow.engine.store.sqlite_reads import deadlines_of, unknown_case
from reviewflow.engine.store.sqlite_rows import case_row, ledger_entry
from reviewflow.engine.store.sqlite_schema import CASE_COLUMNS, EVENT_COLUMNS, LEDGER_COLUMNS
from reviewflow.engine.store.types import ChainProblem, LedgerEntry
from reviewflow.engine.store.verifying import check_case, check_leftovers


def verify(read: AbstractContextManager[sqlite3.Connection], ref: str | None) -> list[ChainProblem]:
    """`SQLiteStore.verify`, given the store's read transaction unopened: what is left over once every
    stored chain was read (cases without events, ledger entries or deadline rows without a case) is
    checked after the snapshot is released."""
    problems: list[ChainProblem] = []
    one = ref is not None
    with read as conn:
        where, params = ("WHERE case_ref = ?", (ref,)) if one else ("", ())
        cases = {str(r[0]): case_row(r) for r in conn.execute(
            f"SELECT {CASE_COLUMNS} FROM cases" + (" WHERE ref = ?" if one else ""), params)}
        deadlines = deadlines_of(conn, [ref] if one else None)  # type: ignore[list-item]
        entries: dict[str, list[LedgerEntry]] = {}
        for r in conn.execute(f"SELECT {LEDGER_COLUMNS} FROM ledger {where} ORDER BY case_ref, position",
                              params):
            entries.setdefault(str(r[1]), []).append(ledger_entry(r))
        if not one:
            link_problems, _ = check_ledger_links(ledger_entry(r) for r in conn.execute(
                f"SELECT {LEDGER_COLUMNS} FROM ledger ORDER BY position"))
            problems += link_problems
        rows = conn.execute(f"SELECT case_ref, {EVENT_COLUMNS} FROM events {where} ORDER BY case_ref, seq",
                            params)
        seen: set[str] = set()
        for case_ref, group in groupby(rows, key=itemgetter(0)):
            seen.add(case_ref)
            problems += check_case(case_ref, [r[1:] for r in group], cases.get(case_ref), deadlines, entries)
        if one and not seen and not cases and not entries:
            raise unknown_case(conn, ref)  # type: ignore[arg-type]
    problems += check_leftovers(cases, seen, deadlines, entries)
    return sorted(problems, key=lambda p: (p.ref, p.seq))
