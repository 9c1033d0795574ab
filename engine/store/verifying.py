"""What `verify` concludes from the rows it read, the same for every backend: each case's stored events
against its row and its ledger entries, then whatever is left over (case rows without events, ledger
entries of a case that is gone, deadline rows without a case). The backends only select the rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from reviewflow.engine.store.ledger import check_case_ledger
from reviewflow.engine.store.readchain import verify_rows
from reviewflow.engine.store.types import CaseRow, ChainProblem, DeadlineRow, LedgerEntry


def check_case(case_ref: str, links: Sequence[Sequence[object]], row: CaseRow | None,
               deadlines: Mapping[str, list[DeadlineRow]], entries: dict[str, list[LedgerEntry]]
               ) -> list[ChainProblem]:
    """One case's events `(seq, payload, prev_hash, hash, recorded_by)`, in seq order; its ledger entries
    are taken out of `entries`, so that those left at the end belong to cases with no events."""
    problems = [] if row is not None else [ChainProblem(case_ref, 0, "events are stored for a case with no case row")]
    problems.extend(verify_rows(case_ref, links, None if row is None else row.last_seq))
    problems.extend(check_case_ledger(case_ref, row, {int(str(r[0])): str(r[3]) for r in links},
                                      deadlines.get(case_ref, []), entries.pop(case_ref, [])))
    return problems


def check_leftovers(cases: Mapping[str, CaseRow], seen: Iterable[str], deadlines: Mapping[str, list[DeadlineRow]],
                    entries: dict[str, list[LedgerEntry]]) -> list[ChainProblem]:
    """After every stored chain was checked (`seen`): case rows without events, ledger entries whose case
    is gone, deadline rows without a case row."""
    problems: list[ChainProblem] = []
    for missing in sorted(set(cases) - set(seen)):
        row = cases[missing]
        problems.append(ChainProblem(missing, row.last_seq, "the case row exists but no events are stored"))
        problems.extend(check_case_ledger(missing, row, {}, deadlines.get(missing, []), entries.pop(missing, [])))
    for gone in sorted(entries):
        problems.extend(check_case_ledger(gone, None, {}, [], entries[gone]))
    for orphan in sorted(set(deadlines) - set(cases)):
        problems.append(ChainProblem(orphan, 0, "deadline rows are stored for a case with no case row",
                                     "projection"))
    return problems
