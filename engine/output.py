"""Writing a report into a file a user named (`--output`): a failure is an EngineError naming the path."""

from __future__ import annotations

from pathlib import Path

from reviewflow.engine.errors import EngineError


def write_report(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise EngineError(f"cannot write the report to {path}: {reason}",
                          "check that the folder exists and that you may write to it") from None
