"""Actions and learning outputs through the CLI: what they record, what they refuse and why, how they are
listed, and deadlines exported as iCalendar (parsed back with the same library)."""

from __future__ import annotations

import io
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from icalendar import Calendar
from reviewflow.cli import cli
from reviewflow.engine.definition.loader import default_registry, load_path
from reviewflow.engine.lint import lint_process
from reviewflow.engine.paths import processes_dir

CASE = "LEEDS-2022-001"
OPEN = ("case", "open", "leeds-rapid-review-2018", CASE, "--at", "2022-03-01", "--by", "local_authority",
        "--pseudonym", "Child B", "--set", "harm=seriously_harmed", "--set", "abuse_or_neglect=true",
        "--set", "themes=escalation,domestic_abuse")
ADD = ("action", "add", "leeds-action-plan", "A-1", "--at", "2022-03-10", "--by", "rag",
       "--finding", "Escalation not used", "--owner-agency", "police", "--owner-role", "Head of Public Protection",
       "--from-case", CASE, "--theme", "escalation")


def invoke(db: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--db", str(db)])


def ok(db: Path, *args: str) -> Result:
    result = invoke(db, *args)
    assert result.exit_code == 0, result.output
    return result


def refused(db: Path, *args: str) -> str:
    result = invoke(db, *args)
    assert result.exit_code == 1, result.output
    return result.stderr


def as_json(db: Path, *args: str) -> Any:
    return json.loads(ok(db, *args, "--format", "json").stdout)


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "store.db"
    ok(path, *OPEN)
    return path


# -- refusals that say why --------------------------------------------------------------------------------


def test_an_action_with_no_owner_is_refused(db: Path) -> None:
    err = refused(db, *[a for a in ADD if a not in ("--owner-role", "Head of Public Protection")],
                  "--within", "3 months")
    assert "error: an action needs an owner: an agency and a role (never a person's name)" in err
    assert "--owner-role" in err


def test_a_due_date_before_it_was_agreed_is_refused(db: Path) -> None:
    err = refused(db, *ADD, "--due", "2022-03-09")
    assert "the due date 2022-03-09 is before the day it was agreed (2022-03-10)" in err


def test_an_impact_assessment_before_the_action_exists_is_refused(db: Path) -> None:
    err = refused(db, "action", "assess", "A-1", "--rating", "evident", "--narrative", "x", "--at", "2022-03-10",
                  "--by", "rag")
    assert 'there is no action "A-1"' in err and "action add" in err
    ok(db, *ADD, "--due", "2022-06-30")
    err = refused(db, "action", "assess", "A-1", "--rating", "evident", "--narrative", "x", "--at", "2022-03-09",
                  "--by", "rag")
    assert "the impact assessment is dated 2022-03-09, before the action A-1 was agreed (2022-03-10)" in err


def test_other_refusals(db: Path) -> None:
    assert "needs a due date" in refused(db, *ADD)
    assert 'source case "LEEDS-2022-002" is not in the store' in refused(
        db, *[a if a != CASE else "LEEDS-2022-002" for a in ADD], "--within", "3 months")
    err = refused(db, *[a if a != "escalation" else "escalaton" for a in ADD], "--within", "3 months")
    assert 'escalaton is not a theme of "leeds"' in err and 'did you mean "escalation"' in err
    assert '"leeds-rapid-review" is a definition of kind "case", not "action_plan"' in refused(
        db, *["leeds-rapid-review" if a == "leeds-action-plan" else a for a in ADD], "--within", "3 months")
    assert "is a case, not an action" in refused(db, "action", "close", CASE, "--at", "2022-04-01", "--by", "rag")
    ok(db, *ADD, "--within", "20 working days")
    assert "only rag may" in refused(db, "action", "assess", "A-1", "--rating", "evident", "--narrative", "x",
                                     "--at", "2022-04-01", "--by", "owner_agency")
    assert "records one thing" in refused(db, "action", "update", "A-1", "--progress", "x", "--evidence", "y",
                                          "--at", "2022-04-01", "--by", "owner_agency")
    assert "a partnership definition: it holds no records" in refused(
        db, "case", "open", "leeds", "X-1", "--at", "2022-03-01", "--by", "rag")


# -- the life of an action ----------------------------------------------------------------------------------


def test_an_action_from_agreement_to_closure(db: Path) -> None:
    out = ok(db, *ADD, "--within", "20 working days", "--success-criteria", "Audit shows escalations recorded").stdout
    assert "Deadline started: Action due [action_due] due 2022-04-07 Thu" in out  # 20 WD from 10 March 2022
    listed = as_json(db, "actions", "--as-of", "2022-04-08")
    [action] = listed["actions"]
    assert (action["status"], action["due_status"], action["overdue"]) == ("open", "overdue", True)
    assert action["owner"] == {"agency": "police", "role": "Head of Public Protection"}
    assert listed["summary"] == {"total": 1, "overdue": 1, "by_status": {"open": 1}}
    due = as_json(db, "due", "--as-of", "2022-04-08")
    assert [(r["case"], r["status"]) for r in due["deadlines"] if r["case"] == "A-1"] == [("A-1", "overdue")]
    ok(db, "action", "update", "A-1", "--extend-to", "2022-05-31", "--reason", "Awaiting audit", "--at", "2022-04-08",
       "--by", "rag")
    ok(db, "action", "update", "A-1", "--evidence", "Audit of 10 cases", "--at", "2022-05-20", "--by", "owner_agency")
    ok(db, "action", "update", "A-1", "--completed", "--at", "2022-05-20", "--by", "owner_agency")
    ok(db, "action", "assess", "A-1", "--rating", "evident", "--narrative", "Recorded in 9 of 10", "--at", "2022-06-01",
       "--by", "rag")
    ok(db, "action", "close", "A-1", "--at", "2022-06-01", "--by", "rag")
    [action] = as_json(db, "actions", "--as-of", "2022-06-01")["actions"]
    assert (action["status"], action["due"], action["original_due"], action["due_status"]) == (
        "closed", "2022-05-31", "2022-04-07", "met")
    assert [a["rating"] for a in action["impact_assessments"]] == ["evident"]
    assert as_json(db, "actions", "--as-of", "2022-06-01", "--status", "open")["actions"] == []
    assert len(as_json(db, "actions", "--as-of", "2022-06-01", "--body", "rag", "--case", CASE)["actions"]) == 1
    assert as_json(db, "actions", "--as-of", "2022-06-01", "--owner", "health")["actions"] == []
    cases = as_json(db, "cases")["cases"]
    assert [c["case"] for c in cases] == [CASE]  # the action is not a case


def test_learning_outputs_during_a_review_and_after(db: Path) -> None:
    ok(db, "learning", "add", "leeds-learning-outputs", "L-1", "--at", "2022-03-20", "--by", "business_unit_team",
       "--kind", "learning_brief", "--title", "Interim brief", "--audience", "Partner agencies",
       "--channel", "Email", "--from-case", CASE, "--theme", "escalation")
    ok(db, "learning", "reach", "L-1", "--sessions", "2", "--attendees", "60", "--at", "2022-04-01",
       "--by", "business_unit_team")
    assert "a learning output needs --audience, --channel" in refused(
        db, "learning", "add", "leeds-learning-outputs", "L-2", "--at", "2022-03-20", "--by", "business_unit_team",
        "--kind", "learning_brief", "--title", "x")
    listed = as_json(db, "learning", "list", "--from", "2022-01-01", "--to", "2022-12-31")
    [output] = listed["outputs"]
    assert output["interim"] is True and output["reach"] == {"sessions": 2, "attendees": 60}
    assert listed["summary"] == {"total": 1, "sessions": 2, "attendees": 60, "interim": 1}
    assert "1 learning output: 2 sessions, 60 attendees." in ok(db, "learning", "list").stdout


# -- iCalendar --------------------------------------------------------------------------------------------------


def test_due_and_case_show_export_icalendar_that_parses_back(db: Path) -> None:
    ok(db, *ADD, "--due", "2022-06-30")
    text = ok(db, "due", "--as-of", "2022-03-10", "--format", "ics").stdout
    cal = Calendar.from_ical(text)
    events = {str(e["uid"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {f"{CASE}/notify_panel@reviewflow", f"{CASE}/report_to_partners@reviewflow",
                           "A-1/action_due@reviewflow"}
    action = events["A-1/action_due@reviewflow"]
    assert action.decoded("dtstart") == date(2022, 6, 30) and action.decoded("dtend") == date(2022, 7, 1)
    assert "Child B" not in text  # no pseudonym in a calendar feed
    shown = Calendar.from_ical(ok(db, "case", "show", CASE, "--format", "ics", "--as-of", "2022-03-10").stdout)
    [notify, _] = sorted(shown.walk("VEVENT"), key=lambda e: str(e["uid"]))
    assert notify.decoded("dtstart") == date(2022, 3, 8) and str(notify["summary"]).startswith("OVERDUE: ")


# -- kinds -------------------------------------------------------------------------------------------------------


def test_every_bundled_definition_of_each_kind_loads_clean() -> None:
    registry = default_registry()
    kinds = {pid: registry.kind_of(pid) for pid in registry.ids()}
    assert {k for k in kinds.values()} == {"case", "action_plan", "learning", "partnership"}
    for pid, kind in kinds.items():
        if kind == "case":
            continue
        result = load_path(processes_dir() / registry.path_for(pid).relative_to(processes_dir()), registry)
        assert result.process is not None and result.process.kind == kind
        assert [d for d in lint_process(result.process, result.base) if d.is_error] == []


def test_o601_a_local_definition_keeps_its_base_kind(tmp_path: Path) -> None:
    local = tmp_path / "local.yaml"
    local.write_text('reviewflow: 1\nkind: learning\nid: x-actions\nextends: action-plan-national\n'
                     'title: X\nversion: "1.0.0"\n', encoding="utf-8")
    result = load_path(local, default_registry())
    assert result.process is not None
    codes = [d.code for d in lint_process(result.process, result.base)]
    assert "O601" in codes


# -- progress ------------------------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_long_work_shows_a_progress_bar_on_a_terminal_and_nothing_when_piped(
        db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reviewflow.commands.common import progress_bar

    with progress_bar("verifying") as step:  # pytest's captured streams are not terminals
        assert step is None
    err, out = _Terminal(), _Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(sys, "stdout", out)
    with progress_bar("verifying") as step:
        assert step is not None
        for done in range(1, 4):
            step(done, 3)
    assert "verifying" in err.getvalue() and "100%" in err.getvalue() and out.getvalue() == ""
    assert ok(db, "case", "verify").stderr == ""  # piped: no bar
