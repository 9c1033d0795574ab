"""`verify` reads the store once, a case at a time (issue #12): four cursors in case order walked side by
side (store/verifying.py), each case's events decoded once for both its chain and its fresh fold.

What that must not change is what `verify` finds; these tests hold the parts the merge itself decides (a
case present in some of the cursors and not in others, at either end of the order) to their exact words
on both backends, and show that the number of statements does not grow with the number of cases.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from reviewflow.engine.definition.loader import Registry
from reviewflow.engine.errors import StoreError
from reviewflow.engine.integrity import verify_store
from reviewflow.engine.service import CaseService
from reviewflow.engine.store.sqlite import SQLiteStore
from reviewflow.engine.store.types import CaseRow
from reviewflow.engine.store.verifying import verify_cases
from store_backends import PARTNERSHIP, Backend
from test_runtime_support import OPEN_FIELDS

D = date


def _open_cases(service: CaseService, refs: list[str]) -> None:
    for ref in refs:
        service.open("example-full", ref, D(2024, 3, 4), "local_authority", OPEN_FIELDS, f"Child {ref}",
                     partnership=PARTNERSHIP)
        service.record(ref, "notified_panel", D(2024, 3, 5), "local_authority", D(2024, 3, 6))


@pytest.fixture
def svc(backend: Backend, root: Path) -> Iterator[CaseService]:
    """C-1, C-2 and C-3, each opened and the Panel notified."""
    with backend.open() as store:
        service = CaseService(store, Registry([root]))
        _open_cases(service, ["C-1", "C-2", "C-3"])
        assert verify_store(service).ok
        yield service


def found(backend: Backend, root: Path, ref: str | None = None) -> list[tuple[str, int, str, str]]:
    service = CaseService(backend.admin(), Registry([root]))
    try:
        return [(p.ref, p.seq, p.kind, p.message) for p in verify_store(service, ref).problems]
    finally:
        service.store.close()


def test_a_case_row_without_events_is_named_wherever_it_falls_in_the_order(svc: CaseService, backend: Backend,
                                                                            root: Path) -> None:
    for ref in ("C-1", "C-3"):
        backend.raw(f"DELETE FROM events WHERE case_ref = '{ref}'")
    problems = found(backend, root)
    for ref, last in (("C-1", 2), ("C-3", 6)):  # each case's two writes: ledger positions 1-2, 3-4, 5-6
        assert (ref, 2, "chain", "the case row exists but no events are stored") in problems
        assert (ref, 2, "ledger", f"ledger position {last} recorded seq 2, which is no longer stored (events "
                "were removed)") in problems
    assert not [p for p in problems if p[0] == "C-2"]


def test_events_and_deadline_rows_without_a_case_row_are_named(svc: CaseService, backend: Backend,
                                                                root: Path) -> None:
    backend.raw("DELETE FROM cases WHERE ref = 'C-2'")
    # deadline rows of a case that never existed, before and after every other case in the order
    for ghost in ("A-0", "Z-9"):
        backend.raw("INSERT INTO open_deadlines (case_ref, partnership, deadline_id, title, due, window_start, "
                    "weight, status, owner, escalate_to, citation) SELECT ?, partnership, deadline_id, title, due, "
                    "window_start, weight, status, owner, escalate_to, citation FROM open_deadlines "
                    "WHERE case_ref = 'C-1'" if backend.server is not None else
                    "INSERT INTO open_deadlines SELECT ?, deadline_id, title, due, window_start, weight, status, "
                    "owner, escalate_to, citation FROM open_deadlines WHERE case_ref = 'C-1'", (ghost,))
    problems = found(backend, root)
    assert ("C-2", 0, "chain", "events are stored for a case with no case row") in problems
    for ref in ("A-0", "C-2", "Z-9"):
        assert (ref, 0, "projection", "deadline rows are stored for a case with no case row") in problems
    assert {p[0] for p in problems} == {"A-0", "C-2", "Z-9"}


def test_a_case_deleted_whole_at_either_end_is_named_by_its_ledger_entries(svc: CaseService, backend: Backend,
                                                                           root: Path) -> None:
    for ref in ("C-1", "C-3"):
        for table, column in (("open_deadlines", "case_ref"), ("events", "case_ref"), ("cases", "ref")):
            backend.raw(f"DELETE FROM {table} WHERE {column} = '{ref}'")
    problems = found(backend, root)
    assert [(ref, kind) for ref, _, kind, _ in problems] == [("C-1", "ledger"), ("C-3", "ledger")]
    assert all("which is not in the store (the case was deleted)" in p[3] for p in problems)


def test_one_case_is_verified_alone(svc: CaseService, backend: Backend, root: Path) -> None:
    backend.raw("UPDATE cases SET pseudonym = 'Child Z' WHERE ref = 'C-2'")
    assert found(backend, root, "C-1") == found(backend, root, "C-3") == []
    assert [p[2] for p in found(backend, root, "C-2")] == ["projection", "projection"]  # the ledger and the fold


def _statements(path: Path, root: Path) -> list[str]:
    """Every statement `verify_store` runs against the SQLite store at `path`."""
    with SQLiteStore(str(path)) as store:
        statements: list[str] = []
        store._live().set_trace_callback(statements.append)
        service = CaseService(store, Registry([root]))
        assert verify_store(service).ok
        return statements


def test_verify_runs_as_many_statements_for_many_cases_as_for_few(tmp_path: Path, root: Path) -> None:
    counts = []
    for size in (2, 9):
        path = tmp_path / f"{size}.db"
        with SQLiteStore(str(path)) as store:
            _open_cases(CaseService(store, Registry([root])), [f"C-{i}" for i in range(size)])
        counts.append(len(_statements(path, root)))
    assert counts[0] == counts[1] and counts[0] < 40


def test_verify_reads_no_case_on_its_own(tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Everything a case's checks need comes from the one pass: no read of one case, its events or the
    whole projection besides it."""
    path = tmp_path / "s.db"
    with SQLiteStore(str(path)) as store:
        _open_cases(CaseService(store, Registry([root])), ["C-1", "C-2"])

    def refused(*_: Any, **__: Any) -> Any:
        raise AssertionError("verify read outside its pass")

    with SQLiteStore(str(path)) as store:
        for name in ("events", "cases", "iter_cases", "due", "iter_due"):
            monkeypatch.setattr(store, name, refused)
        verification = verify_store(CaseService(store, Registry([root])))
    assert verification.ok and verification.cases == 2 and verification.events == 4


def test_rows_out_of_case_order_are_refused_not_misread() -> None:
    """The merge relies on every cursor's order; a backend handing rows out of order is a bug, said so."""
    def row(ref: str) -> CaseRow:
        return CaseRow(ref, "p", "h", None, D(2024, 1, 1), "s", False, 1)

    with pytest.raises(StoreError, match="out of case order"):
        verify_cases([row("B"), row("A")], [], [], [])
    problems, seen = verify_cases([row("A"), row("B")], [], [], [])
    assert seen and [p.message for p in problems] == ["the case row exists but no events are stored",
                                                     "the case has no ledger entry (it was written behind the "
                                                     "store's back)"] * 2


def test_the_sqlite_cursors_follow_python_string_order(tmp_path: Path) -> None:
    """The merge compares refs as Python compares strings; SQLite's default (BINARY) collation orders
    UTF-8 text the same way, accents and case included."""
    refs = ["a-1", "B-2", "É-3", "e-4", "Z-5", "ß-6", "中-7"]
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (ref TEXT PRIMARY KEY)")
    conn.executemany("INSERT INTO t VALUES (?)", [(r,) for r in refs])
    assert [r[0] for r in conn.execute("SELECT ref FROM t ORDER BY ref")] == sorted(refs)


def test_a_damaged_file_is_named_by_its_own_check_run_beside_the_pass(tmp_path: Path, root: Path) -> None:
    """SQLite's integrity check runs in a thread of its own while the cases are read: what it finds is
    still reported, in its words. (An index whose definition no longer matches its entries passes the
    quick check a store is opened with, but not the full check.)"""
    path = tmp_path / "s.db"
    with SQLiteStore(str(path)) as store:
        _open_cases(CaseService(store, Registry([root])), ["C-1", "C-2"])
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("UPDATE sqlite_master SET sql = 'CREATE INDEX ledger_by_case ON ledger (seq, position)' "
                 "WHERE name = 'ledger_by_case'")
    conn.close()
    with SQLiteStore(str(path)) as store:
        problems = verify_store(CaseService(store, Registry([root]))).problems
    assert [(p.ref, p.kind) for p in problems] == [("", "store")] * 4
    assert problems[0].message == "the database file does not pass its own check: row 1 missing from index " \
                                  "ledger_by_case"
