"""Between the SQLite store's rows and the store's types: the texts dates and events are stored as, and
the rows read back as `CaseRow`, `DeadlineRow` and `LedgerEntry`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from reviewflow.engine.events import Event
from reviewflow.engine.store.chain import canonical_json
from reviewflow.engine.store.types import CaseRow, DeadlineRow, LedgerEntry


def iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def from_iso(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def case_row(row: tuple[Any, ...]) -> CaseRow:
    ref, process_id, definition_hash, pseudonym, opened_at, stage, closed, last_seq, partnership, projected = row
    return CaseRow(ref, process_id, definition_hash, pseudonym, date.fromisoformat(opened_at), stage,
                   bool(closed), last_seq, partnership, from_iso(projected))


def ledger_entry(row: tuple[Any, ...]) -> LedgerEntry:
    position, case_ref, seq, event_hash, state, prev_hash, digest = row
    return LedgerEntry(int(position), str(case_ref), int(seq), str(event_hash), str(state), str(prev_hash),
                       str(digest))


def deadline_row(row: tuple[Any, ...]) -> DeadlineRow:
    ref, did, title, due, start, weight, status, owner, escalate_to, citation = row
    return DeadlineRow(ref, did, title, from_iso(due), from_iso(start), weight, status, owner, escalate_to,
                       citation)


def deadline_rows(rows: Iterable[tuple[Any, ...]]) -> Iterator[DeadlineRow]:
    """Deadline rows as a long query reads them: each date text parsed once per query."""
    dates: dict[str | None, date | None] = {None: None}
    for ref, did, title, due, start, weight, status, owner, escalate_to, citation in rows:
        due_date = dates[due] if due in dates else dates.setdefault(due, date.fromisoformat(due))
        start_date = dates[start] if start in dates else dates.setdefault(start, date.fromisoformat(start))
        yield DeadlineRow(ref, did, title, due_date, start_date, weight, status, owner, escalate_to, citation)


def event_payload(event: Event) -> str:
    return canonical_json(event.to_json_dict())
