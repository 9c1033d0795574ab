"""The event store's helpers that need no SQL: the chain check, file permissions, error translation.

`reviewflow.engine.store.sqlite` keeps every SQL statement and the `sqlite3` import; what is here is plain Python, so it
can be read and tested without a database.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence

from reviewflow.engine.errors import StoreError
from reviewflow.engine.events import GENESIS_HASH, Event, canonical_json, chain_hash
from reviewflow.engine.store.types import ChainProblem


def check_chain(ref: str, rows: Iterable[Sequence[object]], last_seq: int | None) -> list[ChainProblem]:
    """Problems in one case's stored rows ``(seq, payload, prev_hash, hash)``, in seq order."""
    problems: list[ChainProblem] = []
    expected_seq, expected_prev, last_seen = 1, GENESIS_HASH, 0
    for seq_value, payload_value, prev_value, hash_value in rows:
        seq, payload, prev, stored = int(str(seq_value)), str(payload_value), str(prev_value), str(hash_value)
        if seq != expected_seq:
            missing = str(expected_seq) if seq == expected_seq + 1 else f"{expected_seq}..{seq - 1}"
            problems.append(ChainProblem(ref, expected_seq, f"event seq {missing} is missing"))
        if prev != expected_prev:
            problems.append(ChainProblem(ref, seq, "prev_hash does not match the hash of the event "
                                                   "before it (an event was removed or a hash edited)"))
        try:
            parsed = json.loads(payload)
            Event.from_json_dict(parsed)
        except (ValueError, KeyError, TypeError, AttributeError):
            problems.append(ChainProblem(ref, seq, "stored payload is not a valid event"))
        else:
            if chain_hash(prev, ref, seq, parsed) != stored:
                problems.append(ChainProblem(ref, seq, "hash does not match the stored payload "
                                                       "(the payload or its hash was edited)"))
            elif canonical_json(parsed) != payload:
                problems.append(ChainProblem(ref, seq, "stored payload text is not in canonical form "
                                                       "(it was edited)"))
        expected_seq, expected_prev, last_seen = seq + 1, stored, seq
    if last_seq is not None and last_seq != last_seen:
        problems.append(ChainProblem(ref, max(last_seq, last_seen),
                                     f"the case row says the last event is seq {last_seq} but the last "
                                     f"stored event is seq {last_seen}"))
    return problems


# Primary SQLite result codes (the low byte of the extended code).
_BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 8, 10, 11, 13, 14, 26


def is_memory(path: str) -> bool:
    return path in ("", ":memory:")


def create_private(path: str) -> None:
    """Create the file 0600 before SQLite sees it: case records must not be readable by other users.

    SQLite gives the -wal and -shm files the database file's permissions, so they follow.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise StoreError(f"cannot create the store at {path}: {exc.strerror}",
                         hint="check that the directory exists and is writable") from exc
    os.close(fd)


def restrict_sidecars(path: str) -> None:
    """Belt and braces for the -wal/-shm files: never wider than the database file itself."""
    try:
        allowed = os.stat(path).st_mode & 0o777
    except OSError:
        return
    for suffix in ("-wal", "-shm"):
        try:
            mode = os.stat(path + suffix).st_mode & 0o777
            if mode & ~allowed:
                os.chmod(path + suffix, mode & allowed)
        except OSError:
            continue  # absent, or owned by someone else: SQLite's own mode copying still applies


def translate_error(exc: Exception, path: str, busy_timeout_ms: int) -> StoreError:
    """Turn a sqlite3 exception into a StoreError a user can act on."""
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    if code in (_BUSY, _LOCKED):
        return StoreError(
            f"the store is busy: another process held {path} for more than {busy_timeout_ms} ms",
            hint="try again in a moment; if it persists, look for a stuck reviewflow process")
    if code in (_CORRUPT, _NOTADB):
        return StoreError(f"{path} is not a readable reviewflow store ({exc})",
                          hint="restore the file from a backup; never edit a store by hand")
    if code == _READONLY:
        return StoreError(f"the store at {path} is read-only", hint="check the file's permissions")
    if code == _FULL:
        return StoreError(f"the disk holding {path} is full; nothing was written",
                          hint="free some space and repeat the command")
    if code in (_CANTOPEN, _IOERR):
        return StoreError(f"cannot read or write the store at {path} ({exc})",
                          hint="check that the path exists, is a file and is readable and writable")
    return StoreError(f"the store at {path} failed: {exc}",
                      hint="run `verify` on the store; if this repeats, report it")
