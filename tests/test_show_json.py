"""`reviewflow show PROCESS --format json`: its keys are exactly those docs/json.md documents, and for a partnership
definition (#11) it carries what the text guide shows: the member definitions, the themes with the partnership's
responses, and the report settings."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from reviewflow.cli import cli

REPO = Path(__file__).resolve().parent.parent
DOCS = (REPO / "docs" / "json.md").read_text(encoding="utf-8")

# A partnership that writes little: no reporting, a theme without description, a response without a date.
SPARE = """\
reviewflow: 1
kind: partnership
id: spare
title: Spare Safeguarding Children Partnership
version: "1"
processes: [leeds-rapid-review]
reporting:
  cspr: []
themes:
  neglect:
    title: Neglect
    responses:
      - text: "A neglect toolkit for practitioners."
  other:
    title: Other
"""


def show(*args: str) -> str:
    result = CliRunner().invoke(cli, ["show", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def shown(*args: str) -> Any:
    return json.loads(show(*args, "--format", "json"))


def show_table() -> dict[str, str]:
    """The rows of docs/json.md's table for `reviewflow show PROCESS`: each documented key and its row."""
    section = DOCS.split("## `reviewflow show PROCESS`", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        if line.startswith("| `"):
            cell = line.split(" | ", 1)[0]
            rows.update({key: line for key in re.findall(r"`([a-z_]+)`", cell)})
    return rows


def braces(row: str) -> list[set[str]]:
    """The key sets a table row spells as `{"a", "b"}`, in order."""
    return [set(re.findall(r'"([a-z_]+)"', group)) for group in re.findall(r"\{([^{}]*)\}", row)]


@pytest.fixture
def spare(tmp_path: Path) -> Path:
    (tmp_path / "spare").mkdir()
    (tmp_path / "spare" / "partnership.yaml").write_text(SPARE, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("process", ["leeds-rapid-review", "leeds-action-plan", "leeds"])
def test_show_json_has_exactly_the_keys_docs_json_md_documents(process: str) -> None:
    documented = show_table()
    data = shown(process)
    assert set(data) == set(documented)
    theme_keys, response_keys = braces(documented["themes"])[:2]
    assert all(set(t) == theme_keys and all(set(r) == response_keys for r in t["responses"]) for t in data["themes"])
    if data["reporting"] is not None:
        assert set(data["reporting"]) == braces(documented["reporting"])[0]


def test_a_case_definition_has_no_partnership_parts() -> None:
    data = shown("leeds-rapid-review")
    assert (data["kind"], data["processes"], data["themes"], data["reporting"]) == ("case", [], [], None)
    assert shown("leeds-action-plan")["kind"] == "action_plan"


def test_a_partnerships_json_carries_what_its_guide_shows() -> None:
    text, data = show("leeds"), shown("leeds")
    assert data["kind"] == "partnership"
    members = text.split("## Definitions of this partnership\n\n", 1)[1].split("\n\n", 1)[0]
    assert members.splitlines() == [f"- `{m}`" for m in data["processes"]] and len(data["processes"]) == 8
    themes = text.split("## Themes and the partnership's responses\n\n", 1)[1].split("\n## ", 1)[0]
    assert re.findall(r"^### (.+) \(`([a-z_]+)`\)$", themes, re.MULTILINE) == [(t["title"], t["id"])
                                                                              for t in data["themes"]]
    for theme in data["themes"]:
        said = themes.split(f"(`{theme['id']}`)\n\n", 1)[1].split("\n### ", 1)[0]
        assert theme["description"] in said
        assert re.findall(r"^- (\S+): (.+)$", said, re.MULTILINE) == [(r["as_of"], r["text"])
                                                                      for r in theme["responses"]]
    escalation = next(t for t in data["themes"] if t["id"] == "escalation")
    assert len(escalation["responses"]) == 2 and escalation["responses"][0]["as_of"] == "2023-03-08"
    assert escalation["citation"]["source"] == "SEED-LSR" and escalation["citation"]["section"] == \
        "4.1 Escalation processes"
    assert data["reporting"] == {
        "suppress_below": 1, "suppress_note": data["reporting"]["suppress_note"], "counted_from": "notified_panel",
        "outcome_field": "review_type", "cspr": ["local_cspr"], "no_review": ["no_further_review"],
        "timeliness": ["notify_panel", "rapid_review_due", "review_target"]}
    assert data["reporting"]["suppress_note"].startswith("The LSCP published counts of 1 and 2")
    assert f'shown as "<N", with N: `1`. {data["reporting"]["suppress_note"]}' in text
    assert "- Deadlines whose timeliness is reported: `notify_panel`, `rapid_review_due`, `review_target`\n" in text


def test_a_partnership_that_writes_little_shows_nulls_and_the_defaults(spare: Path) -> None:
    data = shown("spare", "--processes", str(spare))
    assert data["themes"] == [
        {"id": "neglect", "title": "Neglect", "description": None, "citation": None,
         "responses": [{"text": "A neglect toolkit for practitioners.", "as_of": None, "citation": None}]},
        {"id": "other", "title": "Other", "description": None, "citation": None, "responses": []}]
    assert data["reporting"] == {"suppress_below": None, "suppress_note": None, "counted_from": None,
                                 "outcome_field": None, "cspr": [], "no_review": None, "timeliness": None}
    text = show("spare", "--processes", str(spare))
    assert "### Neglect (`neglect`)\n\n- undated: A neglect toolkit for practitioners.\n\n### Other (`other`)\n\n" \
           "## Report settings\n\n" in text
    assert '- Counts below N are shown as "<N", with N: `5` (the default)\n' in text
    assert "- Outcomes counted as a CSPR: none\n" in text
    assert "- Outcomes counted as no further review: `no_further_review` (the default)\n" in text
    (spare / "spare" / "partnership.yaml").write_text(SPARE.replace("reporting:\n  cspr: []\n", ""), "utf-8")
    assert shown("spare", "--processes", str(spare))["reporting"] is None
    assert "- Outcomes counted as a CSPR: `local_cspr` (the default)\n" in show("spare", "--processes", str(spare))
