"""`reviewflow validate` points a finding about an item a local definition removed with `null` at that
`null` (not at the file's `id:` line), and at the deviation once one names the item."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from reviewflow.cli import cli

DEFINITION = "processes/northshire/northshire.yaml"
NAMED_ROLE = '  local_authority:\n    title: "Local authority (where the incident happened)"   # TODO: the local name\n'


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Path]:
    """A fresh `reviewflow new northshire --extends wt2023-national`, as the current directory."""
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        code, out = invoke("new", "northshire", "--extends", "wt2023-national")
        assert code == 0, out
        yield tmp_path / DEFINITION
    finally:
        os.chdir(old)


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def line_of(definition: Path, text: str) -> int:
    [number] = [i for i, line in enumerate(definition.read_text().splitlines(), 1) if line == text]
    return number


def validate_lines(code: str) -> list[str]:
    """The lines of `reviewflow validate` that report `code`, in output order."""
    _, out = invoke("validate", DEFINITION)
    return [line for line in out.splitlines() if f" {code} " in line]


def test_each_removed_mandatory_item_is_reported_at_its_null(workspace: Path) -> None:
    text = workspace.read_text()
    assert NAMED_ROLE in text and "id: northshire" in text
    workspace.write_text(text.replace(NAMED_ROLE, "  local_authority: null\n")
                         + "deadlines:\n  notify_panel: null\nstages:\n  pre_publication: null\n"
                           "gates:\n  cspr_decision: null\n")
    at = {name: line_of(workspace, f"  {name}: null")
          for name in ("local_authority", "notify_panel", "pre_publication", "cspr_decision")}
    assert line_of(workspace, "id: northshire") not in at.values()
    removed = "error C401 mandatory-item-removed: mandatory {} of base wt2023-national is removed"
    assert validate_lines("C401") == [
        f"{DEFINITION}:{at['local_authority']}:3: {removed.format('roles.local_authority')}",
        f"{DEFINITION}:{at['notify_panel']}:3: {removed.format('deadlines.notify_panel')}",
        f"{DEFINITION}:{at['pre_publication']}:3: {removed.format('stages.pre_publication')}",
        f"{DEFINITION}:{at['cspr_decision']}:3: {removed.format('gates.cspr_decision')}",
    ]


def test_a_removal_a_deviation_names_is_a_warning_at_the_deviation(workspace: Path) -> None:
    workspace.write_text(workspace.read_text() + "deadlines:\n  notify_panel: null\ndeviations:\n"
                         "  - item: deadlines.notify_panel\n    reason: Notified by the regional hub.\n")
    deviation = line_of(workspace, "  - item: deadlines.notify_panel")
    [warning] = validate_lines("C401")
    assert warning.startswith(f"{DEFINITION}:{deviation}:5: warning C401 mandatory-item-removed: mandatory "
                              "deadlines.notify_panel of base wt2023-national is removed (deviation: ")
