"""Files a user names on the command line (`--output`, an export, an import): a failure is an
EngineError naming the path, never a traceback."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from reviewflow.engine.errors import EngineError


def write_report(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise EngineError(f"cannot write the report to {path}: {reason}",
                          "check that the folder exists and that you may write to it") from None


@contextmanager
def private_output(path: str | None) -> Iterator[IO[str]]:
    """Standard output, or a NEW file readable by its owner only (never overwritten): exports hold case data."""
    if path is None:
        yield sys.stdout
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise EngineError(f"{path} exists already", "write to a new file; nothing was overwritten") from exc
    except OSError as exc:
        raise EngineError(f"cannot write {path}: {exc.strerror}", "check the directory and its permissions") from exc
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        yield out


@contextmanager
def rereadable_lines(path: str, what: str) -> Iterator[Callable[[], Iterator[str]]]:
    """A function giving the lines of `path` (or standard input, `-`) afresh on each call.

    Standard input is spooled to a private temporary file first, for readers that go over it twice."""
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
        raise EngineError(f"there is no file {path}", f"give {what}, or - for standard input")

    def lines() -> Iterator[str]:
        try:
            with open(path, encoding="utf-8") as handle:
                yield from handle
        except (OSError, UnicodeDecodeError) as exc:
            raise EngineError(f"cannot read {path}: {exc}", f"give {what}") from exc

    yield lines


def read_text_lines(path: str) -> list[str] | None:
    """The lines of a file the user named, or None when it does not exist yet."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().splitlines()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise EngineError(f"cannot read {path}: {reason}", "check the path and its permissions") from None


def append_line(path: str, line: str) -> None:
    """Add one line to a file (created readable and writable by its owner only), on disk when this returns."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, (line + "\n").encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise EngineError(f"cannot write {path}: {exc.strerror}", "check the directory and its permissions") from None
