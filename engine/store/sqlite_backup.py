"""Backups and restores of an SQLite store file: copies made with SQLite's backup API, and the restored
file put in place of the store (`reviewflow db backup`, `reviewflow db restore`)."""

from __future__ import annotations

import os
import sqlite3

from reviewflow.engine.errors import StoreError
from reviewflow.engine.store.sqlite_connect import OPEN_FILES
from reviewflow.engine.store.sqlite_files import (
    create_new_private,
    move_into_place,
    read_header,
    remove_store_files,
    translate_error,
)
from reviewflow.engine.store.sqlite_schema import APPLICATION_ID


def write_backup(source: sqlite3.Connection, target: str, where: str) -> None:
    create_new_private(target)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)  # page by page, one consistent snapshot, while others may keep writing
        finally:
            copy.close()
    except sqlite3.Error as exc:
        remove_store_files(target)
        raise translate_error(exc, where, 0) from exc
    except BaseException:
        remove_store_files(target)
        raise


def copy_store_file(source: str, target: str) -> None:
    """Copy the store file `source` (a backup) into the new file `target` with SQLite's backup API,
    reading `source` without changing it (no -wal or -shm is made beside it)."""
    kind, app_id = read_header(source)
    if kind != "sqlite" or app_id != APPLICATION_ID:
        raise StoreError(f"{source} is not a reviewflow store" + (" (it is empty)" if kind == "empty" else ""),
                         hint="restore from a file written by `reviewflow db backup`")
    from urllib.parse import quote

    try:
        reader = sqlite3.connect(f"file:{quote(os.path.abspath(source))}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error as exc:
        raise translate_error(exc, source, 0) from exc
    try:
        write_backup(reader, target, source)
    finally:
        reader.close()


def put_store_file(new: str, target: str) -> str | None:
    """Replace the store file `target` by `new` atomically (a rename), keeping the old one aside; refused
    while any process, this one included, has `target` open. Returns where the old file went."""
    if OPEN_FILES.get(os.path.realpath(target), 0):
        raise StoreError(f"the store at {target} is open; nothing was replaced", hint="close it first")
    return move_into_place(new, target)
