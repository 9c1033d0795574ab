"""Bringing a PostgreSQL store to this reviewflow's schema when it is opened: `postgres_schema`'s migrations
applied in one transaction under an advisory lock, a store of another version refused, and a login that
may not create or upgrade the store told who may.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reviewflow.engine.errors import StoreError
from reviewflow.engine.store.errors import AccessRefusedError
from reviewflow.engine.store.postgres_connection import PostgresConnection
from reviewflow.engine.store.postgres_schema import (
    APP_ROLE,
    CREATE_STORE,
    MIGRATION_LOCK,
    MIGRATIONS,
    SCHEMA,
    SCHEMA_VERSION,
)
from reviewflow.engine.store.types import StoreInfo

if TYPE_CHECKING:
    import psycopg


class PostgresMigrator(PostgresConnection):
    """The schema part of `PostgresStore`: `_migrate` when it opens, `info` after."""

    applied_migrations: list[int]

    def _version(self, conn: psycopg.Connection[Any]) -> int | None:
        """The store's schema version: 0 when there is no store here, None when `reviewflow` is not one."""
        present = conn.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = %s), "
            "EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "        WHERE n.nspname = %s AND c.relname = 'schema_migrations')", (SCHEMA, SCHEMA)).fetchone()
        assert present is not None
        schema, table = present
        if not schema:
            return 0
        if not table:
            return None
        row = conn.execute(f"SELECT COALESCE(MAX(version), 0) FROM {SCHEMA}.schema_migrations").fetchone()
        return int(row[0]) if row else 0

    def _refuse_version(self, version: int | None, upgrade: bool) -> None:
        if version is None:
            raise StoreError(f"the database at {self.location} has a schema {SCHEMA!r} that is not a "
                             "reviewflow store", hint="point reviewflow at a database of its own")
        if version > SCHEMA_VERSION:
            raise StoreError(f"the store at {self.location} has schema version {version}, newer than this "
                             f"reviewflow understands ({SCHEMA_VERSION})",
                             hint="upgrade reviewflow; never use a store with an older version")
        if 0 < version < SCHEMA_VERSION and not upgrade:
            raise StoreError(f"the store at {self.location} has schema version {version}; this reviewflow "
                             f"needs {SCHEMA_VERSION}",
                             hint="an administrator upgrades it once, with the owner login: "
                                  "reviewflow db migrate --db postgresql://OWNER@…")

    def _migrate(self, upgrade: bool) -> None:
        denied = (f"login {self.principal} may not use this store: a database administrator adds it to "
                  f"{APP_ROLE} (GRANT {APP_ROLE} TO {self.principal}) and grants it roles with "
                  "`reviewflow admin grant`")
        with self._db(denied) as conn:
            version = self._version(conn)
        self._refuse_version(version, upgrade)
        if version == SCHEMA_VERSION:
            return
        try:
            self._apply_migrations(upgrade)
        except AccessRefusedError as exc:
            what = "there is no reviewflow store in this database" if version == 0 else \
                f"the store has schema version {version}, not {SCHEMA_VERSION}"
            raise AccessRefusedError(f"{what}, and login {self.principal} may not create or upgrade it",
                                     hint="the owner login does, once: reviewflow db migrate --db "
                                          "postgresql://OWNER@HOST/DATABASE") from exc

    def _apply_migrations(self, upgrade: bool) -> None:
        applied: list[int] = []
        with self._db() as conn, conn.transaction():
            # Under the lock, again: another process may have migrated while we waited.
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            version = self._version(conn)
            self._refuse_version(version, upgrade)
            assert version is not None
            if version == 0:
                encoding = conn.execute("SHOW server_encoding").fetchone()
                if encoding != ("UTF8",):
                    raise StoreError(f"the database at {self.location} uses encoding {encoding}, not UTF8",
                                     hint="create the database WITH ENCODING 'UTF8'")
                for statement in CREATE_STORE:
                    conn.execute(statement)
            for number, name, statements in MIGRATIONS:
                if number > version:
                    for statement in statements:
                        conn.execute(statement)
                    conn.execute(f"INSERT INTO {SCHEMA}.schema_migrations (version, name) VALUES (%s, %s)",
                                 (number, name))
                    applied.append(number)
        self.applied_migrations += applied

    def info(self) -> StoreInfo:
        with self._db() as conn:
            version = self._version(conn) or 0
        return StoreInfo("postgresql", self.location, version, SCHEMA_VERSION, self.principal,
                         tuple(self.applied_migrations))
