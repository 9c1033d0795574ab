"""What `verify` concludes from the rows it read, the same for every backend. A backend selects each kind
of row in case order (case rows by ref; events by case and seq; ledger entries by case and position;
deadline rows by case and deadline id) and hands the open cursors to `verify_cases`, which walks them side
by side a case at a time (a merge join): a fixed handful of statements whatever the size of the store,
and memory flat in the number of cases.

For each case: its chain, its ledger entries against its events and its rows, and, when the caller asks
(`CaseExaminer`, how `reviewflow verify` checks every projection against a fresh fold), the case with its
events decoded once and its deadline rows; whatever has no case to go with is named there too (a case row
without events, ledger entries of a case that is gone, deadline rows without a case row).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from itertools import groupby
from operator import attrgetter, itemgetter
from typing import Generic, Protocol, TypeVar

from reviewflow.engine.errors import StoreError
from reviewflow.engine.events import Event
from reviewflow.engine.store.ledger import check_case_ledger
from reviewflow.engine.store.readchain import verify_rows
from reviewflow.engine.store.types import CaseRow, ChainProblem, DeadlineRow, LedgerEntry

Row = Sequence[object]  # an event as selected for verify: (case_ref, seq, payload, prev_hash, hash, recorded_by)
T = TypeVar("T")
_decode = json.JSONDecoder().decode


class CaseExaminer(Protocol):
    """What the caller of `verify` checks of each case besides its chain and ledger entries."""

    def begin(self, cases: int) -> None:
        """How many case rows the cases handed over next will be (for a progress bar)."""

    def __call__(self, row: CaseRow, events: Sequence[Event] | None,
                 deadlines: Sequence[DeadlineRow]) -> Iterable[ChainProblem]:
        """The problems of one case row, given its stored events decoded (None when one of them cannot
        be, which its chain check has named) and its stored deadline rows."""


class _ByCase(Generic[T]):
    """One stream of rows in case order, handed out a case at a time."""

    def __init__(self, rows: Iterable[T], ref_of: Callable[[T], object], what: str) -> None:
        self._groups = groupby(rows, ref_of)
        self._what = what
        self.ref: str | None = None
        self._rows: list[T] = []
        self._advance()

    def _advance(self) -> None:
        previous = self.ref
        ref, group = next(self._groups, (None, iter(())))
        self.ref, self._rows = None if ref is None else str(ref), list(group)
        if self.ref is not None and previous is not None and self.ref <= previous:
            raise StoreError(f"verify read the {self._what} out of case order ({self.ref} after {previous})",
                             hint="a bug in reviewflow's store: please report it")

    def take(self, ref: str) -> list[T]:
        """The rows of case `ref` (none if it has none); `ref` must come after every case taken before."""
        if self.ref != ref:
            return []
        rows = self._rows
        self._advance()
        return rows


def verify_cases(cases: Iterable[CaseRow], events: Iterable[Row], entries: Iterable[LedgerEntry],
                 deadlines: Iterable[DeadlineRow], examine: CaseExaminer | None = None
                 ) -> tuple[list[ChainProblem], bool]:
    """Every case found in any of the four streams, each ordered by case ref (byte order) and then by
    seq, ledger position and deadline id; returns the problems, case by case, and whether any case row,
    event or ledger entry was read at all."""
    streams = (_ByCase(cases, attrgetter("ref"), "case rows"), _ByCase(events, itemgetter(0), "events"),
               _ByCase(entries, attrgetter("case_ref"), "ledger entries"),
               _ByCase(deadlines, attrgetter("case_ref"), "deadline rows"))
    rows, links, ledger, projection = streams
    problems: list[ChainProblem] = []
    found = False
    while True:
        refs = [s.ref for s in streams if s.ref is not None]
        if not refs:
            return problems, found
        ref = min(refs)
        row = next(iter(rows.take(ref)), None)
        case_links = [r[1:] for r in links.take(ref)]
        case_entries, case_deadlines = ledger.take(ref), projection.take(ref)
        found = found or row is not None or bool(case_links) or bool(case_entries)
        problems += check_case(ref, row, case_links, case_entries, case_deadlines)
        if row is not None and examine is not None:
            problems += examine(row, decoded(case_links), case_deadlines)


def check_case(ref: str, row: CaseRow | None, links: Sequence[Row], entries: Sequence[LedgerEntry],
               deadlines: Sequence[DeadlineRow]) -> list[ChainProblem]:
    """One case's chain and ledger entries: its events `(seq, payload, prev_hash, hash, recorded_by)` in
    seq order, its ledger entries in position order and its deadline rows, any of them possibly missing."""
    problems: list[ChainProblem] = []
    if links:
        if row is None:
            problems.append(ChainProblem(ref, 0, "events are stored for a case with no case row"))
        problems += verify_rows(ref, links, None if row is None else row.last_seq)
        problems += check_case_ledger(ref, row, {int(str(r[0])): str(r[3]) for r in links}, deadlines, entries)
    elif row is not None:
        problems.append(ChainProblem(ref, row.last_seq, "the case row exists but no events are stored"))
        problems += check_case_ledger(ref, row, {}, deadlines, entries)
    elif entries:
        problems += check_case_ledger(ref, None, {}, [], entries)
    if row is None and deadlines:
        problems.append(ChainProblem(ref, 0, "deadline rows are stored for a case with no case row", "projection"))
    return problems


def decoded(links: Sequence[Row]) -> list[Event] | None:
    """A case's stored events `(seq, payload, ...)` as events, or None when one cannot be read (as
    `Store.events(check=False)` reads them)."""
    try:
        return [Event.from_json_dict(_decode(str(r[1])), seq=int(str(r[0]))) for r in links]
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
