"""Every command has help with an example, is documented in docs/cli.md, and the doc is current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from gen_cli_docs import commands, help_text  # noqa: E402

COMMANDS = commands()


def test_there_are_commands_for_every_issue() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    for expected in ("validate", "processes", "show", "diagram", "calendar add", "case open", "due", "test"):
        assert expected in names, f"missing command: reviewflow {expected}"


@pytest.mark.parametrize("path,command", COMMANDS, ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_every_command_has_help_with_an_example(path: tuple[str, ...], command: click.Command) -> None:
    text = help_text(path, command)
    assert command.help or command.short_help, f"reviewflow {' '.join(path)} has no help"
    if not isinstance(command, click.Group):
        assert "Example" in text, f"reviewflow {' '.join(path)}: add an example to its help"
        assert "reviewflow " + " ".join(path) in text, f"reviewflow {' '.join(path)}: the example should run it"


def test_docs_cli_is_generated_from_the_current_commands() -> None:
    result = subprocess.run([sys.executable, "scripts/gen_cli_docs.py", "--check"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("doc", ["README.md", "docs/cli.md"])
def test_docs_mention_every_top_level_command(doc: str) -> None:
    text = (ROOT / doc).read_text(encoding="utf-8")
    top = {path[0] for path, _ in COMMANDS}
    missing = [name for name in sorted(top) if f"reviewflow {name}" not in text]
    assert not missing, f"{doc} does not mention: {missing}"
