"""The open-deadline projection of a case: what `reviewflow due` lists without replaying any case.

Written in the same transaction as the case's events (`CaseService`), read by `CaseService.due`. The case
row written with it is checked against the fold by `row_differences`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import date

from reviewflow.engine.calendar.rules import CalendarLike
from reviewflow.engine.cases.case import Case
from reviewflow.engine.cases.deadlines import (
    DEFAULT_DUE_SOON,
    calendar_for_process,
    due_soon_days,
    fixed_parts,
    open_dates,
    open_status,
)
from reviewflow.engine.definition.model import Process
from reviewflow.engine.store.types import CaseRow, DeadlineRow

HOLD_ROW = "hold:"  # deadline_id prefix of a hold's review row in the projection
TASK_WEIGHT, HOLD_WEIGHT = "task", "hold"


def deadline_rows(case: Case, as_of: date) -> list[DeadlineRow]:
    """The open-deadline projection of a case (what `due` lists without replaying): every open deadline,
    every per-agency return still owed (TASK/AGENCY) and the review date of every active hold (hold:KIND).

    A row's `status` is the part that does not depend on the day it is read: `paused`, `extended` or
    `pending`. `due` works out overdue and due soon on its own `--as-of` (`CaseService.due`), by the rule
    `case show` uses, so the projection is never stale. A closed case owes nothing more: its unmet
    deadlines read as `closed` in `case show` and leave `due`."""
    if case.is_closed:
        return []
    rows = []
    process, calendar, fields, counts = case.process, case.calendar, case.fields, case.counts
    for d in process.deadlines.values():
        # Case.deadline's steps, with the instance left unbuilt (`open_dates`): a row needs only the dates
        # and status of an open deadline, and every case `verify` checks asks for them again.
        anchor = case.anchor(d.rule.anchor)
        if anchor is None:
            continue
        met = case.met(d, anchor)
        applies = d.applies_when is None or bool(d.applies_when.evaluate(fields, counts))
        found = open_dates(calendar, d, anchor, met, case.controls.get(d.id, ()), applies, as_of, False)
        if found is None:
            continue
        window_start, due, status, extended = found
        base = "paused" if status == "paused" else "extended" if extended else "pending"
        _, citation, owner = fixed_parts(process, d)
        rows.append(DeadlineRow(case.ref, d.id, d.title, due, window_start, d.weight.value, base, owner,
                                d.escalate_to, citation))
    for task in case.tasks(as_of):
        if task.status in ("pending", "due_soon", "overdue"):
            event = case.process.events.get(task.done_by)
            rows.append(DeadlineRow(case.ref, f"{task.task}/{task.member}", f"{task.title} ({task.member})",
                                    task.due, None, TASK_WEIGHT, "pending", event.by[0] if event else None,
                                    None, None))
    for hold in case.holds:
        if hold.active:
            definition = case.process.holds[hold.kind]
            rows.append(DeadlineRow(case.ref, f"{HOLD_ROW}{hold.kind}", f"Review the hold: {hold.title}",
                                    hold.review_on, None, HOLD_WEIGHT, "pending",
                                    definition.by[0] if definition.by else None, None, None))
    return rows


def due_status(row: DeadlineRow, process: Process, calendar: CalendarLike, as_of: date) -> DeadlineRow:
    """The row with its status on `as_of`, by the rule `case show` uses (engine.cases.deadlines.open_status):
    due soon within the deadline's largest reminder (2 working days for returns, hold reviews and a
    deadline with no reminder), overdue the day after its due date."""
    if row.due is None:
        return row
    status = open_status(calendar, row.due, as_of, due_soon_of(process, row), row.status == "paused",
                         row.status == "extended")
    return replace(row, status=status)


def due_soon_of(process: Process, row: DeadlineRow) -> int:
    """The working days before its date that a row counts as due soon (its deadline's largest reminder)."""
    deadline = process.deadlines.get(row.deadline_id)
    return due_soon_days(deadline) if deadline is not None else DEFAULT_DUE_SOON


def with_status(rows: Iterable[tuple[DeadlineRow, str | None]], as_of: date,
                process_for: Callable[[str], Process], calendar: CalendarLike | None) -> Iterator[DeadlineRow]:
    """The due index's rows (each with its case's definition hash) with their status on `as_of`, by
    `due_status`; `calendar` None: each definition's own.

    A status depends only on the row's due date, its stored status and its deadline's due-soon days
    (`due_status`), so it is worked out once per such triple, not once per row."""
    soon: dict[tuple[str, str], tuple[Process, CalendarLike, int]] = {}
    statuses: dict[tuple[date, str, int, int], str] = {}
    for row, definition_hash in rows:
        if row.due is None or definition_hash is None:
            yield row
            continue
        rule = soon.get((definition_hash, row.deadline_id))
        if rule is None:
            process = process_for(definition_hash)
            own = calendar or calendar_for_process(process)
            rule = soon[(definition_hash, row.deadline_id)] = (process, own, due_soon_of(process, row))
        key = (row.due, row.status, rule[2], id(rule[1]))
        status = statuses.get(key)
        if status is None:
            status = statuses[key] = due_status(row, rule[0], rule[1], as_of).status
        yield DeadlineRow(row.case_ref, row.deadline_id, row.title, row.due, row.window_start, row.weight,
                          status, row.owner, row.escalate_to, row.citation)


def row_differences(row: CaseRow, case: Case) -> list[str]:
    """How a case row differs from the fold of its events, field by field (what `cases` prints)."""
    found = []
    opening = case.events[0] if case.events else None
    expected = {"process": (row.process_id, case.process.id), "stage": (row.stage, case.stage),
                "closed": (row.closed, case.is_closed), "pseudonym": (row.pseudonym, case.pseudonym),
                "opened": (row.opened_at, opening.at if opening else None)}
    for name, (stored, folded) in expected.items():
        if stored != folded:
            found.append(f"{name} is stored as {stored!r} but its events give {folded!r}")
    return found
