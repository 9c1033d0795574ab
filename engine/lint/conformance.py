"""C4xx: a local definition conforms to its base.

It may tighten deadlines, add stages, roles and notifications; it may not remove a mandatory item,
drop a mandated notification, loosen a statutory or guidance deadline, change a locked item, or add
a path that skips a mandatory gate. Each finding is an error unless a `deviations:` entry names the
item (``"<section>.<id>"``) with a reason: then it is a warning that quotes the reason.
Roles a local role `replaces` count as kept, and the base's references to them mean the local role.
"""

from __future__ import annotations

from collections.abc import Iterator

from reviewflow.engine.errors import Severity, did_you_mean
from reviewflow.engine.lint.conformance_checks import (
    SECTIONS,
    Finding,
    _calendar_moves,
    _dropped_recipients,
    _effective_dates,
    _locked,
    _loosened,
    _notifications,
    _removed,
    _skipped_gates,
)
from reviewflow.engine.lint.registry import LintContext, Problem, rule


def _judge(ctx: LintContext, findings: list[Finding]) -> Iterator[Problem]:
    """An error, or a warning quoting the reason when a deviation names the item."""
    for finding in findings:
        deviation = ctx.deviation(finding.item)
        if deviation is None:
            yield Problem(finding.message, finding.location,
                          f"{finding.hint}, or record a deviation: `deviations: - item: {finding.item}` "
                          "with a reason")
            continue
        approved = "".join([f" by {deviation.approved_by}" if deviation.approved_by else "",
                            f" on {deviation.approved_on.isoformat()}" if deviation.approved_on else ""])
        yield Problem(f'{finding.message} (deviation: "{deviation.reason}")', finding.location,
                      f"deviation {finding.item} recorded{approved}; it stays visible in every validation",
                      Severity.WARNING)


def _findings(ctx: LintContext, code: str) -> list[Finding]:
    """The findings of one conformance check, computed once per context."""
    key = f"conformance:{code}"
    if key not in ctx.cache:
        base = ctx.base
        ctx.cache[key] = [] if base is None else list(_CHECKS[code](ctx, base))
    return ctx.cache[key]  # type: ignore[return-value]


_CHECKS = {"C401": _removed, "C402": _notifications, "C403": _loosened, "C404": _locked, "C405": _skipped_gates,
           "C407": _calendar_moves, "C408": _dropped_recipients, "C409": _effective_dates}


@rule("C401", "mandatory-item-removed", Severity.ERROR, "A mandatory item of the base is removed.")
def mandatory_item_removed(ctx: LintContext) -> Iterator[Problem]:
    """Roles, stages, deadlines and gates marked `mandatory: true` in the base (statutory deadlines
    always; events the base's mandatory items use) must stay. A role a local role `replaces`
    counts as kept. Reported at the `null` that removed the item, or at the deviation naming it.

    Fix: restore the item, or record a deviation with a reason (then this is a warning).

    Passing::

        extends: example-full
        deadlines:
          request_information: {due: {calendar_days: 1, after: notified_panel}}

    Failing::

        extends: example-full
        deadlines:
          notify_panel: null      # mandatory in the base, no deviation
    """
    yield from _judge(ctx, _findings(ctx, "C401"))


@rule("C402", "notification-removed", Severity.ERROR, "A mandatory gate's option no longer notifies a recipient.")
def notification_removed(ctx: LintContext) -> Iterator[Problem]:
    """Each recipient a mandatory base gate's option notifies must still be notified (under its
    local name if the role was replaced).

    Fix: add the recipient back to the option's `notify`, or record a deviation `gates.<gate>`.

    Passing::

        gates: {review_decision: {options: {review: {notify: [national_panel, ofsted]}}}}

    Failing::

        gates: {review_decision: {options: {review: {notify: []}}}}
    """
    yield from _judge(ctx, _findings(ctx, "C402"))


@rule("C403", "deadline-loosened", Severity.ERROR, "A statutory or guidance deadline of the base is loosened.")
def deadline_loosened(ctx: LintContext) -> Iterator[Problem]:
    """A statutory or guidance deadline may be tightened, never loosened: its due date (or a window's
    latest day) may not fall later, a window may not open earlier, for any anchor date (checked
    with the process's calendar over every day of 2024 and the Christmas and Easter holidays of
    2025-26); its weight may not drop, nor its anchor, `met_by` or `applies_when` change.

    Fix: make the rule no looser than the base's, or record a deviation `deadlines.<id>`.

    Passing::

        deadlines: {notify_panel: {due: {working_days: 4, after: became_aware}}}   # base: 5

    Failing::

        deadlines: {notify_panel: {due: {working_days: 6, after: became_aware}}}   # base: 5
    """
    yield from _judge(ctx, _findings(ctx, "C403"))


@rule("C404", "locked-item-changed", Severity.ERROR, "A locked item of the base is changed or removed.")
def locked_item_changed(ctx: LintContext) -> Iterator[Problem]:
    """An item marked `locked: true` in the base must stay exactly as it is.

    Fix: remove the local change, or record a deviation naming the item.

    Passing::

        extends: example-full      # notify_panel (locked) not mentioned

    Failing::

        deadlines: {notify_panel: {escalate_to: partners}}   # locked in the base
    """
    yield from _judge(ctx, _findings(ctx, "C404"))


@rule("C405", "skips-mandatory-gate", Severity.ERROR, "A path reaches a final stage without a mandatory gate.")
def skips_mandatory_gate(ctx: LintContext) -> Iterator[Problem]:
    """When every path of the base from the initial stage to a final stage passes a mandatory gate's
    stage, every path of the local definition must too. The diagnostic points at the first
    transition on the bypass that the base does not have.

    Fix: route the new transition through the gate's stage, or record a deviation `gates.<gate>`.

    Passing::

        stages: {rapid_review: {on: [{event: meeting_held, to: decision}]}}

    Failing::

        stages: {rapid_review: {on: [{event: meeting_held, to: decision},
                                     {event: closed_early, to: closed}]}}
    """
    yield from _judge(ctx, _findings(ctx, "C405"))


@rule("C407", "calendar-moves-deadline", Severity.ERROR,
      "A local closure or extra holiday pushes a statutory or guidance deadline later than the base's calendar.")
def calendar_moves_deadline(ctx: LintContext) -> Iterator[Problem]:
    """A partnership's `calendar:` may close its offices (a Christmas week, say), which is right for its
    own steps; it may not give more time for a statutory or guidance deadline of the base, such as the 5
    working day notification to the National Panel or the 15 working day rapid review, any more than a
    rule may loosen them (C403). Each such deadline is counted on the local calendar and on the
    base's, from every anchor date whose count reaches a local-only day, and the first closure or extra
    holiday that makes it later is reported, with the dates.

    Fix: take the day out of `calendar:`, or record a deviation for the deadline (`deviations: - item:
    deadlines.notify_panel`) with the reason; the deviation stays visible as a warning in every validation.

    Passing::

        calendar: {closures: [{date: "2024-12-24", name: "Christmas Eve"}]}   # also closed in the base

    Failing::

        calendar: {closures: [{date: "2024-12-27", name: "Christmas closure"}]}
    """
    yield from _judge(ctx, _findings(ctx, "C407"))


@rule("C408", "recipient-dropped", Severity.WARNING,
      "A local gate option no longer notifies a recipient its base option notifies.")
def recipient_dropped(ctx: LintContext) -> Iterator[Problem]:
    """C402 for the gates a base does not mark mandatory: a recipient the base's option notifies (the
    Secretary of State's pre-publication copy, say) should still be notified locally, under its local
    name if the role was replaced. A warning: the base did not make the gate mandatory.

    Fix: add the recipient back to the option's `notify`, or record a deviation `gates.<gate>`.

    Passing::

        gates: {publication_decision: {options: {publish_report: {notify: [national_panel, secretary_of_state]}}}}

    Failing::

        gates: {publication_decision: {options: {publish_report: {notify: [national_panel]}}}}
    """
    yield from _judge(ctx, _findings(ctx, "C408"))


@rule("C409", "effective-outside-base", Severity.ERROR,
      "A local definition's effective dates reach outside its base's.")
def effective_outside_base(ctx: LintContext) -> Iterator[Problem]:
    """A local definition inherits its base's `effective_from` and `effective_to` (the edition of Working
    Together it rests on); it may narrow them, never widen them: a case aware before the base's edition
    came into force, or after it ended, does not fall under it.

    Fix: leave the dates out to inherit the base's, or keep them inside the base's.

    Passing::

        extends: wt2018-national      # in force 2018-06-29 to 2024-12-31
        effective_from: "2019-09-29"

    Failing::

        extends: wt2018-national
        effective_from: "2018-01-01"
    """
    yield from _judge(ctx, _findings(ctx, "C409"))


@rule("C406", "unused-deviation", Severity.WARNING, "A deviation names nothing that deviates from the base.")
def unused_deviation(ctx: LintContext) -> Iterator[Problem]:
    """A deviation must name an item (`<section>.<id>`, sections: roles, stages, events, deadlines,
    gates; or `effective_from` / `effective_to`) that actually deviates from the base; otherwise it hides
    nothing and misleads readers.

    Fix: correct the item name, or remove the deviation.

    Passing::

        deviations: [{item: deadlines.notify_panel, reason: Handled by the regional hub.}]

    Failing::

        deviations: [{item: deadlines.notify_panle, reason: Handled by the regional hub.}]
    """
    deviating = {f.item for code in _CHECKS for f in _findings(ctx, code)}
    for deviation in ctx.process.deviations:
        if deviation.item in deviating:
            continue
        hint: str | None
        if ctx.base is None:
            hint = "deviations only matter in a definition that `extends` a base; remove it"
        elif deviation.item.partition(".")[0] not in (*SECTIONS, "effective_from", "effective_to"):
            hint = f"name the item as <section>.<id>, with a section of: {', '.join(SECTIONS)}"
        else:
            hint = did_you_mean(deviation.item, deviating) if deviating else None
            hint = hint or f"{deviation.item} conforms to {ctx.base.id}; remove the deviation"
        yield Problem(f"deviation {deviation.item} names nothing that deviates from the base", deviation.location,
                      hint)
