"""The values the case service hands to readers: a case's view, its history, a deadline's explanation, a
verification, and the due list (which may be a stream: `CountedRows`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

from reviewflow.engine.store.types import ChainProblem, DeadlineRow

if TYPE_CHECKING:
    from dataclasses import dataclass
else:  # the same frozen dataclasses, defined without compiling generated methods (engine.values)
    from reviewflow.engine.values import frozen_dataclass as dataclass


@dataclass(frozen=True)
class CaseView:
    """Where a case stands (`case show`): the summary of docs/json.md, and what a reader's text needs
    beyond it (role titles, the names of the personal fields left out)."""

    summary: dict[str, Any]
    role_titles: dict[str, str]
    hidden_personal: tuple[str, ...]


@dataclass(frozen=True)
class CaseHistory:
    ref: str
    events: list[dict[str, Any]]  # `CaseService.history` rows
    personal_hidden: bool


@dataclass(frozen=True)
class DeadlineView:
    """How one deadline of a case was worked out (`CaseService.explain`), judged on `as_of`."""

    ref: str
    as_of: date
    as_of_given: bool  # False: the date of the case's last event
    explanation: dict[str, Any]
    anchor_recorded_by: str | None


@dataclass(frozen=True)
class Verification:
    """What `reviewflow verify` checked (reviewflow.engine.integrity) and every problem it found."""

    cases: int
    events: int
    problems: tuple[ChainProblem, ...]
    definitions: int = 0
    ledger_entries: int = 0  # the ledger's head position
    notes: tuple[str, ...] = ()  # what could not be checked, and why (not problems)
    anchor: str | None = None  # the anchor file checked, if any
    anchor_checkpoints: int = 0
    anchor_written: bool = False  # a checkpoint of the head was added to it

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class DueList:
    """Open deadlines across cases (`CaseService.due`), soonest first, and the filters that chose them."""

    as_of: date
    within: int | None
    role: str | None
    rows: tuple[DeadlineRow, ...] | CountedRows  # a stream when the list may be long (`due_list(stream=True)`)

    @property
    def overdue(self) -> int:
        """How many rows are overdue (of a stream: once it has been read)."""
        if isinstance(self.rows, CountedRows):
            return self.rows.counts["overdue"]
        return sum(r.status == "overdue" for r in self.rows)


class CountedRows:
    """Rows read once, as they come, counting totals on the way (a due list of any length in constant
    memory: the renderer writes each row and the summary after the last)."""

    def __init__(self, rows: Iterable[DeadlineRow]) -> None:
        self._rows: Iterator[DeadlineRow] | None = iter(rows)
        self.counts = {"total": 0, "overdue": 0, "due_soon": 0}

    def __iter__(self) -> Iterator[DeadlineRow]:
        rows, self._rows = self._rows, None
        if rows is None:
            raise RuntimeError("a stream of rows can be read only once")
        for row in rows:
            self.counts["total"] += 1
            if row.status in ("overdue", "due_soon"):
                self.counts[row.status] += 1
            yield row


