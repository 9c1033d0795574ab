"""An `EngineError` as a person reads it on standard error.

`error: <what is wrong>` and `hint: <what to do>`; a `DefinitionError` first lists its located
diagnostics; a `RefusedError` ends with what is allowed now, grouped so it can be typed as the next command.
"""

from __future__ import annotations

from reviewflow.engine.errors import DefinitionError, EngineError, RefusedError
from reviewflow.engine.render.case_text import allowed_lines, refusal_allowed_lines
from reviewflow.engine.render.diagnostics import diagnostics_text
from reviewflow.engine.render.terminal import printable

INVALID_DEFINITION = ("the definition is invalid", "run `reviewflow validate` on it for details")
POINT_AT_ALLOWED = "do one of the things allowed now (listed below); `reviewflow case show REF` has the detail"


def error_lines(message: str, hint: str | None = None) -> list[str]:
    return [f"error: {message}", *([f"hint: {hint}"] if hint else [])]


def problem_text(problem: EngineError) -> str:
    lines: list[str] = []
    message, hint = problem.message, problem.hint
    if isinstance(problem, DefinitionError) and problem.diagnostics:
        # Each diagnostic has its own hint; repeating the first as `error:` would only say it twice.
        lines.append(diagnostics_text(problem.diagnostics))
        message, hint = INVALID_DEFINITION
    allowed: list[str] = []
    if isinstance(problem, RefusedError):
        allowed = allowed_lines(problem.actions) if problem.actions else refusal_allowed_lines(problem.allowed)
    if allowed and (hint is None or hint.startswith("allowed now: ")):
        hint = POINT_AT_ALLOWED  # the list below says it better than one long line
    lines += error_lines(message, hint)
    if allowed:
        lines += ["allowed now:", *(f"  {line}" for line in allowed)]
    return printable("\n".join(lines))  # a refusal repeats what was typed: never raw to a terminal
