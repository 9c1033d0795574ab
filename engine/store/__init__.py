"""The event store: cases as append-only, hash-chained event lists behind one interface, `Store`.

    from reviewflow.engine.store import open_store
    with open_store("cases.db") as store:
        store.case("LS-1")

- `protocol`: the `Store` interface and the contract of each method;
- `chain`: the hash chain, the same for every backend; `types`: the rows a store takes and gives;
  `errors`: the refusals only a store makes;
- `sqlite`, `sqlite_schema`, `sqlite_files`: the SQLite backend.

Importing this package stays cheap (no database library): start-up paths such as `reviewflow --help`
import it, so `open_store` imports the backend only when a store is opened.
"""

from __future__ import annotations

import os

from reviewflow.engine.store.errors import CaseExistsError, ConcurrencyError
from reviewflow.engine.store.protocol import Store
from reviewflow.engine.store.types import CaseRow, ChainProblem, DeadlineRow, DefinitionRow, StoredEvent

__all__ = [
    "CaseExistsError", "CaseRow", "ChainProblem", "ConcurrencyError", "DeadlineRow", "DefinitionRow", "Store",
    "StoredEvent", "open_store",
]


def open_store(location: str | os.PathLike[str]) -> Store:
    """Open (creating it if need be) the store at `location`: today, an SQLite file path.

    ":memory:" gives a private in-memory store, for tests and scenario runs.
    """
    from reviewflow.engine.store.sqlite import SQLiteStore

    return SQLiteStore(location)
