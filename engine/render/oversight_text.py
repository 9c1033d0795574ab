"""Actions (`actions`) and learning outputs (`learning list`) as text and as the JSON shapes of docs/json.md."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from reviewflow.engine.render.case_text import plural, table

if TYPE_CHECKING:
    from reviewflow.engine.oversight.views import ActionView, OutputView


@dataclass(frozen=True)
class ActionList:
    """`actions`: the views and the filters that chose them."""

    as_of: date
    filters: dict[str, Any]
    actions: Sequence[ActionView]


@dataclass(frozen=True)
class OutputList:
    """`learning list`: the views and the period."""

    date_from: date | None
    date_to: date | None
    outputs: Sequence[OutputView]


def actions_json(found: ActionList) -> dict[str, Any]:
    rows = [a.to_dict() for a in found.actions]
    by_status: dict[str, int] = {}
    for a in found.actions:
        by_status[a.status] = by_status.get(a.status, 0) + 1
    return {"as_of": found.as_of.isoformat(), "filters": found.filters, "actions": rows,
            "summary": {"total": len(rows), "overdue": sum(a.overdue for a in found.actions),
                        "by_status": by_status}}


def actions_text(found: ActionList) -> str:
    shown = {k: v for k, v in found.filters.items() if v}
    scope = f"As of {found.as_of.isoformat()}" + (
        " (" + ", ".join(f"{k} {v if v is not True else ''}".strip() for k, v in shown.items()) + ")" if shown else "")
    if not found.actions:
        return f"{scope}: no actions."
    lines = [f"{scope}:"]
    lines += table(("ACTION", "STATUS", "DUE", "OWNER", "BODY", "FINDING"),
                   [(a.ref, a.status + (" (overdue)" if a.overdue else ""), _due(a),
                     f"{a.get('owner_agency')}: {a.get('owner_role')}", a.overseen_by,
                     _short(str(a.get("finding") or ""))) for a in found.actions])
    overdue = sum(a.overdue for a in found.actions)
    lines.append(f"{plural(len(found.actions), 'action')}, {overdue} overdue.")
    return "\n".join(lines)


def outputs_json(found: OutputList) -> dict[str, Any]:
    rows = [o.to_dict() for o in found.outputs]
    return {"from": _iso(found.date_from), "to": _iso(found.date_to), "outputs": rows,
            "summary": {"total": len(rows), "sessions": sum(o.sessions for o in found.outputs),
                        "attendees": sum(o.attendees for o in found.outputs),
                        "interim": sum(o.interim for o in found.outputs)}}


def outputs_text(found: OutputList) -> str:
    if not found.outputs:
        return "no learning outputs."
    lines = table(("OUTPUT", "ISSUED", "KIND", "SESSIONS", "ATTENDEES", "SOURCES", "TITLE"),
                  [(o.ref, o.issued.isoformat(), o.fields.get("output_kind"), o.sessions, o.attendees,
                    ", ".join(o.from_cases) or o.fields.get("from_review") or "-",
                    _short(str(o.fields.get("title") or "")) + (" (interim)" if o.interim else ""))
                   for o in found.outputs], indent="")
    payload = outputs_json(found)["summary"]
    lines.append(f"{plural(payload['total'], 'learning output')}: {plural(payload['sessions'], 'session')}, "
                 f"{plural(payload['attendees'], 'attendee')}.")
    return "\n".join(lines)


def _due(a: ActionView) -> str:
    if a.due is None:
        return "-"
    moved = f" (was {a.original_due.isoformat()})" if a.original_due and a.original_due != a.due else ""
    return a.due.isoformat() + moved


def _short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
