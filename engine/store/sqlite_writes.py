"""The rows a write adds to the SQLite store besides the case row: the events with their chain hashes,
the case's deadline rows, its ledger entry. Each runs in the caller's write transaction; `SQLiteStore`
opens it and decides what is written (`open_case`, `append`, `import_case`)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from reviewflow.engine.events import Event
from reviewflow.engine.store.chain import chain_hash
from reviewflow.engine.store.ledger import EMPTY_HEAD, next_entry
from reviewflow.engine.store.sqlite_reads import deadlines_in
from reviewflow.engine.store.sqlite_rows import case_row, iso
from reviewflow.engine.store.sqlite_schema import CASE_COLUMNS, DEADLINE_COLUMNS, LEDGER_COLUMNS
from reviewflow.engine.store.types import CaseRow, DeadlineRow, LedgerEntry, LedgerHead, StoredEvent


def case_in(conn: sqlite3.Connection, ref: str) -> CaseRow:
    return case_row(conn.execute(f"SELECT {CASE_COLUMNS} FROM cases WHERE ref = ?", (ref,)).fetchone())


def add_ledger_entry(conn: sqlite3.Connection, row: CaseRow, event_hash: str,
                     deadlines: Sequence[DeadlineRow] | None = None) -> LedgerEntry:
    """Chain one entry for `row` (as it stands after the write) onto the ledger: the caller holds the
    write lock, so the head read here is the head the entry follows."""
    if deadlines is None:
        deadlines = deadlines_in(conn, row.ref)
    last = conn.execute("SELECT position, hash FROM ledger ORDER BY position DESC LIMIT 1").fetchone()
    head = EMPTY_HEAD if last is None else LedgerHead(int(last[0]), str(last[1]))
    entry = next_entry(head, row, event_hash, sorted(deadlines, key=lambda d: d.deadline_id))
    conn.execute(f"INSERT INTO ledger ({LEDGER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (entry.position, entry.case_ref, entry.seq, entry.event_hash, entry.state, entry.prev_hash,
                  entry.hash))
    return entry


def insert_events(conn: sqlite3.Connection, ref: str, payloads: Sequence[str], last_seq: int,
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


def replace_deadlines(conn: sqlite3.Connection, ref: str, deadlines: Sequence[DeadlineRow]) -> None:
    conn.execute("DELETE FROM open_deadlines WHERE case_ref = ?", (ref,))
    conn.executemany(
        f"INSERT INTO open_deadlines ({DEADLINE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(d.case_ref, d.deadline_id, d.title, iso(d.due), iso(d.window_start), d.weight, d.status,
          d.owner, d.escalate_to, d.citation) for d in deadlines])
