"""The output registry (reviewflow.engine.render.formats) and the commands agree: each command offers
exactly the formats the registry has for the kind of output it prints, and every renderer exists."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import pytest
from reviewflow.engine.render.formats import REGISTRY, Output, default_format, formats, renderer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from gen_cli_docs import commands  # noqa: E402

KIND_OF_COMMAND: dict[str, Output] = {
    "validate": Output.DIAGNOSTICS,
    "processes": Output.PROCESSES,
    "show": Output.GUIDE,
    "diagram": Output.DIAGRAM,
    "case show": Output.CASE,
    "case history": Output.HISTORY,
    "case explain": Output.EXPLANATION,
    "case verify": Output.VERIFICATION,
    "verify": Output.VERIFICATION,
    "cases": Output.CASES,
    "due": Output.DUE,
    "test": Output.SCENARIOS,
    "calendar add": Output.CALENDAR_SUM,
    "calendar between": Output.CALENDAR_COUNT,
    "calendar holidays": Output.CALENDAR_HOLIDAYS,
    "calendar is-working-day": Output.CALENDAR_DAY,
    "db info": Output.STORE_INFO,
    "admin members": Output.MEMBERS,
    "actions": Output.ACTIONS,
    "learning list": Output.OUTPUTS,
    "report scrutiny": Output.REPORT,
    "report yearly": Output.REPORT,
}
WITHOUT_FORMAT_OPTION = {Output.WRITE}  # the case writes print what they did, in text only


def format_option(command: click.Command) -> click.Option | None:
    found = [p for p in command.params if isinstance(p, click.Option) and "--format" in p.opts]
    return found[0] if found else None


COMMANDS = {" ".join(path): command for path, command in commands()}


@pytest.mark.parametrize("name", sorted(KIND_OF_COMMAND))
def test_a_commands_format_choices_are_the_registrys(name: str) -> None:
    option = format_option(COMMANDS[name])
    assert option is not None, f"reviewflow {name} has no --format"
    assert isinstance(option.type, click.Choice)
    kind = KIND_OF_COMMAND[name]
    assert tuple(option.type.choices) == formats(kind)
    assert option.default == default_format(kind)


def test_every_command_with_a_format_option_is_listed() -> None:
    with_format = {name for name, command in COMMANDS.items() if format_option(command) is not None}
    assert with_format == set(KIND_OF_COMMAND)


def test_every_kind_is_printed_by_some_command() -> None:
    assert set(REGISTRY) == set(KIND_OF_COMMAND.values()) | WITHOUT_FORMAT_OPTION


@pytest.mark.parametrize("kind,output_format", [(k, f) for k in Output for f in formats(k)],
                         ids=lambda v: str(v))
def test_every_renderer_exists(kind: Output, output_format: str) -> None:
    assert callable(renderer(kind, output_format))
