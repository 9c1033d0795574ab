"""`verify` of the SQLite store: every chain recomputed from the stored payloads, and the ledger checked
against the chains, the case rows and the deadline rows (docs/integrity.md), case by case over cursors
in case order (store/verifying.py), all in one read snapshot."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from reviewflow.engine.store.ledger import check_ledger_links
from reviewflow.engine.store.sqlite_files import is_memory, translate_error
from reviewflow.engine.store.sqlite_reads import unknown_case
from reviewflow.engine.store.sqlite_rows import case_row, deadline_row, ledger_entry
from reviewflow.engine.store.sqlite_schema import (
    CASE_COLUMNS,
    DEADLINE_COLUMNS,
    EVENT_COLUMNS,
    LEDGER_COLUMNS,
)
from reviewflow.engine.store.types import ChainProblem
from reviewflow.engine.store.verifying import CaseExaminer, verify_cases


def verify(read: AbstractContextManager[sqlite3.Connection], ref: str | None,
           examine: CaseExaminer | None = None) -> list[ChainProblem]:
    """`SQLiteStore.verify`, given the store's read transaction unopened."""
    problems: list[ChainProblem] = []
    one = ref is not None
    where, params = ("WHERE case_ref = ?", (ref,)) if one else ("", ())
    with read as conn:
        if examine is not None:
            examine.begin(int(conn.execute("SELECT count(*) FROM cases" + (" WHERE ref = ?" if one else ""),
                                           params).fetchone()[0]))
        if not one:
            problems += check_ledger_links(ledger_entry(r) for r in conn.execute(
                f"SELECT {LEDGER_COLUMNS} FROM ledger ORDER BY position"))[0]
        # Four cursors in case order, walked side by side: each case's rows are in hand together, once.
        found, any_case = verify_cases(
            (case_row(r) for r in conn.execute(
                f"SELECT {CASE_COLUMNS} FROM cases {'WHERE ref = ?' if one else ''} ORDER BY ref", params)),
            conn.execute(f"SELECT case_ref, {EVENT_COLUMNS} FROM events {where} ORDER BY case_ref, seq", params),
            (ledger_entry(r) for r in conn.execute(
                f"SELECT {LEDGER_COLUMNS} FROM ledger {where} ORDER BY case_ref, position", params)),
            (deadline_row(r) for r in conn.execute(
                f"SELECT {DEADLINE_COLUMNS} FROM open_deadlines {where} ORDER BY case_ref, deadline_id", params)),
            examine)
        if one and not any_case:
            raise unknown_case(conn, ref)  # type: ignore[arg-type]
    return sorted(problems + found, key=lambda p: (p.ref, p.seq))


def begin_integrity_check(read: AbstractContextManager[sqlite3.Connection], path: str,
                          busy_timeout_ms: int) -> Callable[[], list[str]]:
    """`SQLiteStore.begin_integrity_check`: a file is checked over a connection of its own in a thread of
    its own, while the caller goes on reading (SQLite lets go of the interpreter while it checks, so on
    a store of a million events the check's seconds are spent beside `verify`'s pass, not before it); a
    store in memory has only the one connection, and is checked at once."""
    if is_memory(path):
        with read as conn:
            found = _problems(conn)
        return lambda: found
    from concurrent.futures import ThreadPoolExecutor  # only verify needs it: not every read command

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reviewflow-integrity-check")
    try:
        return pool.submit(_check_file, path, busy_timeout_ms).result
    finally:
        pool.shutdown(wait=False)


def _check_file(path: str, busy_timeout_ms: int) -> list[str]:
    try:
        # Read-only by URI, so a file removed meanwhile is an error rather than a new empty database.
        conn = sqlite3.connect(Path(path).absolute().as_uri() + "?mode=ro", uri=True, isolation_level=None,
                               timeout=busy_timeout_ms / 1000)
        try:
            return _problems(conn)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise translate_error(exc, path, busy_timeout_ms) from exc


def _problems(conn: sqlite3.Connection) -> list[str]:
    found = [str(r[0]) for r in conn.execute("PRAGMA integrity_check")]
    return [] if found == ["ok"] else found
