"""SQLite proves most cases' stored state itself (engine/store/sqlite_statecheck.py); Python judges the
rest. The database's "proven" must never pass a row Python would refuse, and for rows as the store writes
them it must agree with Python, or every read would fall back to the slow path."""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from reviewflow.engine.store import sqlite_statecheck
from reviewflow.engine.store.ledger import EMPTY_HEAD, next_entry, read_problem
from reviewflow.engine.store.sqlite_reads import check_states, deadlines_in, last_entries
from reviewflow.engine.store.sqlite_rows import case_row, iso
from reviewflow.engine.store.sqlite_schema import CASE_COLUMNS, MIGRATIONS
from reviewflow.engine.store.types import CaseRow, DeadlineRow, LedgerHead

TEXT = (st.text(st.characters(codec="utf-8"), min_size=1, max_size=10)
        | st.sampled_from(['"', "\\", "\n", "\t", "\x00", "\x1f", "\x7f", "é", "\u2028", "😀", "a/b"]))
MAYBE = st.none() | TEXT
DAYS = st.dates(date(1900, 1, 1), date(2200, 12, 31))
CASES = st.builds(CaseRow, ref=TEXT, process_id=TEXT, definition_hash=TEXT, pseudonym=MAYBE, opened_at=DAYS,
                  stage=TEXT, closed=st.booleans(), last_seq=st.integers(1, 10**12), partnership=MAYBE,
                  projected_on=st.none() | DAYS)
DEADLINES = st.lists(st.builds(DeadlineRow, case_ref=st.just(""), deadline_id=TEXT, title=TEXT, due=st.none() | DAYS,
                               window_start=st.none() | DAYS, weight=TEXT, status=TEXT, owner=MAYBE,
                               escalate_to=MAYBE, citation=MAYBE),
                     max_size=5, unique_by=lambda d: d.deadline_id)
# What an editor of the file could put in a column instead.
RAW = (st.none() | st.integers(-2, 3) | st.floats(allow_nan=False) | st.binary(max_size=4) | TEXT
       | st.sampled_from(["1", "0", "true", "2024-01-08", "20240108", "2024-01-08T00:00", "statutory"]))
CASE_FIELDS = CASE_COLUMNS.replace(" ", "").split(",")
DEADLINE_FIELDS = ["deadline_id", "title", "due", "window_start", "weight", "status", "owner", "escalate_to",
                   "citation"]


def _store() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    for _, _, statements in MIGRATIONS:
        for statement in statements:
            conn.execute(statement)
    conn.execute("PRAGMA foreign_keys = OFF")
    sqlite_statecheck.register(conn)
    return conn


def _write(conn: sqlite3.Connection, row: CaseRow, deadlines: list[DeadlineRow]) -> None:
    """The rows as the SQLite store writes them (dates as ISO text, closed as 0/1), and their entry."""
    conn.execute(f"INSERT INTO cases ({CASE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 (row.ref, row.process_id, row.definition_hash, row.pseudonym, iso(row.opened_at), row.stage,
                  int(row.closed), row.last_seq, row.partnership, iso(row.projected_on)))
    for d in deadlines:
        conn.execute("INSERT INTO open_deadlines VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (row.ref, d.deadline_id, d.title, iso(d.due), iso(d.window_start), d.weight, d.status, d.owner,
                      d.escalate_to, d.citation))
    last = conn.execute("SELECT position, hash FROM ledger ORDER BY position DESC LIMIT 1").fetchone()
    head = EMPTY_HEAD if last is None else LedgerHead(*last)
    entry = next_entry(head, row, "e" * 64, [DeadlineRow(row.ref, *_fields(d)) for d in deadlines])
    conn.execute("INSERT INTO ledger VALUES (?, ?, ?, ?, ?, ?, ?)", (entry.position, entry.case_ref, entry.seq,
                                                                    entry.event_hash, entry.state, entry.prev_hash,
                                                                    entry.hash))


def _fields(d: DeadlineRow) -> tuple[Any, ...]:
    return (d.deadline_id, d.title, d.due, d.window_start, d.weight, d.status, d.owner, d.escalate_to, d.citation)


def _python_verdict(conn: sqlite3.Connection, ref: str) -> str | None:
    """What `ledger.read_problem` finds, reading the rows back as the SQLite store does."""
    try:
        stored = case_row(conn.execute(f"SELECT {CASE_COLUMNS} FROM cases WHERE ref = ?", (ref,)).fetchone())
        return read_problem(stored, deadlines_in(conn, ref), last_entries(conn, [ref]).get(ref))
    except (ValueError, TypeError, AttributeError) as exc:  # a row Python cannot even read back
        return f"unreadable: {exc}"


@settings(max_examples=300, deadline=None)
@given(CASES, DEADLINES)
def test_rows_as_the_store_writes_them_are_proven_by_the_database(row: CaseRow, deadlines: list[DeadlineRow]) -> None:
    conn = _store()
    _write(conn, row, deadlines)
    assert _python_verdict(conn, row.ref) is None
    assert sqlite_statecheck.unproven(conn, [row.ref]) == set()


@settings(max_examples=600, deadline=None)
@given(CASES, DEADLINES, st.data())
def test_the_database_never_proves_a_row_python_refuses(row: CaseRow, deadlines: list[DeadlineRow],
                                                       data: st.DataObject) -> None:
    conn = _store()
    _write(conn, row, deadlines)
    if deadlines and data.draw(st.booleans()):
        column = data.draw(st.sampled_from(DEADLINE_FIELDS))
        target = data.draw(st.sampled_from([d.deadline_id for d in deadlines]))
        statement = f"UPDATE open_deadlines SET {column} = ? WHERE case_ref = ? AND deadline_id = ?"
        params: tuple[object, ...] = (data.draw(RAW), row.ref, target)
    else:
        column = data.draw(st.sampled_from([c for c in CASE_FIELDS if c != "ref"]))
        statement, params = f"UPDATE cases SET {column} = ? WHERE ref = ?", (data.draw(RAW), row.ref)
    try:
        conn.execute(statement, params)
    except sqlite3.IntegrityError:
        assume(False)  # the table's own constraints refuse it (an editor could rebuild it without them)
    if row.ref not in sqlite_statecheck.unproven(conn, [row.ref]):
        assert _python_verdict(conn, row.ref) is None


@pytest.mark.parametrize("edit", [
    "UPDATE cases SET stage = 'closed_by_hand'",
    "UPDATE cases SET closed = 1 - closed",
    "UPDATE cases SET last_seq = last_seq + 1",
    "UPDATE open_deadlines SET due = '2030-01-01'",
    "DELETE FROM open_deadlines",
    "INSERT INTO open_deadlines (case_ref, deadline_id, title, weight, status) "
    "SELECT ref, 'zz_added', 't', 'statutory', 'open' FROM cases",
    "DROP TRIGGER ledger_no_delete; DELETE FROM ledger",
    "DROP TRIGGER ledger_no_update; UPDATE ledger SET seq = seq + 1",
    "DROP TRIGGER ledger_no_update; UPDATE ledger SET state = replace(state, 'a', 'b')",
])
def test_each_kind_of_edit_is_left_for_python_to_name(edit: str) -> None:
    conn = _store()
    row = CaseRow("LS-1", "leeds", "abc", "Child B", date(2024, 1, 8), "rapid_review", False, 3, "leeds", None)
    deadline = DeadlineRow("LS-1", "panel_notification", "Notify the Panel", date(2024, 1, 15), None,
                           "statutory", "open", "local_authority", None, "WT2023 ch4 para 17")
    _write(conn, row, [deadline])
    assert sqlite_statecheck.unproven(conn, ["LS-1"]) == set()
    conn.executescript(edit)
    assert sqlite_statecheck.unproven(conn, ["LS-1"]) == {"LS-1"}
    stored = case_row(conn.execute(f"SELECT {CASE_COLUMNS} FROM cases").fetchone())
    with pytest.raises(Exception, match="does not verify"):
        check_states(conn, [stored])


def test_a_table_that_is_not_the_stores_own_sends_every_case_to_python() -> None:
    conn = _store()
    _write(conn, CaseRow("LS-1", "leeds", "abc", None, date(2024, 1, 8), "s", False, 1, None, None), [])
    assert sqlite_statecheck.unproven(conn, ["LS-1"]) == set()
    conn.executescript("ALTER TABLE open_deadlines RENAME COLUMN weight TO weight_old; "
                       "ALTER TABLE open_deadlines ADD COLUMN weight REAL")
    assert not sqlite_statecheck.schema_is_ours(conn)
    assert sqlite_statecheck.unproven(conn, ["LS-1"]) == {"LS-1"}


def test_a_list_of_cases_is_proven_by_the_database_and_the_doubtful_one_judged(monkeypatch: pytest.MonkeyPatch) -> None:
    from reviewflow.engine.store import sqlite_reads

    conn = _store()
    for n in range(12):
        _write(conn, CaseRow(f"LS-{n:02}", "leeds", "abc", None, date(2024, 1, 8), "s", False, 1, None, None),
               [DeadlineRow(f"LS-{n:02}", "notify_panel", "Notify", date(2024, 1, 15), None, "statutory", "open",
                            "local_authority", None, None)])
    asked: list[int] = []
    judged: list[list[str]] = []
    real_unproven, real_judge = sqlite_reads.unproven, sqlite_reads._judge
    monkeypatch.setattr(sqlite_reads, "unproven", lambda c, refs: asked.append(len(refs)) or real_unproven(c, refs))
    monkeypatch.setattr(sqlite_reads, "_judge", lambda c, cases: judged.append([x.ref for x in cases]) or
                        real_judge(c, cases))
    rows = [case_row(r) for r in conn.execute(f"SELECT {CASE_COLUMNS} FROM cases ORDER BY ref")]
    check_states(conn, rows)
    assert asked == [12] and judged == [[]]
    conn.execute("UPDATE open_deadlines SET status = 'met' WHERE case_ref = 'LS-07'")
    with pytest.raises(Exception, match="LS-07 does not verify: deadline row notify_panel"):
        check_states(conn, rows)
    assert judged[-1] == ["LS-07"]
    check_states(conn, rows[:1])  # one case alone is judged in Python without asking the database
    assert asked == [12, 12] and judged[-1] == ["LS-00"]
