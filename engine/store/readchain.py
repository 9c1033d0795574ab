"""Reading a case's chain in one pass: each stored event decoded once and its link checked in the same step.

`chain.check_chain` is the reference check and names every problem precisely; it decodes each payload,
re-encodes the whole link (payload included) to hash it, and encodes the payload once more to prove it
canonical. A read then decoded every payload a second time for the fold. Here the link text is put
together around the payload *as stored*:

    {"case":<ref>,"event":<stored payload text>,"prev":<prev>,"recorded_by":<who>,"seq":<seq>}

which is byte for byte the text `chain.chain_text` hashes whenever the payload is in canonical form, so
one sha256 proves both that the stored text is the one that was hashed and that it is canonical (the
store hashed the canonical text when it wrote it). Anything that does not match (a gap, a wrong
`prev_hash`, a hash that fails, an undecodable payload) sends the whole case to `check_chain`, so
every problem is still reported in its exact words. (A payload rewritten into another, non-canonical
text *and* given a matching hash passes here; whoever can rewrite hashes can equally write a canonical
forgery, which no check of the chain itself can tell apart: see `chain`'s docstring.)

`chain_checks()` counts the chains read, so a test can prove a command checks its case once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from json.encoder import encode_basestring
from json.scanner import make_scanner
from typing import cast

from reviewflow.engine.errors import IntegrityError
from reviewflow.engine.events import Event, decoded_event
from reviewflow.engine.store.chain import GENESIS_HASH, check_chain
from reviewflow.engine.store.ledger import check_head
from reviewflow.engine.store.types import ChainProblem, LedgerEntry, StoredEvent

Row = Sequence[object]  # (seq, payload, prev_hash, hash, recorded_by), as the stores select them
_count = 0


def chain_checks() -> int:
    """How many case chains have been checked in this process (for tests and benchmarks)."""
    return _count


# The C scanner behind `json.loads`, called directly: `loads` adds two Python calls and two regular
# expression matches (for surrounding white space, which canonical text never has) per payload.
_scan = cast(Callable[[object, int], tuple[object, int]], make_scanner(json.JSONDecoder()))  # type: ignore[arg-type]
_sha = hashlib.sha256
_new, _set = object.__new__, object.__setattr__


_dumps = encode_basestring  # json.dumps(value, ensure_ascii=False) of a str, without building an encoder


class _Recorders(dict[object, str]):
    """The `"recorded_by"` member of a link for each recorder seen (a store has one or a few)."""

    def __missing__(self, by: object) -> str:
        if len(self) >= 1024:
            self.clear()
        text = "" if by is None else ',"recorded_by":' + _dumps(str(by))
        self[by] = text
        return text


_recorders = _Recorders()


def read_events(ref: str, rows: Sequence[Row], last_seq: int) -> list[StoredEvent]:
    """The case's events, decoded once, after checking its chain; raises IntegrityError when it does not
    verify (with `check_chain`'s first problem)."""
    global _count
    _count += 1
    events: list[StoredEvent] = []
    append, head, expected, recorders, counted = events.append, '{"case":' + _dumps(ref) + ',"event":', \
        GENESIS_HASH, _recorders, 0
    try:
        for seq, payload, prev, digest, by in rows:
            counted += 1
            # `prev` equals the last digest checked (or the genesis hash), so it is plain hex: quoted as it is.
            if seq != counted or prev != expected or \
                    _sha(f'{head}{payload},"prev":"{prev}"{recorders[by]},"seq":{seq}}}'.encode()).hexdigest() != digest:
                break
            # The text hashed is canonical JSON (the store hashed only that), so it decodes whole; anything
            # else (trailing text, not an object) is left to `check_chain` below.
            parsed, end = _scan(payload, 0)
            if end != len(payload) or type(parsed) is not dict:  # type: ignore[arg-type]
                break
            stored = _new(StoredEvent)  # `values.build`, inlined: this loop runs once per event read
            _set(stored, "__dict__", {"event": decoded_event(parsed, seq), "hash": digest,
                                      "prev_hash": prev, "recorded_by": None if by is None else str(by)})
            append(stored)
            expected = digest
        else:
            if counted == last_seq:
                return events
    except (ValueError, KeyError, TypeError, AttributeError, StopIteration):
        pass  # not a valid event: check_chain says which
    found = check_chain(ref, rows, last_seq)
    if not found:  # intact after all (a payload the reference check reads differently): decode it plainly
        return [StoredEvent(Event.from_json_dict(json.loads(str(payload)), seq=int(str(seq))), str(digest),
                            str(prev), None if by is None else str(by)) for seq, payload, prev, digest, by in rows]
    raise IntegrityError(f"the record of case {ref} does not verify: {found[0]}",
                         hint="run `verify` for every problem; restore the store from a backup")


def verify_rows(ref: str, rows: Iterable[Row], last_seq: int | None, *, with_ref: bool = False) -> list[ChainProblem]:
    """`check_chain`'s answer, from one sha256 per event when the chain is intact (what `verify` runs).
    `with_ref`: each row starts with the case's ref (as `verify` selects them), which is skipped."""
    listed = rows if isinstance(rows, Sequence) else list(rows)
    head, expected, seen, recorders, sha = '{"case":' + _dumps(ref) + ',"event":', GENESIS_HASH, 0, _Recorders(), \
        hashlib.sha256
    for row in listed:
        if with_ref:
            _, seq, payload, prev, digest, by = row
        else:
            seq, payload, prev, digest, by = row
        seen += 1
        # `prev` equals the last digest checked (or the genesis hash), so it is plain hex: quoted as it is.
        if seq != seen or prev != expected or \
                sha(f'{head}{payload},"prev":"{prev}"{recorders[by]},"seq":{seen}}}'.encode()).hexdigest() != digest:
            return check_chain(ref, [r[1:] for r in listed] if with_ref else listed, last_seq)
        expected = digest
    if last_seq is not None and last_seq != seen:
        return check_chain(ref, [r[1:] for r in listed] if with_ref else listed, last_seq)
    return []


def stored_events(ref: str, rows: Sequence[Row], last_seq: int, entry: LedgerEntry | None, check: bool,
                  restore_hint: str) -> list[StoredEvent]:
    """A case's events as a store hands them out: with `check`, its chain verified while decoding and its
    head against its last ledger entry (`entry`); without, only decoded (forensics). Every backend reads
    its rows its own way and ends here; `restore_hint` says how that backend is restored."""
    if check:
        events = read_events(ref, rows, last_seq)
        problems = check_head(ref, rows, entry)
        if problems:
            raise IntegrityError(f"the record of case {ref} does not verify: {problems[0]}", hint=restore_hint)
        return events
    try:
        return [StoredEvent(Event.from_json_dict(json.loads(str(payload)), seq=int(str(seq))), str(digest),
                            str(prev), None if by is None else str(by)) for seq, payload, prev, digest, by in rows]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise IntegrityError(f"the record of case {ref} holds an unreadable event",
                             hint="run `verify` to see which one") from exc
