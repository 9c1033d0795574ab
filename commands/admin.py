"""Commands: admin grant, admin revoke, admin members — who may act as which role, on PostgreSQL.

parse → call the store → print → exit code. The database enforces what these record; an SQLite store
has no memberships and says so.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
from reviewflow.commands.common import db_option, echo_rendered, format_option
from reviewflow.commands.db import existing_store
from reviewflow.engine.render.formats import Output


def register(cli: click.Group) -> None:
    """Add this module's commands to the top-level group."""
    cli.add_command(admin_group)


def _partnership_option(required: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option("--partnership", metavar="KEY", required=required, default=None,
                        help="The partnership (the key its cases were opened with, e.g. leeds).")


@click.group("admin")
def admin_group() -> None:
    """Who may act as which role in which partnership: the memberships a PostgreSQL store enforces.

    Each person has their own database login. A login may record an event only under a role it was granted
    in the case's partnership, and sees only the cases of partnerships it holds a role in. Managing
    memberships takes an administrator's login (a member of reviewflow_admin) or the owner's. On SQLite
    there are no memberships: anyone who can write the file may act as any role.

    \b
    Examples:
      reviewflow admin grant jane local_authority --partnership leeds
      reviewflow admin members --partnership leeds
      reviewflow admin revoke jane local_authority --partnership leeds
    """


@admin_group.command("grant")
@click.argument("login", metavar="LOGIN")
@click.argument("role", metavar="ROLE")
@_partnership_option(required=True)
@db_option
def grant_command(login: str, role: str, partnership: str, db_path: str | None) -> None:
    """Let database login LOGIN act as ROLE (a role id of the partnership's definitions) in PARTNERSHIP.

    The login must exist (a database administrator creates it: CREATE ROLE jane LOGIN …); it is added to
    reviewflow_app if it is not a member yet. Every grant is logged with who made it.

    \b
    Example:
      reviewflow admin grant jane lscp_executive --partnership leeds
    """
    with existing_store(db_path) as store:
        added = store.grant(login, role, partnership)
    click.echo(f"{login} may act as {role} in partnership {partnership}" + ("" if added else " (already could)"))


@admin_group.command("revoke")
@click.argument("login", metavar="LOGIN")
@click.argument("role", metavar="ROLE")
@_partnership_option(required=True)
@db_option
def revoke_command(login: str, role: str, partnership: str, db_path: str | None) -> None:
    """Withdraw ROLE from LOGIN in PARTNERSHIP; events it recorded keep its name.

    \b
    Example:
      reviewflow admin revoke jane lscp_executive --partnership leeds
    """
    with existing_store(db_path) as store:
        removed = store.revoke(login, role, partnership)
    click.echo(f"{login} may no longer act as {role} in partnership {partnership}" +
               ("" if removed else " (could not before either)"))


@admin_group.command("members")
@_partnership_option(required=False)
@format_option(Output.MEMBERS)
@db_option
def members_command(partnership: str | None, output_format: str, db_path: str | None) -> None:
    """Every membership (of one partnership with --partnership): partnership, login, role, granted by.

    An administrator sees them all; any other login sees its own.

    \b
    Examples:
      reviewflow admin members
      reviewflow admin members --partnership leeds --format json
    """
    with existing_store(db_path) as store:
        rows = store.members(partnership)
    from reviewflow.engine.render.store_text import MemberList

    echo_rendered(Output.MEMBERS, output_format, MemberList(partnership, rows))
