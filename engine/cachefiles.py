"""The user's private cache folders (compiled definitions, validation results): who may be trusted, and
how a file is written so that a reader never sees half of it.

Folders live under `$REVIEWFLOW_CACHE`, else `$XDG_CACHE_HOME/reviewflow`, else `~/.cache/reviewflow`
(`engine.paths.cache_dir`, as the calendar cache). A folder is created 0700 and read only while it is
owned by this user and writable by nobody else; a file is written 0600 under a temporary name and
renamed into place (atomic on POSIX and Windows). Imports nothing but `os` and `pathlib`, so a command
that reads or writes a cached answer stays light.
"""

from __future__ import annotations

import os
from pathlib import Path

from reviewflow.engine.paths import cache_dir


def folder(name: str) -> Path:
    return cache_dir() / name


def trusted(directory: Path) -> bool:
    """Owned by this user and writable by nobody else (where the system has no such modes: exists)."""
    if not hasattr(os, "geteuid"):
        return directory.is_dir()
    try:
        stat = directory.stat()
    except OSError:
        return False
    return stat.st_uid == os.geteuid() and not stat.st_mode & 0o022


def read(directory: Path, name: str) -> bytes | None:
    """A file of a trusted folder, or None (missing, unreadable, or the folder cannot be trusted)."""
    try:
        return (directory / name).read_bytes() if trusted(directory) else None
    except OSError:
        return None


def write(directory: Path, name: str, data: bytes) -> bool:
    """Write atomically, 0600, into the (created 0700) folder; False, never an error, when it cannot."""
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not trusted(directory):
            return False
        handle, temporary = _new_file(directory)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, directory / name)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError:
        return False
    return True


# What tempfile.mkstemp opens with, without importing tempfile (and shutil and random with it) on the way
# of a cold `validate`: a new file only (never one planted in its place, nor a link followed), 0600.
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)


def _new_file(directory: Path) -> tuple[int, Path]:
    """A new, empty, private file in `directory` under a random name: (descriptor, path)."""
    for _ in range(100):
        temporary = directory / f".reviewflow-{os.urandom(8).hex()}.tmp"
        try:
            return os.open(temporary, _NEW_FILE, 0o600), temporary
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name in {directory}")
