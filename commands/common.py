"""Shared pieces of the command modules: `--format` from the output registry, printing a rendered value,
`--db`, dates.

Only click and the light registry (reviewflow.engine.render.formats) load here, so `reviewflow --help`
never loads the engine.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any, TypeVar

import click
from reviewflow.engine.render.formats import Output, default_format, formats, render, render_stream
from reviewflow.engine.render.terminal import printable

F = TypeVar("F", bound=Callable[..., Any])

FORMAT_HELP = "Output format (json has a documented, stable shape: see docs/json.md)."


def format_option(kind: Output, help_text: str = FORMAT_HELP) -> Callable[[F], F]:
    """`--format`, with the formats the registry has for `kind` (its first is the default)."""
    return click.option("--format", "output_format", type=click.Choice(list(formats(kind))),
                        default=default_format(kind), show_default=True, help=help_text)


def echo_rendered(kind: Output, output_format: str, value: Any, *, err: bool = False) -> None:
    click.echo(render(kind, output_format, value), nl=False, err=err)


def echo_streamed(kind: Output, output_format: str, value: Any) -> None:
    """`echo_rendered` for a list read as it is written (`due`, `cases`): each piece goes out as it is made."""
    pending: list[str] = []
    size = 0
    for piece in render_stream(kind, output_format, value):
        pending.append(piece)
        size += len(piece)
        if size >= 1 << 16:  # write in blocks of about 64 KiB: one echo per row would cost more than the row
            click.echo("".join(pending), nl=False)
            pending, size = [], 0
    if pending:
        click.echo("".join(pending), nl=False)
def say(text: str, *, err: bool = False, nl: bool = True) -> None:
    """Print a line the command composed itself (paths, counts): control characters escaped, as
    `render` does for every rendered output (engine.render.terminal)."""
    click.echo(printable(text), err=err, nl=nl)


def db_option(func: F) -> F:
    return click.option(
        "--db",
        "db_path",
        metavar="PATH|URL",
        default=None,
        help="Event store: an SQLite file, or postgresql://LOGIN@HOST/DATABASE (default: $REVIEWFLOW_DB, "
             "then ./reviewflow.db).",
    )(func)


def resolve_db_path(db_path: str | None) -> str:
    found = db_path or os.environ.get("REVIEWFLOW_DB") or "reviewflow.db"
    if found.strip() == ":memory:":
        raise click.BadParameter(":memory: is a store that vanishes when the command ends: whatever it recorded "
                                 "would be lost. Give a file (e.g. --db cases.db) or a postgresql:// URL.",
                                 param_hint="--db" if db_path else "REVIEWFLOW_DB")
    return found


def announce(store: Any) -> Any:
    """Tell the user, on standard error, what opening the store changed (a permission tightened)."""
    for notice in getattr(store, "notices", ()):
        click.echo(f"warning: {notice}", err=True)
    return store


def parse_date_arg(value: str, what: str = "date") -> date:
    """A strict ISO calendar date (YYYY-MM-DD); anything else is a CalendarError (exit 1) naming the value."""
    from reviewflow.engine.dates import parse_iso_date

    return parse_iso_date(value, what)


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A click progress bar on a terminal (standard error), or None when output is piped or redirected."""
    if not (sys.stderr.isatty() and sys.stdout.isatty()):
        yield None
        return
    bar: Any = None
    try:
        def step(done: int, total: int) -> None:
            nonlocal bar
            if bar is None:
                bar = click.progressbar(length=total, label=label, file=sys.stderr)
                bar.__enter__()
            bar.update(done - bar.pos)

        yield step
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
