"""A scrutiny or yearly report from plain facts: counts, breakdowns, timeliness, themes, actions, learning.

Counting rule: a case counts in the period when its `counted_from` event (by default the notification to
the Panel: the start of the rapid review) is dated inside it, both ends included; what is said about it is
as recorded by `as_of`. Actions count when agreed in the period (status as of `as_of`); learning outputs
when issued in it.

Suppression: a count from 1 to threshold-1 is shown as "<threshold" (primary). Where a breakdown's total is
shown and exactly one of its cells is hidden, the smallest other cell is hidden too ("suppressed",
secondary), so the total cannot give the hidden cell away. A total below the threshold hides the whole
breakdown. Zero is shown. Themes are not a partition (a case has several), so only primary applies there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date

from reviewflow.engine.reports.model import (
    NATIONAL,
    ActionFact,
    Breakdown,
    CaseFact,
    Cell,
    LateCase,
    Report,
    ReportInput,
    Row,
    ThemeRow,
    Timeliness,
    TimelinessRow,
)

OUTCOME_CLASSES = (("cspr", "CSPR commissioned"), ("local_review", "Local learning review"),
                   ("no_review", "No further review"), ("national_review", "Referred for a national review"),
                   ("pending", "Not yet decided"))
TIMELINESS_CLASSES = (("on_time", "Met on time"), ("late", "Met late"), ("overdue", "Not met, overdue"),
                      ("not_yet_due", "Not yet due"), ("other", "Waived or not applicable"))
NOT_RECORDED = "not_recorded"


def label(value: str) -> str:
    """A value id as words: "age_1_to_4" → "age 1 to 4", "seriously_harmed" → "seriously harmed"."""
    return value.replace("_", " ")


def cell(value: int, threshold: int) -> Cell:
    return Cell(value, "primary" if 0 < value < threshold else None)


def breakdown(id_: str, title: str, counts: Sequence[tuple[str, str, int]], threshold: int,
              total: int | None = None) -> Breakdown:
    """Cells with primary and secondary suppression against a shown total."""
    whole = cell(sum(c for _, _, c in counts) if total is None else total, threshold)
    rows = [Row(i, text, cell(n, threshold)) for i, text, n in counts]
    if whole.suppressed:
        rows = [replace(r, cell=Cell(r.cell.value, "primary" if r.cell.value else None)) for r in rows]
    else:
        hidden = [r for r in rows if r.cell.suppressed]
        if len(hidden) == 1:
            others = [r for r in rows if not r.cell.suppressed]
            if others:
                smallest = min(others, key=lambda r: (r.cell.value, rows.index(r)))
                rows = [replace(r, cell=Cell(r.cell.value, "secondary")) if r is smallest else r for r in rows]
    return Breakdown(id_, title, tuple(rows), whole)


def in_period(day: date | None, start: date, end: date) -> bool:
    return day is not None and start <= day <= end


def outcome_class(fact: CaseFact, cspr: Sequence[str], no_review: Sequence[str]) -> str:
    if fact.outcome is None:
        return "pending"
    if fact.outcome in cspr:
        return "cspr"
    if fact.outcome in no_review:
        return "no_review"
    if fact.outcome == NATIONAL:
        return "national_review"
    return "local_review"


def _timeliness_class(t: Timeliness) -> str:
    if t.status == "met":
        return "on_time"
    if t.status == "met_late":
        return "late"
    if t.status == "overdue":
        return "overdue"
    if t.status in ("waived", "not_applicable"):
        return "other"
    return "not_yet_due"


def timeliness_rows(data: ReportInput, cases: Sequence[CaseFact], threshold: int) -> tuple[TimelinessRow, ...]:
    out = []
    for deadline in data.settings.timeliness:
        found = [(c, t) for c in cases for t in c.timeliness if t.deadline == deadline]
        if not found:
            continue
        first = found[0][1]
        counts = [(key, text, sum(_timeliness_class(t) == key for _, t in found)) for key, text in TIMELINESS_CLASSES]
        table = breakdown(deadline, first.title, counts, threshold)
        late = tuple(sorted((LateCase(c.ref, t.status, t.due, t.met_at, t.late_by or 0, t.unit)
                             for c, t in found if t.status in ("met_late", "overdue")), key=lambda x: x.ref))
        listed = not any(r.cell.suppressed for r in table.rows if r.id in ("late", "overdue"))
        out.append(TimelinessRow(deadline, first.title, first.rule, table, late if listed else (), listed))
    return tuple(out)


def theme_rows(data: ReportInput, cases: Sequence[CaseFact], actions: Sequence[ActionFact],
               threshold: int) -> tuple[ThemeRow, ...]:
    known = {t.id for t in data.themes}
    rows = []
    for theme in data.themes:
        rows.append(ThemeRow(
            theme.id, theme.title, theme.description,
            cell(sum(theme.id in c.themes for c in cases), threshold),
            cell(sum(theme.id in a.themes for a in actions), threshold),
            cell(sum(theme.id in o.themes for o in data.outputs if in_period(o.issued, data.period_from,
                                                                            data.period_to)), threshold),
            theme.responses))
    stray = sorted({t for c in cases for t in c.themes} - known)
    for theme_id in stray:  # tagged on a case but not in the vocabulary given (no partnership chosen)
        rows.append(ThemeRow(theme_id, label(theme_id), None, cell(sum(theme_id in c.themes for c in cases),
                                                                   threshold), cell(0, threshold),
                             cell(0, threshold), ()))
    return tuple(rows)


def _counts(values: Iterable[str | None], order: Sequence[str]) -> list[tuple[str, str, int]]:
    seen = list(values)
    counts = [(v, label(v), sum(x == v for x in seen)) for v in order]
    missing = sum(x is None or x not in order for x in seen)
    if missing:
        counts.append((NOT_RECORDED, "not recorded", missing))
    return counts


def compute(data: ReportInput) -> Report:
    """The report for `data` (see the module docstring for the counting and suppression rules)."""
    s = data.settings
    t = max(1, s.suppress_below)
    cases = [c for c in data.cases if in_period(c.counted_on, data.period_from, data.period_to)]
    actions = [a for a in data.actions if in_period(a.agreed, data.period_from, data.period_to)]
    outputs = [o for o in data.outputs if in_period(o.issued, data.period_from, data.period_to)]
    breakdowns = tuple(breakdown(d.id, d.title, _counts((c.values.get(d.id) for c in cases), d.values), t)
                       for d in data.dimensions)
    classes = [outcome_class(c, s.cspr, s.no_review) for c in cases]
    outcomes = breakdown("outcome", "Review that followed the rapid review",
                         [(k, text, classes.count(k)) for k, text in OUTCOME_CLASSES], t)
    statuses = list(dict.fromkeys([*data.action_statuses, *(a.status for a in actions)]))
    return Report(
        kind=data.kind, title=data.title, partnership=data.partnership, partnership_title=data.partnership_title,
        period_from=data.period_from, period_to=data.period_to, as_of=data.as_of, threshold=t,
        counting_rule=counting_rule(data), suppression_rule=suppression_rule(t, s.suppress_note),
        rapid_reviews=cell(len(cases), t), breakdowns=breakdowns, outcomes=outcomes,
        cspr=cell(classes.count("cspr"), t), local_reviews=cell(classes.count("local_review"), t),
        timeliness=timeliness_rows(data, cases, t), themes=theme_rows(data, cases, actions, t),
        actions=breakdown("actions", "Actions by status", [(st, label(st), sum(a.status == st for a in actions))
                                                           for st in statuses], t),
        actions_overdue=cell(sum(a.overdue for a in actions), t),
        outputs=breakdown("outputs", "Learning outputs by kind",
                          [(k, label(k), sum(o.kind == k for o in outputs))
                           for k in dict.fromkeys(o.kind for o in outputs)], t),
        sessions=sum(o.sessions for o in outputs), attendees=sum(o.attendees for o in outputs),
        interim_outputs=sum(o.interim for o in outputs),
    )


def counting_rule(data: ReportInput) -> str:
    s = data.settings
    return (f"A rapid review counts in the period when its \"{s.counted_from_title}\" ({s.counted_from}) is dated "
            f"from {data.period_from.isoformat()} to {data.period_to.isoformat()} inclusive; its age band, sex, "
            f"harm, the review that followed (field {s.outcome_field}: {', '.join(s.cspr)} is a CSPR, "
            f"{', '.join(s.no_review)} no further review, {NATIONAL} a national review, any other value a local "
            f"learning review) and its timeliness are as recorded by {data.as_of.isoformat()}. Actions count when "
            f"agreed in the period, with their status on {data.as_of.isoformat()}; learning outputs when issued in "
            "the period.")


def suppression_rule(threshold: int, note: str | None) -> str:
    if threshold <= 1:
        text = "No count is suppressed (threshold 1)."
    else:
        text = (f"Counts from 1 to {threshold - 1} are shown as \"<{threshold}\"; where that would let a shown "
                "total reveal a hidden count, the next smallest count of the same table is shown as "
                "\"suppressed\". Zero is shown. Personal fields are never read.")
    return f"{text} {note}" if note else text
