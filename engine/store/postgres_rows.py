"""Rows as PostgreSQL returns them, as the store's row types; deadline rows as the JSON the write functions
take.

Each conversion unpacks by position: every SELECT names its columns in the order of the `*_COLUMNS` of
`postgres_schema`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from reviewflow.engine.store.types import CaseRow, DeadlineRow, LedgerEntry


def case_row(row: Sequence[Any]) -> CaseRow:
    ref, process_id, definition_hash, pseudonym, opened_at, stage, closed, last_seq, partnership, projected = row
    return CaseRow(ref, process_id, definition_hash, pseudonym, opened_at, stage, bool(closed), int(last_seq),
                   partnership, projected)


def ledger_entry(row: Sequence[Any]) -> LedgerEntry:
    position, case_ref, seq, event_hash, state, prev_hash, digest = row
    return LedgerEntry(int(position), str(case_ref), int(seq), str(event_hash), str(state), str(prev_hash),
                       str(digest))


def deadline_row(row: Sequence[Any]) -> DeadlineRow:
    return DeadlineRow(*row)


def deadlines_json(deadlines: Sequence[DeadlineRow]) -> str:
    return json.dumps([{"deadline_id": d.deadline_id, "title": d.title,
                        "due": None if d.due is None else d.due.isoformat(),
                        "window_start": None if d.window_start is None else d.window_start.isoformat(),
                        "weight": d.weight, "status": d.status, "owner": d.owner,
                        "escalate_to": d.escalate_to, "citation": d.citation} for d in deadlines])
