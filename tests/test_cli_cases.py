"""`reviewflow case …`, `cases`, `due`: refusals, privacy, tampering, filters and the JSON shapes of docs/json.md.

In process with CliRunner on `cli.cli`, each test with its own store under tmp_path. The full journeys
(Leeds, Kirklees, Lincolnshire) and the real-subprocess runs are in tests/test_cli_e2e.py.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from reviewflow.cli import cli

REPO = Path(__file__).resolve().parent.parent
DOCS = (REPO / "docs" / "json.md").read_text(encoding="utf-8")
REF = "LEEDS-2024-001"
OPEN = ["case", "open", "leeds-rapid-review", REF, "--at", "2023-12-21", "--by", "local_authority",
        "--pseudonym", "Child B", "--set", "harm=seriously_harmed", "--set", "abuse_or_neglect=true",
        "--set", "agencies=police,health,education"]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "cases.db"


def run(db: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--db", str(db)])


def ok(db: Path, *args: str) -> Result:
    result = run(db, *args)
    assert result.exit_code == 0, result.output
    return result


def as_json(db: Path, *args: str) -> Any:
    return json.loads(ok(db, *args, "--format", "json").stdout)


def refused(db: Path, *args: str) -> Result:
    result = run(db, *args)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.stderr.startswith("error: ")
    assert "\nhint: " in result.stderr
    return result


def notified(db: Path) -> None:
    """Open the Leeds case and take it to the rapid review stage (notified Tue 2 Jan 2024)."""
    ok(db, *OPEN)
    ok(db, "case", "recommend", REF, "notification_decision", "notify", "--at", "2023-12-21", "--by", "rag",
       "--rationale", "Serious harm; neglect suspected")
    ok(db, "case", "decide", REF, "notification_decision", "notify", "--at", "2023-12-21",
       "--by", "local_authority", "--rationale", "s16C(1) met")
    ok(db, "case", "record", REF, "notified_panel", "--at", "2024-01-02", "--by", "local_authority")


# -- refusals -------------------------------------------------------------------------------------


def test_wrong_role_is_refused_with_what_is_allowed_now(db: Path) -> None:
    ok(db, *OPEN)
    ok(db, "case", "recommend", REF, "notification_decision", "notify", "--at", "2023-12-21", "--by", "rag",
       "--rationale", "Criteria met")
    ok(db, "case", "decide", REF, "notification_decision", "notify", "--at", "2023-12-21",
       "--by", "local_authority", "--rationale", "Criteria met")
    result = refused(db, "case", "record", REF, "notified_panel", "--at", "2024-01-02", "--by", "business_manager")
    assert "business_manager may not record" in result.stderr and "local_authority" in result.stderr
    assert "\nallowed now:\n" in result.stderr
    assert "  record notified_panel  (by local_authority)" in result.stderr
    assert ok(db, "case", "history", REF, "--format", "json")  # nothing was stored
    assert len(as_json(db, "case", "history", REF)["events"]) == 3


def test_out_of_turn_is_refused(db: Path) -> None:
    ok(db, *OPEN)
    result = refused(db, "case", "record", REF, "rapid_review_meeting_held", "--at", "2023-12-22", "--by", "rag")
    assert 'not allowed in stage "aware"' in result.stderr
    assert "recommend notification_decision notify|do_not_notify  (by rag)" in result.stderr


def test_the_rag_may_not_decide_what_it_recommended(db: Path) -> None:
    notified(db)
    result = refused(db, "case", "decide", REF, "notification_decision", "notify", "--at", "2024-01-02",
                     "--by", "rag", "--rationale", "x")
    assert 'gate "notification_decision" was already decided' in result.stderr  # the gate is behind us
    assert 'the case has moved on to stage' in result.stderr
    ok(db, "case", "record", REF, "information_requested", "--at", "2024-01-04", "--by", "business_manager")
    ok(db, "case", "record", REF, "scoping_shared", "--at", "2024-01-11", "--by", "business_manager")
    ok(db, "case", "record", REF, "rapid_review_meeting_held", "--at", "2024-01-16", "--by", "rag")
    ok(db, "case", "recommend", REF, "cspr_decision", "local_cspr", "--at", "2024-01-16", "--by", "rag",
       "--rationale", "Learning about escalation")
    result = refused(db, "case", "decide", REF, "cspr_decision", "local_cspr", "--at", "2024-01-16",
                     "--by", "rag", "--rationale", "We recommended it")
    assert "separation of duties" in result.stderr
    assert "decide cspr_decision local_cspr|" in result.stderr and "(by local_authority, health, police)" in result.stderr


def test_the_local_authority_can_always_notify_the_rag_advises_after_the_event(db: Path) -> None:
    """Issue #10 item 3: in Leeds the RAG's view on the notification is advisory; the duty is the LA's, and
    the locked 5 working day clock does not wait for the RAG."""
    ok(db, *OPEN)
    shown = as_json(db, "case", "show", REF)
    gate = next(g for g in shown["gates"] if g["id"] == "notification_decision")
    assert gate["status"] == "awaiting_decision" and gate["recommendation_kind"] == "advisory"
    ok(db, "case", "decide", REF, "notification_decision", "notify", "--at", "2023-12-21",
       "--by", "local_authority", "--rationale", "s16C(1) met")
    ok(db, "case", "record", REF, "notified_panel", "--at", "2023-12-22", "--by", "local_authority")
    # the RAG considers the notification afterwards, once; it stays on record against the decision
    text = ok(db, "case", "show", REF).stdout
    assert "recommend notification_decision notify|do_not_notify  (by rag)" in text
    ok(db, "case", "recommend", REF, "notification_decision", "notify", "--at", "2024-01-03", "--by", "rag",
       "--rationale", "Agree with the notification")
    gate = next(g for g in as_json(db, "case", "show", REF)["gates"] if g["id"] == "notification_decision")
    assert gate["recommendation"]["option"] == "notify" and gate["outcome"] == "notify"
    assert "already gave its advisory recommendation" in refused(
        db, "case", "recommend", REF, "notification_decision", "notify", "--at", "2024-01-03", "--by", "rag",
        "--rationale", "again").stderr


def test_a_required_recommendation_comes_first(db: Path) -> None:
    ok(db, *OPEN)
    ok(db, "case", "decide", REF, "notification_decision", "do_not_notify", "--at", "2023-12-21",
       "--by", "local_authority", "--rationale", "Criteria not met")
    result = refused(db, "case", "decide", REF, "review_without_notification", "other_learning_review",
                     "--at", "2023-12-21", "--by", "local_authority", "--rationale", "x")
    assert "needs a recommendation from rag" in result.stderr
    assert "allowed now:" in result.stderr


def test_unknown_event_gets_did_you_mean(db: Path) -> None:
    ok(db, *OPEN)
    result = refused(db, "case", "record", REF, "notifed_panel", "--at", "2023-12-22", "--by", "local_authority")
    assert 'unknown event "notifed_panel"' in result.stderr
    assert 'hint: did you mean "notified_panel"?' in result.stderr


def test_unknown_gate_option_and_role(db: Path) -> None:
    ok(db, *OPEN)
    result = refused(db, "case", "recommend", REF, "notification_decison", "notify", "--at", "2023-12-21",
                     "--by", "rag", "--rationale", "x")
    assert 'did you mean "notification_decision"?' in result.stderr
    result = refused(db, "case", "recommend", REF, "notification_decision", "notfy", "--at", "2023-12-21",
                     "--by", "rag", "--rationale", "x")
    assert 'has no option "notfy"' in result.stderr and 'did you mean "notify"?' in result.stderr
    result = refused(db, "case", "recommend", REF, "notification_decision", "notify", "--at", "2023-12-21",
                     "--by", "raj", "--rationale", "x")
    assert 'unknown role "raj"' in result.stderr and 'did you mean "rag"?' in result.stderr


def test_a_date_after_as_of_is_refused_and_as_of_defaults_to_at(db: Path) -> None:
    notified(db)
    result = refused(db, "case", "record", REF, "information_requested", "--at", "2024-01-04",
                     "--as-of", "2024-01-03", "--by", "business_manager")
    assert "the date 2024-01-04 is after today (2024-01-03)" in result.stderr
    ok(db, "case", "record", REF, "information_requested", "--at", "2024-01-04", "--by", "business_manager")


def test_a_date_before_the_case_opened_is_refused(db: Path) -> None:
    ok(db, *OPEN)
    result = refused(db, "case", "record", REF, "reported_to_partners", "--at", "2023-12-20",
                     "--by", "local_authority")
    assert "before the case was opened (2023-12-21)" in result.stderr


def test_a_date_that_is_not_iso_is_an_error(db: Path) -> None:
    ok(db, *OPEN)
    result = refused(db, "case", "record", REF, "reported_to_partners", "--at", "21/12/2023",
                     "--by", "local_authority")
    assert "21/12/2023" in result.stderr


def test_missing_set_data_is_refused(db: Path) -> None:
    result = refused(db, "case", "open", "leeds-rapid-review", REF, "--at", "2023-12-21", "--by", "local_authority",
                     "--pseudonym", "Child B", "--set", "harm=died")
    assert "must carry abuse_or_neglect" in result.stderr
    notified(db)
    for step in (("information_requested", "2024-01-04", "business_manager"),
                 ("scoping_shared", "2024-01-11", "business_manager"),
                 ("rapid_review_meeting_held", "2024-01-16", "rag")):
        ok(db, "case", "record", REF, step[0], "--at", step[1], "--by", step[2])
    ok(db, "case", "recommend", REF, "cspr_decision", "no_further_review", "--at", "2024-01-16", "--by", "rag",
       "--rationale", "Single-agency issue")
    for party in ("local_authority", "health", "police"):
        ok(db, "case", "decide", REF, "cspr_decision", "no_further_review", "--at", "2024-01-17", "--by", party,
           "--rationale", "Agree")
    # issue #10 item 8: the decision fixes review_type; the rapid review may not say otherwise
    result = refused(db, "case", "record", REF, "rapid_review_sent", "--at", "2024-01-18", "--by", "lscp_executive",
                     "--set", "review_type=local_cspr")
    assert 'review_type "local_cspr" disagrees with the decision on cspr_decision (no_further_review' in result.stderr
    assert "record rapid_review_sent  (by lscp_executive, business_manager)" in result.stderr
    ok(db, "case", "record", REF, "rapid_review_sent", "--at", "2024-01-18", "--by", "lscp_executive")
    assert as_json(db, "case", "show", REF)["fields"]["review_type"] == "no_further_review"


def test_a_bad_enum_value_or_unknown_field_is_refused(db: Path) -> None:
    result = refused(db, "case", "open", "leeds-rapid-review", REF, "--at", "2023-12-21", "--by", "local_authority",
                     "--pseudonym", "Child B", "--set", "harm=hurt", "--set", "abuse_or_neglect=true")
    assert 'field "harm" must be one of died, seriously_harmed, not "hurt"' in result.stderr
    result = refused(db, "case", "open", "leeds-rapid-review", REF, "--at", "2023-12-21", "--by", "local_authority",
                     "--pseudonym", "Child B", "--set", "harm=died", "--set", "abuse_or_neglect=yes")
    assert 'field "abuse_or_neglect" must be true or false' in result.stderr
    result = refused(db, "case", "open", "leeds-rapid-review", REF, "--at", "2023-12-21", "--by", "local_authority",
                     "--pseudonym", "Child B", "--set", "harm=died", "--set", "abuse_or_neglect=true",
                     "--set", "agencies=police,fire_service")
    assert "not fire_service" in result.stderr
    result = refused(db, "case", "open", "leeds-rapid-review", REF, "--at", "2023-12-21", "--by", "local_authority",
                     "--pseudonym", "Child B", "--set", "harm=died", "--set", "abuse_or_neglect=true",
                     "--set", "hram=died")
    assert '"hram" is not data' in result.stderr
    assert run(db, "cases").exit_code == 0 and "no cases" in run(db, "cases").stdout


def test_set_without_equals_is_a_usage_error(db: Path) -> None:
    result = run(db, "case", "open", "leeds-rapid-review", REF, "--at", "2023-12-21", "--by", "local_authority",
                 "--pseudonym", "Child B", "--set", "harm")
    assert result.exit_code == 2
    assert "--set number 1 is not FIELD=VALUE" in result.output


def test_unknown_agency_and_missing_agency_are_refused(db: Path) -> None:
    notified(db)
    ok(db, "case", "record", REF, "information_requested", "--at", "2024-01-04", "--by", "business_manager")
    result = refused(db, "case", "record", REF, "scoping_template_returned", "--agency", "housing",
                     "--at", "2024-01-05", "--by", "relevant_agency")
    assert 'agency "housing" is not one of the case\'s agencies (police, health, education)' in result.stderr
    result = refused(db, "case", "record", REF, "scoping_template_returned", "--at", "2024-01-05",
                     "--by", "relevant_agency")
    assert "give the agency" in result.stderr and "police, health, education" in result.stderr
    ok(db, "case", "record", REF, "scoping_template_returned", "--agency", "police", "--at", "2024-01-05",
       "--by", "relevant_agency")
    result = refused(db, "case", "record", REF, "scoping_template_returned", "--agency", "police",
                     "--at", "2024-01-05", "--by", "relevant_agency")
    assert "already recorded for police" in result.stderr
    assert "record scoping_template_returned --agency health|education" in result.stderr


def test_a_pseudonym_is_required_and_may_come_from_set(db: Path) -> None:
    args = ["case", "open", "leeds-rapid-review", REF, "--at", "2023-12-21", "--by", "local_authority",
            "--set", "harm=died", "--set", "abuse_or_neglect=true"]
    result = refused(db, *args)
    assert "needs a pseudonym" in result.stderr
    ok(db, *args, "--set", "pseudonym=Child C")
    assert as_json(db, "case", "show", REF)["pseudonym"] == "Child C"


def test_unknown_process_case_and_existing_case(db: Path) -> None:
    result = refused(db, "case", "open", "leeds-rapid-reveiw", REF, "--at", "2023-12-21", "--by", "local_authority",
                     "--pseudonym", "Child B")
    assert 'did you mean "leeds-rapid-review"?' in result.stderr
    ok(db, *OPEN)
    result = refused(db, *OPEN)
    assert f'case "{REF}" already exists' in result.stderr
    for command in (["case", "show", "LEEDS-2024-01"], ["case", "history", "LEEDS-2024-01"],
                    ["case", "explain", "LEEDS-2024-01", "notify_panel"], ["case", "verify", "LEEDS-2024-01"],
                    ["case", "record", "LEEDS-2024-01", "notified_panel", "--at", "2024-01-02",
                     "--by", "local_authority"]):
        result = refused(db, *command)
        assert 'unknown case "LEEDS-2024-01"' in result.stderr, command
        assert f'did you mean "{REF}"?' in result.stderr, command


def test_no_store_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.db"
    result = refused(missing, "case", "show", REF)
    assert f"there is no event store at {missing}" in result.stderr
    refused(missing, "due", "--as-of", "2024-01-03")
    refused(missing, "cases")
    assert not missing.exists()


def test_unknown_deadline_and_deadline_not_started_for_explain(db: Path) -> None:
    ok(db, *OPEN)
    result = refused(db, "case", "explain", REF, "notify_panle")
    assert 'unknown deadline "notify_panle"' in result.stderr and 'did you mean "notify_panel"?' in result.stderr
    result = refused(db, "case", "explain", REF, "meeting_window")
    assert 'has not started' in result.stderr and "notified_panel" in result.stderr


def test_deadline_controls_through_the_cli(db: Path) -> None:
    notified(db)
    result = refused(db, "case", "extend", REF, "request_information", "--working-days", "2", "--at", "2024-01-03",
                     "--by", "business_manager", "--reason", "Staff absence")
    assert "business_manager may not extend" in result.stderr
    result = refused(db, "case", "extend", REF, "request_information", "--working-days", "2", "--at", "2024-01-03",
                     "--by", "lscp_executive")
    assert "needs a reason" in result.stderr
    out = ok(db, "case", "extend", REF, "request_information", "--working-days", "2", "--at", "2024-01-03",
             "--by", "lscp_executive", "--reason", "Staff absence").stdout
    assert "now due 2024-01-08 Mon (originally 2024-01-04)" in out
    ok(db, "case", "pause", REF, "rapid_review_due", "--at", "2024-01-03", "--by", "lscp_executive",
       "--reason", "Awaiting police disclosure")
    ok(db, "case", "resume", REF, "rapid_review_due", "--at", "2024-01-05", "--by", "lscp_executive",
       "--reason", "Disclosure received")
    explained = as_json(db, "case", "explain", REF, "rapid_review_due")
    assert explained["original_due"] == "2024-01-23" and explained["due"] == "2024-01-25"  # 2 WD paused
    assert [a["kind"] for a in explained["adjustments"]] == ["paused"]
    text = ok(db, "case", "explain", REF, "request_information").stdout
    assert "Extended on 2024-01-03 by lscp_executive (event 5): 2024-01-04 → 2024-01-08. Reason: Staff absence" in text
    ok(db, "case", "waive", REF, "report_to_partners", "--at", "2024-01-05", "--by", "lscp_executive",
       "--reason", "Partners were at the RAG meeting")
    shown = {d["id"]: d for d in as_json(db, "case", "show", REF)["deadlines"]}
    assert shown["report_to_partners"]["status"] == "waived"


def test_correct_and_note(db: Path) -> None:
    ok(db, *OPEN)
    out = ok(db, "case", "correct", REF, "1", "--set", "agencies=police,health,education,housing",
             "--at", "2023-12-22", "--by", "local_authority", "--reason", "Housing was involved too").stdout
    assert "corrected event 1" in out
    assert as_json(db, "case", "show", REF)["fields"]["agencies"] == ["police", "health", "education", "housing"]
    refused(db, "case", "correct", REF, "1", "--at", "2023-12-22", "--by", "local_authority", "--reason", "x")
    ok(db, "case", "recommend", REF, "notification_decision", "notify", "--at", "2023-12-22", "--by", "rag",
       "--rationale", "x")
    ok(db, "case", "decide", REF, "notification_decision", "notify", "--at", "2023-12-22",
       "--by", "local_authority", "--rationale", "y")
    owed = [n for n in as_json(db, "case", "show", REF)["notifications"] if n["status"] == "open"]
    assert {n["recipient"] for n in owed} == {"dsl", "practitioner"}
    ok(db, "case", "note", REF, "DSL told by phone", "--notified", "dsl", "--at", "2023-12-22",
       "--by", "business_manager")
    owed = [n for n in as_json(db, "case", "show", REF)["notifications"] if n["status"] == "open"]
    assert [n["recipient"] for n in owed] == ["practitioner"]
    assert "Notifications owed" in ok(db, "case", "show", REF).stdout


# -- privacy --------------------------------------------------------------------------------------


def test_personal_fields_are_hidden_unless_asked_for(db: Path) -> None:
    secret = "Found at home by grandmother"
    ok(db, *OPEN[:-2], "--set", "agencies=police", "--set", f"summary={secret}")
    for command in (["case", "show", REF], ["case", "history", REF], ["case", "show", REF, "--format", "json"],
                    ["case", "history", REF, "--format", "json"], ["cases"], ["due", "--as-of", "2023-12-22"]):
        assert secret not in ok(db, *command).output, command
    text = ok(db, "case", "show", REF).stdout
    assert "1 personal field hidden: summary; pass --show-personal to see it" in text
    assert "(personal)" in ok(db, "case", "history", REF).stdout
    assert secret in ok(db, "case", "show", REF, "--show-personal").stdout
    assert secret in ok(db, "case", "history", REF, "--show-personal").stdout
    assert as_json(db, "case", "show", REF, "--show-personal")["fields"]["summary"] == secret
    assert as_json(db, "case", "history", REF)["events"][0]["data"]["summary"] == "(personal)"


# -- show ---------------------------------------------------------------------------------------


def test_show_defaults_to_the_last_event_and_says_so(db: Path) -> None:
    notified(db)
    text = ok(db, "case", "show", REF).stdout
    assert "As of 2024-01-02 Tue, the last recorded event; pass --as-of for another date." in text
    assert "Stage: Rapid review: ask agencies for information [information_request]" in text
    assert "Owner: business_manager (LSCP Business Manager)" in text
    assert "  record information_requested  (by business_manager)" in text
    assert "2024-01-04 Thu  DUE SOON" not in text  # due soon is marked with "!"
    assert "! DUE SOON" in text and "Ask the relevant agencies for information [request_information]" in text
    assert "2024-01-11 Thu – 2024-01-19 Fri" in text
    later = ok(db, "case", "show", REF, "--as-of", "2024-01-05").stdout
    assert "As of 2024-01-05 Fri." in later and "! OVERDUE" in later
    assert as_json(db, "case", "show", REF)["as_of_source"] == "last_event"
    assert as_json(db, "case", "show", REF, "--as-of", "2024-01-05")["as_of_source"] == "given"


def test_show_says_when_a_newer_definition_exists(db: Path, tmp_path: Path) -> None:
    """The files on the search path are hashed, not rebuilt: an edited copy in the workspace is newer."""
    from reviewflow.engine.cases import definitions
    from reviewflow.engine.paths import processes_dir

    ok(db, *OPEN)
    workspace = tmp_path / "processes"
    (workspace / "leeds").mkdir(parents=True)
    text = (processes_dir() / "leeds" / "leeds-rapid-review.yaml").read_text(encoding="utf-8")
    edited = text.replace('version: "2.0.0"', 'version: "9.9.0"', 1)
    assert edited != text
    (workspace / "leeds" / "leeds-rapid-review.yaml").write_text(edited, encoding="utf-8")
    stored = as_json(db, "case", "show", REF)["definition"]
    assert stored["newer"] is None  # the bundled file is the one the case was opened with

    builds = definitions.counts()["builds"]
    found = as_json(db, "case", "show", REF, "--processes", str(workspace))["definition"]
    newer = found["newer"]
    assert newer["version"] == "9.9.0" and newer["hash"] != stored["hash"]
    assert newer["file"].endswith("leeds/leeds-rapid-review.yaml")
    assert definitions.counts()["builds"] == builds + 1  # the changed file was built once ...
    shown = ok(db, "case", "show", REF, "--processes", str(workspace)).stdout
    assert definitions.counts()["builds"] == builds + 1  # ... and then found in the compiled cache
    assert (f"A newer version of this definition exists in {newer['file']} "
            f"(version 9.9.0, {newer['hash'][:12]})") in shown
    assert "Process: leeds-rapid-review version 2.0.0, definition " in shown
    assert "(opened from bundled:leeds/leeds-rapid-review.yaml)" in shown


def test_verify_counts_cases_and_events(db: Path) -> None:
    notified(db)
    said = ("1 case, 4 events, 1 definition, 4 ledger entries: every chain, definition, projection and the "
            "ledger verify")
    assert ok(db, "case", "verify").stdout.strip() == said
    assert ok(db, "verify").stdout.strip() == said
    assert ok(db, "case", "verify", REF).stdout.strip() == said
    assert as_json(db, "case", "verify") == {"cases": 1, "events": 4, "definitions": 1, "ledger_entries": 4,
                                             "ok": True, "problems": [], "notes": [], "anchor": None}


def test_a_tampered_payload_fails_verify_naming_case_and_seq(db: Path) -> None:
    notified(db)
    ok(db, *[a if a != REF else "LEEDS-2024-002" for a in OPEN])
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TRIGGER events_no_update")  # the trigger stops accidents; this is deliberate
        conn.execute("UPDATE events SET payload = replace(payload, 'seriously_harmed', 'died') "
                     "WHERE case_ref = ? AND seq = 1", (REF,))
    result = run(db, "case", "verify")
    assert result.exit_code == 1
    assert f"error: case {REF} seq 1: chain: hash does not match the stored payload" in result.stderr
    assert "LEEDS-2024-002" not in result.stderr
    assert run(db, "case", "verify", "LEEDS-2024-002").exit_code == 0
    payload = json.loads(run(db, "case", "verify", "--format", "json").stdout)
    assert payload["ok"] is False and payload["problems"][0]["case"] == REF and payload["problems"][0]["seq"] == 1
    result = refused(db, "case", "show", REF)
    assert "does not verify" in result.stderr


# -- cases and due --------------------------------------------------------------------------------


def _two_cases(db: Path) -> None:
    notified(db)  # LEEDS-2024-001: notified 2024-01-02
    ok(db, "case", "open", "kirklees-cspr", "KIR-2024-007", "--at", "2024-01-08", "--by", "local_authority",
       "--pseudonym", "Child K", "--set", "harm=died", "--set", "abuse_or_neglect=true")


def test_due_is_ordered_by_date_and_filters(db: Path) -> None:
    _two_cases(db)
    rows = as_json(db, "due", "--as-of", "2024-01-03")["deadlines"]
    dues = [r["due"] for r in rows]
    assert dues == sorted(dues)
    assert [(r["case"], r["deadline"]) for r in rows[:2]] == [(REF, "report_to_partners"),
                                                              (REF, "request_information")]
    assert rows[0]["status"] == "overdue" and rows[0]["days_left"] == -1
    kir = {r["deadline"]: r["due"] for r in rows if r["case"] == "KIR-2024-007"}
    assert kir["notify_panel"] == "2024-01-15"  # 5 WD after Mon 8 Jan
    within = as_json(db, "due", "--as-of", "2024-01-03", "--within", "3")["deadlines"]
    assert all(r["due"] <= "2024-01-06" for r in within) and len(within) == 2
    mine = as_json(db, "due", "--as-of", "2024-01-03", "--role", "business_manager")["deadlines"]
    assert [r["deadline"] for r in mine] == ["request_information"]
    text = ok(db, "due", "--as-of", "2024-01-03").stdout
    assert text.splitlines()[0] == "As of 2024-01-03 Wed:"
    assert "! OVERDUE" in text and "1 overdue" in text


def test_due_needs_as_of_and_fails_on_overdue_when_asked(db: Path) -> None:
    _two_cases(db)
    assert run(db, "due").exit_code == 2
    assert run(db, "due", "--as-of", "2024-01-03").exit_code == 0
    result = run(db, "due", "--as-of", "2024-01-03", "--fail-on-overdue")
    assert result.exit_code == 1
    assert run(db, "due", "--as-of", "2023-12-22", "--fail-on-overdue").exit_code == 0
    assert "nothing open is due" in ok(db, "due", "--as-of", "2024-01-03", "--role", "family").stdout
    typo = run(db, "due", "--as-of", "2024-01-03", "--role", "busines_manager")  # not "nothing due": a typo
    assert typo.exit_code == 1 and 'did you mean "business_manager"?' in typo.stderr


def test_cases_lists_and_filters(db: Path) -> None:
    _two_cases(db)
    rows = as_json(db, "cases")["cases"]
    assert [r["case"] for r in rows] == ["KIR-2024-007", REF]
    assert [r["case"] for r in as_json(db, "cases", "--process", "kirklees-cspr")["cases"]] == ["KIR-2024-007"]
    assert len(as_json(db, "cases", "--open")["cases"]) == 2
    text = ok(db, "cases").stdout
    assert "LEEDS-2024-001  Child B" in text and text.rstrip().endswith("2 cases")


# -- JSON shapes (docs/json.md) -------------------------------------------------------------------

SHOW_KEYS = {"case", "pseudonym", "process", "version", "as_of", "as_of_source", "opened", "stage", "closed",
             "outcome", "fields", "allowed", "deadlines", "tasks", "gates", "notifications", "definition", "holds",
             "publication"}
ALLOWED_KEYS = {"action", "name", "by", "agencies", "options", "text"}
DEADLINE_KEYS = {"id", "title", "due", "window", "status", "weight", "citation", "original_due", "rule", "anchor",
                 "met_at", "early", "non_working", "provisional", "extensions", "pauses", "owner", "escalate_to"}
TASK_KEYS = {"task", "title", "stage", "agency", "done_by", "due", "status", "done_at", "on_missing"}
GATE_KEYS = {"id", "title", "at", "rule", "status", "recommended_by", "parties", "dispute_decided_by",
             "recommendation", "decisions", "outcome", "decided_at", "settled_by", "recommendation_kind",
             "reconsiderable", "reopened", "history"}
NOTIFICATION_KEYS = {"gate", "option", "recipient", "note", "since", "status", "done_at", "discharged_by",
                     "done_by", "text"}
HOLD_KEYS = {"kind", "title", "active", "seq", "started", "by", "reason", "review_on", "pauses", "blocks", "reviews",
             "ended", "end_reason"}
PUBLICATION_KEYS = {"planned_date", "items", "disclosures"}
HISTORY_KEYS = {"seq", "kind", "name", "at", "by", "actor", "agency", "data", "recorded_by", "hash",
                "prev_hash", "corrected_by", "corrected_date"}
EXPLAIN_KEYS = {"case", "as_of", "as_of_source", "id", "title", "rule", "anchor", "met_by", "ruling", "citation",
                "weight", "status",
                "method", "counted", "skipped", "window", "original_due", "due", "non_working", "provisional",
                "adjustments", "met_at", "calendar"}
CASES_KEYS = {"case", "pseudonym", "process", "partnership", "definition_hash", "opened", "stage", "closed", "events"}
DUE_KEYS = {"as_of", "within", "role", "deadlines", "summary"}
DUE_ROW_KEYS = {"case", "deadline", "title", "due", "window_start", "days_left", "status", "weight", "owner",
                "escalate_to", "citation"}
VERIFY_KEYS = {"cases", "events", "definitions", "ledger_entries", "ok", "problems", "notes", "anchor"}


def _documented(keys: set[str]) -> None:
    missing = sorted(k for k in keys if f"`{k}`" not in DOCS and f'"{k}"' not in DOCS)
    assert not missing, f"docs/json.md does not document {missing}"


def test_json_shapes_match_docs(db: Path) -> None:
    notified(db)
    ok(db, "case", "record", REF, "information_requested", "--at", "2024-01-04", "--by", "business_manager")
    show = as_json(db, "case", "show", REF)
    assert set(show) == SHOW_KEYS
    assert set(show["stage"]) == {"id", "title", "owner"}
    assert set(show["definition"]) == {"hash", "version", "file", "newer"}
    assert all(set(a) == ALLOWED_KEYS for a in show["allowed"])
    assert all(set(d) == DEADLINE_KEYS for d in show["deadlines"])
    assert show["tasks"] and all(set(t) == TASK_KEYS for t in show["tasks"])
    assert all(set(g) == GATE_KEYS for g in show["gates"])
    assert show["notifications"] and all(set(n) == NOTIFICATION_KEYS for n in show["notifications"])
    history = as_json(db, "case", "history", REF)
    assert set(history) == {"case", "events"} and all(set(e) == HISTORY_KEYS for e in history["events"])
    explain = as_json(db, "case", "explain", REF, "request_information")
    assert set(explain) == EXPLAIN_KEYS
    assert set(explain["anchor"]) == {"event", "seq", "date"}
    cases = as_json(db, "cases")
    assert set(cases) == {"cases"} and all(set(c) == CASES_KEYS for c in cases["cases"])
    due = as_json(db, "due", "--as-of", "2024-01-04")
    assert set(due) == DUE_KEYS and set(due["summary"]) == {"total", "overdue", "due_soon"}
    assert due["deadlines"] and all(set(r) == DUE_ROW_KEYS for r in due["deadlines"])
    assert set(as_json(db, "case", "verify")) == VERIFY_KEYS
    for keys in (SHOW_KEYS, ALLOWED_KEYS, DEADLINE_KEYS, TASK_KEYS, GATE_KEYS, NOTIFICATION_KEYS, HISTORY_KEYS,
                 EXPLAIN_KEYS, CASES_KEYS, DUE_KEYS, DUE_ROW_KEYS, VERIFY_KEYS, HOLD_KEYS, PUBLICATION_KEYS):
        _documented(keys)


def test_existing_commands_json_keys_are_documented() -> None:
    runner = CliRunner()
    validate = json.loads(runner.invoke(cli, ["validate", str(REPO / "processes" / "leeds"), "--format", "json"]).stdout)
    assert set(validate) == {"files", "summary"}
    assert set(validate["summary"]) == {"files", "errors", "warnings", "ok"}
    shown = json.loads(runner.invoke(cli, ["show", "leeds-rapid-review", "--format", "json"]).stdout)
    calendar = json.loads(runner.invoke(cli, ["calendar", "add", "2023-12-21", "5", "--explain",
                                              "--format", "json"]).stdout)
    _documented(set(validate) | set(validate["summary"]) | set(shown) | set(calendar))
    _documented({k for g in shown["gates"] for k in g} | {k for d in shown["deadlines"] for k in d})


def test_the_staff_guide_shows_holds_reopenable_decisions_and_the_panels_responses() -> None:
    """Issue #10: `reviewflow show` tells staff about holds, re-openable decisions and the Panel's responses."""
    text = CliRunner().invoke(cli, ["show", "kirklees-cspr"]).stdout
    assert "## Holds" in text and "**Inquest**" in text and "blocks report published on the KSCP website" in text
    assert "Can be reconsidered by KSCP Safeguarding Partners" in text and "`case reconsider`" in text
    assert "record *Panel's response to the rapid review received* → Other learning review (only if " \
           '`panel_response == "agreed"`)' in text
    assert "Ruling: Met by the final report's arrival" in text
    leeds = CliRunner().invoke(cli, ["show", "leeds-rapid-review"]).stdout
    assert "(advisory: the decision need not wait for it, and it may come afterwards)" in leeds
    shown = json.loads(CliRunner().invoke(cli, ["show", "kirklees-cspr", "--format", "json"]).stdout)
    _documented({k for h in shown["holds"] for k in h} | {k for e in shown["events"] for k in e}
                | {k for g in shown["gates"] for o in g["options"] for k in o})


def test_a_note_over_several_lines_stays_in_its_history_row(db: Path) -> None:
    ok(db, *OPEN)
    ok(db, "case", "note", REF, "Called the DSL.\nShe will write to the school.", "--at", "2023-12-22",
       "--by", "local_authority")
    lines = ok(db, "case", "history", REF).stdout.splitlines()
    row = [line for line in lines if " note " in line]
    assert len(row) == 1 and row[0].endswith('text="Called the DSL.\\nShe will write to the school."'), lines
    assert not any(line.startswith("She will") for line in lines)
    events = as_json(db, "case", "history", REF)["events"]
    assert events[-1]["data"]["text"] == "Called the DSL.\nShe will write to the school."
