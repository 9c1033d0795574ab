"""Whole cases through the CLI: Leeds from awareness to CSPR commissioning, a Kirklees disagreement settled by
the Independent Scrutineer, Lincolnshire to each of its outcomes, and a few real `reviewflow` processes.

Every expected date was counted by hand (facts.md §10 WE-01/WE-11):
  aware Thu 21 Dec 2023 + 5 WD = Tue 2 Jan 2024 (Fri 22, Wed 27, Thu 28, Fri 29 Dec, Tue 2 Jan; skipped
  23-26 Dec incl. Christmas and Boxing Day, 30 Dec - 1 Jan incl. New Year's Day);
  notified Tue 2 Jan + 2 WD = Thu 4 Jan (request); requested Thu 4 Jan + 5 WD = Thu 11 Jan (returns);
  notified + 7..13 WD = Thu 11 Jan .. Fri 19 Jan (meeting window); notified + 15 WD = Tue 23 Jan.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from reviewflow.cli import cli

REPO = Path(__file__).resolve().parent.parent
REVIEWFLOW = Path(sys.executable).parent / "reviewflow"


class Cli:
    """`reviewflow … --db <tmp>` in process."""

    def __init__(self, db: Path, ref: str) -> None:
        self.db, self.ref = db, ref

    def run(self, *args: str) -> Result:
        return CliRunner().invoke(cli, [*args, "--db", str(self.db)])

    def ok(self, *args: str) -> str:
        result = self.run(*args)
        assert result.exit_code == 0, result.output
        return result.stdout

    def case(self, command: str, *args: str) -> str:
        return self.ok("case", command, self.ref, *args)

    def refused(self, command: str, *args: str) -> str:
        result = self.run("case", command, self.ref, *args)
        assert result.exit_code == 1, result.output
        assert result.stderr.startswith("error: ") and "allowed now:" in result.stderr
        return result.stderr

    def show(self, as_of: str | None = None) -> dict[str, Any]:
        extra = ["--as-of", as_of] if as_of else []
        payload: dict[str, Any] = json.loads(self.case("show", *extra, "--format", "json"))
        return payload

    def stage(self) -> str:
        return str(self.show()["stage"]["id"])

    def deadlines(self, as_of: str | None = None) -> dict[str, dict[str, Any]]:
        return {d["id"]: d for d in self.show(as_of)["deadlines"]}


# -- Leeds -------------------------------------------------------------------------------------------


def test_leeds_from_awareness_to_cspr_commissioning(tmp_path: Path) -> None:
    c = Cli(tmp_path / "leeds.db", "LEEDS-2024-001")
    out = c.ok("case", "open", "leeds-rapid-review", c.ref, "--at", "2023-12-21", "--by", "local_authority",
               "--pseudonym", "Child B", "--set", "harm=seriously_harmed", "--set", "abuse_or_neglect=true",
               "--set", "agencies=police,health,education", "--set", "raised_via=dsl_referral")
    assert "Deadline started: Notify the Panel [notify_panel] due 2024-01-02 Tue" in out
    assert c.stage() == "aware"
    d = c.deadlines()
    assert d["notify_panel"]["due"] == "2024-01-02" and d["notify_panel"]["status"] == "pending"

    c.case("recommend", "notification_decision", "notify", "--at", "2023-12-21", "--by", "rag",
           "--rationale", "Serious harm; neglect suspected")
    out = c.case("decide", "notification_decision", "notify", "--at", "2023-12-21", "--by", "local_authority",
                 "--rationale", "s16C(1) criteria met")
    assert "Decision notification_decision: decided notify on 2023-12-21" in out
    assert c.stage() == "notification"
    c.case("record", "reported_to_partners", "--at", "2023-12-22", "--by", "local_authority")
    c.case("note", "DSL and practitioner told the outcome", "--notified", "dsl", "--notified", "practitioner",
           "--at", "2023-12-22", "--by", "business_manager")
    assert c.deadlines("2024-01-02")["notify_panel"]["status"] == "due_soon"

    out = c.case("record", "notified_panel", "--at", "2024-01-02", "--by", "local_authority")
    assert "Deadline met: Notify the Panel [notify_panel] (due 2024-01-02 Tue)" in out
    assert "[request_information] due 2024-01-04 Thu" in out
    assert "[meeting_window] between 2024-01-11 Thu and 2024-01-19 Fri" in out
    assert "[rapid_review_due] due 2024-01-23 Tue" in out
    assert c.stage() == "information_request"
    d = c.deadlines()
    assert d["notify_panel"]["status"] == "met"
    assert d["request_information"]["due"] == "2024-01-04"
    assert d["meeting_window"]["window"] == {"from": "2024-01-11", "to": "2024-01-19"}
    assert d["executive_decision_window"]["window"] == {"from": "2024-01-11", "to": "2024-01-19"}
    assert d["rapid_review_due"]["due"] == "2024-01-23"

    out = c.case("record", "information_requested", "--at", "2024-01-04", "--by", "business_manager")
    assert "Task: Initial Scoping and Information Sharing Template from each agency for police, due 2024-01-11 Thu" in out
    assert c.stage() == "agency_scoping"
    tasks = {t["agency"]: t for t in c.show()["tasks"]}
    assert {a: t["due"] for a, t in tasks.items()} == {"police": "2024-01-11", "health": "2024-01-11",
                                                      "education": "2024-01-11"}
    assert c.deadlines()["request_information"]["status"] == "met"
    for agency, day in (("police", "2024-01-09"), ("health", "2024-01-10"), ("education", "2024-01-11")):
        c.case("record", "scoping_template_returned", "--agency", agency, "--at", day, "--by", "relevant_agency")
    assert {t["status"] for t in c.show()["tasks"]} == {"done"}
    c.case("record", "scoping_shared", "--at", "2024-01-11", "--by", "business_manager")
    assert c.stage() == "rapid_review_meeting"

    out = c.case("record", "rapid_review_meeting_held", "--at", "2024-01-16", "--by", "rag")
    assert "Deadline met: Rapid review meeting [meeting_window]" in out
    assert c.stage() == "rapid_review"
    d = c.deadlines()
    assert d["meeting_window"]["status"] == "met" and d["meeting_window"]["met_at"] == "2024-01-16"
    assert d["rapid_review_to_panel"]["due"] == "2024-01-18"  # 2 calendar days (D-3)

    c.case("recommend", "cspr_decision", "local_cspr", "--at", "2024-01-16", "--by", "rag",
           "--rationale", "Learning about multi-agency escalation")
    assert "separation of duties" in c.refused("decide", "cspr_decision", "local_cspr", "--at", "2024-01-16",
                                               "--by", "rag", "--rationale", "x")
    for party in ("local_authority", "health"):
        out = c.case("decide", "cspr_decision", "local_cspr", "--at", "2024-01-17", "--by", party,
                     "--rationale", "Agree with the RAG")
    assert "waiting for police" in out
    assert c.stage() == "rapid_review"
    c.case("decide", "cspr_decision", "local_cspr", "--at", "2024-01-17", "--by", "police",
           "--rationale", "Agree with the RAG")
    assert c.stage() == "cspr_agreed"
    assert c.deadlines()["executive_decision_window"]["status"] == "met"

    c.case("record", "agencies_informed", "--at", "2024-01-18", "--by", "business_manager")
    out = c.case("record", "rapid_review_sent", "--set", "review_type=local_cspr", "--at", "2024-01-18",
                 "--by", "lscp_executive")
    assert "Deadline met: Outcome of the rapid review to the National Panel" in out
    assert c.stage() == "reviewer_appointment"
    d = c.deadlines()
    assert d["rapid_review_due"]["status"] == "met" and d["rapid_review_to_panel"]["status"] == "met"
    assert d["agencies_told_outcome"]["status"] == "met"
    assert d["review_target"]["due"] == "2024-07-17" and d["review_target"]["weight"] == "target"

    c.case("record", "reviewer_appointed", "--at", "2024-01-31", "--by", "lscp_executive")
    assert c.stage() == "commissioning_notification"
    c.case("record", "commissioning_notified", "--at", "2024-02-01", "--by", "lscp_executive")
    assert c.stage() == "review_under_way"

    text = c.case("show")
    assert "As of 2024-02-01 Thu, the last recorded event; pass --as-of for another date." in text
    assert "Stage: Local CSPR under way [review_under_way]" in text
    assert "record final_report_received  (by reviewer, lscp_executive)" in text
    assert "CSPR? (RAG recommends, the LSCP Executive decides) [cspr_decision]: decided local_cspr on 2024-01-17" in text
    explained = c.case("explain", "notify_panel")
    assert "Counted from: 2023-12-21 Thu, the date of became_aware (event 1, recorded by local_authority)" in explained
    assert "        2023-12-25 Mon  Christmas Day" in explained and "     5. 2024-01-02 Tue" in explained
    history = json.loads(c.case("history", "--format", "json"))["events"]
    assert [e["seq"] for e in history] == list(range(1, 21))
    assert c.ok("case", "verify").strip() == "1 case, 20 events, 1 definition, 20 ledger entries: every chain, definition, projection and the ledger verify"
    due = json.loads(c.ok("due", "--as-of", "2024-02-01", "--format", "json"))
    assert [r["deadline"] for r in due["deadlines"]] == ["review_target"]


# -- Kirklees ----------------------------------------------------------------------------------------


def test_kirklees_partners_disagree_and_the_independent_scrutineer_decides(tmp_path: Path) -> None:
    c = Cli(tmp_path / "kirklees.db", "KIR-2024-003")
    c.ok("case", "open", "kirklees-cspr", c.ref, "--at", "2024-03-04", "--by", "local_authority",
         "--pseudonym", "Child K", "--set", "harm=died", "--set", "abuse_or_neglect=true",
         "--set", "agencies=police,health,children_social_care")
    c.case("decide", "notification_decision", "notify", "--at", "2024-03-04", "--by", "local_authority",
           "--rationale", "Child died; neglect suspected")
    c.case("record", "notified_panel", "--at", "2024-03-05", "--by", "local_authority")
    assert c.stage() == "rapid_review"
    assert "needs a recommendation" in c.refused("decide", "cspr_decision", "local_cspr", "--at", "2024-03-12",
                                                 "--by", "service_director_csc", "--rationale", "x")
    c.case("recommend", "cspr_decision", "local_cspr", "--at", "2024-03-12", "--by", "cspr_subgroup",
           "--rationale", "Meets the criteria: agencies working together")
    refusal = c.refused("decide", "cspr_decision", "local_cspr", "--at", "2024-03-13",
                        "--by", "independent_scrutineer", "--rationale", "x")
    assert "only when" in refusal and "disagree" in refusal
    c.case("decide", "cspr_decision", "local_cspr", "--at", "2024-03-13", "--by", "service_director_csc",
           "--rationale", "Agree")
    c.case("decide", "cspr_decision", "local_cspr", "--at", "2024-03-13", "--by", "police_superintendent",
           "--rationale", "Agree")
    out = c.case("decide", "cspr_decision", "no_further_review", "--at", "2024-03-14",
                 "--by", "head_of_safeguarding_icb", "--rationale", "Single-agency issue only")
    assert "DISPUTED" in out and "independent_scrutineer now decides" in out
    assert c.stage() == "rapid_review"
    gate = next(g for g in c.show()["gates"] if g["id"] == "cspr_decision")
    assert gate["status"] == "disputed" and gate["dispute_decided_by"] == "independent_scrutineer"
    assert "decide cspr_decision" in c.case("show") and "independent_scrutineer" in c.case("show")

    out = c.case("decide", "cspr_decision", "local_cspr", "--at", "2024-03-15", "--by", "independent_scrutineer",
                 "--rationale", "Multi-agency learning outweighs the single-agency view")
    assert "settled the dispute on cspr_decision: local_cspr" in out
    assert "(dispute settled by independent_scrutineer)" in out
    assert c.stage() == "cspr_agreed"
    history = json.loads(c.case("history", "--format", "json"))["events"]
    assert history[-1]["kind"] == "dispute_decided" and history[-1]["by"] == "independent_scrutineer"
    c.case("record", "rapid_review_sent", "--set", "review_type=local_cspr", "--at", "2024-03-18",
           "--by", "business_manager")
    assert c.stage() == "commissioning_notification"
    assert c.run("case", "verify").exit_code == 0


# -- Lincolnshire ------------------------------------------------------------------------------------

PARTNERS = ("local_authority", "health", "police")


def _lincs_to_rapid_review(c: Cli) -> None:
    c.ok("case", "open", "lincolnshire-sirg", c.ref, "--at", "2024-05-01", "--by", "local_authority",
         "--pseudonym", "Child L", "--set", "harm=seriously_harmed", "--set", "abuse_or_neglect=true",
         "--set", "agencies=police,health,education")
    c.case("decide", "notification_decision", "notify", "--at", "2024-05-01", "--by", "local_authority",
           "--rationale", "Criteria met")
    c.case("record", "notified_panel", "--at", "2024-05-02", "--by", "local_authority")
    assert c.stage() == "rapid_review"


def _lincs_decide(c: Cli, option: str) -> None:
    for party in PARTNERS:
        c.case("decide", "cspr_decision", option, "--at", "2024-05-16", "--by", party, "--rationale", "Agreed at SIRG")


@pytest.mark.parametrize(("option", "review_type", "final_stage"), [
    ("do_not_notify", None, "closed_not_notified"),
    ("other_learning_review", "multi_agency_learning_review", "closed_learning_review"),
    ("single_agency_learning_review", "single_agency_learning_review", "closed_learning_review"),
    ("no_further_review", "no_further_review", "closed_no_review"),
    ("national_referral", "national_review", "national_review"),
    ("local_cspr", "local_cspr", "completed"),
])
def test_lincolnshire_reaches_each_outcome(tmp_path: Path, option: str, review_type: str | None,
                                           final_stage: str) -> None:
    c = Cli(tmp_path / "lincs.db", f"LINCS-2024-{option}")
    if option == "do_not_notify":
        c.ok("case", "open", "lincolnshire-sirg", c.ref, "--at", "2024-05-01", "--by", "local_authority",
             "--pseudonym", "Child L", "--set", "harm=seriously_harmed", "--set", "abuse_or_neglect=false")
        c.case("decide", "notification_decision", "do_not_notify", "--at", "2024-05-02", "--by", "local_authority",
               "--rationale", "Abuse or neglect not suspected")
        assert c.stage() == "not_notified"  # the partners may still want a review (issue #10 item 4)
        for party in PARTNERS:
            c.case("decide", "review_without_notification", "no_review", "--at", "2024-05-03", "--by", party,
                   "--rationale", "Nothing to learn beyond the single-agency action")
    else:
        _lincs_to_rapid_review(c)
        _lincs_decide(c, option)
        c.case("record", "rapid_review_sent", "--set", f"review_type={review_type}", "--at", "2024-05-17",
               "--by", "safeguarding_partners")
        if option in ("other_learning_review", "single_agency_learning_review", "no_further_review"):
            assert not c.show()["closed"]  # the Panel responds to every rapid review (issue #10 item 2)
            c.case("record", "panel_responded", "--set", "panel_response=agreed", "--at", "2024-05-31",
                   "--by", "national_panel")
        if option == "national_referral":
            assert c.stage() == "panel_consideration"
            c.case("decide", "national_review_decision", "national_review", "--at", "2024-06-03",
                   "--by", "national_panel", "--rationale", "Of national importance")
        if option == "local_cspr":
            sp = ("--by", "safeguarding_partners")
            c.case("record", "reviewer_appointed", "--at", "2024-05-31", *sp)
            c.case("record", "commissioning_notified", "--at", "2024-06-03", *sp)
            assert c.stage() == "review_under_way"
            c.case("record", "final_report_received", "--at", "2024-10-01", "--by", "reviewer")
            c.case("decide", "publication_decision", "publish_report", "--at", "2024-10-07", *sp,
                   "--rationale", "Fit to publish")
            c.case("record", "publication_planned", "--planned-date", "2024-11-12", "--at", "2024-10-08", *sp)
            assert c.deadlines()["pre_publication_copy"]["due"] == "2024-11-01"  # 7 WD before Tue 12 Nov
            c.case("record", "pre_publication_copies_sent", "--at", "2024-10-31", *sp)
            c.case("record", "published", "--what", "Full report", "--where", "https://www.lincolnshire.gov.uk/lscp",
                   "--at", "2024-11-12", *sp)
            assert c.show()["publication"]["items"][0]["what"] == "Full report"
            c.case("record", "actions_published", "--at", "2024-11-12", *sp)
            c.case("record", "learning_disseminated", "--at", "2024-12-02", "--by", "sirg")
    shown = c.show()
    assert shown["stage"]["id"] == final_stage
    assert shown["closed"] is True and shown["outcome"]
    assert "Closed. Outcome:" in c.case("show")
    assert c.ok("cases", "--open").strip() == "no cases"
    assert "the case is closed" in c.refused("record", "sirg_oversight", "--at", "2024-12-31", "--by", "sirg")


# -- real processes ------------------------------------------------------------------------------------


def _real(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REVIEWFLOW_DB": str(db)}
    return subprocess.run([str(REVIEWFLOW), *args], capture_output=True, text=True, env=env, cwd=db.parent,
                          timeout=120, check=False)


def test_real_reviewflow_runs_the_readme_tour(tmp_path: Path) -> None:
    db = tmp_path / "tour.db"
    opened = _real(db, "case", "open", "leeds-rapid-review", "LEEDS-2024-001", "--at", "2023-12-21",
                   "--by", "local_authority", "--pseudonym", "Child B", "--set", "harm=seriously_harmed",
                   "--set", "abuse_or_neglect=true", "--set", "agencies=police,health,education")
    assert opened.returncode == 0, opened.stderr
    assert db.exists()
    shown = _real(db, "case", "show", "LEEDS-2024-001", "--as-of", "2023-12-22")
    assert shown.returncode == 0 and "Stage: Potential SCSI: the RAG considers it [aware]" in shown.stdout
    due = _real(db, "due", "--as-of", "2024-01-03")
    assert due.returncode == 0 and "! OVERDUE" in due.stdout and "[notify_panel]" in due.stdout
    failing = _real(db, "due", "--as-of", "2024-01-03", "--fail-on-overdue")
    assert failing.returncode == 1
    explained = _real(db, "case", "explain", "LEEDS-2024-001", "notify_panel", "--as-of", "2024-01-03")
    assert explained.returncode == 0 and "Due: 2024-01-02 Tue" in explained.stdout
    assert "Status: OVERDUE" in explained.stdout
    verified = _real(db, "case", "verify")
    assert verified.returncode == 0 and verified.stdout.strip() == "1 case, 1 event, 1 definition, 1 ledger entry: every chain, definition, projection and the ledger verify"


def test_real_reviewflow_refusal_has_no_traceback(tmp_path: Path) -> None:
    db = tmp_path / "refuse.db"
    assert _real(db, "case", "open", "leeds-rapid-review", "L-1", "--at", "2023-12-21", "--by", "local_authority",
                 "--pseudonym", "Child B", "--set", "harm=died", "--set", "abuse_or_neglect=true").returncode == 0
    result = _real(db, "case", "record", "L-1", "notified_panel", "--at", "2023-12-22", "--by", "local_authority")
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and "\nhint: " in result.stderr and "\nallowed now:\n" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    unknown = _real(db, "case", "show", "L-2")
    assert unknown.returncode == 1 and 'unknown case "L-2"' in unknown.stderr


def test_help_never_imports_the_engine() -> None:
    code = ("import sys; from cli import cli; from click.testing import CliRunner; "
            "r = CliRunner().invoke(cli, ['case', '--help']); assert r.exit_code == 0; "
            "CliRunner().invoke(cli, ['due', '--help']); "
            "bad = [m for m in ('jsonschema', 'holidays', 'pendulum', 'reviewflow.engine.service') if m in sys.modules]; "
            "print(bad)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
