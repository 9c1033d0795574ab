"""`reviewflow validate` keeps clean reports by content: an unchanged workspace is answered from the
cache, any changed file (or option) is validated again, and a report with errors is never kept."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from reviewflow.cli import cli
from reviewflow.commands import validating as command

VALID = Path(__file__).resolve().parent / "definitions" / "valid"


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[int]]:
    monkeypatch.setenv("REVIEWFLOW_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "processes"
    folder.mkdir()
    shutil.copy(VALID / "full_language.yaml", folder / "full_language.yaml")
    calls: list[int] = []
    real = command._validate

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(command, "_validate", counted)
    return folder, calls


def _validate(folder: Path, *options: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["validate", str(folder), *options])
    return result.exit_code, result.stdout


def test_an_unchanged_workspace_is_answered_from_the_cache(workspace: tuple[Path, list[int]]) -> None:
    folder, calls = workspace
    first = _validate(folder)
    assert first[0] == 0 and len(calls) == 1
    assert _validate(folder) == first and len(calls) == 1  # the same answer, nothing loaded
    assert _validate(folder, "--format", "json")[0] == 0 and len(calls) == 1  # the report, shown another way
    _validate(folder, "--all-problems")
    assert len(calls) == 2  # another option is another question


def test_a_changed_file_is_validated_again(workspace: tuple[Path, list[int]]) -> None:
    folder, calls = workspace
    _validate(folder)
    path = folder / "full_language.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# an edit\n", encoding="utf-8")
    _validate(folder)
    assert len(calls) == 2
    (folder / "other.yaml").write_text("reviewflow: 1\nid: other\n", encoding="utf-8")  # a new file, with errors
    code, _ = _validate(folder)
    assert code == 1 and len(calls) == 3
    _validate(folder)
    assert len(calls) == 4  # a report with errors is never kept: every error is found afresh
