"""The hash chain that makes a case's record tamper-evident, the same for every backend.

Each event is stored as its canonical JSON text together with
``hash = chain_hash(prev_hash, case_ref, seq, payload)``, where `prev_hash` is the hash of the event
before it (`GENESIS_HASH` for seq 1). Editing, removing or reordering a stored event breaks the chain
at that point, and `check_chain` says where. A backend stores the texts and hashes; it never computes
them differently.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from reviewflow.engine.events import Event
from reviewflow.engine.store.types import ChainProblem

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    """One byte-exact JSON text per value: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(previous_hash: str, case_ref: str, seq: int, payload: Mapping[str, Any]) -> str:
    """sha256 over the previous link and this event's canonical JSON: the tamper-evident chain."""
    body = canonical_json({"prev": previous_hash, "case": case_ref, "seq": seq, "event": payload})
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def check_chain(ref: str, rows: Iterable[Sequence[object]], last_seq: int | None) -> list[ChainProblem]:
    """Problems in one case's stored rows ``(seq, payload, prev_hash, hash)``, in seq order.

    `last_seq` is the last seq the case row names, or None when there is no case row.
    """
    problems: list[ChainProblem] = []
    expected_seq, expected_prev, last_seen = 1, GENESIS_HASH, 0
    for seq_value, payload_value, prev_value, hash_value in rows:
        seq, payload, prev, stored = int(str(seq_value)), str(payload_value), str(prev_value), str(hash_value)
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
            if chain_hash(prev, ref, seq, parsed) != stored:
                problems.append(ChainProblem(ref, seq, "hash does not match the stored payload "
                                                       "(the payload or its hash was edited)"))
            elif canonical_json(parsed) != payload:
                problems.append(ChainProblem(ref, seq, "stored payload text is not in canonical form "
                                                       "(it was edited)"))
        expected_seq, expected_prev, last_seen = seq + 1, stored, seq
    if last_seq is not None and last_seq != last_seen:
        problems.append(ChainProblem(ref, max(last_seq, last_seen),
                                     f"the case row says the last event is seq {last_seq} but the last "
                                     f"stored event is seq {last_seen}"))
    return problems
