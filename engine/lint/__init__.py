"""Semantic lint of a resolved `Process`: a registry of small rules with stable codes.

    from reviewflow.engine.lint import lint_process, RULES, CODES
    diagnostics = lint_process(process, base)   # base: the resolved parent Process, or None

Rules are grouped by concern: `references` (R1xx), `graph` (P2xx), `deadlines` (D3xx),
`conformance` (C4xx, only with a base), `expressions` (X5xx; X501 syntax is the loader's) and
`oversight` (O6xx: the kinds of definition). A partnership definition (no stages, no records) is checked
by the reference and oversight rules only.
Every rule runs and every problem is collected; the result is sorted by file, line, col, code.
"""

from __future__ import annotations

from reviewflow.engine.definition.model import Process
from reviewflow.engine.errors import CodeInfo, Diagnostic
from reviewflow.engine.lint import (  # noqa: F401  (registers rules)
    conformance,
    deadlines,
    expressions,
    graph,
    oversight,
    references,
)
from reviewflow.engine.lint.registry import RULES, LintContext, Problem, Rule, rule

CODES: tuple[CodeInfo, ...] = tuple(RULES[code].info for code in sorted(RULES))

__all__ = ["CODES", "RULES", "LintContext", "Problem", "Rule", "lint_process", "rule"]


_PARTNERSHIP_RULES = ("references", "oversight")


def lint_process(process: Process, base: Process | None = None) -> list[Diagnostic]:
    """Every semantic (and, with `base`, conformance) problem of `process`, sorted."""
    ctx = LintContext(process, base)
    rules = [RULES[code] for code in sorted(RULES)]
    if process.kind == "partnership":
        rules = [r for r in rules if r.module.rpartition(".")[2] in _PARTNERSHIP_RULES]
    found = [d for r in rules for d in r.run(ctx)]
    return sorted(found, key=Diagnostic.sort_key)
