"""The event store: cases as append-only, hash-chained event lists behind one interface, `Store`.

    from reviewflow.engine.store import open_store
    with open_store("cases.db") as store:
        store.case("LS-1")

- `protocol`: the `Store` interface and the contract of each method;
- `chain`: the hash chain, the same for every backend; `types`: the rows a store takes and gives;
  `errors`: the refusals only a store makes;
- `sqlite` and the `sqlite_*` modules beside it: the SQLite backend (a file: one officer, `--by` advisory);
- `postgres` and the `postgres_*` modules beside it (`postgres_schema*`: its tables, functions and
  migrations): the PostgreSQL backend (a server: many people, each with a login, and
  the database decides which roles each may act as and which cases each may see).

Importing this package stays cheap (no database library): start-up paths such as `reviewflow --help`
import it, so `open_store` imports the backend only when a store is opened.
"""

from __future__ import annotations

import os

from reviewflow.engine.errors import NotFoundError
from reviewflow.engine.store.errors import AccessRefusedError, CaseExistsError, ConcurrencyError
from reviewflow.engine.store.protocol import Store
from reviewflow.engine.store.types import (
    CaseRow,
    ChainProblem,
    DeadlineRow,
    DefinitionRow,
    Membership,
    StoredEvent,
    StoreInfo,
)

__all__ = [
    "AccessRefusedError", "CaseExistsError", "CaseRow", "ChainProblem", "ConcurrencyError", "DeadlineRow",
    "DefinitionRow", "Membership", "Store", "StoreInfo", "StoredEvent", "is_database_url", "open_store",
]

_URL_SCHEMES = ("postgresql://", "postgres://")


def is_database_url(location: str | os.PathLike[str]) -> bool:
    """Whether `location` names a PostgreSQL server (a URL) rather than an SQLite file."""
    return isinstance(location, str) and location.lower().startswith(_URL_SCHEMES)


def open_store(location: str | os.PathLike[str], *, upgrade: bool = False, create: bool = True) -> Store:
    """Open the store at `location`: a ``postgresql://`` URL, or an SQLite file path (created if need be,
    unless `create` is false: then a missing file is a NotFoundError, so that a mistyped path given to a
    command that only reads is never mistaken for an empty store).

    ":memory:" gives a private in-memory SQLite store, for tests and scenario runs. An SQLite file is
    migrated to this code's schema on open. A PostgreSQL database is given its schema on first open
    when the login may create it, but an existing one is upgraded only with `upgrade` (what
    `reviewflow db migrate` does): other people's clients use it too.
    """
    if not create and not is_database_url(location) and str(location) != ":memory:" \
            and not os.path.exists(location):
        raise NotFoundError(f"there is no event store at {os.fspath(location)}",
                            "pass --db PATH|URL or set REVIEWFLOW_DB; `reviewflow case open` creates a new store")
    if is_database_url(location):
        from reviewflow.engine.store.postgres import PostgresStore

        return PostgresStore(str(location), upgrade=upgrade)
    from reviewflow.engine.store.sqlite import SQLiteStore

    return SQLiteStore(location, create=create)
