"""Shared pieces of the command modules: output helpers, common options (exit codes: commands.errors)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any, TypeVar

import click

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
        type=click.Path(dir_okay=False),
        default=None,
        help="SQLite event store (default: $REVIEWFLOW_DB, then ./reviewflow.db).",
    )(func)


def resolve_db_path(db_path: str | None) -> str:
    return db_path or os.environ.get("REVIEWFLOW_DB") or "reviewflow.db"


def parse_date_arg(value: str, what: str = "date") -> Any:
    """A strict ISO calendar date (YYYY-MM-DD); anything else is a CalendarError (exit 1) naming the value."""
    from reviewflow.engine.calendar.workdays import parse_iso_date

    return parse_iso_date(value, what)
