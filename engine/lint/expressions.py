"""X5xx: guards (`when`, `applies_when`) type-check against the case fields and events.

X501 (syntax) belongs to the loader: a guard that does not parse never reaches the model.
"""

from __future__ import annotations

from collections.abc import Iterator

from reviewflow.engine.definition.guards.check import ExpressionProblem, type_check
from reviewflow.engine.definition.guards.expressions import Expression
from reviewflow.engine.errors import Location, Severity
from reviewflow.engine.lint.registry import LintContext, Problem, rule


def guards(ctx: LintContext) -> list[tuple[Expression, str, Location]]:
    """Every guard with a name and the location of its owner."""
    found: list[tuple[Expression, str, Location]] = []
    for stage in ctx.process.stages.values():
        for transition in stage.transitions:
            if transition.when is not None:
                found.append((transition.when, f"stage {stage.id} transition on {transition.event}",
                              transition.location))
    for deadline in ctx.process.deadlines.values():
        if deadline.applies_when is not None:
            found.append((deadline.applies_when, f"deadline {deadline.id} applies_when", deadline.location))
    return found


def _checked(ctx: LintContext) -> list[tuple[Expression, str, Location, list[ExpressionProblem]]]:
    cached = ctx.cache.get("guards")
    if cached is None:
        fields = ctx.process.fields
        cached = [(e, where, owner, type_check(e, fields, ctx.event_names)) for e, where, owner in guards(ctx)]
        ctx.cache["guards"] = cached
    return cached  # type: ignore[return-value]


def _problems_of_kind(ctx: LintContext, kind: str, default_hint: str) -> Iterator[Problem]:
    for expr, where, owner, problems in _checked(ctx):
        for problem in problems:
            if problem.kind == kind:
                location = expr.location if expr.location.line else owner
                yield Problem(f"{where}: {problem.message} in `{expr.source}`", location,
                              problem.hint or default_hint)


@rule("X502", "guard-unknown-field", Severity.ERROR, "A guard reads a field that is not defined.")
def guard_unknown_field(ctx: LintContext) -> Iterator[Problem]:
    """Names in a guard are case fields (or events inside `count(...)`); each must be defined.

    Fix: correct the field name (the hint gives the nearest) or define the field.

    Passing::

        when: 'harm == "died" or abuse_suspected'

    Failing::

        when: 'harms == "died" or abuse_suspected'
    """
    yield from _problems_of_kind(ctx, "unknown-field", "use a field defined under `fields:`")


@rule("X503", "guard-unknown-event", Severity.ERROR, "A guard counts an event that is not defined.")
def guard_unknown_event(ctx: LintContext) -> Iterator[Problem]:
    """`count(event)` and similar must name an event of the definition.

    Fix: correct the event name (the hint gives the nearest) or define the event.

    Passing::

        when: 'count(scoping_returned) == len(agencies)'

    Failing::

        when: 'count(scoping_return) == len(agencies)'
    """
    yield from _problems_of_kind(ctx, "unknown-event", "use an event defined under `events:`")


@rule("X504", "guard-type-mismatch", Severity.ERROR, "A guard compares or combines values of the wrong types.")
def guard_type_mismatch(ctx: LintContext) -> Iterator[Problem]:
    """Comparisons must compare like with like, and enum fields only with their allowed values.

    Fix: compare with a value of the field's type (the hint lists the allowed values).

    Passing::

        when: 'harm == "died"'

    Failing::

        when: 'age_years == "died"'
    """
    yield from _problems_of_kind(ctx, "type-mismatch", "compare values of the same type")


@rule("X505", "guard-not-boolean", Severity.ERROR, "A guard does not evaluate to true/false.")
def guard_not_boolean(ctx: LintContext) -> Iterator[Problem]:
    """A guard decides whether something applies, so it must be a condition.

    Fix: compare the value with something (`age_years > 0`, `harm == "died"`).

    Passing::

        applies_when: 'age_years < 18'

    Failing::

        applies_when: 'age_years'
    """
    yield from _problems_of_kind(ctx, "not-boolean", "make the guard a comparison or a bool field")


@rule("X506", "guard-reads-personal-field", Severity.WARNING, "A guard reads a field marked `personal`.")
def guard_reads_personal_field(ctx: LintContext) -> Iterator[Problem]:
    """Explanations of a guard show the values it read, so a personal field in a guard can surface
    in reports. Usually a derived, non-personal field (an age band) serves as well.

    Fix: guard on a non-personal field, or accept the notice.

    Passing::

        when: 'age_years < 1'

    Failing::

        when: 'date_of_birth > "2024-01-01"'   # date_of_birth is personal: true
    """
    personal = ctx.process.personal_fields()
    for expr, where, owner in guards(ctx):
        for name in sorted(expr.fields & personal):
            location = expr.location if expr.location.line else owner
            yield Problem(f"{where} reads personal field {name}", location,
                          "guard on a non-personal field where you can; explanations show the values read")


# The fields `reviewflow report scrutiny/yearly` count by value (engine.reports.model: BREAKDOWN_FIELDS, the
# `themes` list, DEFAULT_OUTCOME_FIELD); tests/test_bounds.py keeps the two lists the same.
REPORTED_FIELDS = ("age_band", "sex", "harm", "themes", "review_type")


@rule("X507", "report-reads-personal-field", Severity.WARNING,
      "A field the scrutiny and yearly reports count by value is marked `personal`.")
def report_reads_personal_field(ctx: LintContext) -> Iterator[Problem]:
    """The partnership reports (`reviewflow report scrutiny|yearly`) count cases by the values of a few
    fields: `age_band`, `sex`, `harm`, `themes` and the outcome field (`review_type`, or the field a
    partnership's `reporting.outcome_field` names, checked when the partnership definition is validated).
    Marked `personal`, such a field is still read and its values counted into every report (small numbers
    suppressed): either it is not personal, or reports should not count it.

    Fix: keep the personal detail in another field (a date of birth) and report on a band derived from it.

    Passing::

        fields: {age_band: {title: Age band, type: enum, values: [under_1, age_1_to_4, age_5_plus]}}

    Failing::

        fields: {age_band: {title: Age band, type: enum, values: [under_1, age_1_to_4], personal: true}}
    """
    if ctx.process.kind != "case":
        return
    for field_id in REPORTED_FIELDS:
        found = ctx.process.fields.get(field_id)
        if found is not None and found.personal:
            yield Problem(f'field "{field_id}" is marked personal, but the scrutiny and yearly reports count '
                          "its values", found.location,
                          "report on a non-personal field (an age band, not a date of birth), or unmark it")
