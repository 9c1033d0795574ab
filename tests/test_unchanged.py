"""The `reviewflow` script answers `validate` before loading the command line (reviewflow.launch): an
unchanged workspace from the saved answer, anything else it can read by running the validation itself. For
every invocation it accepts, it prints exactly what the full command line prints and exits with the same
code; anything else goes to the full command line untouched."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from reviewflow.launch import parse

VALID = Path(__file__).resolve().parent / "definitions" / "valid"
HEAVY = ("click", "dataclasses", "yaml", "jsonschema", "jsonschema_rs", "holidays", "pendulum", "transitions")

# Runs one invocation the way the script does (reviewflow.launch) or through the full command line
# (reviewflow.cli), and says on stderr which heavy modules were loaded.
PROBE = """
import json, sys
entry, args, heavy = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3].split(",")
if entry == "launch":
    from reviewflow.launch import main
else:
    from reviewflow.cli import main
try:
    main(args)
    code = 0
except SystemExit as exit:
    code = exit.code
sys.stdout.flush()
print("\\nPROBE", json.dumps({"code": code, "loaded": sorted(m for m in heavy if m in sys.modules)}),
      file=sys.stderr)
"""


class Run:
    def __init__(self, done: subprocess.CompletedProcess[bytes]) -> None:
        self.stdout = done.stdout
        self.stderr, _, probe = done.stderr.decode().rpartition("\nPROBE ")
        found = json.loads(probe)
        self.code, self.loaded = found["code"], found["loaded"]


def run(entry: str, args: list[str], cwd: Path, **env: str) -> Run:
    environment = {**os.environ, **env}
    return Run(subprocess.run([sys.executable, "-c", PROBE, entry, json.dumps(args), ",".join(HEAVY)], cwd=cwd,
                              capture_output=True, env=environment, check=True))


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A partnership's folder: ./processes holding a definition with three warnings, under a non-ASCII name."""
    home = tmp_path_factory.mktemp("workspace")
    (home / "processes").mkdir()
    shutil.copy(VALID / "full_language.yaml", home / "processes" / "café.yaml")
    (home / "empty").mkdir()
    (home / "notes.yaml").write_text("shopping: [milk]\n", encoding="utf-8")
    (home / "more").mkdir()
    shutil.copy(VALID / "full_language.yaml", home / "more" / "other.yaml")
    text = (home / "more" / "other.yaml").read_text(encoding="utf-8")
    (home / "more" / "other.yaml").write_text(text.replace("id: example-full", "id: example-other"),
                                              encoding="utf-8")
    return home


ACCEPTED = [
    ["validate"],
    ["validate", "-q"],
    ["validate", "--quiet", "--strict"],
    ["validate", "--strict", "--format", "json"],
    ["validate", "--format=github", "--strict", "-q"],
    ["validate", "--all-problems", "--quiet", "-q"],
    ["validate", "--skip-other-yaml"],
    ["--processes", "more", "validate", "-q"],
    ["validate", "--processes=more", "--format", "text", "--strict"],
    ["--processes=more", "validate", "--processes", "processes"],
]


@pytest.mark.parametrize("args", ACCEPTED, ids=" ".join)
def test_an_unchanged_workspace_is_answered_exactly_as_the_command_line_answers(workspace: Path,
                                                                                 args: list[str]) -> None:
    full = run("cli", args, workspace)  # validates (or reads the report) and saves the answer
    assert "dataclasses" in full.loaded and full.stdout.strip()
    fast = run("launch", args, workspace)
    assert (fast.stdout, fast.stderr, fast.code) == (full.stdout, full.stderr, full.code)
    assert fast.loaded == []  # no click, no dataclass, nothing heavy: it was the saved answer


def test_strict_and_warnings_give_the_same_exit_code_and_the_environment_path_counts(workspace: Path) -> None:
    full = run("cli", ["validate", "--strict"], workspace, REVIEWFLOW_PATH="more")
    fast = run("launch", ["validate", "--strict"], workspace, REVIEWFLOW_PATH="more")
    assert full.code == fast.code == 1 and b"failed: --strict treats warnings as errors" in fast.stdout
    assert fast.stdout == full.stdout and b"other.yaml" in fast.stdout and fast.loaded == []
    other = run("launch", ["validate", "--strict"], workspace)  # without the variable: another question
    assert other.stdout != fast.stdout


WITH_PATHS = [
    ["validate", "processes"],
    ["validate", "processes/café.yaml", "--format", "json"],
    ["validate", "more", "processes", "-q", "--strict"],
    ["--processes", "more", "validate", "more/other.yaml", "--format=github"],
    ["validate", "--skip-other-yaml", "notes.yaml"],  # nothing to check
    ["validate", "notes.yaml"],  # not a definition: an error
]


@pytest.mark.parametrize("args", WITH_PATHS, ids=" ".join)
def test_a_validate_with_paths_is_run_without_the_command_line_and_answers_as_it(workspace: Path,
                                                                                  args: list[str]) -> None:
    full = run("cli", args, workspace)
    fast = run("launch", args, workspace)
    assert (fast.stdout, fast.stderr, fast.code) == (full.stdout, full.stderr, full.code)
    assert fast.stdout.strip() and "click" not in fast.loaded


@pytest.mark.parametrize("args", [
    ["validate", "missing.yaml"],  # click refuses a PATH that does not exist (exit 2)
    ["validate", ""],
    ["validate", "empty"],  # a folder with no definition: the command line reports it
    ["validate", "--help"],
    ["--help"],
    ["--debug", "validate"],
    ["-q", "validate"],
    ["validate", "-qq"],
    ["validate", "--format", "json", "--format", "text"],
    ["validate", "--format", "nope"],  # never answered: click reports it (exit 2)
    ["validate", "--format"],
    ["validate", "--", "-q"],
    ["validate", "validate"],
    ["processes"],
    ["validate", "--processes", "missing-folder"],
], ids=" ".join)
def test_anything_else_is_the_command_line_s_to_answer(workspace: Path, args: list[str]) -> None:
    full = run("cli", args, workspace)
    via_script = run("launch", args, workspace)
    assert (via_script.stdout, via_script.stderr, via_script.code) == (full.stdout, full.stderr, full.code)
    assert "click" in via_script.loaded


def test_an_edited_file_is_validated_again_and_errors_are_never_answered(tmp_path: Path) -> None:
    (tmp_path / "processes").mkdir()
    definition = tmp_path / "processes" / "full.yaml"
    shutil.copy(VALID / "full_language.yaml", definition)
    assert run("cli", ["validate"], tmp_path).code == 0
    assert run("launch", ["validate"], tmp_path).loaded == []
    definition.write_text(definition.read_text(encoding="utf-8") + "\nunknown_key: 1\n", encoding="utf-8")
    full = run("cli", ["validate"], tmp_path)
    for _ in range(2):  # the second time too: a report with errors is never saved, so it is validated again
        edited = run("launch", ["validate"], tmp_path)
        assert edited.code == 1 and b"error" in edited.stdout and "yaml" in edited.loaded
        assert (edited.stdout, edited.stderr, edited.code) == (full.stdout, full.stderr, full.code)


def test_a_tampered_answer_is_not_printed(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    (tmp_path / "processes").mkdir()
    shutil.copy(VALID / "full_language.yaml", tmp_path / "processes" / "full.yaml")
    full = run("cli", ["validate", "-q"], tmp_path, REVIEWFLOW_CACHE=str(cache))
    [answer] = (cache / "validate").glob("*.answer.json")
    payload = json.loads(answer.read_text(encoding="utf-8"))
    answer.write_text(json.dumps({**payload, "text": "0 files checked (ok)\n"}), encoding="utf-8")
    again = run("launch", ["validate", "-q"], tmp_path, REVIEWFLOW_CACHE=str(cache))
    assert again.stdout == full.stdout and b"0 files checked" not in again.stdout


def test_a_standard_output_click_would_rewrap_goes_to_the_command_line(workspace: Path) -> None:
    run("cli", ["validate"], workspace, PYTHONIOENCODING="ascii")
    full = run("cli", ["validate"], workspace, PYTHONIOENCODING="ascii")
    fast = run("launch", ["validate"], workspace, PYTHONIOENCODING="ascii")
    assert fast.stdout == full.stdout and "café.yaml".encode() in fast.stdout  # click writes UTF-8
    assert "click" in fast.loaded


def test_the_parser_reads_options_as_click_does() -> None:
    found = parse(["--processes", "a", "validate", "--processes=b", "-q", "--format=json", "--processes", "-q"])
    assert found is not None
    assert (found.processes, found.output_format, found.flags) == (["a", "b", "-q"], "json", {"quiet"})
    assert parse(["--format", "json", "validate"]) is None  # --format belongs to the command
    assert parse([]) is None and parse(["validate", "--processes"]) is None
    assert parse(["validate", "a.yaml", "-q", "defs/"]).paths == ["a.yaml", "defs/"]  # type: ignore[union-attr]
    assert parse(["processes", "validate"]) is None  # a PATH before the command is another command's
