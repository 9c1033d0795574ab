"""The rule registry and the context every lint rule reads.

A rule is a small function decorated with `@rule(code, slug, severity, summary)`. It takes a
`LintContext` and yields `Problem`s; the runner turns each into a `Diagnostic` carrying the rule's
stable code. The function's docstring is the rule's documentation (yamllint style): what it means,
``Fix:`` how to mend it, then a ``Passing::`` and a ``Failing::`` YAML snippet. Rules read only the
`reviewflow.engine.definition.model` values, never YAML.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

from reviewflow.engine.definition.model import NOWHERE, Citation, Deviation, Process
from reviewflow.engine.errors import CodeInfo, Diagnostic, Location, Severity, did_you_mean


class Problem(NamedTuple):
    """One finding of a rule, before it becomes a Diagnostic with the rule's code."""

    message: str
    location: Location
    hint: str | None = None
    severity: Severity | None = None  # None: the rule's own severity


RuleFunc = Callable[["LintContext"], Iterable[Problem]]


@dataclass(frozen=True)
class Rule:
    info: CodeInfo
    check: RuleFunc
    module: str

    @property
    def code(self) -> str:
        return self.info.code

    @property
    def doc(self) -> str:
        return inspect.getdoc(self.check) or ""

    def run(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for problem in self.check(ctx):
            yield self.info.diagnostic(problem.message, ctx.at(problem.location), problem.hint,
                                       problem.severity)


RULES: dict[str, Rule] = {}


def rule(code: str, slug: str, severity: Severity, summary: str) -> Callable[[RuleFunc], RuleFunc]:
    """Register a lint rule under a stable code; codes and slugs must be unique."""

    def register(func: RuleFunc) -> RuleFunc:
        if code in RULES or any(r.info.slug == slug for r in RULES.values()):
            raise ValueError(f"lint code {code} / slug {slug} registered twice")
        RULES[code] = Rule(CodeInfo(code, slug, severity, summary), func, func.__module__)
        return func

    return register


@dataclass
class LintContext:
    """The process under lint, its resolved base (or None), and facts several rules share."""

    process: Process
    base: Process | None = None
    cache: dict[str, object] = field(default_factory=dict)

    # -- locations -------------------------------------------------------------------------
    @cached_property
    def process_location(self) -> Location:
        if self.process.location != NOWHERE:
            return self.process.location
        return Location(self.process.file)

    def at(self, location: Location | None) -> Location:
        """The element's location, or the process's when the element has none."""
        if location is None or location == NOWHERE:
            return self.process_location
        return location

    def removed_at(self, path: Sequence[str]) -> Location | None:
        """Where this file deleted the base's entry at `path` with `null` (None: it did not), e.g.
        `("deadlines", "notify_panel")` → the key of `notify_panel: null`."""
        return self.process.removed.get(tuple(path))

    @staticmethod
    def cite_at(cite: Citation, owner: Location) -> Location:
        return cite.location if cite.location != NOWHERE else owner

    # -- vocabularies ----------------------------------------------------------------------
    @cached_property
    def role_ids(self) -> frozenset[str]:
        return frozenset(self.process.roles)

    @cached_property
    def replaced_roles(self) -> Mapping[str, str]:
        """Base role id → the local role that `replaces` it."""
        return {r.replaces: r.id for r in self.process.roles.values() if r.replaces}

    @cached_property
    def event_names(self) -> frozenset[str]:
        """Events plus the gates' implicit `<gate>.recommended` / `<gate>.decided`."""
        return frozenset(self.process.event_names())

    def deviation(self, item: str) -> Deviation | None:
        return next((d for d in self.process.deviations if d.item == item), None)

    # -- hints -----------------------------------------------------------------------------
    def role_hint(self, name: str) -> str | None:
        if name in self.replaced_roles:
            return f'role "{name}" is replaced by "{self.replaced_roles[name]}" here; use that'
        return did_you_mean(name, self.role_ids)


def unknown(what: str, name: str, where: str) -> str:
    """The standard message of an unknown-reference problem."""
    return f'{where} refers to unknown {what} "{name}"'
