"""The Leeds 2021-22 cohort, recorded through the engine, reproduces seed 002 §3.1-3.3 exactly.

Seed 002 (Leeds LSCP report to Children and Families Scrutiny Board, 8 March 2023):
  3.1 "Between 01 May 2021 and 31 December 2022, the LSCP have undertaken 11 Rapid Reviews":
      2 under 1, 5 aged 1-4, 3 aged 5-11, 1 aged 12 or older; 5 male, 6 female; 3 died, 8 seriously harmed.
  3.2 "Four Child Safeguarding Practice Reviews were commissioned."
  3.3 "local learning review processes were initiated for a further three cases."
The cohort (processes/leeds/cohort/leeds-2021-22.jsonl) is imported once per module into its own store, by
the same `import-cohort` command a person runs, and the report is read back as JSON, CSV and markdown.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from reviewflow.cli import cli

ROOT = Path(__file__).resolve().parent.parent
PERIOD = ("--from", "2021-05-01", "--to", "2022-12-31")


def run(db: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, [*args, "--db", str(db)])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("cohort") / "leeds.db"
    out = run(db, "import-cohort", "leeds-2021-22")
    assert out.strip() == "imported 231 steps from leeds-2021-22: 11 cases, 7 actions, 5 learning outputs"
    return db


@pytest.fixture(scope="module")
def report(cohort: Path) -> dict[str, Any]:
    return json.loads(run(cohort, "report", "scrutiny", *PERIOD, "--format", "json"))


def rows(breakdown: dict[str, Any]) -> dict[str, int | None]:
    return {r["id"]: r["value"] for r in breakdown["rows"]}


def by_id(report: dict[str, Any], key: str) -> dict[str, Any]:
    return next(b for b in report["breakdowns"] if b["id"] == key)


# -- seed 002 §3.1-3.3, each figure -------------------------------------------------------------------


def test_3_1_eleven_rapid_reviews(report: dict[str, Any]) -> None:
    assert report["rapid_reviews"] == {"value": 11, "suppressed": None}
    assert report["partnership"] == "leeds"


def test_3_1_ages(report: dict[str, Any]) -> None:
    assert rows(by_id(report, "age_band")) == {"under_1": 2, "age_1_to_4": 5, "age_5_to_11": 3, "age_12_plus": 1}


def test_3_1_sex(report: dict[str, Any]) -> None:
    assert rows(by_id(report, "sex")) == {"female": 6, "male": 5, "not_recorded": 0}


def test_3_1_died_or_seriously_harmed(report: dict[str, Any]) -> None:
    assert rows(by_id(report, "harm")) == {"died": 3, "seriously_harmed": 8}


def test_3_2_four_cspr_commissioned(report: dict[str, Any]) -> None:
    assert report["cspr_commissioned"]["value"] == 4


def test_3_3_three_local_learning_reviews(report: dict[str, Any]) -> None:
    assert report["local_learning_reviews"]["value"] == 3
    assert rows(report["outcomes"]) == {"cspr": 4, "local_review": 3, "no_review": 4, "national_review": 0,
                                        "pending": 0}


def test_section_4_themes_with_the_partnerships_responses(report: dict[str, Any]) -> None:
    themes = {t["id"]: t for t in report["themes"]}
    assert list(themes)[:9] == ["professional_curiosity", "disguised_compliance", "escalation", "bereavement",
                                "domestic_abuse", "risk_assessment", "covid_impact", "complex_health_needs",
                                "safeguarding_approaches"]
    assert themes["complex_health_needs"]["cases"]["value"] == 2  # "Two reviews considered children with…"
    assert themes["domestic_abuse"]["cases"]["value"] > 11 / 2  # "The majority of cases identified…"
    assert themes["covid_impact"]["cases"]["value"] > 11 / 2  # "evident in the majority of the reviews"
    assert "updated in November 2022" in themes["complex_health_needs"]["responses"][0]["text"]


def test_the_same_figures_in_csv_and_markdown(cohort: Path) -> None:
    table = list(csv.DictReader(io.StringIO(run(cohort, "report", "scrutiny", *PERIOD, "--format", "csv"))))
    figures = {(r["section"], r["item"]): r["value"] for r in table}
    assert figures[("rapid_reviews", "total")] == "11"
    assert figures[("age_band", "age_12_plus")] == "1"
    assert figures[("reviews", "cspr_commissioned")] == "4"
    markdown = run(cohort, "report", "scrutiny", *PERIOD)
    assert "Rapid reviews in the period: **11**." in markdown
    assert "| under 1 | 2 |" in markdown and "| died | 3 |" in markdown
    assert "Local learning reviews initiated: **3**." in markdown


# -- the rest of the report -----------------------------------------------------------------------------


def test_timeliness_names_the_late_cases_and_by_how_much(report: dict[str, Any]) -> None:
    timeliness = {t["deadline"]: t for t in report["timeliness"]}
    assert [(c["case"], c["late_by"], c["unit"]) for c in timeliness["notify_panel"]["late"]] == [
        ("LEEDS-RR-2021-05", 2, "working day")]  # aware 21 Dec 2021: Christmas substitute days 27-28 Dec
    assert [(c["case"], c["late_by"]) for c in timeliness["rapid_review_due"]["late"]] == [("LEEDS-RR-2022-02", 3)]
    assert rows(timeliness["review_target"]["counts"]) == {"on_time": 2, "late": 1, "overdue": 0, "not_yet_due": 1,
                                                           "other": 7}


def test_actions_and_learning_outputs(report: dict[str, Any]) -> None:
    assert rows(report["actions"]) == {"open": 4, "completed": 2, "closed": 1}
    assert report["actions"]["overdue"]["value"] == 1
    learning = report["learning_outputs"]
    assert (learning["total"]["value"], learning["sessions"], learning["attendees"], learning["interim"]) == (
        5, 14, 475, 3)


def test_the_report_never_carries_a_personal_field_or_a_pseudonym(cohort: Path) -> None:
    run(cohort, "case", "correct", "LEEDS-RR-2021-01", "1", "--set", "summary=Mother's partner, 2 Acacia Road",
        "--at", "2022-12-30", "--by", "local_authority", "--reason", "summary recorded",
        "--confirm-date")  # over a year after the case's last event (#14's date horizon)
    for fmt in ("markdown", "csv", "json", "html"):
        text = run(cohort, "report", "scrutiny", *PERIOD, "--format", fmt)
        assert "Acacia" not in text and "Child A" not in text  # cases are named by reference only


def test_small_numbers_are_suppressed_with_a_stated_rule(cohort: Path) -> None:
    report = json.loads(run(cohort, "report", "scrutiny", *PERIOD, "--format", "json", "--suppress-below", "5"))
    ages = {r["id"]: r for r in by_id(report, "age_band")["rows"]}
    assert ages["under_1"]["suppressed"] == "primary" and ages["under_1"]["value"] is None
    assert ages["age_1_to_4"]["value"] == 5
    harm = {r["id"]: r for r in by_id(report, "harm")["rows"]}
    # 3 died is hidden; 8 seriously harmed would give it away against the total of 11: hidden too.
    assert harm["died"]["suppressed"] == "primary" and harm["seriously_harmed"]["suppressed"] == "secondary"
    assert "Counts from 1 to 4" in report["suppression"]["rule"]
    markdown = run(cohort, "report", "scrutiny", *PERIOD, "--suppress-below", "5")
    assert "| under 1 | <5 |" in markdown and "| seriously harmed | suppressed |" in markdown
    assert "Late cases are not listed" in markdown


def test_yearly_report_and_a_period_that_ends_before_it_starts(cohort: Path) -> None:
    report = json.loads(run(cohort, "report", "yearly", "--year", "2021", "--format", "json"))
    assert report["period"] == {"from": "2021-04-01", "to": "2022-03-31"} and report["rapid_reviews"]["value"] == 7
    bad = CliRunner().invoke(cli, ["report", "scrutiny", "--from", "2022-12-31", "--to", "2021-05-01",
                                   "--db", str(cohort)])
    assert bad.exit_code == 1 and "before it starts" in bad.stderr


def test_cases_lists_only_cases_and_every_record_verifies(cohort: Path) -> None:
    listed = json.loads(run(cohort, "cases", "--format", "json"))["cases"]
    assert len(listed) == 11 and all(c["case"].startswith("LEEDS-RR-") for c in listed)
    assert run(cohort, "case", "verify").startswith("23 cases")  # 11 cases, 7 actions, 5 learning outputs


def test_the_bundled_cohort_file_is_what_its_generator_writes() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_leeds_cohort.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, "run: python scripts/make_leeds_cohort.py"
