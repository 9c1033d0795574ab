"""Runtime rules issue #10 added, on the full-language example: re-opened decisions, decisions that fix
fields, notifications done by the event that performs them, scoped events, holds and the publication
record. (The bundled scenarios play the same rules on the real definitions.)"""

from __future__ import annotations

from dataclasses import replace
from datetime import date as D

import pytest
from reviewflow.engine.cases import commands as actions
from reviewflow.engine.cases.summary import summarize
from reviewflow.engine.definition.model import Hold
from reviewflow.engine.errors import RefusedError
from test_runtime_support import Driver, full_process, with_gate

DECIDED = D(2024, 3, 15)


def _decided(d: Driver, option: str = "review") -> Driver:
    d.to_decision(DECIDED)
    d.do("recommend", "review_decision", option, "review_group", "criteria", day=DECIDED)
    for party in ("local_authority", "police", "health"):
        d.do("decide", "review_decision", option, party, "agree", day=DECIDED)
    return d


def _reconsider(d: Driver, prompted: int | str, day: D, by: str = "partners") -> None:
    d.at(day)
    d.case = d.case.apply(actions.reconsider(d.case, "review_decision", prompted, day, by, "the Panel's letter",
                                             d.today))


def _in_decision_again() -> Driver:
    """A decided gate whose stage the case is back in (the gate's option leads to its own stage)."""
    gate = full_process().gates["review_decision"]
    options = tuple(replace(o, to="decision") if o.id == "none" else o for o in gate.options)
    return Driver(with_gate(full_process(), options=options))


def test_a_settled_decision_is_reopened_naming_its_prompt_and_decided_again_by_the_same_rules() -> None:
    d = _decided(_in_decision_again(), "none")
    assert d.case.stage == "decision"
    with pytest.raises(RefusedError, match="already decided"):
        d.do("decide", "review_decision", "review", "police", "again", day=D(2024, 3, 18))
    with pytest.raises(RefusedError, match='no "panel_letter" has been recorded since'):
        _reconsider(d, "panel_letter", D(2024, 3, 18))
    d.record("panel_letter", "national_panel", D(2024, 3, 20))
    with pytest.raises(RefusedError, match="does not prompt a reconsideration"):
        _reconsider(d, "note", D(2024, 3, 21))
    with pytest.raises(RefusedError, match="event 2 does not prompt"):
        _reconsider(d, 2, D(2024, 3, 21))
    with pytest.raises(RefusedError, match="scrutineer may not reconsider"):
        _reconsider(d, "panel_letter", D(2024, 3, 21), by="scrutineer")
    _reconsider(d, "panel_letter", D(2024, 3, 21))
    state = d.case.gate_state("review_decision")
    assert state.outcome is None and [r.outcome.option for r in state.rounds if r.outcome] == ["none"]
    assert state.reopened is not None and state.reopened.prompted_name == "panel_letter"
    with pytest.raises(RefusedError, match="needs a recommendation"):
        d.do("decide", "review_decision", "review", "police", "agree", day=D(2024, 3, 22))
    d.do("recommend", "review_decision", "review", "review_group", "reg 11(d)", day=D(2024, 3, 22))
    with pytest.raises(RefusedError, match="separation of duties"):
        d.do("decide", "review_decision", "review", "review_group", "x", day=D(2024, 3, 22))
    for party in ("local_authority", "police", "health"):
        d.do("decide", "review_decision", "review", party, "agree", day=D(2024, 3, 25))
    assert d.case.stage == "review"
    # the six-month target counts from the superseding decision: 25 Mar + 6 months = 25 Sep 2024
    target = d.case.deadline("review_target", D(2024, 3, 25))
    assert target is not None and target.due == D(2024, 9, 25)
    gate = summarize(d.case, D(2024, 3, 25))["gates"][0]
    assert [h["outcome"] for h in gate["history"]] == ["none"] and gate["reopened"]["prompted_by"]["seq"] > 0


def test_a_gate_without_reconsider_stays_final() -> None:
    d = _decided(Driver(with_gate(full_process(), reconsider=None)))
    with pytest.raises(RefusedError, match="not re-openable"):
        _reconsider(d, "panel_letter", D(2024, 3, 20))


def test_a_decision_fixes_a_field_and_discharges_its_notifications_by_the_event_that_does_it() -> None:
    d = _decided(Driver())
    assert d.case.fields["abuse_suspected"] is True  # sets: {abuse_suspected: true}
    with pytest.raises(RefusedError, match="disagrees with the decision on review_decision"):
        d.case.apply(actions.correct(d.case, 1, D(2024, 3, 18), "local_authority", "typo",
                                     {"abuse_suspected": False}, D(2024, 3, 18)))
    [owed] = d.case.notifications
    assert (owed.status, owed.discharged_by) == ("open", "report_copied")
    d.record("publication_planned", "partners", D(2024, 6, 3), data={"planned_date": "2024-07-01"})
    d.record("report_copied", "partners", D(2024, 6, 4))
    [done] = d.case.notifications
    assert (done.status, done.done_by, done.done_at) == ("done", "report_copied", D(2024, 6, 4))


def test_a_scoped_event_is_refused_until_its_guard_holds() -> None:
    d = Driver()
    with pytest.raises(RefusedError, match=r"may be recorded only when recorded\(publication_planned\)"):
        d.record("report_copied", "partners", D(2024, 3, 5))


def _two_holds() -> Driver:
    process = full_process()
    holds = dict(process.holds)
    holds["inquest"] = Hold("inquest", "Inquest", ("partners",), pauses=("review_target",), blocks=("published",))
    return Driver(replace(process, holds=holds, text_hash=process.text_hash + "-two-holds"))


def _hold(d: Driver, kind: str, command: str, day: D) -> None:
    d.at(day)
    fn = {"start": actions.hold_start, "end": actions.hold_end}[command]
    d.case = d.case.apply(fn(d.case, kind, day, "partners", d.today, "proceedings"))


def test_overlapping_holds_pause_a_deadline_once_and_only_after_its_anchor() -> None:
    d = _two_holds()
    _hold(d, "criminal_proceedings", "start", D(2024, 3, 4))   # before the decision anchors the target
    d = _decided(d)                                             # decided Fri 15 Mar 2024: due Sun 15 Sep
    _hold(d, "inquest", "start", D(2024, 4, 1))
    _hold(d, "criminal_proceedings", "end", D(2024, 5, 1))      # the inquest still holds it
    assert d.case.deadline("review_target", D(2024, 5, 1)).status == "paused"  # type: ignore[union-attr]
    with pytest.raises(RefusedError, match="paused by the hold inquest"):
        d.do("resume", "review_target", "partners", "go on", day=D(2024, 5, 2))
    _hold(d, "inquest", "end", D(2024, 5, 15))
    target = d.case.deadline("review_target", D(2024, 5, 15))
    # paused from the anchor (Fri 15 Mar) to the last end (Wed 15 May): 16 + 30 + 15 = 61 calendar days,
    # not the 72 since the first hold began on Mon 4 Mar. Sun 15 Sep 2024 + 61 days: +15 -> Mon 30 Sep,
    # +31 -> Thu 31 Oct, +15 -> Fri 15 Nov 2024.
    assert target is not None and (target.status, target.due) == ("pending", D(2024, 11, 15))


def test_a_hold_blocks_its_events_and_the_rest_goes_on() -> None:
    d = _decided(Driver())
    _hold(d, "criminal_proceedings", "start", D(2024, 4, 1))
    d.record("publication_planned", "partners", D(2024, 4, 2), data={"planned_date": "2024-06-03"})
    with pytest.raises(RefusedError, match="blocked by the hold criminal_proceedings"):
        d.record("published", "partners", D(2024, 4, 3), data={"what": "Full report"})
    d.record("note", "partners", D(2024, 4, 3))
    _hold(d, "criminal_proceedings", "end", D(2024, 6, 3))
    d.record("published", "partners", D(2024, 6, 3), data={"what": "Full report", "where": "https://x.example"})
    record = summarize(d.case, D(2024, 6, 3))["publication"]
    assert record["planned_date"] == "2024-06-03"
    assert record["items"] == [{"seq": record["items"][0]["seq"], "event": "published", "what": "Full report",
                                "where": "https://x.example", "online_from": "2024-06-03", "online_until": None,
                                "taken_down": None}]



def test_a_publication_says_what_was_published() -> None:
    d = _decided(Driver())
    with pytest.raises(RefusedError, match="must carry what"):
        d.record("published", "partners", D(2024, 6, 3))
