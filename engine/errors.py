"""Problems as values, and the one exception tree of the engine.

A `Diagnostic` is what a user sees: ``file:line:col: severity CODE slug: message`` plus an
optional ``hint:`` line saying what to do next. Everything that can go wrong because of user
input becomes a Diagnostic (collected, never first-only) or an `EngineError` carrying them.
Anything else that escapes is a bug (exit 3 in the CLI).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, order=True)
class Location:
    """A position in a source file; line and col are 1-based (0 means unknown)."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        if self.col <= 0:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Diagnostic:
    code: str  # stable, e.g. "Y101", "S102", "P203"
    slug: str  # stable, e.g. "duplicate-key"
    message: str
    location: Location
    severity: Severity = Severity.ERROR
    hint: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.location.file, self.location.line, self.location.col, self.code)

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.location.file,
            "line": self.location.line,
            "col": self.location.col,
            "severity": self.severity.value,
            "code": self.code,
            "slug": self.slug,
            "message": self.message,
            "hint": self.hint,
        }


@dataclass
class DiagnosticBag:
    """Collects problems; never stops at the first."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, diagnostic: Diagnostic) -> None:
        self.items.append(diagnostic)

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.items.extend(diagnostics)

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.items)

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.items, key=Diagnostic.sort_key)


class EngineError(Exception):
    """Root of every error the engine raises on purpose (a user-level problem, exit 1)."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class DefinitionError(EngineError):
    """A process definition could not be loaded; `diagnostics` says every reason."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        first = diagnostics[0] if diagnostics else None
        super().__init__(first.message if first else "invalid definition", first.hint if first else None)
        self.diagnostics = list(diagnostics)


class CalendarError(EngineError):
    """Impossible date, out-of-range count or date, or unknown calendar."""


class RefusedError(EngineError):
    """A case command was refused; `allowed` lists what may be done now.

    `actions` says the same as JSON-ready dicts (`Action.to_dict`), which is what a reader's grouped list
    is drawn from; whoever knows the case (the service) fills it in.
    """

    def __init__(self, message: str, hint: str | None = None, allowed: Sequence[str] = (),
                 actions: Sequence[Mapping[str, Any]] = ()) -> None:
        super().__init__(message, hint)
        self.allowed = list(allowed)
        self.actions = [dict(a) for a in actions]


class NotFoundError(EngineError):
    """An unknown case, process, deadline, gate or scenario."""


class StoreError(EngineError):
    """The event store is unusable (corrupt, locked too long, wrong schema version)."""


class IntegrityError(EngineError):
    """A hash chain does not verify."""


def nearest(name: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The closest valid name to a misspelt one, for 'did you mean' hints."""
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=cutoff)
    return matches[0] if matches else None


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A ready-made hint: 'did you mean "x"?' or the list of allowed names when none is close."""
    pool = sorted(set(candidates))
    guess = nearest(name, pool) if len(name) <= 100 else None  # nobody misspells a 100-character name
    if guess is not None:
        return f'did you mean "{guess}"?'
    if not pool:
        return None
    shown = ", ".join(pool[:12]) + (", …" if len(pool) > 12 else "")
    return f"allowed: {shown}"


@dataclass(frozen=True)
class CodeInfo:
    """Metadata of one stable diagnostic code; each module that emits codes lists its own in `CODES`."""

    code: str
    slug: str
    severity: Severity
    summary: str

    def diagnostic(self, message: str, location: Location, hint: str | None = None,
                   severity: Severity | None = None) -> Diagnostic:
        return Diagnostic(self.code, self.slug, message, location, severity or self.severity, hint)
