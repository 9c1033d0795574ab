"""One compiled machine per definition hash, shared by every case."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from reviewflow.engine.cases import commands as actions
from reviewflow.engine.cases import machine
from reviewflow.engine.cases.case import Case
from reviewflow.engine.cases.machine import GuardContext, compiled, gate_trigger
from test_runtime_support import OPEN_FIELDS, full_process
from transitions import Machine


def test_the_same_definition_hash_gives_the_same_shared_machine():
    p = full_process()
    first = compiled(p)
    assert compiled(p) is first
    assert compiled(replace(p)) is first  # an equal definition (same hash) shares it too
    assert isinstance(first.machine, Machine) and first.machine.models == []


def test_a_different_definition_hash_gets_its_own_machine():
    p = full_process()
    other = replace(p, text_hash=p.text_hash + "-other")
    assert compiled(other) is not compiled(p)


def test_graph_answers_which_transition_fires_under_the_guard():
    cp = compiled(full_process())
    died = GuardContext({"harm": "died", "abuse_suspected": False}, {})
    neither = GuardContext({"harm": "seriously_harmed", "abuse_suspected": False}, {})
    assert cp.fire("aware", "notified_panel", died).to == "rapid_review"
    assert cp.fire("aware", "notified_panel", neither) is None
    assert cp.edges("aware", "notified_panel")[0].guard == 'harm == "died" or abuse_suspected'
    assert cp.fire("decision", gate_trigger("review_decision", "none"), neither).to == "closed"
    note = cp.fire("review", "note", neither)
    assert note is not None and note.to is None  # anytime: an internal transition
    assert cp.fire("closed", "note", neither) is None  # never out of a final stage


def test_replaying_2000_cases_builds_one_machine():
    p = replace(full_process(), text_hash=full_process().text_hash + "-bulk")
    before = machine.machine_builds()
    first = actions.open_case(p, "C", date(2024, 3, 4), "local_authority", OPEN_FIELDS, "Child B")
    case = Case.replay(p, "C", [first])
    events = [first, actions.record(case, "notified_panel", date(2024, 3, 5), "local_authority", date(2024, 3, 5))]
    cases = [Case.replay(p, f"C-{i}", events) for i in range(2000)]
    assert machine.machine_builds() - before == 1
    assert len({id(c.machine) for c in cases}) == 1
    assert all(c.stage == "rapid_review" for c in cases)
