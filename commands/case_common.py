"""What the case commands share: the `case` group, the case service over the chosen store, the options
of every write, and `--set` parsing.

Only click and commands.common are imported at module level, so `reviewflow --help` never loads the
engine. Neither the engine nor these commands read the clock: every date comes from --at / --as-of, or,
for the read commands, from the case's last recorded event (and the output says so).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any

import click
from reviewflow.commands.common import announce, db_option, parse_date_arg, resolve_db_path
from reviewflow.commands.workspace import processes_option, registry

if TYPE_CHECKING:
    from reviewflow.engine.cases.checks import DatePolicy
    from reviewflow.engine.definition.model import Process
    from reviewflow.engine.service import CaseService


class CaseGroup(click.Group):
    """The `case` group: its read commands are in commands.case_read, its writes in commands.case_write;
    each module is imported when one of its commands is used (both to list them)."""

    READS = ("show", "history", "explain", "verify")

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            importlib.import_module("reviewflow.commands." + ("case_read" if cmd_name in self.READS else "case_write"))
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        for module in ("case_read", "case_write"):
            importlib.import_module(f"reviewflow.commands.{module}")
        return super().list_commands(ctx)


@click.group("case", cls=CaseGroup)
def case_group() -> None:
    """Run one case: open it, record what happens, decide, and see where it stands.

    Every write names the date it happened (--at) and the role acting (--by); the engine never reads the
    clock. The record is append-only and hash-chained: a mistake is fixed with `case correct`.

    \b
    Examples (a Leeds rapid review):
      reviewflow case open leeds-rapid-review LEEDS-2024-001 --at 2023-12-21 --by local_authority \\
          --pseudonym "Child B" --set harm=seriously_harmed --set abuse_or_neglect=true \\
          --set agencies=police,health,education
      reviewflow case recommend LEEDS-2024-001 notification_decision notify --at 2023-12-21 --by rag \\
          --rationale "Serious harm; neglect suspected"
      reviewflow case record LEEDS-2024-001 notified_panel --at 2024-01-02 --by local_authority
      reviewflow case show LEEDS-2024-001
    """


@contextmanager
def case_service(db_path: str | None, *, create: bool = False) -> Iterator[CaseService]:
    """The case service over the store at --db / $REVIEWFLOW_DB / ./reviewflow.db.

    Only `case open` creates a store; the other commands refuse a path where none exists rather than
    leave an empty database behind (a mistyped --db would otherwise look like "no cases").
    """
    from reviewflow.engine.service import CaseService
    from reviewflow.engine.store import open_store

    with open_store(resolve_db_path(db_path), create=create) as store:
        announce(store)
        yield CaseService(store, registry(), dates=_date_policy())


def _date_policy() -> DatePolicy:
    """--date-horizon and --confirm-date of this command (the defaults for a read command)."""
    from reviewflow.engine.cases.checks import DEFAULT_DATE_HORIZON_DAYS, DatePolicy

    meta = click.get_current_context().meta
    return DatePolicy(meta.get(_HORIZON, DEFAULT_DATE_HORIZON_DAYS), bool(meta.get(_CONFIRMED, False)))


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    if value is not None:
        ctx.meta[f"reviewflow.{param.name}"] = value


_HORIZON, _CONFIRMED = "reviewflow.date_horizon", "reviewflow.confirm_date"


def optional_date(value: str | None, what: str) -> date | None:
    return None if value is None else parse_date_arg(value, what)


def write_dates(at_text: str, as_of_text: str | None) -> tuple[date, date]:
    """(--at, --as-of), today defaulting to the day it happened."""
    at = parse_date_arg(at_text, "--at")
    return at, optional_date(as_of_text, "--as-of") or at


def parse_sets(process: Process, pairs: tuple[str, ...]) -> dict[str, Any]:
    """--set field=value …, typed by the definition (the engine checks the values)."""
    out: dict[str, Any] = {}
    for number, pair in enumerate(pairs, start=1):
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep or not key:  # not repeated: it may hold a personal value
            raise click.BadParameter(f"--set number {number} is not FIELD=VALUE (e.g. --set harm=seriously_harmed)",
                                     param_hint="--set")
        if key in out:
            raise click.BadParameter(f'field "{key}" is given twice', param_hint="--set")
        field = process.fields.get(key)
        out[key] = _typed(field.type if field is not None else None, text)
    return out


def _typed(kind: str | None, text: str) -> Any:
    from reviewflow.engine.limits import whole_number

    if kind == "list":
        return [item.strip() for item in text.split(",") if item.strip()]
    if kind == "bool" and text.strip().lower() in ("true", "false"):
        return text.strip().lower() == "true"
    if kind == "int":
        number = whole_number(text.strip())  # None for too many digits: the engine names field and rule
        return text if number is None else number
    return text


# -- options --------------------------------------------------------------------------------------


def write_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--at, --by, --as-of, --db, --processes, --confirm-date and --date-horizon, shared by every write."""
    func = processes_option(func)
    func = click.option("--date-horizon", "date_horizon", type=click.IntRange(1, 36600), metavar="N",
                        envvar="REVIEWFLOW_DATE_HORIZON", show_envvar=True, default=None, expose_value=False,
                        callback=_remember,
                        help="How many days after the case's last event a date may be without --confirm-date "
                             "(default 365).")(func)
    func = click.option("--confirm-date", "confirm_date", is_flag=True, default=None, expose_value=False,
                        callback=_remember,
                        help="Record a date more than the date horizon after the case's last event (a year "
                             "typed wrongly is refused without it).")(func)
    func = db_option(func)
    func = click.option("--as-of", "as_of_text", metavar="DATE", default=None,
                        help="Today's date for the checks (default: --at). An event dated after it is "
                             "refused.")(func)
    func = click.option("--by", "by", metavar="ROLE", required=True,
                        help="The role acting (an id from the definition, e.g. local_authority).")(func)
    func = click.option("--at", "at_text", metavar="DATE", required=True,
                        help="The date it happened (YYYY-MM-DD).")(func)
    return func


def actor_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--actor", metavar="PERSON", default=None,
                        help="The person acting for the role (checked for separation of duties).")(func)


def set_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--set", "sets", metavar="FIELD=VALUE", multiple=True,
                        help="Case data, repeatable; lists comma-separated (agencies=police,health), "
                             "booleans true/false.")(func)


def reason_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--reason", metavar="TEXT", default=None, help="Why (required).")(func)
