"""The hash chain that makes a case's record tamper-evident, the same for every backend.

Each event is stored as its canonical JSON text together with
``hash = chain_hash(prev_hash, case_ref, seq, payload, recorded_by)``, where `prev_hash` is the hash of
the event before it (`GENESIS_HASH` for seq 1) and `recorded_by` the login (or OS user) the store
recorded as writing it. Editing, removing or reordering a stored event, or changing who recorded it,
breaks the chain at that point, and `check_chain` says where. A backend stores the texts and hashes;
it never computes them differently (the PostgreSQL backend computes the same text and sha256 in the
database, where the client cannot choose `recorded_by`, and its tests check the two agree).

The chain proves the record unchanged since each event was written, against anyone who cannot rewrite
every later link too: whoever can write the whole table (a database owner, the owner of an SQLite
file) can recompute a consistent chain, which only a copy of the hashes kept elsewhere would expose.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from reviewflow.engine.events import Event
from reviewflow.engine.store.types import ChainProblem, StoredEvent

GENESIS_HASH = "0" * 64


# json.dumps with these arguments builds a new encoder on every call; one encoder, made once, writes the
# same text (the store hashes hundreds of thousands of small values in `verify` and in reads).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value: Any) -> str:
    """One byte-exact JSON text per value: sorted keys, no spaces, UTF-8 kept."""
    return _CANONICAL.encode(value)


def chain_text(previous_hash: str, case_ref: str, seq: int, payload: Mapping[str, Any],
               recorded_by: str | None = None) -> str:
    """The exact text that is hashed: canonical JSON of the link, with `recorded_by` only when known.

    Leaving the key out when it is None keeps the hashes of events stored before it was recorded.
    """
    link: dict[str, Any] = {"prev": previous_hash, "case": case_ref, "seq": seq, "event": payload}
    if recorded_by is not None:
        link["recorded_by"] = recorded_by
    return canonical_json(link)


def chain_hash(previous_hash: str, case_ref: str, seq: int, payload: Mapping[str, Any],
               recorded_by: str | None = None) -> str:
    """sha256 over the previous link and this event's canonical JSON: the tamper-evident chain."""
    body = chain_text(previous_hash, case_ref, seq, payload, recorded_by)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def check_chain(ref: str, rows: Iterable[Sequence[object]], last_seq: int | None) -> list[ChainProblem]:
    """Problems in one case's stored rows ``(seq, payload, prev_hash, hash, recorded_by)``, in seq order.

    `last_seq` is the last seq the case row names, or None when there is no case row.
    """
    problems: list[ChainProblem] = []
    expected_seq, expected_prev, last_seen = 1, GENESIS_HASH, 0
    for seq_value, payload_value, prev_value, hash_value, recorded_by in rows:
        seq, payload, prev, stored = int(str(seq_value)), str(payload_value), str(prev_value), str(hash_value)
        by = None if recorded_by is None else str(recorded_by)
        if seq != expected_seq:
            missing = str(expected_seq) if seq == expected_seq + 1 else f"{expected_seq}..{seq - 1}"
            problems.append(ChainProblem(ref, expected_seq, f"event seq {missing} is missing"))
        if prev != expected_prev:
            problems.append(ChainProblem(ref, seq, "prev_hash does not match the hash of the event "
                                                   "before it (an event was removed or a hash edited)"))
        try:
            parsed = json.loads(payload)
            Event.from_json_dict(parsed)
        except (ValueError, KeyError, TypeError, AttributeError):
            problems.append(ChainProblem(ref, seq, "stored payload is not a valid event"))
        else:
            if chain_hash(prev, ref, seq, parsed, by) != stored:
                problems.append(ChainProblem(ref, seq, "hash does not match the stored payload and recorder "
                                                       "(the payload, its recorded_by or its hash was edited)"))
            elif canonical_json(parsed) != payload:
                problems.append(ChainProblem(ref, seq, "stored payload text is not in canonical form "
                                                       "(it was edited)"))
        expected_seq, expected_prev, last_seen = seq + 1, stored, seq
    if last_seq is not None and last_seq != last_seen:
        problems.append(ChainProblem(ref, max(last_seq, last_seen),
                                     f"the case row says the last event is seq {last_seq} but the last "
                                     f"stored event is seq {last_seen}"))
    return problems


def chain_rows(events: Sequence[StoredEvent]) -> list[tuple[int, str, str, str, str | None]]:
    """Stored events as the rows `check_chain` reads ``(seq, payload, prev_hash, hash, recorded_by)``.

    The payload is the canonical text of the event, as a store writes it.
    """
    return [(s.event.seq, canonical_json(s.event.to_json_dict()), s.prev_hash, s.hash, s.recorded_by)
            for s in events]
