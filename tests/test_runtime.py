"""The Case aggregate and its commands: every refusal names why and what is allowed now."""

from __future__ import annotations

from datetime import date

import pytest
from reviewflow.engine.cases import commands as actions
from reviewflow.engine.cases.allowed import allowed_actions
from reviewflow.engine.cases.case import Case
from reviewflow.engine.cases.summary import summarize
from reviewflow.engine.definition.guards.expressions import parse
from reviewflow.engine.definition.model import Task
from reviewflow.engine.errors import Location, NotFoundError, RefusedError
from test_runtime_support import OPEN_FIELDS, Driver, WeekdayCalendar, full_process, with_deadline, with_gate

D = date


def refused(fn, *args, **kw) -> RefusedError:
    with pytest.raises(RefusedError) as info:
        fn(*args, **kw)
    return info.value


# ---------------------------------------------------------------------------------------- opening

def test_open_case_records_opens_with_and_starts_in_the_initial_stage():
    d = Driver()
    assert d.case.stage == "aware"
    assert d.case.events[0].kind == "opened" and d.case.events[0].name == "became_aware"
    assert d.case.pseudonym == "Child B"
    assert d.case.fields["agencies"] == ["police", "health"]


@pytest.mark.parametrize("ref", ["has space", "", "x" * 65, " lead"])
def test_open_refuses_a_malformed_reference(ref):
    err = refused(actions.open_case, full_process(), ref, D(2024, 3, 4), "local_authority", OPEN_FIELDS, "Child B")
    assert "reference" in err.message and "64" in err.hint


@pytest.mark.parametrize("pseudonym", ["", "  ", "x" * 41, "Child B\n"])
def test_open_refuses_a_missing_or_odd_pseudonym(pseudonym):
    err = refused(actions.open_case, full_process(), "C-1", D(2024, 3, 4), "local_authority", OPEN_FIELDS, pseudonym)
    assert "pseudonym" in err.message and "Child B" in err.hint


def test_open_refuses_a_role_that_may_not_record_opens_with():
    err = refused(actions.open_case, full_process(), "C-1", D(2024, 3, 4), "police", OPEN_FIELDS, "Child B")
    assert "only local_authority may" in err.message


def test_open_refuses_missing_required_and_unknown_fields():
    err = refused(actions.open_case, full_process(), "C-1", D(2024, 3, 4), "local_authority",
                  {"harm": "died", "name": "Jane"}, "Child B")
    assert '"name" is not data' in err.message and "abuse_suspected" in err.message


@pytest.mark.parametrize(("field", "value", "words"), [
    ("harm", "hurt", "must be one of died, seriously_harmed"),
    ("abuse_suspected", "yes", "true or false"),
    ("age_years", "7", "whole number"),
    ("date_of_birth", "2020-02-30", "YYYY-MM-DD"),
    ("agencies", ["police", "army"], "not army"),
])
def test_open_refuses_values_of_the_wrong_type(field, value, words):
    fields = {**OPEN_FIELDS, field: value}
    err = refused(actions.open_case, full_process(), "C-1", D(2024, 3, 4), "local_authority", fields, "Child B")
    assert words in err.message


# ---------------------------------------------------------------------------------------- record

def test_unknown_event_suggests_the_nearest_name_and_lists_what_is_allowed():
    d = Driver()
    err = refused(actions.record, d.case, "notifed_panel", D(2024, 3, 5), "local_authority", D(2024, 3, 5))
    assert "unknown event" in err.message and 'did you mean "notified_panel"' in err.hint
    assert "record notified_panel by local_authority" in err.allowed


def test_a_role_that_may_not_record_the_event_is_told_who_may():
    d = Driver()
    err = refused(actions.record, d.case, "notified_panel", D(2024, 3, 5), "police", D(2024, 3, 5))
    assert "police may not record" in err.message and "only local_authority may" in err.message
    assert err.allowed


def test_an_event_of_another_stage_is_refused_with_what_the_stage_allows():
    d = Driver()
    err = refused(actions.record, d.case, "meeting_held", D(2024, 3, 5), "business_manager", D(2024, 3, 5))
    assert 'not allowed in stage "aware"' in err.message
    assert "record notified_panel by local_authority" in err.allowed
    assert "allowed now:" in err.hint


def test_a_non_repeating_event_is_refused_the_second_time():
    d = Driver()
    d.record("information_requested", "business_manager", D(2024, 3, 5))
    err = refused(actions.record, d.case, "information_requested", D(2024, 3, 6), "business_manager", D(2024, 3, 6))
    assert "already recorded on 2024-03-05 (event 2)" in err.message


def test_repeatable_and_anytime_events_may_be_recorded_again():
    d = Driver()
    d.record("note", "business_manager", D(2024, 3, 5))
    d.record("note", "business_manager", D(2024, 3, 5))
    assert d.case.counts["note"] == 2 and d.case.stage == "aware"


def test_per_agency_event_needs_an_agency_of_the_case_once_each():
    d = Driver()
    d.record("notified_panel", "local_authority", D(2024, 3, 5))
    err = refused(actions.record, d.case, "scoping_returned", D(2024, 3, 6), "agency", D(2024, 3, 6))
    assert "give the agency" in err.message and "police, health" in err.hint
    err = refused(actions.record, d.case, "scoping_returned", D(2024, 3, 6), "agency", D(2024, 3, 6),
                  agency="education")
    assert "not one of the case's agencies (police, health)" in err.message
    d.record("scoping_returned", "agency", D(2024, 3, 6), agency="police")
    err = refused(actions.record, d.case, "scoping_returned", D(2024, 3, 7), "agency", D(2024, 3, 7),
                  agency="police")
    assert "already recorded for police on 2024-03-06" in err.message
    assert "record scoping_returned --agency health by agency, business_manager" in err.allowed


def test_an_agency_on_an_ordinary_event_is_refused():
    d = Driver()
    err = refused(actions.record, d.case, "notified_panel", D(2024, 3, 5), "local_authority", D(2024, 3, 5),
                  agency="police")
    assert "not recorded per agency" in err.message


def test_a_planned_event_needs_a_planned_date_not_in_the_past():
    d = Driver()
    err = refused(actions.record, d.case, "publication_planned", D(2024, 3, 5), "partners", D(2024, 3, 5))
    assert "must carry planned_date" in err.message
    err = refused(actions.record, d.case, "publication_planned", D(2024, 3, 5), "partners", D(2024, 3, 5),
                  data={"planned_date": "2024-03-01"})
    assert "before the event's date" in err.message


def test_event_data_is_checked_against_the_fields():
    d = Driver()
    err = refused(actions.record, d.case, "notified_panel", D(2024, 3, 5), "local_authority", D(2024, 3, 5),
                  data={"harm": "died"})
    assert '"harm" is not data "notified_panel" may carry' in err.message


@pytest.mark.parametrize(("day", "as_of", "words"), [
    (D(2024, 3, 9), D(2024, 3, 8), "after today"),
    (D(2024, 3, 1), D(2024, 3, 8), "before the case was opened"),
])
def test_dates_may_not_be_in_the_future_or_before_the_opening(day, as_of, words):
    d = Driver()
    err = refused(actions.record, d.case, "notified_panel", day, "local_authority", as_of)
    assert words in err.message


def test_dates_may_not_go_back_before_the_previous_event():
    d = Driver()
    d.record("note", "business_manager", D(2024, 3, 7))
    err = refused(actions.record, d.case, "notified_panel", D(2024, 3, 6), "local_authority", D(2024, 3, 8))
    assert "before the previous event's date (2024-03-07, event 2)" in err.message


def test_a_transition_whose_guard_is_false_is_refused_showing_the_guard():
    d = Driver(fields={"harm": "seriously_harmed", "abuse_suspected": False})
    err = refused(actions.record, d.case, "notified_panel", D(2024, 3, 5), "local_authority", D(2024, 3, 5))
    assert "no guard holds" in err.message
    assert 'harm == "died" or abuse_suspected (to rapid_review)' in err.hint
    assert not any(a.startswith("record notified_panel") for a in err.allowed)


def test_a_closed_case_refuses_further_events():
    d = Driver()
    d.to_decision()
    d.do("recommend", "review_decision", "none", "review_group", "no learning", day=D(2024, 3, 18))
    for party in ("local_authority", "police", "health"):
        d.do("decide", "review_decision", "none", party, "agree")
    assert d.case.is_closed and d.case.outcome() == "No further review"
    err = refused(actions.record, d.case, "note", D(2024, 3, 19), "business_manager", D(2024, 3, 19))
    assert "the case is closed" in err.message
    assert summarize(d.case, D(2024, 3, 19))["closed"] is True


# ---------------------------------------------------------------------------------------- gates

def test_gate_is_open_only_in_its_stage():
    d = Driver()
    err = refused(actions.recommend, d.case, "review_decision", "review", D(2024, 3, 5), "review_group", "x",
                  D(2024, 3, 5))
    assert 'open only in stage "decision"' in err.message


def test_unknown_gate_and_option_suggest_names():
    d = Driver()
    d.to_decision()
    with pytest.raises(NotFoundError) as info:
        actions.recommend(d.case, "review_decisoin", "review", D(2024, 3, 15), "review_group", "x", D(2024, 3, 15))
    assert 'did you mean "review_decision"' in info.value.hint
    err = refused(actions.recommend, d.case, "review_decision", "reveiw", D(2024, 3, 15), "review_group", "x",
                  D(2024, 3, 15))
    assert 'did you mean "review"' in err.hint


def test_decide_needs_a_recommendation_first_and_a_rationale():
    d = Driver()
    d.to_decision()
    err = refused(actions.decide, d.case, "review_decision", "review", D(2024, 3, 15), "police", "x", D(2024, 3, 15))
    assert "needs a recommendation from review_group" in err.message
    assert "recommend review_decision (review|none) by review_group" in err.allowed
    err = refused(actions.recommend, d.case, "review_decision", "review", D(2024, 3, 15), "review_group", " ",
                  D(2024, 3, 15))
    assert "requires a rationale" in err.message


def test_rule_all_unanimous_moves_the_case_and_opens_notifications():
    d = Driver()
    d.to_decision()
    d.do("recommend", "review_decision", "review", "review_group", "criteria met", day=D(2024, 3, 18))
    for party in ("local_authority", "police"):
        d.do("decide", "review_decision", "review", party, "agree", day=D(2024, 3, 19))
        assert d.case.stage == "decision"
    d.do("decide", "review_decision", "review", "health", "agree", day=D(2024, 3, 20))
    assert d.case.stage == "review"
    gate = summarize(d.case, D(2024, 3, 20))["gates"][0]
    assert gate["status"] == "decided" and gate["outcome"] == "review" and gate["decided_at"] == "2024-03-20"
    notes = summarize(d.case, D(2024, 3, 20))["notifications"]
    assert notes == [{"gate": "review_decision", "option": "review", "recipient": "national_panel",
                      "note": "naming the reviewer", "since": "2024-03-20", "status": "open", "done_at": None,
                      "discharged_by": "report_copied", "done_by": None,
                      "text": "notify: national_panel (naming the reviewer)"}]
    d.case = d.case.apply(actions.note(d.case, D(2024, 3, 21), "business_manager", "told the Panel",
                                       notified="national_panel"))
    assert summarize(d.case, D(2024, 3, 21))["notifications"][0]["status"] == "done"


def test_rule_all_disagreement_goes_to_the_dispute_decider_like_kirklees():
    d = Driver()
    d.to_decision()
    d.do("recommend", "review_decision", "review", "review_group", "criteria met", day=D(2024, 3, 18))
    err = refused(actions.decide, d.case, "review_decision", "review", D(2024, 3, 18), "scrutineer", "x",
                  D(2024, 3, 18))
    assert "only when local_authority, police, health disagree" in err.message
    d.do("decide", "review_decision", "review", "local_authority", "yes")
    d.do("decide", "review_decision", "none", "police", "no")
    d.do("decide", "review_decision", "review", "health", "yes")
    assert d.case.gate_state("review_decision").disputed and d.case.stage == "decision"
    assert any(a.action == "decide" and "scrutineer" in a.by for a in allowed_actions(d.case, D(2024, 3, 18)))
    d.do("decide", "review_decision", "none", "scrutineer", "on balance, no", day=D(2024, 3, 22))
    assert d.case.events[-1].kind == "dispute_decided"
    assert d.case.stage == "closed" and d.case.gate_state("review_decision").settled_by == "dispute"


def test_a_party_may_change_its_decision_and_without_a_dispute_path_the_parties_must_agree():
    d = Driver(with_gate(full_process(), dispute=None))
    d.to_decision()
    d.do("recommend", "review_decision", "review", "review_group", "criteria met")
    d.do("decide", "review_decision", "review", "local_authority", "yes")
    d.do("decide", "review_decision", "none", "police", "no")
    d.do("decide", "review_decision", "review", "health", "yes")
    assert d.case.gate_state("review_decision").disputed
    err = refused(actions.decide, d.case, "review_decision", "none", D(2024, 3, 15), "scrutineer", "x", D(2024, 3, 15))
    assert "scrutineer may not decide" in err.message
    assert "the parties disagree and there is no dispute path" in actions.dispute_hint(
        d.case, d.case.process.gates["review_decision"])
    d.do("decide", "review_decision", "review", "police", "changed my mind")
    assert d.case.stage == "review"


def test_rule_single_and_majority():
    single = Driver(with_gate(full_process(), rule="single", decided_by="local_authority"))
    single.to_decision()
    single.do("recommend", "review_decision", "review", "review_group", "r")
    err = refused(actions.decide, single.case, "review_decision", "review", D(2024, 3, 15), "police", "x",
                  D(2024, 3, 15))
    assert "only local_authority may" in err.message
    single.do("decide", "review_decision", "review", "local_authority", "yes")
    assert single.case.stage == "review"
    majority = Driver(with_gate(full_process(), rule="majority"))
    majority.to_decision()
    majority.do("recommend", "review_decision", "review", "review_group", "r")
    majority.do("decide", "review_decision", "none", "local_authority", "no")
    majority.do("decide", "review_decision", "none", "police", "no")
    assert majority.case.stage == "closed"


def test_separation_of_duties_for_roles():
    d = Driver(with_gate(full_process(), rule="single", recommended_by="partners", decided_by="partners"))
    d.to_decision()
    d.do("recommend", "review_decision", "review", "partners", "r")
    err = refused(actions.decide, d.case, "review_decision", "review", D(2024, 3, 15), "partners", "x", D(2024, 3, 15))
    assert "separation of duties: partners recommended" in err.message


def test_separation_of_duties_for_people_under_rule_all():
    d = Driver()
    d.to_decision()
    d.do("recommend", "review_decision", "review", "review_group", "r", actor="alice")
    err = refused(actions.decide, d.case, "review_decision", "review", D(2024, 3, 15), "police", "x",
                  D(2024, 3, 15), actor="alice")
    assert "separation of duties: alice made the recommendation" in err.message
    d.do("decide", "review_decision", "review", "police", "yes", actor="bob")
    assert d.case.gate_state("review_decision").decisions["police"].actor == "bob"


def test_recommendation_cannot_change_once_decisions_begin():
    d = Driver()
    d.to_decision()
    d.do("recommend", "review_decision", "review", "review_group", "r")
    d.do("decide", "review_decision", "review", "police", "yes")
    err = refused(actions.recommend, d.case, "review_decision", "none", D(2024, 3, 15), "review_group", "r",
                  D(2024, 3, 15))
    assert "can no longer change" in err.message


# ---------------------------------------------------------------------------------------- tasks

def test_per_agency_tasks_proceed_records_which_returns_are_missing():
    d = Driver()
    d.record("notified_panel", "local_authority", D(2024, 3, 5))
    d.record("information_requested", "business_manager", D(2024, 3, 6))
    d.record("scoping_returned", "agency", D(2024, 3, 7), agency="police")
    tasks = {t.member: t for t in d.case.tasks(D(2024, 3, 7))}
    assert tasks["police"].status == "done" and tasks["health"].due == D(2024, 3, 13)
    assert tasks["health"].status == "pending"
    assert {t.member: t.status for t in d.case.tasks(D(2024, 3, 12))}["health"] == "due_soon"
    assert {t.member: t.status for t in d.case.tasks(D(2024, 3, 14))}["health"] == "overdue"
    d.record("meeting_held", "business_manager", D(2024, 3, 15))
    assert {t.member: t.status for t in d.case.tasks(D(2024, 3, 15))}["health"] == "missing"


def _blocking() -> Driver:
    process = full_process()
    stages = dict(process.stages)
    rr = stages["rapid_review"]
    stages["rapid_review"] = rr.__class__(**{**rr.__dict__, "tasks": tuple(
        Task(**{**t.__dict__, "on_missing": "block"}) for t in rr.tasks)})
    from dataclasses import replace

    return Driver(replace(process, stages=stages, text_hash=process.text_hash + "-block"))


def test_per_agency_tasks_block_refuses_leaving_the_stage_until_every_return_is_in():
    d = _blocking()
    d.record("notified_panel", "local_authority", D(2024, 3, 5))
    d.record("information_requested", "business_manager", D(2024, 3, 6))
    d.record("scoping_returned", "agency", D(2024, 3, 7), agency="police")
    err = refused(actions.record, d.case, "meeting_held", D(2024, 3, 15), "business_manager", D(2024, 3, 15))
    assert "may not leave stage \"rapid_review\" while returns are missing: agency_returns for health" in err.message
    assert "record scoping_returned --agency health by agency, business_manager" in err.allowed
    assert not any(a.startswith("record meeting_held") for a in err.allowed)
    d.record("scoping_returned", "agency", D(2024, 3, 15), agency="health")
    d.record("meeting_held", "business_manager", D(2024, 3, 15))
    assert d.case.stage == "decision"


# ---------------------------------------------------------------------------------------- deadlines

def _deadline(d: Driver, deadline_id: str, as_of: date):
    return d.case.deadline(deadline_id, as_of)


def test_notification_deadline_statuses_over_christmas():
    d = Driver(opened=D(2023, 12, 21))  # WE-01: due Tue 2 Jan 2024
    assert _deadline(d, "notify_panel", D(2023, 12, 21)).due == D(2024, 1, 2)
    assert _deadline(d, "notify_panel", D(2023, 12, 21)).status == "pending"
    assert _deadline(d, "notify_panel", D(2023, 12, 28)).status == "due_soon"
    assert _deadline(d, "notify_panel", D(2024, 1, 3)).status == "overdue"
    d.record("notified_panel", "local_authority", D(2024, 1, 3))
    assert _deadline(d, "notify_panel", D(2024, 1, 3)).status == "met_late"
    assert [x.id for x in d.case.deadlines(D(2024, 1, 3))][:1] == ["notify_panel"]


def test_a_deadline_exists_only_once_its_anchor_is_recorded():
    d = Driver()
    # a fixed-date deadline (backstop) starts with the case, whose opening event anchors it
    assert [x.id for x in d.case.deadlines(D(2024, 3, 4))] == ["notify_panel", "backstop"]
    with pytest.raises(NotFoundError):
        d.case.explain("meeting_window", D(2024, 3, 4))
    backstop = d.case.explain("backstop", D(2024, 3, 4)).to_dict()
    assert backstop["due"] == "2030-12-31" and backstop["method"].startswith("a fixed date")


def test_explain_shows_counted_and_skipped_days_and_the_calendar():
    d = Driver(opened=D(2023, 12, 21))
    ex = d.case.explain("notify_panel", D(2023, 12, 21)).to_dict()
    assert ex["counted"] == ["2023-12-22", "2023-12-27", "2023-12-28", "2023-12-29", "2024-01-02"]
    assert {"date": "2023-12-25", "reason": "Christmas Day"} in ex["skipped"]
    assert ex["anchor"] == {"event": "became_aware", "seq": 1, "date": "2023-12-21"}
    assert ex["citation"].startswith("SEED-X §2 Notification (WT)") and ex["calendar"]


def test_extension_moves_the_due_date_and_keeps_the_original():
    d = Driver()
    err = refused(actions.extend, d.case, "notify_panel", D(2024, 3, 5), "police", D(2024, 3, 5), "late", to=D(2024, 3, 20))
    assert "only partners may" in err.message
    err = refused(actions.extend, d.case, "notify_panel", D(2024, 3, 5), "partners", D(2024, 3, 5), "")
    assert "needs a reason" in err.message
    err = refused(actions.extend, d.case, "notify_panel", D(2024, 3, 5), "partners", D(2024, 3, 5), "r",
                  to=D(2024, 3, 8))
    assert "not after the current due date 2024-03-11" in err.message
    d.do("extend", "notify_panel", "partners", "awaiting police", day=D(2024, 3, 5), to=D(2024, 3, 20))
    inst = _deadline(d, "notify_panel", D(2024, 3, 5))
    assert (inst.due, inst.original_due, inst.status) == (D(2024, 3, 20), D(2024, 3, 11), "extended")
    d.do("extend", "notify_panel", "partners", "again", day=D(2024, 3, 6), working_days=2)
    inst = _deadline(d, "notify_panel", D(2024, 3, 6))
    assert inst.due == D(2024, 3, 22) and inst.original_due == D(2024, 3, 11)
    assert [(e.from_due, e.to_due) for e in inst.extensions] == [(D(2024, 3, 11), D(2024, 3, 20)),
                                                                  (D(2024, 3, 20), D(2024, 3, 22))]
    summary = summarize(d.case, D(2024, 3, 6))["deadlines"][0]
    assert summary["original_due"] == "2024-03-11" and summary["due"] == "2024-03-22"


def test_pause_and_resume_move_the_due_date_by_the_working_days_paused():
    d = Driver()
    d.do("pause", "notify_panel", "partners", "court proceedings", day=D(2024, 3, 5))
    assert _deadline(d, "notify_panel", D(2024, 3, 20)).status == "paused"
    err = refused(actions.pause, d.case, "notify_panel", D(2024, 3, 6), "partners", D(2024, 3, 6), "again")
    assert "already paused" in err.message
    err = refused(actions.extend, d.case, "notify_panel", D(2024, 3, 6), "partners", D(2024, 3, 6), "r",
                  working_days=1)
    assert "is paused" in err.message and "resume it before extending" in err.hint
    d.do("resume", "notify_panel", "partners", "proceedings ended", day=D(2024, 3, 12))  # Wed 6 .. Tue 12 = 5 WD
    inst = _deadline(d, "notify_panel", D(2024, 3, 12))
    assert inst.due == D(2024, 3, 18) and inst.original_due == D(2024, 3, 11)
    assert inst.adjustments[0].days == 5 and inst.status == "pending"
    err = refused(actions.resume, d.case, "notify_panel", D(2024, 3, 12), "partners", D(2024, 3, 12), "r")
    assert "is not paused" in err.message


def test_months_deadline_pauses_by_calendar_days():
    d = Driver()
    d.to_decision()
    d.do("recommend", "review_decision", "review", "review_group", "r")
    for party in ("local_authority", "police", "health"):
        d.do("decide", "review_decision", "review", party, "yes")
    assert _deadline(d, "review_target", D(2024, 3, 15)).due == D(2024, 9, 15)
    d.do("pause", "review_target", "scrutineer", "court", day=D(2024, 4, 1))
    d.do("resume", "review_target", "partners", "done", day=D(2024, 4, 11))
    inst = _deadline(d, "review_target", D(2024, 4, 11))
    assert inst.due == D(2024, 9, 25) and inst.non_working is None  # Wed 25 Sep 2024
    assert _deadline(d, "review_target", D(2024, 3, 15)).weight == "target"


def test_waive_needs_authority_and_closes_the_deadline():
    d = Driver()
    d.do("waive", "notify_panel", "partners", "Panel already informed", day=D(2024, 3, 5))
    assert _deadline(d, "notify_panel", D(2024, 3, 20)).status == "waived"
    err = refused(actions.extend, d.case, "notify_panel", D(2024, 3, 6), "partners", D(2024, 3, 6), "r",
                  working_days=1)
    assert "is waived" in err.message


def test_a_deadline_nobody_may_waive_is_refused():
    d = Driver()
    d.to_decision()
    d.do("recommend", "review_decision", "review", "review_group", "r")
    for party in ("local_authority", "police", "health"):
        d.do("decide", "review_decision", "review", party, "yes")
    err = refused(actions.waive, d.case, "review_target", D(2024, 3, 15), "partners", D(2024, 3, 15), "r")
    assert "may not be waived by anyone" in err.message


def test_unknown_deadline_suggests_a_name():
    d = Driver()
    with pytest.raises(NotFoundError) as info:
        actions.extend(d.case, "notify_panle", D(2024, 3, 5), "partners", D(2024, 3, 5), "r", working_days=1)
    assert 'did you mean "notify_panel"' in info.value.hint


def test_window_met_before_it_opens_is_early_not_met():  # issue #10 item 10
    d = Driver()
    d.record("notified_panel", "local_authority", D(2024, 3, 5))
    d.record("information_requested", "business_manager", D(2024, 3, 6))
    inst = _deadline(d, "meeting_window", D(2024, 3, 6))
    assert (inst.window_start, inst.due) == (D(2024, 3, 14), D(2024, 3, 22))
    d.record("meeting_held", "business_manager", D(2024, 3, 8))
    inst = _deadline(d, "meeting_window", D(2024, 3, 8))
    assert inst.status == "early" and inst.early
    assert summarize(d.case, D(2024, 3, 8))["deadlines"][2]["window"] == {"from": "2024-03-14", "to": "2024-03-22"}


def test_calendar_day_due_date_on_a_weekend_is_flagged():
    process = with_deadline(full_process(), "request_information",
                            rule=full_process().deadlines["request_information"].rule.__class__(
                                "calendar_days", 2, "notified_panel"))
    d = Driver(process)
    d.record("notified_panel", "local_authority", D(2024, 3, 7))  # Thursday + 2 = Saturday
    inst = _deadline(d, "request_information", D(2024, 3, 7))
    assert inst.due == D(2024, 3, 9) and inst.non_working == "weekend"
    rolled = Driver()
    rolled.record("notified_panel", "local_authority", D(2024, 3, 7))
    assert _deadline(rolled, "request_information", D(2024, 3, 7)).due == D(2024, 3, 11)
    assert rolled.case.explain("request_information", D(2024, 3, 7)).to_dict()["skipped"] == [
        {"date": "2024-03-09", "reason": "weekend"}, {"date": "2024-03-10", "reason": "weekend"}]


def test_before_rule_counts_back_from_the_latest_planned_date():
    d = Driver()
    d.record("publication_planned", "partners", D(2024, 3, 5), data={"planned_date": "2024-06-14"})
    assert _deadline(d, "pre_publication_copy", D(2024, 3, 5)).due == D(2024, 6, 5)
    d.record("publication_planned", "partners", D(2024, 3, 6), data={"planned_date": "2024-07-05"})
    inst = _deadline(d, "pre_publication_copy", D(2024, 3, 6))
    assert inst.due == D(2024, 6, 26) and inst.anchor.seq == 3
    d.record("report_copied", "partners", D(2024, 3, 7))
    assert _deadline(d, "pre_publication_copy", D(2024, 3, 7)).status == "met"


def test_applies_when_false_is_not_applicable():
    process = with_deadline(full_process(), "notify_panel",
                            applies_when=parse('harm == "died"', Location("test")))
    d = Driver(process, fields={**OPEN_FIELDS, "harm": "seriously_harmed"})
    assert _deadline(d, "notify_panel", D(2024, 3, 4)).status == "not_applicable"


# ---------------------------------------------------------------------------------------- corrections

def test_a_correction_supersedes_the_data_of_an_earlier_event():
    d = Driver()
    d.case = d.case.apply(actions.correct(d.case, 1, D(2024, 3, 5), "local_authority", "typo",
                                          {"agencies": ["police"]}, as_of=D(2024, 3, 5)))
    assert d.case.fields["agencies"] == ["police"]
    assert d.case.events[-1].data["supersedes"] == 1 and d.case.events[0].data["agencies"] == ["police", "health"]
    err = refused(actions.correct, d.case, 2, D(2024, 3, 5), "local_authority", "x", {"harm": "died"})
    assert "carries no case data to correct" in err.message
    err = refused(actions.correct, d.case, 1, D(2024, 3, 5), "local_authority", "", {"harm": "died"})
    assert "needs a reason" in err.message


def test_correcting_a_planned_date_moves_the_before_deadline():
    d = Driver()
    d.record("publication_planned", "partners", D(2024, 3, 5), data={"planned_date": "2024-06-14"})
    d.case = d.case.apply(actions.correct(d.case, 2, D(2024, 3, 5), "partners", "wrong date",
                                          {"planned_date": "2024-06-21"}))
    assert _deadline(d, "pre_publication_copy", D(2024, 3, 5)).due == D(2024, 6, 12)


# ---------------------------------------------------------------------------------------- views

def test_summary_has_the_stable_shape_and_hides_personal_fields():
    d = Driver(fields={**OPEN_FIELDS, "date_of_birth": "2020-01-02"})
    s = summarize(d.case, D(2024, 3, 4))
    assert list(s) == ["case", "pseudonym", "process", "version", "as_of", "opened", "stage", "closed", "outcome",
                       "fields", "allowed", "deadlines", "tasks", "gates", "notifications", "holds", "publication"]
    assert s["stage"] == {"id": "aware", "title": "Incident known to the local authority", "owner": "local_authority"}
    assert "date_of_birth" not in s["fields"]
    assert summarize(d.case, D(2024, 3, 4), show_personal=True)["fields"]["date_of_birth"] == "2020-01-02"
    deadline = s["deadlines"][0]
    assert {k: deadline[k] for k in ("id", "due", "window", "status", "weight", "original_due")} == {
        "id": "notify_panel", "due": "2024-03-11", "window": None, "status": "pending", "weight": "guidance",
        "original_due": "2024-03-11"}


def test_allowed_lists_events_gates_and_deadline_actions():
    d = Driver()
    d.to_decision()
    texts = [str(a) for a in allowed_actions(d.case, D(2024, 3, 15))]
    assert "recommend review_decision (review|none) by review_group" in texts
    assert "extend notify_panel by partners" not in texts  # met
    assert "record meeting_held by review_group, business_manager" not in texts


def test_an_injected_calendar_replaces_the_real_one():
    d = Driver(opened=D(2023, 12, 21), calendar=WeekdayCalendar())
    assert _deadline(d, "notify_panel", D(2023, 12, 21)).due == D(2023, 12, 28)  # Christmas ignored by the stub


def test_replay_of_the_events_equals_the_incremental_case():
    d = Driver()
    d.to_decision()
    again = Case.replay(d.process, "CASE-1", d.case.events)
    assert summarize(again, D(2024, 3, 20)) == summarize(d.case, D(2024, 3, 20))
