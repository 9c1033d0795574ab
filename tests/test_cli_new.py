"""`reviewflow new`: the scaffold passes `validate` and `test` as generated, and never overwrites."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from reviewflow.cli import cli


@pytest.fixture
def in_tmp(tmp_path: Path) -> Iterator[Path]:
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(old)


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


# leeds-rapid-review-2018 ended on 2023-12-14: its starter case opens inside its dates, not on STARTER_DATE
@pytest.mark.parametrize("base", ["wt2023-national", "wt2018-national", "leeds-rapid-review",
                                  "leeds-rapid-review-2018"])
def test_new_partnership_validates_and_its_starter_scenario_passes(in_tmp: Path, base: str) -> None:
    code, out = invoke("new", "north-yorkshire", "--extends", base)
    assert code == 0, out
    definition = in_tmp / "processes" / "north-yorkshire" / "north-yorkshire.yaml"
    starter = in_tmp / "processes" / "north-yorkshire" / "scenarios" / "starter.yaml"
    assert definition.is_file() and starter.is_file()
    text = definition.read_text()
    assert text.startswith("# yaml-language-server: $schema=")
    assert f"\nextends: {base}\n" in text and "\nroles:\n" in text and "TODO" in text
    assert starter.read_text().startswith("# yaml-language-server: $schema=")

    code, out = invoke("validate", "processes/north-yorkshire")
    assert code == 0, out
    assert "0 errors" in out

    code, out = invoke("test", "processes/north-yorkshire")
    assert code == 0, out
    assert out.strip().splitlines()[-1] == "1 passed, 0 failed"


def test_new_with_dir_makes_the_workspace_there(in_tmp: Path) -> None:
    target = in_tmp / "elsewhere"
    code, out = invoke("new", "calderdale", "--extends", "wt2023-national", "--dir", str(target))
    assert code == 0, out
    assert "cd " in out.splitlines()[-1]  # the next step says to go there
    assert (target / "processes" / "calderdale" / "calderdale.yaml").is_file()
    assert (target / ".pre-commit-config.yaml").is_file() and not (in_tmp / "processes").exists()
    code, out = invoke("test", str(target / "processes" / "calderdale"))
    assert code == 0, out
    code, out = invoke("--processes", str(target / "processes"), "test")
    assert code == 0 and "(on elsewhere/processes/calderdale/calderdale.yaml)" in out, out


def test_new_refuses_to_overwrite(in_tmp: Path) -> None:
    assert invoke("new", "calderdale", "--extends", "wt2023-national")[0] == 0
    definition = in_tmp / "processes" / "calderdale" / "calderdale.yaml"
    definition.write_text(definition.read_text() + "# my edits\n")
    code, out = invoke("new", "calderdale", "--extends", "wt2023-national")
    assert code == 1
    assert "already exists" in out
    assert definition.read_text().endswith("# my edits\n")


def test_new_refuses_when_only_the_starter_exists(in_tmp: Path) -> None:
    starter = in_tmp / "processes" / "wakefield" / "scenarios" / "starter.yaml"
    starter.parent.mkdir(parents=True)
    starter.write_text("# mine\n")
    code, out = invoke("new", "wakefield", "--extends", "wt2023-national")
    assert code == 1 and "already exists" in out
    assert starter.read_text() == "# mine\n"
    assert not (in_tmp / "processes" / "wakefield" / "wakefield.yaml").exists()


@pytest.mark.parametrize("name", ["Calderdale", "north_yorkshire", "north--yorkshire", "leeds-", "9lives", "a b"])
def test_new_rejects_a_name_that_is_not_kebab_case(in_tmp: Path, name: str) -> None:
    code, out = invoke("new", name, "--extends", "wt2023-national")
    assert code == 2
    assert "kebab-case" in out
    assert not (in_tmp / "processes").exists()


def test_new_rejects_an_unknown_base_with_a_suggestion(in_tmp: Path) -> None:
    code, out = invoke("new", "calderdale", "--extends", "wt2023-nationl")
    assert code == 1
    assert 'did you mean "wt2023-national"?' in out
    assert not (in_tmp / "processes").exists()


def test_new_rejects_an_existing_process_id(in_tmp: Path) -> None:
    code, out = invoke("new", "leeds-rapid-review", "--extends", "wt2023-national")
    assert code == 1 and "already exists" in out


def test_help_has_examples() -> None:
    for command in ("new", "test"):
        code, out = invoke(command, "--help")
        assert code == 0 and "Example" in out and f"reviewflow {command}" in out


def test_new_with_dir_checks_ids_against_that_workspace(in_tmp: Path) -> None:
    target = in_tmp / "theirs"
    assert invoke("new", "devon", "--extends", "wt2023-national", "--dir", str(target))[0] == 0
    code, out = invoke("new", "devon", "--extends", "wt2023-national", "--dir", str(target))
    assert code == 1 and "already exists" in out


def test_processes_exits_1_naming_both_files_when_two_workspace_files_share_an_id(in_tmp: Path) -> None:
    assert invoke("new", "devon", "--extends", "wt2023-national")[0] == 0
    original = in_tmp / "processes" / "devon" / "devon.yaml"
    (in_tmp / "processes" / "copy.yaml").write_text(original.read_text())
    result = CliRunner().invoke(cli, ["processes"], catch_exceptions=False)
    assert result.exit_code == 1
    assert "L103" in result.stderr and "processes/devon/devon.yaml" in result.stderr
