"""The two store backends as the tests see them: how to open a fresh store, and how to reach behind it.

SQLite is always there. PostgreSQL needs a server: `REVIEWFLOW_TEST_PG` names it (a superuser's URL,
as `scripts/pg-cluster.sh start` prints); `make test-pg` and CI start a throw-away one. Each test gets
a fresh database copied from a template that was migrated once, so a test never sees another's cases.

The tests run as people do: the store is opened with an everyday login (`jane`), a member of
`reviewflow_app` granted the roles the tests act as in partnership "test"; only `raw` (tampering, as a
superuser would) and `admin` (importing, granting) use more rights.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from reviewflow.engine.store import Store
from reviewflow.engine.store.postgres import PostgresStore, redact
from reviewflow.engine.store.sqlite import SQLiteStore

PG_ENV = "REVIEWFLOW_TEST_PG"
CLUSTER_ENV = "REVIEWFLOW_PG_CLUSTER"
PG_URL = os.environ.get(PG_ENV) or None
PG_SKIP = "PostgreSQL tests need a server: run `make test-pg` (it starts a throw-away one), or set " \
          f"{PG_ENV}=postgresql://SUPERUSER@HOST:PORT/postgres"

PARTNERSHIP = "test"
# Everyday logins (cluster-wide; passwords are new each session). jane and bob are officers of two
# partnerships; the admin manages memberships and imports, and belongs to no partnership.
LOGINS = ("rf_test_jane", "rf_test_bob", "rf_test_admin")
JANE, BOB, ADMIN = LOGINS
# The roles the contract tests act as.
TEST_ROLES = ("lscp", "chair", "local_authority", "rag", "business_manager", "relevant_agency")


def with_login(url: str, user: str | None = None, password: str | None = None, dbname: str | None = None) -> str:
    """`url` with another login and/or database."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = host if ":" not in host else f"[{host}]"
    if parts.port:
        netloc += f":{parts.port}"
    if user is None:
        user, password = parts.username, parts.password
    if user:
        netloc = quote(user, safe="") + (f":{quote(password, safe='')}" if password else "") + "@" + netloc
    path = f"/{dbname}" if dbname is not None else parts.path
    return urlunsplit((parts.scheme, netloc, path, parts.query, parts.fragment))


class PgServer:
    """The server named by REVIEWFLOW_TEST_PG, made ready once per session."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.psycopg = psycopg
        self.url = url
        self.passwords = {login: secrets.token_hex(12) for login in LOGINS}
        self.template = f"rf_template_{os.getpid()}"
        self._names = itertools.count(1)
        self.created: list[str] = []
        with self.connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.template}"')
            conn.execute(f'CREATE DATABASE "{self.template}"')
        # Migrating creates the cluster-wide group roles the logins join.
        with PostgresStore(self.database_url(self.template)):
            pass
        with self.connect() as conn:
            for login in LOGINS:
                exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (login,)).fetchone()
                verb = "ALTER" if exists else "CREATE"
                conn.execute(f"{verb} ROLE {login} LOGIN PASSWORD '{self.passwords[login]}'")
            conn.execute(f"GRANT reviewflow_app TO {JANE}, {BOB}")
            conn.execute(f"GRANT reviewflow_admin TO {ADMIN}")
        with PostgresStore(self.database_url(self.template)) as owner:
            for role in TEST_ROLES:
                owner.grant(JANE, role, PARTNERSHIP)

    @contextmanager
    def connect(self, dbname: str | None = None) -> Iterator[Any]:
        """A superuser connection (autocommit), to the server's own database or to `dbname`."""
        conn = self.psycopg.connect(self.url if dbname is None else self.database_url(dbname), autocommit=True)
        try:
            yield conn
        finally:
            conn.close()

    def database_url(self, dbname: str, login: str | None = None) -> str:
        if login is None:
            return with_login(self.url, dbname=dbname)
        return with_login(self.url, login, self.passwords[login], dbname)

    def fresh_database(self, template: bool = True) -> str:
        name = f"rf_test_{os.getpid()}_{next(self._names)}"
        with self.connect() as conn:
            conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{self.template}"' if template else ""))
        self.created.append(name)
        return name

    def drop(self, name: str) -> None:
        with self.connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        for name in [*self.created, self.template]:
            self.drop(name)


@dataclass
class Backend:
    """One store location of one backend, and the means to reach behind the store's back."""

    name: str  # "sqlite" or "postgresql"
    location: str  # the SQLite file, or the database URL for jane
    server: PgServer | None = None
    database: str | None = None

    def open(self, **options: Any) -> Store:
        """The store as jane (PostgreSQL) or the OS user (SQLite) uses it."""
        if self.server is None:
            return SQLiteStore(self.location, **options)
        return PostgresStore(self.location, **options)

    def open_as(self, login: str | None, **options: Any) -> PostgresStore:
        """PostgreSQL only: the store as another login (None: the superuser, who owns the store)."""
        assert self.server is not None and self.database is not None
        return PostgresStore(self.server.database_url(self.database, login), **options)

    @property
    def admin_location(self) -> str:
        """Where whoever may import and grant opens the store: the SQLite file; the owner's URL."""
        if self.server is None:
            return self.location
        assert self.database is not None
        return self.server.database_url(self.database)

    def admin(self) -> Store:
        """The store as whoever may import and grant: the SQLite file's user; the owner on PostgreSQL."""
        return self.open() if self.server is None else self.open_as(None)

    def raw(self, sql: str, params: Sequence[Any] = (), *, triggers: bool = False) -> list[tuple[Any, ...]]:
        """Run SQL behind the store's back, as a superuser would: `?` placeholders, tables unqualified.

        Triggers are bypassed unless `triggers` (SQLite: dropped; PostgreSQL: session_replication_role).
        """
        if self.server is None:
            conn = sqlite3.connect(self.location, isolation_level=None)
            try:
                if not triggers:  # every one, as an attacker would
                    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
                        conn.execute(f"DROP TRIGGER IF EXISTS {name}")
                cursor = conn.execute(sql, tuple(params))
                return cursor.fetchall() if cursor.description else []
            finally:
                conn.close()
        assert self.database is not None
        with self.server.connect(self.database) as conn:
            conn.execute("SET search_path = reviewflow, public")
            if not triggers:
                conn.execute("SET session_replication_role = replica")
            cursor = conn.execute(re.sub(r"\?", "%s", sql), tuple(params))
            return cursor.fetchall() if cursor.description else []

    def raw_error(self) -> type[Exception]:
        """The exception a refused raw statement raises."""
        if self.server is None:
            return sqlite3.Error
        return self.server.psycopg.Error  # type: ignore[no-any-return]

    def make_inserts_fail(self, table: str, message: str) -> None:
        """From now on every INSERT into `table` fails with `message`, as a failing disk would."""
        if self.server is None:
            self.raw(f"CREATE TRIGGER fail BEFORE INSERT ON {table} BEGIN SELECT RAISE(ABORT, '{message}'); END")
            return
        self.raw(f"CREATE FUNCTION public.fail() RETURNS trigger LANGUAGE plpgsql AS "
                 f"$$ BEGIN RAISE EXCEPTION '{message}'; END $$")
        self.raw(f"CREATE TRIGGER fail BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION public.fail()")

    def describe(self) -> str:
        return self.name if self.server is None else f"{self.name} ({redact(self.location)})"


def sqlite_backend(directory: Path) -> Backend:
    return Backend("sqlite", str(directory / "cases.db"))


def postgres_backend(server: PgServer) -> Backend:
    database = server.fresh_database()
    return Backend("postgresql", server.database_url(database, JANE), server, database)
