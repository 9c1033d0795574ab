"""Shared pieces of the command modules: exit codes, output helpers, common options."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from typing import Any, TypeVar

import click

EXIT_OK = 0
EXIT_PROBLEM = 1
EXIT_USAGE = 2
EXIT_BUG = 3

F = TypeVar("F", bound=Callable[..., Any])


def echo_error(message: str, hint: str | None = None) -> None:
    click.echo(f"error: {message}", err=True)
    if hint:
        click.echo(f"hint: {hint}", err=True)


def echo_json(payload: Any) -> None:
    click.echo(json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=False, default=str))


def format_option(*choices: str, default: str = "text") -> Callable[[F], F]:
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(list(choices)),
        default=default,
        show_default=True,
        help="Output format (json has a documented, stable shape: see docs/json.md).",
    )


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
    return db_path or os.environ.get("REVIEWFLOW_DB") or "reviewflow.db"


def parse_date_arg(value: str, what: str = "date") -> Any:
    """A strict ISO calendar date (YYYY-MM-DD); anything else is a CalendarError (exit 1) naming the value."""
    from reviewflow.engine.dates import parse_iso_date

    return parse_iso_date(value, what)


def reports_problems(func: Callable[..., Any]) -> Callable[..., Any]:
    """A command decorator: an EngineError becomes `error:` + `hint:` (+ `allowed now:` for a refusal), exit 1, no traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except Exception as exc:
            from reviewflow.engine.errors import DefinitionError, EngineError, RefusedError

            if not isinstance(exc, EngineError):
                raise
            if isinstance(exc, DefinitionError):
                from reviewflow.engine.render.diagnostics import diagnostics_text

                click.echo(diagnostics_text(exc.diagnostics), err=True)
            if isinstance(exc, RefusedError):
                echo_problem(exc.message, exc.hint, exc.allowed, getattr(exc, "allowed_actions", None))
            else:
                echo_problem(exc.message, exc.hint, ())
            click.get_current_context().exit(EXIT_PROBLEM)

    return wrapper


def echo_problem(message: str, hint: str | None, allowed: list[str] | tuple[str, ...],
                  actions: list[dict[str, Any]] | None = None) -> None:
    from reviewflow.engine.render.case_text import allowed_lines, refusal_allowed_lines

    if allowed and (hint is None or hint.startswith("allowed now: ")):
        hint = "do one of the things allowed now (listed below); `reviewflow case show REF` has the detail"
    echo_error(message, hint)
    if allowed or actions:
        click.echo("allowed now:", err=True)
        for line in allowed_lines(actions) if actions else refusal_allowed_lines(list(allowed)):
            click.echo(f"  {line}", err=True)
