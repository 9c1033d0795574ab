"""The store-wide ledger: one entry per write, chained across every case, so that what a case's own
chain cannot show (a case deleted whole, a tail cut off with its head lowered, a projection edited,
a definition hash swapped) breaks something that other cases' writes depend on.

Every transaction that changes a case (open, append, import) adds one entry::

    hash = sha256(canonical_json({"prev": previous entry's hash, "position": n, "case": ref,
                                  "seq": the case's last seq, "event": that event's chain hash,
                                  "state": {"case": digest of the case row,
                                            "deadlines": {deadline id: digest of its row}}}))

so each entry commits to the case's whole chain (through the hash of its last event) and to the
projection that was written with it (the case row as `cases` prints it and the open-deadline rows
`due` prints), and each entry to every entry before it. Positions run 1, 2, 3, … without gaps.

What it proves, and what it does not (docs/integrity.md): an edit that is not carried through every
later entry breaks the chain of entries; deleting a case leaves entries naming it; lowering a case's
head leaves an entry naming the removed event. Whoever can rewrite the whole ledger can recompute it
(it holds no secret): only a copy of the head kept elsewhere (`reviewflow verify --anchor`) exposes
that, and the same copy exposes the last entries being cut off together with what they recorded.

Plain Python, the same for every backend: the PostgreSQL write functions build the same texts in the
database (`postgres_schema_ledger`), and the tests check the two agree.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from json.encoder import encode_basestring
from typing import Any

from reviewflow.engine.store.chain import GENESIS_HASH, canonical_json
from reviewflow.engine.store.types import CaseRow, ChainProblem, DeadlineRow, LedgerEntry, LedgerHead

EMPTY_HEAD = LedgerHead(0, GENESIS_HASH)


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def case_fields(row: CaseRow) -> dict[str, Any]:
    """What a case row holds, as the digest covers it."""
    return {"ref": row.ref, "process_id": row.process_id, "definition_hash": row.definition_hash,
            "pseudonym": row.pseudonym, "opened_at": row.opened_at.isoformat(), "stage": row.stage,
            "closed": row.closed, "last_seq": row.last_seq, "partnership": row.partnership,
            "projected_on": _iso(row.projected_on)}


def deadline_fields(row: DeadlineRow) -> dict[str, Any]:
    """What an open-deadline row holds, as the digest covers it (its case is the entry's)."""
    return {"deadline_id": row.deadline_id, "title": row.title, "due": _iso(row.due),
            "window_start": _iso(row.window_start), "weight": row.weight, "status": row.status,
            "owner": row.owner, "escalate_to": row.escalate_to, "citation": row.citation}


def state_text(row: CaseRow, deadlines: Iterable[DeadlineRow]) -> str:
    """The canonical JSON of a case's stored state, one digest per row, so a mismatch can be named."""
    digests = {d.deadline_id: _sha(_deadline_json(d)) for d in deadlines}
    return ('{"case":"' + _sha(_case_json(row)) + '","deadlines":{'
            + ",".join(_quote(key) + ':"' + digests[key] + '"' for key in sorted(digests)) + "}}")


# Every read checks the rows it hands out against their state text, so the texts are written out here
# rather than by the JSON encoder (a third of `due`'s time): the same bytes as `canonical_json` of
# `case_fields` / `deadline_fields` (keys in sorted order; tests/test_store_ledger_text.py compares them),
# and a value of any other type than those the rows hold goes through `canonical_json` itself.
_quote = encode_basestring


def _json(value: object) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is str:
        return _quote(value)
    if type(value) is int:
        return int.__repr__(value)
    return canonical_json(value)


def _case_json(row: CaseRow) -> str:
    return ('{"closed":' + _json(row.closed) + ',"definition_hash":' + _json(row.definition_hash)
            + ',"last_seq":' + _json(row.last_seq) + ',"opened_at":' + _json(row.opened_at.isoformat())
            + ',"partnership":' + _json(row.partnership) + ',"process_id":' + _json(row.process_id)
            + ',"projected_on":' + _json(_iso(row.projected_on)) + ',"pseudonym":' + _json(row.pseudonym)
            + ',"ref":' + _json(row.ref) + ',"stage":' + _json(row.stage) + "}")


def _deadline_json(row: DeadlineRow) -> str:
    return ('{"citation":' + _json(row.citation) + ',"deadline_id":' + _json(row.deadline_id)
            + ',"due":' + _json(_iso(row.due)) + ',"escalate_to":' + _json(row.escalate_to)
            + ',"owner":' + _json(row.owner) + ',"status":' + _json(row.status) + ',"title":' + _json(row.title)
            + ',"weight":' + _json(row.weight) + ',"window_start":' + _json(_iso(row.window_start)) + "}")


def entry_text(prev_hash: str, position: int, case_ref: str, seq: int, event_hash: str, state: str) -> str:
    """The exact text an entry's hash is taken over (`state` is already canonical JSON)."""
    return ('{"case":' + _quote(case_ref) + ',"event":' + _quote(event_hash)
            + ',"position":' + str(position) + ',"prev":' + _quote(prev_hash)
            + ',"seq":' + str(seq) + ',"state":' + state + "}")


def entry_hash(prev_hash: str, position: int, case_ref: str, seq: int, event_hash: str, state: str) -> str:
    return _sha(entry_text(prev_hash, position, case_ref, seq, event_hash, state))


def next_entry(head: LedgerHead, row: CaseRow, event_hash: str, deadlines: Sequence[DeadlineRow]) -> LedgerEntry:
    """The entry a write adds after `head`, for case `row` as it stands after the write."""
    state = state_text(row, deadlines)
    position = head.position + 1
    return LedgerEntry(position, row.ref, row.last_seq, event_hash, state, head.hash,
                       entry_hash(head.hash, position, row.ref, row.last_seq, event_hash, state))


def entry_intact(entry: LedgerEntry) -> bool:
    """Whether the entry's own hash matches its fields (not whether it links to the one before)."""
    return entry.hash == entry_hash(entry.prev_hash, entry.position, entry.case_ref, entry.seq,
                                    entry.event_hash, entry.state)


def state_differences(row: CaseRow, deadlines: Sequence[DeadlineRow], state: str) -> list[str]:
    """How a case's stored rows differ from the state its last ledger entry recorded, row by row."""
    import json

    try:
        recorded = json.loads(state)
        recorded_case, recorded_rows = str(recorded["case"]), dict(recorded["deadlines"])
    except (ValueError, KeyError, TypeError):
        return ["its last ledger entry holds an unreadable state"]
    now = json.loads(state_text(row, deadlines))
    found = []
    if now["case"] != recorded_case:
        found.append("the case row (stage, closed, pseudonym, opened, process, definition, partnership, "
                      "last seq or projection date) is not the one last written")
    for deadline_id in sorted(set(recorded_rows) | set(now["deadlines"])):
        if deadline_id not in now["deadlines"]:
            found.append(f"deadline row {deadline_id} was removed")
        elif deadline_id not in recorded_rows:
            found.append(f"deadline row {deadline_id} was added")
        elif now["deadlines"][deadline_id] != recorded_rows[deadline_id]:
            found.append(f"deadline row {deadline_id} is not the one last written")
    return found


def read_problem(row: CaseRow, deadlines: Sequence[DeadlineRow], entry: LedgerEntry | None) -> str | None:
    """What a read finds wrong with a case's stored state, cheaply (no other entry is read), or None.

    A read checks the case row and deadline rows it is about to print against the case's last ledger
    entry, and that entry's own hash; the links between entries are `verify`'s.
    """
    if entry is None:
        return "it has no ledger entry (it was written behind the store's back)"
    if not entry_intact(entry):
        return f"its last ledger entry (position {entry.position}) does not match its hash"
    if entry.seq != row.last_seq:
        return (f"its case row says the last event is seq {row.last_seq} but its last ledger entry "
                f"(position {entry.position}) recorded seq {entry.seq}")
    if state_text(row, deadlines) == entry.state:
        return None  # the common case: one text compared, nothing parsed
    differences = state_differences(row, deadlines, entry.state)
    return "; ".join(differences) if differences else None


def check_head(ref: str, rows: Sequence[Sequence[object]], entry: LedgerEntry | None) -> list[ChainProblem]:
    """A read's check of a case's head against its last ledger entry: the case's stored events
    ``(seq, payload, prev_hash, hash, recorded_by)`` end where the entry says, with the hash it recorded."""
    if entry is None:
        return [ChainProblem(ref, 0, "the case has no ledger entry (it was written behind the store's back)",
                             "ledger")]
    if not entry_intact(entry):
        return [ChainProblem(ref, entry.seq, f"its last ledger entry (position {entry.position}) does not "
                             "match its hash", "ledger")]
    last_seq, last_hash = (int(str(rows[-1][0])), str(rows[-1][3])) if rows else (0, "")
    if entry.seq != last_seq:
        return [ChainProblem(ref, max(entry.seq, last_seq), f"its last ledger entry (position {entry.position}) "
                             f"recorded seq {entry.seq} but the last stored event is seq {last_seq} "
                             "(events were removed or added behind the store's back)", "ledger")]
    if entry.event_hash != last_hash:
        return [ChainProblem(ref, last_seq, f"its last ledger entry (position {entry.position}) recorded "
                             f"another hash for seq {last_seq} (the events were rewritten and rehashed)",
                             "ledger")]
    return []


def check_ledger_links(entries: Iterable[LedgerEntry]) -> tuple[list[ChainProblem], LedgerHead]:
    """Walk the whole ledger in position order: every link, no gaps (each entry's own hash is checked
    with its case, `check_case_ledger`).

    Returns the problems and the head (the last entry) as found.
    """
    problems: list[ChainProblem] = []
    expected_position, expected_prev = 1, GENESIS_HASH
    head = EMPTY_HEAD
    for entry in entries:
        if entry.position != expected_position:
            gap = (str(expected_position) if entry.position == expected_position + 1
                   else f"{expected_position}..{entry.position - 1}")
            problems.append(ChainProblem(entry.case_ref, entry.seq, f"ledger position {gap} is missing "
                                         "(entries were removed)", "ledger"))
        if entry.prev_hash != expected_prev:
            problems.append(ChainProblem(entry.case_ref, entry.seq, f"ledger position {entry.position} does "
                                         "not link to the entry before it (an entry was removed or rewritten)", "ledger"))
        expected_position, expected_prev = entry.position + 1, entry.hash
        head = LedgerHead(entry.position, entry.hash)
    return problems, head


def check_case_ledger(ref: str, row: CaseRow | None, event_hashes: Mapping[int, str],
                      deadlines: Sequence[DeadlineRow], entries: Sequence[LedgerEntry]) -> list[ChainProblem]:
    """One case against its ledger entries (in position order): each entry names an event that is
    stored with that hash, and the last one the case's head and its stored rows.

    `row` is None when the case row is missing; `event_hashes` maps each stored seq to its hash.
    """
    problems: list[ChainProblem] = []
    if row is None and not event_hashes:
        last = entries[-1]
        return [ChainProblem(ref, last.seq, f"ledger position {last.position} names case {ref}, which is "
                             "not in the store (the case was deleted)", "ledger")]
    if not entries:
        return [ChainProblem(ref, 0, "the case has no ledger entry (it was written behind the store's back)",
                             "ledger")]
    previous_seq = 0
    for entry in entries:
        where = f"ledger position {entry.position}"
        if not entry_intact(entry):
            problems.append(ChainProblem(ref, entry.seq, f"{where} does not match its hash (the entry was "
                                         "edited)", "ledger"))
        if entry.seq < previous_seq:
            problems.append(ChainProblem(ref, entry.seq, f"{where} goes back to seq {entry.seq} after seq "
                                         f"{previous_seq}", "ledger"))
        previous_seq = entry.seq
        stored = event_hashes.get(entry.seq)
        if stored is None:
            problems.append(ChainProblem(ref, entry.seq, f"{where} recorded seq {entry.seq}, which is no longer "
                                         "stored (events were removed)", "ledger"))
        elif stored != entry.event_hash:
            problems.append(ChainProblem(ref, entry.seq, f"{where} recorded another hash for seq {entry.seq} "
                                         "(the case's events were rewritten and rehashed)", "ledger"))
    if row is not None:
        last = entries[-1]
        if last.seq != row.last_seq:
            problems.append(ChainProblem(ref, max(last.seq, row.last_seq), f"the case row says the last event "
                                         f"is seq {row.last_seq} but its last ledger entry (position "
                                         f"{last.position}) recorded seq {last.seq}", "ledger"))
        same = state_text(row, deadlines) == last.state  # the common case: one text compared, nothing parsed
        for difference in [] if same else state_differences(row, deadlines, last.state):
            problems.append(ChainProblem(ref, 0, f"{difference} (ledger position {last.position})", "projection"))
    return problems
