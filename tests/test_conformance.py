"""C4xx: a local definition against its resolved base: removals, notifications, loosened deadlines,
locked items, paths around mandatory gates, and deviations that turn an error into a visible warning."""

from __future__ import annotations

import dataclasses

from reviewflow.engine.definition.model import EventDef, Process, Role, Transition, Weight
from reviewflow.engine.errors import Severity
from reviewflow.engine.lint import lint_process
from test_lint_factory import add, at, change, codes, deviate, make_process, only

BASE = make_process("base.yaml")
LOCAL = make_process("local.yaml")


def lint(local: Process) -> list:  # type: ignore[type-arg]
    """Conformance findings; R108 (an element added here without `cite:`) is left to test_lint.py, so the
    elements these tests add need no citation."""
    return [d for d in lint_process(local, BASE) if d.code != "R108"]


def _rule(local: Process, deadline_id: str, **rule: object) -> Process:
    deadline = local.deadlines[deadline_id]
    return change(local, "deadlines", deadline_id, rule=dataclasses.replace(deadline.rule, **rule))


def _nulled(local: Process, section: str, element_id: str) -> Process:
    """`local` with an element removed as `<section>: {<id>: null}` does, remembering where the null was."""
    removed = {**local.removed, (section, element_id): at("local.yaml")}
    return dataclasses.replace(change(local, section, element_id, remove=True), removed=removed)


def test_removing_a_mandatory_deadline_is_an_error() -> None:
    found = lint(change(LOCAL, "deadlines", "notify_panel", remove=True))
    [diagnostic] = found
    assert (diagnostic.code, diagnostic.severity) == ("C401", Severity.ERROR)
    assert diagnostic.message == "mandatory deadlines.notify_panel of base example is removed"
    assert diagnostic.location == LOCAL.location  # no null recorded: the process's own line
    assert "deviations: - item: deadlines.notify_panel" in (diagnostic.hint or "")


def test_a_removal_is_reported_at_the_null_that_removed_it() -> None:
    local = _nulled(LOCAL, "deadlines", "notify_panel")
    [diagnostic] = lint(local)
    assert diagnostic.code == "C401"
    assert diagnostic.location == local.removed[("deadlines", "notify_panel")] != LOCAL.location


def test_a_deviation_still_wins_over_the_null_as_the_place_of_a_removal() -> None:
    local = deviate(_nulled(LOCAL, "deadlines", "notify_panel"), "deadlines.notify_panel")
    [diagnostic] = lint(local)
    assert (diagnostic.code, diagnostic.severity) == ("C401", Severity.WARNING)
    assert diagnostic.location == local.deviations[0].location


def test_removing_a_mandatory_deadline_with_a_deviation_is_a_warning_quoting_the_reason() -> None:
    local = deviate(change(LOCAL, "deadlines", "notify_panel", remove=True), "deadlines.notify_panel",
                    "Handled by the regional hub.")
    [diagnostic] = lint(local)
    assert (diagnostic.code, diagnostic.severity) == ("C401", Severity.WARNING)
    assert 'deviation: "Handled by the regional hub."' in diagnostic.message
    assert diagnostic.location == local.deviations[0].location
    assert "Executive" in (diagnostic.hint or "")


def test_removing_mandatory_stages_gates_and_roles_is_reported_per_item() -> None:
    local = change(LOCAL, "roles", "local_authority", remove=True)
    found = only(lint(local), "C401")
    assert [d.message for d in found] == ["mandatory roles.local_authority of base example is removed"]


def test_removing_a_statutory_deadline_counts_as_removing_a_mandatory_item() -> None:
    base = change(BASE, "deadlines", "meeting_window", weight=Weight.STATUTORY)
    found = lint_process(change(LOCAL, "deadlines", "meeting_window", remove=True), base)
    assert codes(found) == ["C401"]


def _unlocked(process: Process) -> Process:
    return change(process, "deadlines", "notify_panel", locked=False)


def test_a_tightened_deadline_is_allowed() -> None:
    assert lint_process(_unlocked(_rule(LOCAL, "notify_panel", n=4)), _unlocked(BASE)) == []


def test_a_deadline_loosened_from_5_to_6_working_days_is_an_error_at_the_rule() -> None:
    local = _rule(LOCAL, "notify_panel", n=6)
    found = only(lint(local), "C403")
    [diagnostic] = found
    assert diagnostic.severity is Severity.ERROR
    assert diagnostic.location == local.deadlines["notify_panel"].rule.location
    assert "falls due later than the base allows" in diagnostic.message
    assert "2024-01-01" in diagnostic.message  # the first reference anchor shows it
    assert "5 working days after became_aware" in (diagnostic.hint or "")
    assert codes(lint(local)) == ["C403", "C404"]  # notify_panel is locked too


def test_calendar_days_that_never_land_later_are_allowed() -> None:
    # 5 calendar days never end after 5 working days, whatever the anchor.
    assert only(lint(_rule(LOCAL, "notify_panel", unit="calendar_days")), "C403") == []


def test_calendar_days_that_land_later_on_some_anchor_are_an_error() -> None:
    # 7 calendar days from a Saturday end on a Saturday; 5 working days end on the Friday before.
    found = only(lint(_rule(LOCAL, "notify_panel", unit="calendar_days", n=7)), "C403")
    [diagnostic] = found
    assert "2024-01-06" in diagnostic.message  # the first Saturday of 2024


def test_calendar_days_rolled_forward_still_land_later_from_a_sunday() -> None:
    # 6 calendar days from a Sunday end on a Saturday, rolled to Monday; 5 working days end on Friday.
    local = _rule(LOCAL, "notify_panel", unit="calendar_days", n=6, roll="forward")
    [diagnostic] = only(lint(local), "C403")
    assert "falls due later" in diagnostic.message


def test_a_window_that_closes_later_or_opens_earlier_is_loosened() -> None:
    later = only(lint(_rule(LOCAL, "meeting_window", n_to=14)), "C403")
    earlier = only(lint(_rule(LOCAL, "meeting_window", n=5)), "C403")
    assert len(later) == 1 and "falls due later" in later[0].message
    assert len(earlier) == 1 and "opens earlier" in earlier[0].message
    assert lint(_rule(LOCAL, "meeting_window", n=8, n_to=12)) == []


def test_a_lowered_weight_a_new_anchor_and_an_extra_met_by_are_loosening() -> None:
    lowered = lint(change(LOCAL, "deadlines", "meeting_window", weight=Weight.LOCAL))
    moved = lint(_rule(LOCAL, "meeting_window", anchor="information_requested"))
    widened = lint(change(LOCAL, "deadlines", "meeting_window", met_by=("meeting_held", "note")))
    assert [codes(lowered), codes(moved), codes(widened)] == [["C403"], ["C403"], ["C403"]]
    assert "lowered from guidance to local" in lowered[0].message
    assert "now counts after information_requested" in moved[0].message


def test_a_before_deadline_moved_closer_to_the_planned_date_is_loosened() -> None:
    base = change(BASE, "deadlines", "pre_publication_copy", weight=Weight.STATUTORY)
    local = change(LOCAL, "deadlines", "pre_publication_copy", weight=Weight.STATUTORY)
    [diagnostic] = lint_process(_rule(local, "pre_publication_copy", n=5), base)
    assert diagnostic.code == "C403" and "falls due later" in diagnostic.message
    assert lint_process(_rule(local, "pre_publication_copy", n=10), base) == []


def test_local_and_target_deadlines_may_be_loosened() -> None:
    assert lint(_rule(LOCAL, "request_information", n=10)) == []


def test_a_loosened_deadline_with_a_deviation_is_a_warning() -> None:
    local = deviate(_rule(LOCAL, "meeting_window", n_to=15), "deadlines.meeting_window", "Panel agreed.")
    [diagnostic] = lint(local)
    assert (diagnostic.code, diagnostic.severity) == ("C403", Severity.WARNING)
    assert '"Panel agreed."' in diagnostic.message


def _replace_role(local: Process, old: str, new: str) -> Process:
    local = add(local, "roles", dataclasses.replace(local.roles[old], id=new, replaces=old, location=at()))
    return change(local, "roles", old, remove=True)


def test_a_replaced_mandatory_role_counts_as_kept() -> None:
    local = _replace_role(LOCAL, "local_authority", "council")
    local = dataclasses.replace(local, roles={
        k: dataclasses.replace(r, members=tuple("council" if m == "local_authority" else m for m in r.members),
                               chair="council" if r.chair == "local_authority" else r.chair)
        for k, r in local.roles.items()})
    local = change(local, "events", "became_aware", by=("council",))
    local = change(local, "events", "notified_panel", by=("council",))
    local = change(local, "stages", "aware", owner="council")
    assert lint(local) == []


def test_base_references_to_a_replaced_role_mean_the_local_role() -> None:
    local = _replace_role(LOCAL, "national_panel", "panel")
    gate = local.gates["review_decision"]
    option = dataclasses.replace(gate.options[0], notify=("panel",))
    local = change(local, "gates", "review_decision", options=(option, gate.options[1]))
    assert lint(local) == []
    local = _replace_role(LOCAL, "partners", "executive")
    local = change(local, "gates", "review_decision", decided_by="executive")
    local = change(local, "deadlines", "notify_panel", escalate_to="executive")  # locked, but equivalent
    local = change(local, "stages", "decision", owner="executive")
    for event in ("information_requested", "publication_planned", "report_copied", "published", "note"):
        local = change(local, "events", event, by=("executive",))
    local = change(local, "stages", "review", owner="executive")
    assert lint(local) == []


def test_dropping_a_mandatory_gate_notification_is_an_error_at_the_option() -> None:
    gate = LOCAL.gates["review_decision"]
    option = dataclasses.replace(gate.options[0], notify=())
    local = change(LOCAL, "gates", "review_decision", options=(option, gate.options[1]))
    [diagnostic] = lint(local)
    assert diagnostic.code == "C402"
    assert diagnostic.location == option.location
    assert "no longer notifies national_panel" in diagnostic.message


def test_a_removed_option_of_a_mandatory_gate_is_an_error_at_its_null() -> None:
    gate = LOCAL.gates["review_decision"]
    local = change(LOCAL, "gates", "review_decision", options=(gate.options[1],))
    null = at("local.yaml")
    local = dataclasses.replace(local, removed={("gates", "review_decision", "options", "review"): null})
    [diagnostic] = only(lint(local), "C402")  # stage review is now unreachable too (P203)
    assert diagnostic.location == null
    assert "option review of mandatory gate review_decision, which notifies national_panel, is removed" \
        in diagnostic.message


def test_a_removed_initial_stage_is_reported_at_its_null() -> None:
    local = _nulled(LOCAL, "stages", "aware")
    [diagnostic] = only(lint_process(local, BASE), "P201")
    assert diagnostic.location == local.removed[("stages", "aware")]
    assert only(lint_process(local, None), "P201")[0].location == LOCAL.location  # no base: nothing removed


def test_a_changed_locked_item_is_an_error_naming_what_changed() -> None:
    found = lint(change(LOCAL, "deadlines", "notify_panel", escalate_to="scrutineer"))
    assert codes(found) == ["C404"]
    assert "(escalate_to)" in found[0].message


def test_removing_a_locked_but_optional_item_is_an_error() -> None:
    base = change(BASE, "deadlines", "meeting_window", locked=True)
    found = lint_process(change(LOCAL, "deadlines", "meeting_window", remove=True), base)
    assert codes(found) == ["C404"]
    local = _nulled(LOCAL, "deadlines", "meeting_window")
    [diagnostic] = lint_process(local, base)
    assert diagnostic.location == local.removed[("deadlines", "meeting_window")]


def _bypass(local: Process) -> Process:
    cite = local.events["published"].cite
    local = add(local, "events", EventDef("closed_early", "Closed early", ("partners",), cite=cite, location=at()))
    stage = local.stages["rapid_review"]
    shortcut = Transition("closed_early", "closed", location=at())
    return change(local, "stages", "rapid_review", transitions=(*stage.transitions, shortcut))


def test_a_path_that_skips_a_mandatory_gate_is_an_error_at_the_new_transition() -> None:
    local = _bypass(LOCAL)
    [diagnostic] = lint(local)
    assert diagnostic.code == "C405"
    assert diagnostic.location == local.stages["rapid_review"].transitions[-1].location
    assert "aware → rapid_review → closed" in diagnostic.message
    assert "review_decision" in diagnostic.message


def test_skipping_a_gate_the_base_could_already_avoid_is_allowed() -> None:
    base = _bypass(BASE)
    assert lint_process(_bypass(LOCAL), base) == []


def test_skipping_an_optional_gate_is_allowed() -> None:
    base = change(BASE, "gates", "review_decision", mandatory=False)
    assert lint_process(_bypass(LOCAL), base) == []


def test_a_skipped_gate_with_a_deviation_is_a_warning() -> None:
    [diagnostic] = lint(deviate(_bypass(LOCAL), "gates.review_decision", "Early closure agreed."))
    assert (diagnostic.code, diagnostic.severity) == ("C405", Severity.WARNING)


def test_a_deviation_naming_nothing_that_deviates_is_a_warning_with_a_hint() -> None:
    local = deviate(_rule(LOCAL, "meeting_window", n_to=15), "deadlines.meeting_windw")
    found = lint(local)
    assert [(d.code, d.severity) for d in found] == [("C403", Severity.ERROR), ("C406", Severity.WARNING)]
    assert found[1].hint == 'did you mean "deadlines.meeting_window"?'
    [conforming] = lint(deviate(LOCAL, "deadlines.notify_panel"))
    assert conforming.code == "C406" and "conforms to example" in (conforming.hint or "")
    [bad_section] = lint(deviate(LOCAL, "deadline.notify_panel"))
    assert "roles, stages, events, deadlines, gates" in (bad_section.hint or "")


def test_all_conformance_problems_are_collected_in_one_run() -> None:
    local = change(_bypass(LOCAL), "deadlines", "notify_panel", remove=True)
    local = _rule(local, "meeting_window", n_to=20)
    assert sorted(codes(lint(local))) == ["C401", "C403", "C405"]


def test_an_added_role_and_stage_conform() -> None:
    local = add(LOCAL, "roles", Role("dsl", "Designated safeguarding lead", location=at()))
    assert lint(local) == []


def test_rules_counted_alike_are_skipped_only_when_they_give_the_same_dates() -> None:
    """C403 skips the anchor-by-anchor comparison for a deadline whose count is the base's; that is sound
    only because such rules give the same bounds from every anchor, and a change to any counted field
    is still compared."""
    from datetime import date

    from reviewflow.engine.calendar.workdays import calendar_for
    from reviewflow.engine.definition.model import DeadlineRule
    from reviewflow.engine.errors import Location
    from reviewflow.engine.lint.duedates import bounds, counted_alike, first_loosening, reference_anchors

    base = DeadlineRule("working_days", 5, "referral", n_to=15)
    moved = dataclasses.replace(base, location=Location("local.yaml", 7, 3))
    assert counted_alike(base, moved)
    calendar = calendar_for(None)
    assert all(bounds(calendar, base, a) == bounds(calendar, moved, a) for a in reference_anchors()[::7])
    for change_of in ({"n": 6}, {"n_to": 16}, {"unit": "calendar_days"}, {"direction": "before"},
                      {"roll": "forward"}, {"fixed": date(2024, 5, 1)}):
        assert not counted_alike(base, dataclasses.replace(base, **change_of)), change_of
    assert list(first_loosening(calendar, base, dataclasses.replace(base, n_to=16)))  # still found
