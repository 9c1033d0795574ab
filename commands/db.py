"""Commands: db migrate, db info, db export, db import — the event store itself, on either backend.

parse → call the store → print → exit code. Only click and commands.common are imported at module
level, so `reviewflow --help` never loads the engine or a database driver.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from reviewflow.commands.common import db_option, echo_rendered, format_option, resolve_db_path
from reviewflow.engine.render.formats import Output

if TYPE_CHECKING:
    from reviewflow.engine.store import Store


def register(cli: click.Group) -> None:
    """Add this module's commands to the top-level group."""
    cli.add_command(db_group)


def existing_store(db_path: str | None) -> Store:
    """The store at --db / $REVIEWFLOW_DB / ./reviewflow.db; an SQLite path where there is none is an
    error rather than a new empty file (a mistyped path would otherwise look like an empty store)."""
    from reviewflow.engine.store import open_store

    return open_store(resolve_db_path(db_path), create=False)


@click.group("db")
def db_group() -> None:
    """The event store itself: create or upgrade it, say what it is, move it between SQLite and PostgreSQL.

    A path is an SQLite file (one officer; --by is advisory there); a postgresql:// URL is a shared store
    where the database decides which roles each login may act as (docs/deployment.md).

    \b
    Examples:
      reviewflow db info
      reviewflow db migrate --db postgresql://reviewflow_owner@db.example.org/reviewflow
      reviewflow db export --db cases.db --output cases.jsonl
      reviewflow db import cases.jsonl --db postgresql://reviewflow_owner@db.example.org/reviewflow
    """


@db_group.command("migrate")
@db_option
def migrate_command(db_path: str | None) -> None:
    """Create the store, or bring its schema up to this reviewflow's version; running it again does nothing.

    An SQLite file is migrated whenever it is opened. A PostgreSQL store is created on first use by a
    login that may, but an existing one is upgraded only by this command, run once by the owner login
    (everyday logins may not change the schema) while other clients may still be running.

    \b
    Example:
      reviewflow db migrate --db postgresql://reviewflow_owner@db.example.org/reviewflow
    """
    from reviewflow.engine.store import open_store

    with open_store(resolve_db_path(db_path), upgrade=True) as store:
        info = store.info()
    if info.applied_now:
        done = ", ".join(map(str, info.applied_now))
        click.echo(f"{info.location}: applied migration{'' if len(info.applied_now) == 1 else 's'} {done}; "
                   f"schema version {info.schema_version}")
    else:
        click.echo(f"{info.location}: schema version {info.schema_version}, already up to date")


@db_group.command("info")
@format_option(Output.STORE_INFO)
@db_option
def info_command(output_format: str, db_path: str | None) -> None:
    """Which store --db names: backend, location (never a password), schema version, and who it records.

    `recorded as` is what every event written through this store records as recorded_by: the database
    login on PostgreSQL, the OS user on SQLite.

    \b
    Examples:
      reviewflow db info
      reviewflow db info --db postgresql://jane@db.example.org/reviewflow --format json
    """
    with existing_store(db_path) as store:
        info = store.info()
    echo_rendered(Output.STORE_INFO, output_format, info)


@db_group.command("export")
@click.option("--output", "-o", "output", metavar="FILE", default=None,
              help="Write to FILE (created readable by you only; never overwritten) instead of standard output.")
@db_option
def export_command(output: str | None, db_path: str | None) -> None:
    """Write the whole store as JSON lines: definitions, cases, events with their hashes, open deadlines.

    Every chain is verified first; a record that does not verify is not exported. The file holds what the
    store holds, personal data included: keep it as carefully. On PostgreSQL it holds what the login may
    see (the owner sees every case). Memberships are not exported.

    \b
    Examples:
      reviewflow db export --db cases.db --output cases.jsonl
      reviewflow db export --db postgresql://reviewflow_owner@db.example.org/reviewflow > backup.jsonl
    """
    from reviewflow.engine.output import private_output
    from reviewflow.engine.store.transfer import export_lines

    with existing_store(db_path) as store, private_output(output) as out:
        counts = ""
        for line in export_lines(store):
            out.write(line + "\n")
            counts = line
    if output is not None:
        import json

        end = json.loads(counts)
        click.echo(f"exported {end['cases']} cases, {end['events']} events and {end['definitions']} "
                   f"definitions to {output}", err=True)


@db_group.command("import")
@click.argument("file", metavar="FILE")
@click.option("--partnership", metavar="KEY", default=None,
              help="The partnership of cases exported without one (stores from before partnerships were "
                   "kept); a PostgreSQL store needs one.")
@db_option
def import_command(file: str, partnership: str | None, db_path: str | None) -> None:
    """Add the cases of an export (FILE, or - for standard input) to a store, hashes and recorders unchanged.

    The whole file is checked before anything is written: its shape, every chain, its end line's counts,
    and that none of its cases is in the store already. Each case is then read back from the store and
    verified. An SQLite store is created if need be. On PostgreSQL it takes an administrator's login (or
    the owner's): the database recomputes every hash itself before it accepts a case.

    \b
    Examples:
      reviewflow db import cases.jsonl --db postgresql://reviewflow_owner@db.example.org/reviewflow
      reviewflow db export --db cases.db | reviewflow db import - --db copy.db
    """
    from reviewflow.engine.errors import StoreError
    from reviewflow.engine.output import rereadable_lines
    from reviewflow.engine.store import open_store
    from reviewflow.engine.store.transfer import import_lines

    location = resolve_db_path(db_path)
    with rereadable_lines(file, "the file `reviewflow db export` wrote") as read, open_store(location) as store:
        report = import_lines(store, read, partnership=partnership)
        where = store.info().location
    if not report.cases and not report.definitions:
        raise StoreError(f"{file} holds no cases", hint="export from a store that has some")
    click.echo(f"imported {len(report.cases)} cases, {report.events} events and {report.definitions} "
               f"definitions into {where}; every chain verifies")
