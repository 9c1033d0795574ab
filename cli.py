"""reviewflow command line: a thin shell over the engine.

parse → call engine → render → exit code. Exit codes: 0 ok, 1 a user-level problem (invalid
definition, refused event, unknown case, ...), 2 usage, 3 a bug (traceback only with --debug).
Commands live in `commands/` (one module per concern); this module wires them and owns the one
top-level error handler.
"""

from __future__ import annotations

import sys
import traceback

import click
from reviewflow.commands import admin as admin_commands
from reviewflow.commands import calendar as calendar_commands
from reviewflow.commands import cases as case_commands
from reviewflow.commands import db as db_commands
from reviewflow.commands import definitions as definition_commands
from reviewflow.commands import scenarios as scenario_commands
from reviewflow.commands.common import EXIT_BUG, EXIT_PROBLEM, EXIT_USAGE, echo_error


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--debug", is_flag=True, help="Show a traceback for unexpected errors.")
@click.version_option(package_name="reviewflow", prog_name="reviewflow")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Run safeguarding case reviews from declarative YAML process definitions.

    \b
    Examples:
      reviewflow validate                      # check every bundled definition
      reviewflow show leeds-rapid-review       # the staff guide for Leeds
      reviewflow calendar add 2023-12-21 5 --explain
      reviewflow case open leeds-rapid-review LEEDS-2024-001 --at 2023-12-21 --by local_authority \\
          --pseudonym "Child B" --set harm=seriously_harmed --set abuse_or_neglect=true
      reviewflow due --as-of 2024-01-03
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


for module in (definition_commands, calendar_commands, case_commands, scenario_commands):
    module.register(cli)
db_commands.register(cli)
admin_commands.register(cli)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        code = cli.main(args=args, prog_name="reviewflow", standalone_mode=False)
    except click.exceptions.Abort:
        echo_error("aborted")
        sys.exit(EXIT_PROBLEM)
    except click.UsageError as exc:
        exc.show()
        sys.exit(EXIT_USAGE)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # the one place a bug is caught: never a traceback for users by default
        from reviewflow.engine.errors import EngineError

        if isinstance(exc, EngineError):
            echo_error(exc.message, exc.hint)
            sys.exit(EXIT_PROBLEM)
        echo_error(f"unexpected error ({type(exc).__name__}: {exc}); please report this")
        if debug:
            traceback.print_exc()
        else:
            click.echo("run again with --debug for the traceback", err=True)
        sys.exit(EXIT_BUG)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
