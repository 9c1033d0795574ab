"""Commands: db migrate, db info, db export, db import — the event store itself, on either backend.

parse → call the store → print → exit code. Only click and commands.common are imported at module
level, so `reviewflow --help` never loads the engine or a database driver.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING

import click
from reviewflow.commands.common import db_option, echo_json, format_option, reports_problems, resolve_db_path

if TYPE_CHECKING:
    from reviewflow.engine.store import Store


def register(cli: click.Group) -> None:
    """Add this module's commands to the top-level group."""
    cli.add_command(db_group)


@contextmanager
def existing_store(db_path: str | None) -> Iterator[Store]:
    """The store at --db / $REVIEWFLOW_DB / ./reviewflow.db; an SQLite path where there is none is an
    error rather than a new empty file (a mistyped path would otherwise look like an empty store)."""
    from reviewflow.engine.errors import NotFoundError
    from reviewflow.engine.store import is_database_url, open_store

    location = resolve_db_path(db_path)
    if location != ":memory:" and not is_database_url(location) and not os.path.exists(location):
        raise NotFoundError(f"there is no event store at {location}",
                            "pass --db PATH|URL or set REVIEWFLOW_DB")
    store = open_store(location)
    try:
        yield store
    finally:
        store.close()


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
@reports_problems
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
@format_option("text", "json")
@db_option
@reports_problems
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
    payload = {"backend": info.backend, "location": info.location, "schema_version": info.schema_version,
               "code_schema_version": info.code_schema_version, "recorded_as": info.principal,
               "roles_enforced": info.backend == "postgresql"}
    if output_format == "json":
        echo_json(payload)
        return
    enforced = ("by the database (reviewflow admin grant)" if payload["roles_enforced"]
                else "no: --by is advisory on SQLite")
    click.echo(f"backend:         {info.backend}\nlocation:        {info.location}\n"
               f"schema version:  {info.schema_version} (this reviewflow: {info.code_schema_version})\n"
               f"recorded as:     {info.principal}\nroles enforced:  {enforced}")


@db_group.command("export")
@click.option("--output", "-o", "output", metavar="FILE", default=None,
              help="Write to FILE (created readable by you only; never overwritten) instead of standard output.")
@db_option
@reports_problems
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
    from reviewflow.engine.store.transfer import export_lines

    with existing_store(db_path) as store, _output(output) as out:
        counts = ""
        for line in export_lines(store):
            out.write(line + "\n")
            counts = line
    if output is not None:
        import json

        end = json.loads(counts)
        click.echo(f"exported {end['cases']} cases, {end['events']} events and {end['definitions']} "
                   f"definitions to {output}", err=True)


@contextmanager
def _output(path: str | None) -> Iterator[IO[str]]:
    from reviewflow.engine.errors import StoreError

    if path is None:
        yield sys.stdout
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise StoreError(f"{path} exists already", hint="export to a new file; nothing was overwritten") from exc
    except OSError as exc:
        raise StoreError(f"cannot write {path}: {exc.strerror}", hint="check the directory and its permissions") \
            from exc
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        yield out


@db_group.command("import")
@click.argument("file", metavar="FILE")
@click.option("--partnership", metavar="KEY", default=None,
              help="The partnership of cases exported without one (stores from before partnerships were "
                   "kept); a PostgreSQL store needs one.")
@db_option
@reports_problems
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
    from reviewflow.engine.store import open_store
    from reviewflow.engine.store.transfer import import_lines

    location = resolve_db_path(db_path)
    with _input(file) as read, open_store(location) as store:
        report = import_lines(store, read, partnership=partnership)
        where = store.info().location
    if not report.cases and not report.definitions:
        raise StoreError(f"{file} holds no cases", hint="export from a store that has some")
    click.echo(f"imported {len(report.cases)} cases, {report.events} events and {report.definitions} "
               f"definitions into {where}; every chain verifies")


@contextmanager
def _input(path: str) -> Iterator[Callable[[], Iterator[str]]]:
    """A function giving the file's lines afresh on each call (standard input is spooled to a private
    temporary file first: the import reads it twice)."""
    from reviewflow.engine.errors import StoreError

    if path == "-":
        with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
            for line in sys.stdin:
                spool.write(line)

            def again() -> Iterator[str]:
                spool.seek(0)
                yield from spool

            yield again
        return
    if not os.path.isfile(path):
        raise StoreError(f"there is no file {path}", hint="give the file `reviewflow db export` wrote, or -")

    def lines() -> Iterator[str]:
        try:
            with open(path, encoding="utf-8") as handle:
                yield from handle
        except (OSError, UnicodeDecodeError) as exc:
            raise StoreError(f"cannot read {path}: {exc}", hint="give the file `reviewflow db export` wrote") \
                from exc

    yield lines
