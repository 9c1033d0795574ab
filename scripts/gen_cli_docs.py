"""Regenerate docs/cli.md from the click command tree: every command's help, examples included.

    .venv/bin/python scripts/gen_cli_docs.py          # rewrite docs/cli.md
    .venv/bin/python scripts/gen_cli_docs.py --check  # exit 1 when it is out of date
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import click
from reviewflow.cli import cli

ROOT = Path(__file__).resolve().parent.parent

DOC = ROOT / "docs" / "cli.md"

INTRO = """# Command reference

Generated from the commands' own help by `scripts/gen_cli_docs.py`; `tests/test_cli_docs.py` fails when
this file and the code drift apart. `reviewflow COMMAND --help` prints the same text.

Exit codes, for every command: **0** ok · **1** a problem with what was given (invalid definition,
refused event, unknown case, failed scenario, bad date) · **2** the command was used wrongly (unknown
option, missing argument) · **3** a bug in reviewflow (run again with `reviewflow --debug …` for the
traceback) · **130** interrupted (Ctrl-C). Messages go to standard error, results to standard output.
Dates are always `YYYY-MM-DD`; reviewflow never reads the clock, so commands that need "today" take
`--at` or `--as-of`.

**Dates far ahead.** A write to a case whose `--at`, `--as-of`, `--to` or `--at-date` is more than the
date horizon (365 days; `--date-horizon N` or `$REVIEWFLOW_DATE_HORIZON`) after the case's last event is
refused unless `--confirm-date` is given: a year typed wrongly would otherwise be recorded and every later
event refused as out of order. An event already recorded on a wrong date (the opening one too) is
re-dated with `case correct REF SEQ --at-date DATE` (a new event; the original is kept), and the refusal
of an out-of-order date prints that exact command.

**Terminal safety.** Control characters in anything typed into reviewflow (a pseudonym, note, rationale,
reason, actor, reference, file name) are printed as visible escapes (`\\x1b`, `\\x9b`, `\\u202e`) in every
text format, on a terminal or not; `--format json` keeps the exact values, escaped the JSON way.
An error about a field marked `personal` names the field and the rule it breaks, never the value.
A filter that names nothing known (`due --role`, `cases --process`, `note --notified`) is an error with
a did-you-mean, not an empty answer.
"""


def walk(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    ctx = click.Context(group, info_name="reviewflow")
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None or command.hidden:
            continue
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from walk(command, (*path, name))


def help_text(path: tuple[str, ...], command: click.Command) -> str:
    parent = click.Context(cli, info_name="reviewflow", max_content_width=100, terminal_width=100)
    ctx = parent
    for name in path:
        ctx = click.Context(command if name == path[-1] else ctx.command, info_name=name, parent=ctx,
                            max_content_width=100, terminal_width=100)
    return command.get_help(ctx).rstrip()


def commands() -> list[tuple[tuple[str, ...], click.Command]]:
    return list(walk(cli))


def render() -> str:
    lines = [INTRO]
    lines += ["## Contents", ""]
    lines += [f"- `reviewflow {' '.join(path)}`" for path, _ in commands()]
    lines.append("")
    for path, command in commands():
        lines += [f"## reviewflow {' '.join(path)}", "", "```text", help_text(path, command), "```", ""]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str]) -> int:
    fresh = render()
    if "--check" in argv:
        if not DOC.exists() or DOC.read_text(encoding="utf-8") != fresh:
            print(f"{DOC} is out of date: run python scripts/gen_cli_docs.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
