"""Commands: db migrate, info, export, import, backup, restore — the event store itself, on either backend.

parse → call the store → print → exit code. Only click and commands.common are imported at module
level, so `reviewflow --help` never loads the engine or a database driver.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from reviewflow.commands.common import announce, db_option, echo_rendered, format_option, resolve_db_path
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

    return announce(open_store(resolve_db_path(db_path), create=False))


@click.group("db")
def db_group() -> None:
    """The event store itself: create or upgrade it, say what it is, move it between SQLite and PostgreSQL,
    back it up and restore it (SQLite).

    A path is an SQLite file (one officer; --by is advisory there); a postgresql:// URL is a shared store
    where the database decides which roles each login may act as (docs/deployment.md).

    \b
    Examples:
      reviewflow db info
      reviewflow db migrate --db postgresql://reviewflow_owner@db.example.org/reviewflow
      reviewflow db export --db cases.db --output cases.jsonl
      reviewflow db import cases.jsonl --db postgresql://reviewflow_owner@db.example.org/reviewflow
      reviewflow db backup /mnt/backups/cases-2024-03-01.db --db cases.db
      reviewflow db restore /mnt/backups/cases-2024-03-01.db --db cases.db
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


@db_group.command("backup")
@click.argument("file", metavar="FILE")
@db_option
def backup_command(file: str, db_path: str | None) -> None:
    """Copy an SQLite store into FILE (new, readable by you only) while it is in use, and verify the copy.

    SQLite's online backup API copies one consistent moment of the store; the copy is then checked as
    `reviewflow verify` checks a store. Keep backups elsewhere (another disk, another machine): they hold
    personal data like the store. A PostgreSQL store is backed up by its server (pg_dump, point-in-time
    recovery: docs/deployment.md).

    \b
    Examples:
      reviewflow db backup /mnt/backups/cases-2024-03-01.db --db cases.db
    """
    from reviewflow.commands.workspace import registry
    from reviewflow.engine.integrity import backup_store
    from reviewflow.engine.service import CaseService

    with existing_store(db_path) as store:
        checked = backup_store(CaseService(store, registry()), file)
    if not checked.ok:
        echo_rendered(Output.VERIFICATION, "text", checked, err=True)
        click.echo(f"error: the backup {file} was written, but the store it copies does not verify", err=True)
        raise click.exceptions.Exit(1)
    click.echo(f"backed up {checked.cases} cases, {checked.events} events and {checked.ledger_entries} ledger "
               f"entries to {file}; the copy verifies")


@db_group.command("restore")
@click.argument("file", metavar="FILE")
@db_option
def restore_command(file: str, db_path: str | None) -> None:
    """Replace the SQLite store by the backup FILE, only after a copy of FILE verifies fully.

    FILE is copied beside the store and checked (SQLite's integrity check, every chain, the ledger, every
    definition and projection); only then does it take the store's place, in one rename. The store it
    replaces is kept as PATH.before-restore (with its -wal and -shm), never deleted. Stop every other
    reviewflow process using the store first. FILE itself is not changed. On PostgreSQL, restore with the
    server's tools (docs/deployment.md).

    \b
    Examples:
      reviewflow db restore /mnt/backups/cases-2024-03-01.db --db cases.db
    """
    from reviewflow.commands.workspace import registry
    from reviewflow.engine.integrity import restore_store

    target = resolve_db_path(db_path)
    restored = restore_store(file, target, registry())
    kept = f"; the store it replaced is kept as {restored.aside}" if restored.aside else ""
    click.echo(f"restored {restored.verification.cases} cases and {restored.verification.events} events from "
               f"{file} into {target} (the backup verifies){kept}")
