"""The row values the event store hands out and takes in.

The same for every backend, and kept apart from them, so that code which only reads these values
(runtime, render) imports no database library.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from reviewflow.engine.events import Event


@dataclass(frozen=True)
class StoredEvent:
    """One link of a case's chain: the event (with its seq) and the hashes that bind it in place."""

    event: Event
    hash: str
    prev_hash: str


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


@dataclass(frozen=True)
class ChainProblem:
    """A place where the stored record does not verify; seq is 0 when the problem is case-wide."""

    ref: str
    seq: int
    message: str

    def __str__(self) -> str:
        where = f"{self.ref} seq {self.seq}" if self.seq else self.ref
        return f"{where}: {self.message}"
