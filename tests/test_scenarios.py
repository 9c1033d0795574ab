"""Scenario files: the runner, `reviewflow test`, its reports, and scenario diagnostics."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from reviewflow.cli import cli
from reviewflow.engine.paths import processes_dir
from reviewflow.engine.scenarios.suite import discover, run_file, run_paths, validate_scenarios

ROOT = Path(__file__).resolve().parent.parent
FULL = ROOT / "tests" / "definitions" / "valid" / "full_language.yaml"
SUMMARY = re.compile(r"^\d+ passed, \d+ failed$")
BUNDLED = sorted(processes_dir().glob("**/scenarios/*.yaml"))

FULL_SCENARIO = """\
scenario: 1
title: Example full chain over Christmas 2023
process: example-full
open:
  ref: EX-2023-001
  at: "2023-12-21"
  by: local_authority
  fields: {harm: died, abuse_or_neglect_placeholder: x}
steps:
  - expect:
      stage: aware
      allowed_contains: [notified_panel, note]
      not_allowed: [meeting_held, published]
      deadlines:
        # 5 WD after Thu 21 Dec 2023: Fri 22 (1), Wed 27 (2), Thu 28 (3), Fri 29 (4), Tue 2 Jan (5)
        notify_panel: {due: "2024-01-02", status: pending}
        meeting_window: {listed: false}
  - record: notified_panel
    at: "2024-01-02"
    by: local_authority
  - expect:
      stage: rapid_review
      deadlines:
        notify_panel: {status: met}
        # 2 calendar days after Tue 2 Jan = Thu 4 Jan (a working day: no roll)
        request_information: {due: "2024-01-04"}
        # WD 7 = Thu 11 Jan, WD 13 = Fri 19 Jan
        meeting_window: {window: {from: "2024-01-11", to: "2024-01-19"}, status: pending}
  - record: information_requested
    at: "2024-01-04"
    by: business_manager
  - expect:
      # 5 WD after Thu 4 Jan: Fri 5 (1), Mon 8 (2), Tue 9 (3), Wed 10 (4), Thu 11 (5)
      tasks:
        agency_returns/police: {due: "2024-01-11", status: pending}
      tasks_open: [agency_returns/police, agency_returns/health]
  - record: scoping_returned
    agency: police
    at: "2024-01-10"
    by: agency
  - record: meeting_held
    at: "2024-01-12"
    by: review_group
  - decide: review_decision
    option: review
    at: "2024-01-12"
    by: local_authority
    rationale: too early
    refused: {reason_contains: "needs a recommendation"}
  - recommend: review_decision
    option: review
    at: "2024-01-12"
    by: review_group
    rationale: criteria met
  - decide: review_decision
    option: review
    at: "2024-01-15"
    by: review_group
    rationale: recommended it
    refused: {reason_contains: "separation of duties"}
  - decide: review_decision
    option: review
    at: "2024-01-15"
    by: local_authority
    rationale: criteria met
  - decide: review_decision
    option: review
    at: "2024-01-15"
    by: police
    rationale: criteria met
  - decide: review_decision
    option: review
    at: "2024-01-15"
    by: health
    rationale: criteria met
  - expect:
      stage: review
      deadlines:
        # 6 calendar months after Mon 15 Jan 2024
        review_target: {due: "2024-07-15", status: pending}
  - pause: review_target
    at: "2024-03-01"
    by: scrutineer
    reason: court proceedings
  - resume: review_target
    at: "2024-03-11"
    by: partners
    reason: proceedings ended
  - expect:
      deadlines:
        # paused Fri 1 Mar to Mon 11 Mar: 10 calendar days; 15 Jul + 10 = Thu 25 Jul
        review_target: {due: "2024-07-25", original_due: "2024-07-15"}
  - record: publication_planned
    at: "2024-07-01"
    by: partners
    planned_date: "2024-07-22"
  - expect:
      deadlines:
        # 7 WD before Mon 22 Jul: Fri 19 (1) Thu 18 (2) Wed 17 (3) Tue 16 (4) Mon 15 (5) Fri 12 (6) Thu 11 (7)
        pre_publication_copy: {due: "2024-07-11"}
  - record: report_copied
    at: "2024-07-10"
    by: partners
  - record: published
    at: "2024-07-22"
    by: partners
    what: Full report
  - expect:
      closed: true
      outcome: Review published
      stage: published
""".replace("abuse_or_neglect_placeholder: x", "abuse_suspected: true, agencies: [police, health]")


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture
def example_dir(tmp_path: Path) -> Path:
    """A partnership folder holding a copy of the full-language fixture and one passing scenario."""
    folder = tmp_path / "example"
    (folder / "scenarios").mkdir(parents=True)
    shutil.copy(FULL, folder / "full_language.yaml")
    (folder / "scenarios" / "full.yaml").write_text(FULL_SCENARIO, encoding="utf-8")
    return folder


@pytest.fixture
def leeds_copy(tmp_path: Path) -> Path:
    """A copy of the Leeds definition and its RAG-chain scenario, outside processes/."""
    folder = tmp_path / "leeds"
    (folder / "scenarios").mkdir(parents=True)
    shutil.copy(processes_dir() / "leeds" / "leeds-rapid-review.yaml", folder)
    shutil.copy(processes_dir() / "leeds" / "scenarios" / "rag-chain.yaml", folder / "scenarios")
    return folder


# --- the runner ----------------------------------------------------------------------------------


def test_full_language_scenario_passes_every_expectation(example_dir: Path) -> None:
    result = run_file(example_dir / "scenarios" / "full.yaml")
    assert result.failures == [] and result.diagnostics == []
    assert result.passed
    assert result.checks >= 20  # the expectations were really compared


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.relative_to(processes_dir()).as_posix())
def test_bundled_scenario_passes(path: Path) -> None:
    result = run_file(path)
    messages = [d.message for d in result.diagnostics] + [f.message() for f in result.failures]
    assert result.passed, "\n".join(messages)


def test_every_partnership_has_scenarios() -> None:
    partnerships = {p.parent.parent.name for p in BUNDLED}
    assert {"leeds", "kirklees", "lincolnshire"} <= partnerships


def test_a_wrong_expected_date_fails_with_both_dates_and_the_line(example_dir: Path) -> None:
    path = example_dir / "scenarios" / "full.yaml"
    text = path.read_text().replace('request_information: {due: "2024-01-04"}',
                                    'request_information: {due: "2024-01-05"}')
    path.write_text(text)
    result = run_file(path)
    assert not result.passed
    [failure] = result.failures
    line = next(n for n, s in enumerate(text.splitlines(), 1) if "2024-01-05" in s)
    assert failure.location.line == line
    assert failure.expected == "Fri 2024-01-05" and failure.actual == "Thu 2024-01-04"
    assert failure.what == "deadline request_information due"


def test_an_unexpected_refusal_fails_and_stops_the_run(example_dir: Path) -> None:
    path = example_dir / "scenarios" / "full.yaml"
    path.write_text(path.read_text().replace("by: business_manager", "by: police", 1))
    result = run_file(path)
    assert not result.passed
    first = result.failures[0]
    assert first.what.startswith("record information_requested")
    assert first.expected == "accepted" and first.actual.startswith("refused:")
    assert "were not run" in (first.detail or "")


def test_a_step_that_should_be_refused_but_is_accepted_fails(example_dir: Path) -> None:
    path = example_dir / "scenarios" / "full.yaml"
    path.write_text(path.read_text().replace(
        "    by: agency\n", '    by: agency\n    refused: {reason_contains: "late"}\n', 1))
    result = run_file(path)
    [failure] = result.failures
    assert failure.actual == "accepted"
    assert "refused" in failure.expected


# --- reviewflow test -------------------------------------------------------------------------------


def test_reviewflow_test_runs_every_bundled_scenario() -> None:
    code, out = invoke("test")
    lines = out.strip().splitlines()
    assert code == 0, out
    assert lines[-1] == f"{len(BUNDLED)} passed, 0 failed"
    assert any(line.startswith("PASS bundled:leeds/scenarios/rag-chain.yaml  Leeds RAG chain")
               and line.endswith("(on bundled:leeds/leeds-rapid-review.yaml)") for line in lines)


def test_six_working_days_instead_of_five_makes_reviewflow_test_fail(leeds_copy: Path) -> None:
    definition = leeds_copy / "leeds-rapid-review.yaml"
    text = definition.read_text()
    five = "due: {working_days: 5, after: information_requested}"
    assert five in text
    definition.write_text(text.replace(five, "due: {working_days: 6, after: information_requested}"))
    code, out = invoke("test", str(leeds_copy))
    assert code == 1
    lines = out.strip().splitlines()
    assert SUMMARY.match(lines[-1]) and lines[-1] == "0 passed, 1 failed"
    assert lines[0].startswith("FAIL ") and "rag-chain.yaml" in lines[0] and "Leeds RAG chain" in lines[0]
    assert re.search(r"rag-chain\.yaml:\d+:\d+: step \d+: task scoping_returns/police due", out)
    assert "expected: Thu 2024-01-11" in out
    assert "actual:   Fri 2024-01-12" in out


def test_swapping_who_decides_makes_reviewflow_test_fail(leeds_copy: Path) -> None:
    definition = leeds_copy / "leeds-rapid-review.yaml"
    text = definition.read_text()
    swapped = text.replace("    recommended_by: rag\n    decided_by: lscp_executive\n",
                           "    recommended_by: lscp_executive\n    decided_by: rag\n")
    assert swapped != text
    definition.write_text(swapped)
    code, out = invoke("test", str(leeds_copy))
    assert code == 1
    assert "recommend cspr_decision" in out and "refused" in out
    assert out.strip().splitlines()[-1] == "0 passed, 1 failed"


def test_the_unchanged_copy_passes(leeds_copy: Path) -> None:
    code, out = invoke("test", str(leeds_copy))
    assert code == 0, out
    assert out.strip().splitlines()[-1] == "1 passed, 0 failed"


def test_junit_report_parses(tmp_path: Path, example_dir: Path, leeds_copy: Path) -> None:
    definition = leeds_copy / "leeds-rapid-review.yaml"
    definition.write_text(definition.read_text().replace("working_days: 5, after: information_requested",
                                                         "working_days: 6, after: information_requested"))
    report = tmp_path / "scenarios.xml"
    code, out = invoke("test", str(example_dir), str(leeds_copy), "--format", "junit", "--output", str(report))
    assert code == 1
    assert out.strip().splitlines()[-2] == "1 passed, 1 failed"
    root = ET.fromstring(report.read_text(encoding="utf-8"))
    cases = root.findall(".//testcase")
    assert len(cases) == 2
    failed = [c for c in cases if c.find("failure") is not None]
    assert len(failed) == 1 and "rag-chain.yaml" in failed[0].get("name", "")
    message = failed[0].find("failure").get("message", "")  # type: ignore[union-attr]
    assert "Thu 2024-01-11" in message and "Fri 2024-01-12" in message
    assert root.find("testsuite").get("failures") == "1"  # type: ignore[union-attr]


def test_json_report_has_a_stable_shape(example_dir: Path) -> None:
    code, out = invoke("test", str(example_dir), "--format", "json")
    assert code == 0
    payload = json.loads(out)
    assert payload["summary"] == {"passed": 1, "failed": 0, "ok": True}
    [scenario] = payload["scenarios"]
    assert scenario["status"] == "passed" and scenario["process"] == "example-full"


BAD_SCENARIO = """\
scenario: 1
title: Misspelt names
process: example-full
open: {at: "2024-01-08", by: local_authority, fields: {harm: died, abuse_suspected: true}}
steps:
  - record: notifed_panel
    at: "2024-01-09"
    by: local_authority
  - extend: notify_panle
    at: "2024-02-30"
    by: partners
    to: "2024-01-20"
  - expect:
      stage: rapid_reveiw
      deadlines:
        meeting_windw: {due: "2024-01-19"}
"""


def test_invalid_scenario_file_gives_line_col_diagnostics_and_exit_1(example_dir: Path) -> None:
    bad = example_dir / "scenarios" / "bad.yaml"
    bad.write_text(BAD_SCENARIO)
    code, out = invoke("test", str(bad))
    assert code == 1
    assert re.search(r"bad\.yaml:6:13: error T702 scenario-unknown-event: unknown event \"notifed_panel\"", out)
    assert 'did you mean "notified_panel"?' in out
    assert re.search(r"bad\.yaml:9:13: error T705 .*notify_panle", out)
    assert re.search(r"bad\.yaml:10:9: error T709 .*2024-02-30", out)
    assert re.search(r"bad\.yaml:14:14: error T707 .*rapid_reveiw", out) and 'did you mean "rapid_review"?' in out
    assert re.search(r"bad\.yaml:16:9: error T705 .*meeting_windw", out)
    assert out.strip().splitlines()[-1] == "0 passed, 1 failed"


def test_schema_errors_in_a_scenario_have_line_col(example_dir: Path) -> None:
    bad = example_dir / "scenarios" / "bad.yaml"
    bad.write_text(BAD_SCENARIO.replace("    to: \"2024-01-20\"\n", "    to: \"2024-01-20\"\n    optoin: x\n"))
    diagnostics = validate_scenarios([bad])
    assert any(d.code == "S101" and d.location.line == 13 and d.location.col == 5 for d in diagnostics)


def test_validate_scenarios_is_clean_for_the_bundled_scenarios() -> None:
    assert [d for d in validate_scenarios([processes_dir()]) if d.is_error] == []


def test_unknown_process_is_a_diagnostic_with_a_suggestion(example_dir: Path) -> None:
    bad = example_dir / "scenarios" / "bad.yaml"
    bad.write_text(FULL_SCENARIO.replace("process: example-full", "process: leeds-rapid-reveiw"))
    [diagnostic] = [d for d in validate_scenarios([bad]) if d.is_error]
    assert diagnostic.code == "T701" and diagnostic.location.line == 3
    assert diagnostic.hint == 'did you mean "leeds-rapid-review"?'


def test_missing_path_is_reported() -> None:
    files, problems = discover(["no/such/scenarios"])
    assert files == [] and problems[0].code == "T700"
    code, _ = invoke("test", "no/such/scenarios")
    assert code == 1


def test_run_paths_default_is_every_bundled_scenario() -> None:
    run = run_paths()
    assert len(run.results) == len(BUNDLED) and run.ok
