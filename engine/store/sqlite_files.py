"""What the SQLite backend needs besides SQL: private files, and errors a user can act on.

SQLite creates the database file (and its -wal and -shm files) with the process umask, and reports
failures as numeric result codes; case records must be private and failures must say what to do.
Plain Python, no `sqlite3` import: `reviewflow.engine.store.sqlite` hands its exceptions in.
"""

from __future__ import annotations

import os

from reviewflow.engine.errors import StoreError

try:
    import pwd
except ImportError:  # Windows
    pwd = None  # type: ignore[assignment]

# Primary SQLite result codes (the low byte of the extended code).
_BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 8, 10, 11, 13, 14, 26


def is_memory(path: str) -> bool:
    return path in ("", ":memory:")


def os_user() -> str:
    """The account this process runs as: who an SQLite store records as writing.

    Read from the process's user id, not from $USER, which anyone can set; still only as trustworthy
    as the machine, since whoever can write the file can write anything into it.
    """
    if pwd is not None:
        try:
            return pwd.getpwuid(os.geteuid()).pw_name
        except KeyError:
            return f"uid:{os.geteuid()}"
    import getpass

    return getpass.getuser()


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
