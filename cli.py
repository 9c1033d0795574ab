"""reviewflow command line: a thin shell over the engine.

parse → call engine → render → exit code. Commands live in `commands/` (one module per concern); this
module wires them into one group whose `invoke` is the single error path of the whole CLI: whatever a
command raises is reported by `commands.errors` (exit codes: 0 ok, 1 a user-level problem, 2 usage,
3 a bug, 130 interrupted; a traceback only with --debug).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click
from reviewflow import __version__
from reviewflow.commands.errors import exit_code_for
from reviewflow.commands.workspace import describe_search_path, processes_option

# Which module registers each top-level command. A command's module is imported when the command is
# used (or listed, for --help), so `reviewflow case show` does not load the code of thirty other commands;
# tests/test_lean_commands.py checks this table against what the modules register. (`case` loads its
# write commands itself: commands.case_common.CaseGroup.)
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "validate": ("definitions",), "processes": ("definitions",), "show": ("definitions",),
    "diagram": ("definitions",), "calendar": ("calendar",), "case": ("case_read",),
    "cases": ("case_read",), "due": ("case_read",), "actions": ("oversight",), "action": ("oversight",),
    "learning": ("oversight",), "report": ("reports",), "import-cohort": ("reports",), "new": ("scenarios",),
    "test": ("scenarios",), "copy": ("workspace",), "schema": ("workspace",), "db": ("db",), "admin": ("admin",),
    "verify": ("integrity",),
}


class ReviewflowGroup(click.Group):
    """The top-level group: every command runs inside its `invoke`, so every failure passes here.

    Commands are registered by their modules when first asked for (`COMMAND_MODULES`)."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            for module in COMMAND_MODULES.get(cmd_name, ()):
                register(module)
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        for module in dict.fromkeys(m for modules in COMMAND_MODULES.values() for m in modules):
            register(module)
        return super().list_commands(ctx)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.ClickException as usage:
            raise _printable(usage) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            try:
                return super().invoke(ctx)
            finally:
                # A reader that has gone (`| head`) must show up here, not in Python's flush at exit.
                sys.stdout.flush()
        except click.ClickException as usage:
            raise _printable(usage) from None  # click's usage errors (exit 2), whatever was typed escaped
        except (click.exceptions.Exit, click.exceptions.Abort):
            raise  # click's own: --help, ctx.exit(code)
        except (Exception, KeyboardInterrupt) as failure:
            code = exit_code_for(failure, debug=bool(ctx.params.get("debug")))
            raise click.exceptions.Exit(code) from None

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Where definitions are looked for from this folder (docs/workspaces.md), resolved now."""
        formatter.write_paragraph()
        formatter.write_text("Definitions are looked for, in this order (first match wins):")
        formatter.write(describe_search_path() + "\n")
        formatter.write_paragraph()
        formatter.write_text("--processes DIR (here or after a command) goes first; set REVIEWFLOW_PATH "
                             "to add folders; see docs/workspaces.md.")


def _printable(usage: click.ClickException) -> click.ClickException:
    """A usage error repeats what was typed (an unknown option, a bad value): escape its control characters."""
    from reviewflow.engine.render.terminal import printable

    vars(usage)["message"] = printable(usage.message)  # `message` is Final in click's annotations
    return usage


@click.group(cls=ReviewflowGroup,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--debug", is_flag=True, help="Show a traceback for unexpected errors.")
@processes_option
@click.version_option(version=__version__, prog_name="reviewflow")
def cli(debug: bool) -> None:
    """Run safeguarding case reviews from declarative YAML process definitions.

    \b
    Examples:
      reviewflow new devon --extends wt2023-national   # a partnership's own workspace
      reviewflow validate                      # check the workspace (or the bundled definitions)
      reviewflow show leeds-rapid-review       # the staff guide for Leeds
      reviewflow calendar add 2023-12-21 5 --explain
      reviewflow case open leeds-rapid-review LEEDS-2024-001 --at 2023-12-21 --by local_authority \\
          --pseudonym "Child B" --set harm=seriously_harmed --set abuse_or_neglect=true
      reviewflow due --as-of 2024-01-03
    """


_registered: set[str] = set()


def register(module: str) -> None:
    """Add the commands of `reviewflow.commands.<module>` to the group, once."""
    if module not in _registered:
        _registered.add(module)
        importlib.import_module(f"reviewflow.commands.{module}").register(cli)


def main(argv: list[str] | None = None) -> None:
    """The `reviewflow` script and `python -m reviewflow`."""
    cli.main(args=argv, prog_name="reviewflow")


if __name__ == "__main__":
    main()
