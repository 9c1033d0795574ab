"""Dates that cannot brick a case (#14): the date horizon, re-dating an event with `case correct --at-date`,
and the refusal of an out-of-order date naming the exact correction to run."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reviewflow.engine.cases import commands as actions
from reviewflow.engine.cases.case import Case, corrected_dates
from reviewflow.engine.cases.checks import DatePolicy
from reviewflow.engine.cases.summary import summarize
from reviewflow.engine.definition.loader import Registry
from reviewflow.engine.errors import EngineError, RefusedError
from reviewflow.engine.service import CaseService
from reviewflow.engine.store import open_store
from test_runtime_support import FULL, OPEN_FIELDS, Driver, full_process

D = date


def refused(fn: Any, *args: Any, **kw: Any) -> RefusedError:
    with pytest.raises(RefusedError) as info:
        fn(*args, **kw)
    return info.value


def typo_case() -> Driver:
    """A case whose second event, a note, was dated 2042 instead of 2024."""
    d = Driver()
    d.case = d.case.apply(actions.note(d.case, D(2042, 3, 5), "business_manager", "met the family",
                                       as_of=D(2042, 3, 5)))
    return d


# ------------------------------------------------------------------------------------- the fold


def test_a_date_correction_moves_the_event_in_the_fold_and_keeps_the_original() -> None:
    d = typo_case()
    event = actions.correct(d.case, 2, D(2024, 3, 6), "business_manager", "2042 typed for 2024", {},
                            as_of=D(2024, 3, 6), at_date=D(2024, 3, 5))
    after = d.case.apply(event)
    assert after.events[1].at == D(2024, 3, 5)  # the fold's date
    assert event.data == {"supersedes": 2, "reason": "2042 typed for 2024", "at_date": "2024-03-05"}
    assert d.case.events[1].at == D(2042, 3, 5)  # the case it was applied to is unchanged
    assert after.last_at == D(2024, 3, 6)
    # and the case takes events again, in order after the correction
    after = after.apply(actions.record(after, "notified_panel", D(2024, 3, 7), "local_authority", D(2024, 3, 7)))
    assert after.stage == "rapid_review"


def test_re_dating_an_anchor_moves_its_deadline() -> None:
    d = Driver()
    d.record("notified_panel", "local_authority", D(2024, 3, 5))
    before = {i.id: i.due for i in d.case.deadlines(D(2024, 3, 8))}["request_information"]
    d.case = d.case.apply(actions.correct(d.case, 2, D(2024, 3, 8), "local_authority", "notified on the 4th", {},
                                          as_of=D(2024, 3, 8), at_date=D(2024, 3, 4)))
    after = {i.id: i.due for i in d.case.deadlines(D(2024, 3, 8))}["request_information"]
    assert before == D(2024, 3, 7) and after == D(2024, 3, 6)  # 2 calendar days after the anchor


def test_the_latest_correction_of_an_event_wins() -> None:
    d = typo_case()
    for day, real in ((D(2024, 3, 6), D(2024, 3, 5)), (D(2024, 3, 7), D(2024, 3, 4))):
        d.case = d.case.apply(actions.correct(d.case, 2, day, "business_manager", "r", {}, as_of=day, at_date=real))
    assert corrected_dates(d.case.events) == {2: D(2024, 3, 4)}
    assert d.case.events[1].at == D(2024, 3, 4)


def test_correcting_the_opening_date_moves_when_the_case_opened() -> None:
    d = Driver(opened=D(2042, 3, 4))
    d.case = d.case.apply(actions.correct(d.case, 1, D(2024, 3, 5), "local_authority", "year", {},
                                          as_of=D(2024, 3, 5), at_date=D(2024, 3, 4)))
    assert d.case.opened_at == D(2024, 3, 4)
    assert {i.id: i.due for i in d.case.deadlines(D(2024, 3, 5))}["notify_panel"] == D(2024, 3, 11)


def _candidates(case: Case, day: date) -> list[Any]:
    out: list[Any] = [lambda c: actions.note(c, day, "business_manager", "n", as_of=day),
                      lambda c: actions.record(c, "notified_panel", day, "local_authority", day),
                      lambda c: actions.record(c, "information_requested", day, "business_manager", day)]
    for seq in range(1, len(case.events) + 1):
        out.append(lambda c, s=seq: actions.correct(c, s, day, c.events[s - 1].by, "date", {}, as_of=day,
                                                    at_date=c.events[s - 1].at - timedelta(days=1)))
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 1_000)), min_size=1, max_size=15))
def test_replay_equals_incremental_application_with_date_corrections(steps: list[tuple[int, int]]) -> None:
    process = full_process()
    day = D(2024, 3, 4)
    case = Case.replay(process, "P-1", [actions.open_case(process, "P-1", day, "local_authority", OPEN_FIELDS,
                                                          "Child B")])
    for gap, pick in steps:
        day += timedelta(days=gap)
        options = _candidates(case, day)
        try:
            event = options[pick % len(options)](case)
        except EngineError:
            continue
        case = case.apply(event)
    replayed = Case.replay(process, "P-1", case.events)
    assert summarize(replayed, day, show_personal=True) == summarize(case, day, show_personal=True)
    assert [e.at for e in replayed.events] == [e.at for e in case.events]
    assert all(a.at <= b.at for a, b in zip(case.events, case.events[1:], strict=False))  # still in date order


# ------------------------------------------------------------------------------------ the checks


def test_an_out_of_order_date_names_the_exact_correction() -> None:
    d = typo_case()
    err = refused(actions.record, d.case, "notified_panel", D(2024, 3, 6), "local_authority", D(2024, 3, 6))
    assert "before the previous event's date (2042-03-05, event 2)" in err.message
    assert ('reviewflow case correct CASE-1 2 --at-date 2024-03-06 --at 2024-03-06 --by business_manager '
            '--reason "event 2 was dated wrongly"') in (err.hint or "")


def test_a_date_before_the_opening_names_the_correction_of_event_1() -> None:
    d = Driver(opened=D(2042, 3, 4))
    err = refused(actions.record, d.case, "notified_panel", D(2024, 3, 6), "local_authority", D(2024, 3, 6))
    assert "before the case was opened" in err.message and "case correct CASE-1 1 --at-date" in (err.hint or "")


@pytest.mark.parametrize(("seq", "at_date", "words"), [
    (2, D(2024, 3, 1), "event 2 (2024-03-01) would come before event 1 (2024-03-04)"),
    (2, D(2024, 3, 9), "the corrected date 2024-03-09 is after today (2024-03-06)"),
])
def test_a_re_dated_event_stays_in_order_and_in_the_past(seq: int, at_date: date, words: str) -> None:
    d = typo_case()
    err = refused(actions.correct, d.case, seq, D(2024, 3, 6), "business_manager", "r", {}, as_of=D(2024, 3, 6),
                  at_date=at_date)
    assert words in err.message


def test_a_correction_is_not_itself_corrected_and_needs_data_or_a_date() -> None:
    d = typo_case()
    d.case = d.case.apply(actions.correct(d.case, 2, D(2024, 3, 6), "business_manager", "r", {},
                                          as_of=D(2024, 3, 6), at_date=D(2024, 3, 5)))
    assert "is itself a correction" in refused(actions.correct, d.case, 3, D(2024, 3, 6), "business_manager", "r",
                                                {}, as_of=D(2024, 3, 6), at_date=D(2024, 3, 5)).message
    assert "--at-date" in (refused(actions.correct, d.case, 2, D(2024, 3, 6), "business_manager", "r", {},
                                   as_of=D(2024, 3, 6)).hint or "")
    assert "corrected data (--set) or date (--at-date)" in refused(
        actions.correct, d.case, 1, D(2024, 3, 6), "local_authority", "r", {}, as_of=D(2024, 3, 6)).message
    # a note carries no data, but its date can be corrected
    assert "carries no case data" in refused(actions.correct, d.case, 2, D(2024, 3, 6), "business_manager", "r",
                                             {"harm": "died"}, as_of=D(2024, 3, 6)).message


def test_the_date_policy() -> None:
    policy = DatePolicy(horizon_days=30)
    policy.check(D(2024, 1, 1), [("--at", D(2024, 1, 31))], "the case's last event")  # 30 days: fine
    with pytest.raises(RefusedError) as info:
        policy.check(D(2024, 1, 1), [("--at", D(2024, 1, 2)), ("--as-of", D(2024, 2, 1))], "the case's last event")
    assert info.value.message.startswith("--as-of 2024-02-01 is 31 days after the case's last event (2024-01-01)")
    assert "--confirm-date" in (info.value.hint or "")
    DatePolicy(horizon_days=30, confirmed=True).check(D(2024, 1, 1), [("--at", D(2099, 1, 1))], "x")
    DatePolicy(horizon_days=None).check(D(2024, 1, 1), [("--at", D(2099, 1, 1))], "x")
    DatePolicy().check(None, [("--at", D(2099, 1, 1))], "x")  # nothing to measure from


# ---------------------------------------------------------------------------------- the service


@pytest.fixture
def service(tmp_path: Path) -> Any:
    root = tmp_path / "processes"
    root.mkdir()
    (root / "example.yaml").write_text(FULL.read_text(encoding="utf-8"), encoding="utf-8")
    store = open_store(tmp_path / "cases.db")
    yield CaseService(store, Registry([root]))
    store.close()


def test_the_service_refuses_a_date_beyond_the_horizon_unless_confirmed(service: Any) -> None:
    service.open("example-full", "C-1", D(2024, 3, 4), "local_authority", OPEN_FIELDS, "Child B")
    with pytest.raises(RefusedError) as info:
        service.note("C-1", D(2042, 3, 4), "business_manager", "n")
    assert "--at 2042-03-04 is 6,574 days after the case's last event (2024-03-04)" in info.value.message
    assert info.value.allowed  # a refusal lists what is allowed now
    with pytest.raises(RefusedError, match="--to 2099-01-01"):
        service.extend("C-1", "notify_panel", D(2024, 3, 4), "partners", D(2024, 3, 4), "r", to=D(2099, 1, 1))
    service.open("example-full", "C-2", D(2026, 3, 4), "local_authority", OPEN_FIELDS, "Child C")  # no last event
    service.dates = DatePolicy(confirmed=True)
    service.note("C-1", D(2042, 3, 4), "business_manager", "n")
    assert service.store.case("C-1").last_seq == 2


def _with_a_typo(service: Any) -> None:
    """Case C-1, opened on 2024-03-04, whose second event (a note) was dated 2042 (confirmed past the horizon)."""
    service.open("example-full", "C-1", D(2024, 3, 4), "local_authority", OPEN_FIELDS, "Child B")
    service.dates = DatePolicy(confirmed=True)
    service.note("C-1", D(2042, 3, 4), "business_manager", "typo")
    service.dates = DatePolicy()


def test_the_service_re_dates_an_event_and_keeps_the_original(service: Any) -> None:
    _with_a_typo(service)
    service.correct("C-1", 2, D(2024, 3, 5), "business_manager", "2042 for 2024", {}, at_date=D(2024, 3, 4))
    service.record("C-1", "notified_panel", D(2024, 3, 5), "local_authority", D(2024, 3, 5))
    history = service.history("C-1")
    assert [h["at"] for h in history] == ["2024-03-04", "2042-03-04", "2024-03-05", "2024-03-05"]
    assert history[2]["data"]["at_date"] == "2024-03-04"
    assert service.show("C-1", D(2024, 3, 5))["stage"]["id"] == "rapid_review"


def test_the_history_marks_each_superseded_event_and_the_date_it_now_counts_on(service: Any) -> None:
    from reviewflow.engine.render.case_record import history_text

    _with_a_typo(service)
    service.correct("C-1", 2, D(2024, 3, 6), "business_manager", "2042 for 2024", {}, at_date=D(2024, 3, 5))
    service.correct("C-1", 2, D(2024, 3, 6), "business_manager", "the 4th, not the 5th", {}, at_date=D(2024, 3, 4))
    history = service.history("C-1")
    assert [(h["seq"], h["corrected_by"], h["corrected_date"]) for h in history] == [
        (1, [], None), (2, [3, 4], "2024-03-04"), (3, [], None), (4, [], None)]
    assert history[1]["at"] == "2042-03-04"  # the record itself is never edited

    text = history_text(service.event_log("C-1"))
    row = next(line for line in text.splitlines() if line.startswith("  2 "))
    assert "2042-03-04 Tue*" in row
    assert text.splitlines()[-1] == ("* 2: counted on 2024-03-04 Mon, not 2042-03-04 Tue (corrected by events 3, 4; "
                                     "the record keeps the date it was entered with)")
    assert not any(line.startswith(("  1 ", "  3 ")) and "*" in line for line in text.splitlines())


def test_the_history_marks_a_data_correction_without_a_date(service: Any) -> None:
    from reviewflow.engine.render.case_record import history_text

    service.open("example-full", "C-1", D(2024, 3, 4), "local_authority", OPEN_FIELDS, "Child B")
    fields = dict(OPEN_FIELDS)
    field, value = next(iter(fields.items()))
    service.correct("C-1", 1, D(2024, 3, 5), "local_authority", "typo", {field: value})
    history = service.history("C-1")
    assert (history[0]["corrected_by"], history[0]["corrected_date"]) == ([2], None)
    assert history_text(service.event_log("C-1")).splitlines()[-1] == "* 1: corrected by event 2"
