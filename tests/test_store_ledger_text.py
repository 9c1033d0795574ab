"""The ledger's state texts are written out by hand for speed: they must be byte for byte the canonical
JSON of the same fields, or every store written before would stop verifying."""

from __future__ import annotations

import hashlib
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st
from reviewflow.engine.store.chain import canonical_json
from reviewflow.engine.store.ledger import case_fields, deadline_fields, entry_text, state_text
from reviewflow.engine.store.types import CaseRow, DeadlineRow

TEXT = st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(['"', "\\", "\n", "é", "\u2028", "😀"])
MAYBE = st.none() | TEXT
DAYS = st.dates(date(1900, 1, 1), date(2200, 12, 31))

CASE_ROWS = st.builds(CaseRow, ref=TEXT, process_id=TEXT, definition_hash=TEXT, pseudonym=MAYBE, opened_at=DAYS,
                      stage=MAYBE, closed=st.booleans(), last_seq=st.integers(0, 10**12),
                      partnership=MAYBE, projected_on=st.none() | DAYS)
DEADLINE_ROWS = st.builds(DeadlineRow, case_ref=TEXT, deadline_id=TEXT, title=TEXT, due=st.none() | DAYS,
                          window_start=st.none() | DAYS, weight=TEXT, status=TEXT, owner=MAYBE,
                          escalate_to=MAYBE, citation=MAYBE)


def _reference_state(row: CaseRow, deadlines: list[DeadlineRow]) -> str:
    def sha(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    return canonical_json({"case": sha(canonical_json(case_fields(row))),
                           "deadlines": {d.deadline_id: sha(canonical_json(deadline_fields(d))) for d in deadlines}})


@settings(max_examples=400, deadline=None)
@given(CASE_ROWS, st.lists(DEADLINE_ROWS, max_size=6))
def test_the_state_text_is_the_canonical_json_of_the_rows(row: CaseRow, deadlines: list[DeadlineRow]) -> None:
    assert state_text(row, deadlines) == _reference_state(row, deadlines)


@settings(max_examples=200, deadline=None)
@given(TEXT, TEXT, TEXT, st.integers(1, 10**9), st.integers(1, 10**9))
def test_the_entry_text_quotes_as_canonical_json_does(ref: str, event: str, prev: str, position: int,
                                                      seq: int) -> None:
    text = entry_text(prev, position, ref, seq, event, "{}")
    assert text == canonical_json({"case": ref, "event": event, "position": position, "prev": prev, "seq": seq,
                                   "state": {}})


def test_a_known_state_keeps_its_digest() -> None:
    """A fixed row's state text, as every store so far has recorded it (a change here breaks old stores)."""
    row = CaseRow("LS-1", "leeds-rapid-review", "abc", "Child B", date(2024, 1, 8), "rapid_review", False, 10,
                  "leeds", date(2024, 1, 22))
    deadline = DeadlineRow("LS-1", "panel_notification", "Notify the Panel", date(2024, 1, 15), None, "statutory",
                           "open", "local_authority", None, "WT2023 ch4 para 17")
    # the digest of this state as written by canonical_json before the texts were written out by hand
    assert hashlib.sha256(state_text(row, [deadline]).encode()).hexdigest() == \
        "659d09d205dd73f915e14b46b720cc52170499df0528988f8f21517ba2c276bf"
