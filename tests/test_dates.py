"""One date grammar everywhere: what `--at` accepts is what every date field accepts, and nothing else."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from reviewflow.cli import cli
from reviewflow.engine.cases.checks import check_value
from reviewflow.engine.dates import iso_date_or_none, parse_iso_date
from reviewflow.engine.definition.model import Field
from reviewflow.engine.errors import CalendarError
from reviewflow.engine.scenarios.check import _valid_date
from reviewflow.engine.validation import validate_paths

VALID = Path(__file__).parent / "definitions" / "valid"

SPELLINGS = {
    "2024-01-02": True,
    "2024-02-29": True,  # leap day
    "20240102": False,  # ISO basic format: Python's fromisoformat reads it; people mean something else
    "2024-W01-2": False,  # ISO week date
    "2024-1-2": False,
    "2023-02-29": False,
    "2024-13-01": False,
    "0000-01-01": False,
    " 2024-01-02": False,
    "2024-01-02T00:00": False,
}


def accepted_by_cli(text: str) -> bool:
    result = CliRunner().invoke(cli, ["calendar", "add", text, "1"])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code == 0


def accepted_in_a_definition(text: str, tmp_path: Path) -> bool:
    source = (VALID / "full_language.yaml").read_text(encoding="utf-8")
    old = 'effective_from: "2023-01-01"'
    assert old in source
    path = tmp_path / "dated.yaml"
    path.write_text(source.replace(old, f'effective_from: "{text}"', 1), encoding="utf-8")
    report = validate_paths([path])
    return report.error_count == 0


@pytest.mark.parametrize("text,valid", sorted(SPELLINGS.items()))
def test_every_reader_of_dates_agrees_with_the_command_line(text: str, valid: bool, tmp_path: Path) -> None:
    field = Field("date_of_incident", "Date of incident", "date")
    readers = {
        "--at / --as-of": accepted_by_cli(text),
        "parse_iso_date": _parses(text),
        "case data of type date": check_value(field, text)[1] is None,
        "scenario dates": _valid_date(text),
        "definition dates": accepted_in_a_definition(text, tmp_path),
    }
    assert readers == dict.fromkeys(readers, valid)


def test_a_date_value_is_kept_as_is() -> None:
    assert iso_date_or_none(date(2024, 1, 2)) == date(2024, 1, 2)
    assert iso_date_or_none(20240102) is None


def _parses(text: str) -> bool:
    try:
        parse_iso_date(text)
    except CalendarError:
        return False
    return True
