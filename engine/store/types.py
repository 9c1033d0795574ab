"""The row values the event store hands out and takes in.

The same for every backend, and kept apart from them, so that code which only reads these values
(runtime, render) imports no database library.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from reviewflow.engine.events import Event


@dataclass(frozen=True)
class StoredEvent:
    """One link of a case's chain: the event (with its seq) and the hashes that bind it in place."""

    event: Event
    hash: str
    prev_hash: str
    # Who the store knew was writing (a database login, or the OS user on SQLite), set by the store and
    # not by the caller; covered by the hash when present. None for events stored before it was kept.
    recorded_by: str | None = None


@dataclass(frozen=True)
class CaseRow:
    ref: str
    process_id: str
    definition_hash: str
    pseudonym: str | None
    opened_at: date
    stage: str | None
    closed: bool
    last_seq: int
    # The partnership whose members may see and act on the case (set at opening, never changed).
    partnership: str | None = None
    # The day the deadline rows were worked out as of (the command's --as-of), so that `verify` can
    # fold the case again as of that day; None for rows written before it was kept.
    projected_on: date | None = None


@dataclass(frozen=True)
class DefinitionRow:
    definition_hash: str
    process_id: str
    version: str
    bundle: dict[str, str]  # {file name: exact text}


@dataclass(frozen=True)
class DeadlineRow:
    """One row of the open-deadline projection (a cache of replay, so `due` never replays)."""

    case_ref: str
    deadline_id: str
    title: str
    due: date | None
    window_start: date | None
    weight: str
    status: str
    owner: str | None
    escalate_to: str | None
    citation: str | None


def check_deadline_rows(ref: str, deadlines: Sequence[DeadlineRow]) -> None:
    """Refuse (ValueError: a caller's bug) a row for another case, or a deadline named twice."""
    seen: set[str] = set()
    for row in deadlines:
        if row.case_ref != ref:
            raise ValueError(f"deadline row {row.deadline_id!r} is for case {row.case_ref!r}, not {ref!r}")
        if row.deadline_id in seen:
            raise ValueError(f"deadline {row.deadline_id!r} given twice for case {ref!r}")
        seen.add(row.deadline_id)


@dataclass(frozen=True)
class StoreInfo:
    """What `reviewflow db info` and `db migrate` say about a store."""

    backend: str  # "sqlite" or "postgresql"
    location: str  # the file path, or the URL without its password
    schema_version: int
    code_schema_version: int  # the version this reviewflow writes
    principal: str  # recorded as `recorded_by` on every event this store object writes
    applied_now: tuple[int, ...] = ()  # migrations applied when this store object was opened


@dataclass(frozen=True)
class Membership:
    """A database login may act as `role` in the cases of `partnership` (PostgreSQL only)."""

    partnership: str
    login: str
    role: str
    granted_by: str


PROBLEM_KINDS = ("chain", "ledger", "projection", "definition", "store", "anchor")


@dataclass(frozen=True)
class ChainProblem:
    """A place where the stored record does not verify; seq is 0 when the problem is case-wide, ref is
    empty when it is store-wide (a definition, the file itself, the anchor).

    `kind` says what failed to verify: a case's hash `chain`, the store-wide `ledger`, a `projection`
    (case row or deadline rows) that disagrees with the events, a stored `definition` text that
    disagrees with its hash, the `store` file itself, or an `anchor` checkpoint kept outside the store.
    """

    ref: str
    seq: int
    message: str
    kind: str = "chain"

    def __str__(self) -> str:
        where = f"{self.ref} seq {self.seq}" if self.seq else self.ref
        return f"{where}: {self.message}" if where else self.message


@dataclass(frozen=True)
class LedgerEntry:
    """One entry of the store-wide ledger: after a write to case `case_ref`, its head (`seq`, the hash of
    that event) and a digest of its stored state, chained to the entry before it (`reviewflow.engine.store.ledger`)."""

    position: int
    case_ref: str
    seq: int
    event_hash: str
    state: str  # canonical JSON: {"case": digest of the case row, "deadlines": {deadline id: digest of its row}}
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class LedgerHead:
    """The last entry of the ledger: what an anchor records. Position 0 (and the genesis hash) when empty."""

    position: int
    hash: str
