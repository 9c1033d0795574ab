"""The one place a failure becomes what the user sees and an exit code.

`reviewflow.cli` hands every exception a command raises to `exit_code_for` (click's own exceptions
excepted: click reports a usage error itself, exit 2). Standard output carries only results, so
everything here goes to standard error.
"""

from __future__ import annotations

import os
import sys
import traceback

import click
from reviewflow.commands.exitcodes import (  # noqa: F401 - re-exported: the commands name them from here
    EXIT_BUG,
    EXIT_CLOSED_PIPE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PROBLEM,
    EXIT_USAGE,
)


def exit_code_for(failure: BaseException, *, debug: bool) -> int:
    """Say what went wrong on standard error and return the exit code it means."""
    from reviewflow.engine.errors import EngineError

    if isinstance(failure, KeyboardInterrupt):
        click.echo("interrupted", err=True)
        return EXIT_INTERRUPTED
    if isinstance(failure, BrokenPipeError):
        _discard_pending_output()
        return EXIT_CLOSED_PIPE
    if isinstance(failure, EngineError):
        from reviewflow.engine.render.problems import problem_text

        click.echo(problem_text(failure), err=True)
        return EXIT_PROBLEM
    from reviewflow.engine.render.terminal import printable

    click.echo(printable(f"error: unexpected error ({type(failure).__name__}: {failure}); please report this"),
               err=True)
    if debug:
        click.echo(printable("".join(traceback.format_exception(failure))), err=True, nl=False)
    else:
        click.echo("run again with --debug for the traceback", err=True)
    return EXIT_BUG


def _discard_pending_output() -> None:
    """The reader has gone (`reviewflow … | head`): point stdout at devnull, so that Python's flush at
    exit does not fail again and print "Exception ignored"."""
    try:
        stdout = sys.stdout.fileno()
    except (AttributeError, ValueError, OSError):  # not a real file (a test runner's buffer): nothing to flush
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, stdout)
    os.close(devnull)
