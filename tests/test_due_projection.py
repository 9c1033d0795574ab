"""Issue #10 item 15: the morning list is true. `reviewflow due` reads the open-deadline projection (no
replay); whatever --as-of it is given, it must say exactly what `case show` says of every open deadline,
per-agency return and hold review of every case - DUE SOON, OVERDUE and all - and a closed case owes
nothing.

The cases are every bundled scenario's case cut after each of its events, so every stage, gate, hold
and publication state the scenarios reach is covered; each is judged on every day around each of its own
due dates (and window starts), which crosses every status boundary (pending -> due soon -> overdue).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from reviewflow.cli import cli
from reviewflow.engine.cases.case import Case
from reviewflow.engine.cases.projection import deadline_rows
from reviewflow.engine.cases.summary import summarize
from reviewflow.engine.definition.loader import default_registry
from reviewflow.engine.paths import processes_dir
from reviewflow.engine.scenarios.suite import run_paths
from reviewflow.engine.service import CaseService
from reviewflow.engine.store import open_store

OPEN = ("pending", "due_soon", "overdue", "extended", "paused")


def _shown(summary: dict[str, Any]) -> set[tuple[str, str, str | None]]:
    """(id, status, due) of everything open in a `case show` summary, named as `due` names it."""
    out = {(d["id"], d["status"], d["due"]) for d in summary["deadlines"] if d["status"] in OPEN}
    out |= {(f"{t['task']}/{t['agency']}", t["status"], t["due"]) for t in summary["tasks"]
            if t["status"] in ("pending", "due_soon", "overdue")}
    for h in summary["holds"]:
        if h["active"]:
            review = h["review_on"]
            status = "pending" if review is None else None  # judged below like any due date
            out.add((f"hold:{h['kind']}", status or "?", review))
    return out


def _listed(rows: list[Any]) -> set[tuple[str, str, str | None]]:
    return {(r.deadline_id, r.status, r.due.isoformat() if r.due else None) for r in rows}


@pytest.fixture(scope="module")
def prefixes() -> tuple[CaseService, dict[str, Case]]:
    """One store holding every bundled scenario's case cut after each of its events."""
    run = run_paths([processes_dir()])
    assert run.results and all(r.passed for r in run.results)
    store = open_store(":memory:")
    service = CaseService(store, default_registry())
    cases: dict[str, Case] = {}
    for number, result in enumerate(run.results):
        source = result.store
        [row] = source.cases()
        definition = source.definition(row.definition_hash)
        store.save_definition(definition.definition_hash, definition.process_id, definition.version,
                              definition.bundle)
        process = service.process_for(row.definition_hash)
        events = [s.event for s in source.events(row.ref)]
        for k in range(1, len(events) + 1):
            ref = f"S{number}-{k}"
            case = Case.replay(process, ref, events[:k])
            written = events[k - 1].at
            store.open_case(ref, process.id, process.text_hash, row.pseudonym, events[0], stage=case.stage,
                            closed=case.is_closed, deadlines=deadline_rows(Case.replay(process, ref, events[:1]),
                                                                           events[0].at))
            if k > 1:
                store.append(ref, events[1:k], expected_last_seq=1, stage=case.stage, closed=case.is_closed,
                             deadlines=deadline_rows(case, written))
            cases[ref] = case
    return service, cases


def _days(case: Case) -> list[date]:
    """Every day around each due date and window start of the case's open items, and its last event."""
    anchor = case.last_at or date(2024, 1, 1)
    summary = summarize(case, anchor)
    dates = {anchor}
    for when in [d["due"] for d in summary["deadlines"]] + [(d["window"] or {}).get("from") for d in
                                                             summary["deadlines"]] + \
            [t["due"] for t in summary["tasks"]] + [h["review_on"] for h in summary["holds"]]:
        if when:
            day = date.fromisoformat(when)
            dates.update(day + timedelta(days=n) for n in range(-5, 2))
    return sorted(dates)


def test_due_says_what_case_show_says_of_every_case_on_every_day_around_its_dates(prefixes: Any) -> None:
    service, cases = prefixes
    by_day: dict[date, list[str]] = defaultdict(list)
    for ref, case in cases.items():
        for day in _days(case):
            by_day[day].append(ref)
    compared = kinds = 0
    seen_kinds: set[str] = set()
    for day, refs in sorted(by_day.items()):
        rows: dict[str, list[Any]] = defaultdict(list)
        for row in service.due(day):
            rows[row.case_ref].append(row)
        for ref in refs:
            case = cases[ref]
            shown = _shown(summarize(case, day))
            listed = _listed(rows.get(ref, []))
            # a hold's review date is judged by the same rule as a deadline: take due's word for the
            # status, and require that the row exists with the review date case show gives
            holds = {(i, d) for i, _, d in shown if i.startswith("hold:")}
            assert {(i, d) for i, _, d in listed if i.startswith("hold:")} == holds, (ref, day)
            shown = {s for s in shown if not s[0].startswith("hold:")}
            listed = {s for s in listed if not s[0].startswith("hold:")}
            if case.is_closed:
                assert listed == set(), f"{ref} is closed but due lists {listed}"
            assert listed == shown, f"{ref} on {day}: due lists {sorted(listed)}, case show {sorted(shown)}"
            compared += 1
            seen_kinds |= {s[1] for s in listed} | {"task" for s in listed if "/" in s[0]}
            seen_kinds |= {"hold" for i, _ in holds}
            kinds += len(listed)
    assert compared > 2000 and kinds > 0
    assert {"pending", "due_soon", "overdue", "paused", "task", "hold"} <= seen_kinds


def _rows_from_instances(case: Case, as_of: date) -> list[Any]:
    """The projection's deadline rows as built from the full deadline instances (`case show`'s)."""
    return [(d.id, d.title, d.due, d.window_start, d.weight,
             "paused" if d.status == "paused" else "extended" if d.extensions else "pending", d.owner,
             d.escalate_to, d.citation) for d in case.deadlines(as_of) if d.status in OPEN]


def test_projection_rows_are_the_open_deadline_instances_on_every_day_around_their_dates(prefixes: Any) -> None:
    """`deadline_rows` works a row out without building the deadline's instance: every field must still
    be the instance's (due, window, weight, base status, owner, escalation, citation)."""
    _, cases = prefixes
    compared = paused = 0
    for ref, case in cases.items():
        if case.is_closed:
            assert deadline_rows(case, case.last_at or date(2024, 1, 1)) == []
            continue
        for day in _days(case):
            rows = [r for r in deadline_rows(case, day) if "/" not in r.deadline_id
                    and not r.deadline_id.startswith("hold:")]
            assert [(r.deadline_id, r.title, r.due, r.window_start, r.weight, r.status, r.owner, r.escalate_to,
                     r.citation) for r in rows] == _rows_from_instances(case, day), (ref, day)
            assert all(r.case_ref == ref for r in rows)
            compared += len(rows)
            paused += sum(r.status == "paused" for r in rows)
    assert compared > 2000 and paused


def _cli(db: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, [*args, "--db", str(db)])


def test_overdue_agency_returns_and_hold_reviews_are_listed_and_fail_the_morning_run(tmp_path: Path) -> None:
    db = tmp_path / "due.db"
    ref = "LEEDS-2024-200"
    for args in (
        ("case", "open", "leeds-rapid-review", ref, "--at", "2024-06-03", "--by", "local_authority",
         "--pseudonym", "Child T", "--set", "harm=died", "--set", "abuse_or_neglect=true", "--set", "agencies=police"),
        ("case", "decide", ref, "notification_decision", "notify", "--at", "2024-06-03", "--by", "local_authority",
         "--rationale", "Criteria met"),
        ("case", "record", ref, "reported_to_partners", "--at", "2024-06-03", "--by", "local_authority"),
        ("case", "record", ref, "notified_panel", "--at", "2024-06-04", "--by", "local_authority"),
        ("case", "record", ref, "information_requested", "--at", "2024-06-05", "--by", "business_manager"),
    ):
        assert _cli(db, *args).exit_code == 0
    # The police return is due 5 WD after Wed 5 Jun 2024: Thu 6, Fri 7, Mon 10, Tue 11, Wed 12 Jun. On
    # Thu 13 Jun it is the only thing overdue (the 7-13 WD meeting window runs to Fri 21 Jun).
    result = _cli(db, "due", "--as-of", "2024-06-13", "--format", "json")
    rows = {r["deadline"]: r for r in __import__("json").loads(result.stdout)["deadlines"]}
    assert rows["scoping_returns/police"]["status"] == "overdue" and rows["scoping_returns/police"]["weight"] == "task"
    assert [r for r in rows.values() if r["status"] == "overdue"] == [rows["scoping_returns/police"]]
    assert _cli(db, "due", "--as-of", "2024-06-13", "--fail-on-overdue").exit_code == 1
    assert _cli(db, "due", "--as-of", "2024-06-12", "--fail-on-overdue").exit_code == 0
    text = _cli(db, "due", "--as-of", "2024-06-11").stdout
    assert "! DUE SOON" in text and "[scoping_returns/police]" in text
    # A hold's review date is on the list too, and overdue the day after it.
    assert _cli(db, "case", "record", ref, "scoping_template_returned", "--agency", "police", "--at", "2024-06-12",
                "--by", "relevant_agency").exit_code == 0
    assert _cli(db, "case", "hold", ref, "police_investigation", "--review-on", "2024-06-14", "--reason",
                "Arrest; charging decision awaited", "--at", "2024-06-12", "--by", "lscp_executive").exit_code == 0
    rows = {r["deadline"]: r for r in __import__("json").loads(
        _cli(db, "due", "--as-of", "2024-06-17", "--format", "json").stdout)["deadlines"]}
    assert rows["hold:police_investigation"]["status"] == "overdue"
    assert _cli(db, "due", "--as-of", "2024-06-17", "--fail-on-overdue").exit_code == 1
