"""Issue #10 items 12 and 13: a definition runs only inside its edition's dates (local definitions inherit
them), an incident before 29 June 2018 gets no Panel deadline, and `case explain` shows the ruling on
which event meets the six-month target."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from reviewflow.cli import cli
from reviewflow.engine.definition.loader import default_registry, load_path


def run(db: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, [*args, "--db", str(db)])


def open_case(db: Path, process_id: str, ref: str, at: str, by: str = "local_authority") -> Any:
    fields = [] if process_id == "lincolnshire-legacy-scr" else ["--set", "harm=died", "--set", "abuse_or_neglect=true"]
    return run(db, "case", "open", process_id, ref, "--at", at, "--by", by, "--pseudonym", "Child A", *fields)


@pytest.mark.parametrize(("process_id", "start", "end"), [
    ("wt2018-national", "2018-06-29", "2024-12-31"),
    ("kirklees-cspr", "2018-06-29", "2024-12-31"),     # inherited from wt2018-national
    ("lincolnshire-sirg", "2018-06-29", "2024-12-31"),
    ("wt2023-national", "2023-12-15", None),
    ("leeds-rapid-review", "2023-12-15", None),        # inherited from wt2023-national
    ("leeds-rapid-review-2018", "2018-06-29", "2023-12-14"),  # from wt2018-national, to the day before Leeds' WT2023
    ("lincolnshire-legacy-scr", None, "2019-09-28"),
])
def test_local_definitions_inherit_their_editions_dates(process_id: str, start: str | None, end: str | None) -> None:
    registry = default_registry()
    path = registry.path_for(process_id)
    assert path is not None
    process = load_path(path, registry).process
    assert process is not None
    assert (process.effective_from and process.effective_from.isoformat(),
            process.effective_to and process.effective_to.isoformat()) == (start, end)


def test_an_incident_before_29_june_2018_gets_no_panel_deadline(tmp_path: Path) -> None:
    db = tmp_path / "cases.db"
    refused = open_case(db, "wt2018-national", "OLD-1", "2018-06-28")
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert '"wt2018-national" is in force from 2018-06-29 to 2024-12-31' in refused.stderr
    assert "a case aware on 2018-06-28 does not fall under it" in refused.stderr
    assert "hint: in force on 2018-06-28: lincolnshire-legacy-scr" in refused.stderr
    refused = open_case(db, "lincolnshire-sirg", "OLD-2", "2018-06-28")
    assert '"lincolnshire-sirg" (it extends wt2018-national) is in force from 2018-06-29' in refused.stderr
    # the LSCB's serious case review: no notification, no Panel deadline
    assert open_case(db, "lincolnshire-legacy-scr", "OLD-3", "2018-06-28", by="lscb").exit_code == 0
    shown = json.loads(run(db, "case", "show", "OLD-3", "--format", "json").stdout)
    assert [d["id"] for d in shown["deadlines"]] == ["backstop"]
    assert open_case(db, "wt2018-national", "NEW-1", "2018-06-29").exit_code == 0
    shown = json.loads(run(db, "case", "show", "NEW-1", "--format", "json").stdout)
    assert shown["deadlines"][0]["id"] == "notify_panel"


def test_a_case_after_an_edition_ended_is_pointed_at_the_edition_in_force(tmp_path: Path) -> None:
    db = tmp_path / "cases.db"
    refused = open_case(db, "kirklees-cspr", "K-1", "2025-01-06")
    assert refused.exit_code == 1
    assert '"kirklees-cspr" (it extends wt2018-national) is in force from 2018-06-29 to 2024-12-31' in refused.stderr
    assert "wt2023-national" in refused.stderr.split("hint:")[1]
    refused = open_case(db, "leeds-rapid-review", "L-1", "2023-12-14")
    assert "in force from 2023-12-15" in refused.stderr and "wt2018-national" in refused.stderr.split("hint:")[1]
    assert "leeds-rapid-review-2018" in refused.stderr.split("hint:")[1]  # the Leeds edition in force that day
    refused = open_case(db, "leeds-rapid-review-2018", "L-2", "2023-12-15")
    assert '"leeds-rapid-review-2018" (it extends wt2018-national) is in force from 2018-06-29 to 2023-12-14' in (
        refused.stderr)
    hint = refused.stderr.split("hint:")[1]
    assert "leeds-rapid-review," in hint or hint.rstrip().endswith("leeds-rapid-review")
    # the two Leeds editions meet: the last day of one, the first day of the other
    assert open_case(db, "leeds-rapid-review-2018", "L-3", "2023-12-14").exit_code == 0
    assert open_case(db, "leeds-rapid-review", "L-4", "2023-12-15").exit_code == 0
    refused = open_case(db, "lincolnshire-legacy-scr", "S-1", "2019-09-29", by="lscb")
    assert '"lincolnshire-legacy-scr" is in force until 2019-09-28' in refused.stderr
    assert open_case(db, "kirklees-cspr", "K-2", "2024-12-31").exit_code == 0


def test_case_explain_shows_which_event_meets_the_six_month_target_and_why(tmp_path: Path) -> None:
    db = tmp_path / "cases.db"
    ref = "LINCS-2024-070"
    assert open_case(db, "lincolnshire-sirg", ref, "2024-05-01").exit_code == 0
    for args in (("decide", ref, "notification_decision", "notify", "--at", "2024-05-01", "--by", "local_authority",
                  "--rationale", "met"),
                 ("record", ref, "notified_panel", "--at", "2024-05-02", "--by", "local_authority"),
                 *[("decide", ref, "cspr_decision", "local_cspr", "--at", "2024-05-16", "--by", party,
                    "--rationale", "met") for party in ("local_authority", "health", "police")]):
        assert run(db, "case", *args).exit_code == 0
    text = run(db, "case", "explain", ref, "review_target").stdout
    assert "Met by: final_report_received" in text
    assert "Ruling: Met by the final report's arrival (final_report_received)" in text and "TRAFFORD" in text
    explained = json.loads(run(db, "case", "explain", ref, "review_target", "--format", "json").stdout)
    assert explained["met_by"] == ["final_report_received"] and "publication" in explained["ruling"]
    assert explained["due"] == "2024-11-16"  # 6 calendar months after Thu 16 May 2024
