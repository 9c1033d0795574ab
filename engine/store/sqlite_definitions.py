"""Process definitions in the SQLite store: each one's exact texts under the loader's hash, so that a case
can always be replayed under the definition it was opened with. Each function runs in the caller's
transaction."""

from __future__ import annotations

import sqlite3

from reviewflow.engine.errors import IntegrityError, NotFoundError
from reviewflow.engine.store.types import DefinitionRow


def save(conn: sqlite3.Connection, definition_hash: str, process_id: str, version: str,
         files: dict[str, str]) -> None:
    row = conn.execute("SELECT process_id, version FROM definitions WHERE definition_hash = ?",
                       (definition_hash,)).fetchone()
    if row is not None:
        if tuple(row) != (process_id, version) or bundle(conn, definition_hash) != files:
            raise IntegrityError(
                f"definition {definition_hash} is already stored with different content",
                hint="a definition hash names exactly one set of texts; recompute it from the files")
        return
    conn.execute("INSERT INTO definitions (definition_hash, process_id, version) VALUES (?, ?, ?)",
                 (definition_hash, process_id, version))
    conn.executemany("INSERT INTO definition_files (definition_hash, name, content) VALUES (?, ?, ?)",
                     [(definition_hash, name, text) for name, text in sorted(files.items())])


def bundle(conn: sqlite3.Connection, definition_hash: str) -> dict[str, str]:
    rows = conn.execute("SELECT name, content FROM definition_files WHERE definition_hash = ? "
                        "ORDER BY name", (definition_hash,))
    return {str(name): str(content) for name, content in rows}


def load(conn: sqlite3.Connection, definition_hash: str) -> DefinitionRow:
    row = conn.execute("SELECT process_id, version FROM definitions WHERE definition_hash = ?",
                       (definition_hash,)).fetchone()
    if row is None:
        # Hashes are typed abbreviated, not misspelt: suggest by prefix rather than by similarity.
        known = [str(r[0]) for r in conn.execute(
            "SELECT definition_hash FROM definitions WHERE substr(definition_hash, 1, ?) = ?",
            (len(definition_hash), definition_hash))] if definition_hash else []
        raise NotFoundError(f"no stored definition has hash {definition_hash}",
                            hint=f'did you mean "{known[0]}"?' if len(known) == 1 else
                            "definitions are stored when a case is opened with them")
    return DefinitionRow(definition_hash, row[0], row[1], bundle(conn, definition_hash))


def check(conn: sqlite3.Connection, definition_hash: str, process_id: str) -> None:
    row = conn.execute("SELECT process_id FROM definitions WHERE definition_hash = ?",
                       (definition_hash,)).fetchone()
    if row is None:
        raise NotFoundError(f"definition {definition_hash} is not stored",
                            hint="save the definition before opening a case with it")
    if row[0] != process_id:
        raise IntegrityError(f"definition {definition_hash} belongs to process {row[0]!r}, "
                             f"not {process_id!r}", hint="open the case with its own process")
