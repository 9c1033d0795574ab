"""Across the store: the cases (`cases`), their open deadlines (`due`) and whether every record verifies
(`case verify`), as text and as the JSON shapes of docs/json.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from reviewflow.engine.render.case_text import day, deadline_status, plural, table

if TYPE_CHECKING:
    from reviewflow.engine.cases.views import DueList, Verification
    from reviewflow.engine.store.types import CaseRow, DeadlineRow

# -- cases ----------------------------------------------------------------------------------------


def cases_json(rows: Iterable[CaseRow]) -> dict[str, Any]:
    return {"cases": [{"case": r.ref, "pseudonym": r.pseudonym, "process": r.process_id,
                       "partnership": r.partnership, "definition_hash": r.definition_hash, "opened": r.opened_at.isoformat(), "stage": r.stage,
                       "closed": r.closed, "events": r.last_seq} for r in rows]}


CASE_HEADERS = ("CASE", "PSEUDONYM", "PROCESS", "PARTNERSHIP", "OPENED", "EVENTS", "STATE", "STAGE")


def case_cells(r: CaseRow) -> tuple[Any, ...]:
    """One row of the `cases` table (streamed in bulk by engine.render.streams)."""
    return (r.ref, r.pseudonym, r.process_id, r.partnership, r.opened_at.isoformat(), r.last_seq,
            "closed" if r.closed else "open", r.stage)


def cases_text(rows: Iterable[CaseRow]) -> str:
    rows = list(rows)
    if not rows:
        return "no cases"
    lines = table(CASE_HEADERS, [case_cells(r) for r in rows], indent="")
    return "\n".join([*lines, f"{plural(len(rows), 'case')}"])


# -- due ------------------------------------------------------------------------------------------


def due_item(r: DeadlineRow, as_of: date) -> dict[str, Any]:
    """One row of the due list as docs/json.md shows it."""
    return {"case": r.case_ref, "deadline": r.deadline_id, "title": r.title,
            "due": r.due.isoformat() if r.due else None,
            "window_start": r.window_start.isoformat() if r.window_start else None,
            "days_left": (r.due - as_of).days if r.due else None, "status": r.status, "weight": r.weight,
            "owner": r.owner, "escalate_to": r.escalate_to, "citation": r.citation}


def due_json(due: DueList) -> dict[str, Any]:
    rows = [due_item(r, due.as_of) for r in due.rows]
    return {
        "as_of": due.as_of.isoformat(), "within": due.within, "role": due.role, "deadlines": rows,
        "summary": {"total": len(rows), "overdue": sum(r["status"] == "overdue" for r in rows),
                    "due_soon": sum(r["status"] == "due_soon" for r in rows)},
    }


def due_scope(due: DueList) -> str:
    scope = f"As of {day(due.as_of.isoformat())}"
    if due.within is not None:
        scope += f", due within {plural(due.within, 'calendar day')} (overdue included)"
    if due.role:
        scope += f", owned by {due.role}"
    return scope


@lru_cache(maxsize=4096)
def _day(value: date | None) -> str:
    return day(value)


@lru_cache(maxsize=64)
def _status(status: str) -> str:
    return deadline_status({"status": status})


def due_cells(r: DeadlineRow) -> tuple[str | None, ...]:
    """The text table's cells of one due row (what `due_item` says of it, as `due` prints it; a row
    of `due` has no met date). Written from the row, not from `due_item`'s mapping: `due` prints it for
    every open deadline of the store."""
    when = f"{r.window_start.isoformat()} – {r.due.isoformat() if r.due else None}" if r.window_start else _day(r.due)
    return when, _status(r.status), r.case_ref, r.owner, r.weight, f"{r.title} [{r.deadline_id}]"


def due_text(due: DueList) -> str:
    scope = due_scope(due)
    if not due.rows:
        return f"{scope}: nothing open is due."
    lines = [f"{scope}:"]
    lines += table(("DUE", "STATUS", "CASE", "OWNER", "WEIGHT", "DEADLINE"), [due_cells(r) for r in due.rows])
    statuses = [r.status for r in due.rows]
    lines.append(f"{plural(len(statuses), 'deadline')}: {statuses.count('overdue')} overdue, "
                 f"{statuses.count('due_soon')} due soon.")
    return "\n".join(lines)


# -- verify ---------------------------------------------------------------------------------------


def verification_json(result: Verification) -> dict[str, Any]:
    return {"cases": result.cases, "events": result.events, "definitions": result.definitions,
            "ledger_entries": result.ledger_entries, "ok": result.ok,
            "problems": [{"case": p.ref or None, "seq": p.seq, "kind": p.kind, "message": p.message}
                         for p in result.problems],
            "notes": list(result.notes),
            "anchor": None if result.anchor is None else {"file": result.anchor,
                                                          "checkpoints": result.anchor_checkpoints,
                                                          "written": result.anchor_written}}


def verification_text(result: Verification) -> str:
    """One line when everything verifies; otherwise an `error:` line per problem and a `hint:`, which the
    CLI writes to standard error (problems never go to standard output). Notes say what was not checked."""
    counted = (f"{plural(result.cases, 'case')}, {plural(result.events, 'event')}, "
               f"{plural(result.definitions, 'definition')}, "
               f"{result.ledger_entries} ledger {'entry' if result.ledger_entries == 1 else 'entries'}")
    notes = [f"note: {n}" for n in result.notes]
    if result.ok:
        lines = [f"{counted}: every chain, definition, projection and the ledger verify"]
        if result.anchor is not None:
            lines.append(f"anchor {result.anchor}: {plural(result.anchor_checkpoints, 'checkpoint')} checked"
                         + ("; the current head was added" if result.anchor_written else
                            "; the head has not moved since the last checkpoint"))
        return "\n".join([*lines, *notes])
    lines = []
    for p in result.problems:
        where = (f"case {p.ref} seq {p.seq}" if p.seq else f"case {p.ref}") if p.ref else "store"
        lines.append(f"error: {where}: {p.kind}: {p.message}")
    lines.append(f"hint: {plural(len(result.problems), 'problem')} in {counted}; restore the store from a backup "
                 "(`reviewflow db restore`, or the database's point-in-time recovery) and report it")
    return "\n".join([*lines, *notes])
