"""O6xx: the definition kinds of learning and improvement (action plans, learning outputs, partnerships).

A definition's `kind` says what its records are: cases about a child (the default), actions agreed after
reviews (`action_plan`, overseen by a body), learning outputs (`learning`), or none at all (`partnership`:
the theme vocabulary and report settings). These rules keep each kind's keys where they mean something.
Checks that need other files (a field's `vocabulary`, a partnership's `processes`) are the validator's
(L109, L110): a lint rule reads one definition and its base.
"""

from __future__ import annotations

from collections.abc import Iterator

from reviewflow.engine.errors import Severity
from reviewflow.engine.lint.registry import LintContext, Problem, rule


@rule("O601", "kind-differs-from-base", Severity.ERROR, "A local definition's kind is not its base's kind.")
def kind_differs_from_base(ctx: LintContext) -> Iterator[Problem]:
    """A local definition changes its base; it cannot turn a case review into an action plan (or the
    other way round): records of one kind are read by other commands than records of another.

    Fix: give the local definition its base's `kind` (or leave `kind` out when the base has none), or
    extend a base of the kind you want.

    Passing::

        kind: action_plan
        extends: action-plan-national

    Failing::

        kind: learning
        extends: action-plan-national
    """
    if ctx.base is not None and ctx.base.kind != ctx.process.kind:
        yield Problem(f'this definition is of kind "{ctx.process.kind}" but its base "{ctx.base.id}" is of kind '
                      f'"{ctx.base.kind}"', ctx.process_location,
                      f'write kind: {ctx.base.kind}, or extend a base of kind "{ctx.process.kind}"')


@rule("O602", "no-overseeing-body", Severity.ERROR, "An action plan does not name the role that oversees it.")
def no_overseeing_body(ctx: LintContext) -> Iterator[Problem]:
    """Every action is overseen by a body (Leeds' RAG, Kirklees' CSPR subgroup, Lincolnshire's SIRG):
    an action plan names it with `overseen_by`, and it must be one of the plan's roles.

    Fix: add `overseen_by: <role id>` naming the body that monitors progress on the actions.

    Passing::

        kind: action_plan
        overseen_by: rag
        roles: {rag: {title: Review Advisory Group, kind: body}}

    Failing::

        kind: action_plan
        roles: {rag: {title: Review Advisory Group, kind: body}}
    """
    process = ctx.process
    if process.kind != "action_plan":
        return
    if process.overseen_by is None:
        bodies = [r.id for r in process.roles.values() if r.kind == "body"]
        yield Problem("an action plan must name the body that oversees its actions (overseen_by)",
                      ctx.process_location,
                      f"add overseen_by: {bodies[0]}" if bodies else "add overseen_by: <role id of the body>")
    elif process.overseen_by not in ctx.role_ids:
        yield Problem(f'overseen_by refers to unknown role "{process.overseen_by}"', ctx.process_location,
                      ctx.role_hint(process.overseen_by) or "name one of the plan's roles")


@rule("O603", "key-of-another-kind", Severity.WARNING, "A key that only means something in another kind of definition.")
def key_of_another_kind(ctx: LintContext) -> Iterator[Problem]:
    """`overseen_by` belongs to action plans; `themes`, `processes` and `reporting` to partnership
    definitions; `vocabulary` to list fields. Elsewhere they are ignored, which is rarely what was meant.

    Fix: move the key to a definition of the kind it belongs to, or remove it.

    Passing::

        kind: partnership
        themes: {escalation: {title: Escalation processes}}

    Failing::

        kind: case
        themes: {escalation: {title: Escalation processes}}
    """
    process = ctx.process
    if process.overseen_by is not None and process.kind != "action_plan":
        yield Problem(f'overseen_by is ignored in a definition of kind "{process.kind}"', ctx.process_location,
                      "only an action plan (kind: action_plan) names an overseeing body")
    if process.kind != "partnership":
        for key, present in (("themes", bool(process.themes)), ("processes", bool(process.member_processes)),
                             ("reporting", process.reporting is not None)):
            if present:
                yield Problem(f'{key} is ignored in a definition of kind "{process.kind}"', ctx.process_location,
                              "themes, processes and reporting belong in the partnership's definition "
                              "(kind: partnership)")
    for field in process.fields.values():
        if field.vocabulary is not None and field.type != "list":
            yield Problem(f'field "{field.id}" is a {field.type}: vocabulary is ignored', ctx.at(field.location),
                          "a vocabulary gives the members of a list field: make it type: list")


@rule("O604", "vocabulary-and-values", Severity.WARNING, "A field lists values and also names a vocabulary.")
def vocabulary_and_values(ctx: LintContext) -> Iterator[Problem]:
    """A field whose members come from a partnership's theme vocabulary takes them from there, so its own
    `values` would be ignored: two lists that drift apart.

    Fix: remove `values` (in a local definition, `values: null` removes the base's list).

    Passing::

        themes: {title: Themes, type: list, vocabulary: leeds}

    Failing::

        themes: {title: Themes, type: list, vocabulary: leeds, values: [escalation]}
    """
    for field in ctx.process.fields.values():
        if field.vocabulary is not None and field.values:
            yield Problem(f'field "{field.id}" names the vocabulary "{field.vocabulary}" and also lists values: '
                          "the values are ignored", ctx.at(field.location),
                          "remove values (values: null in a local definition)")

