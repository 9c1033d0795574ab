"""Deadlines as iCalendar (RFC 5545) for staff calendars: `due --format ics`, `case show --format ics`.

The only home of `icalendar`. Each deadline is an all-day event on its due date (a window spans its days),
with a stable UID (`<case>/<deadline>@reviewflow`) so a calendar that subscribes again updates the event
instead of adding a second one. DTSTAMP is the date the listing was judged on, never the clock. Only the
reference, the deadline and its status go out: no pseudonym, no case data.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from icalendar import Calendar, Event

if TYPE_CHECKING:
    from reviewflow.engine.service import CaseView, DueList

PRODID = "-//reviewflow//deadlines//EN"


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    return cal


def _event(ref: str, deadline: str, title: str, due: date, start: date | None, status: str, stamp: date,
           lines: list[str]) -> Event:
    event = Event()
    event.add("uid", f"{ref}/{deadline}@reviewflow")
    event.add("dtstamp", datetime.combine(stamp, time(0, 0), tzinfo=UTC))
    first = start or due
    event.add("dtstart", first)
    event.add("dtend", due + timedelta(days=1))
    flag = {"overdue": "OVERDUE: ", "due_soon": "Due soon: "}.get(status, "")
    event.add("summary", f"{flag}{title} ({ref})")
    event.add("description", "\n".join(lines))
    event.add("categories", ["reviewflow", status])
    event.add("transp", "TRANSPARENT")
    return event


def due_ics(due: DueList) -> str:
    cal = _calendar(f"reviewflow deadlines (as of {due.as_of.isoformat()})")
    for r in due.rows:
        if r.due is None:
            continue
        lines = [f"Case: {r.case_ref}", f"Deadline: {r.deadline_id}", f"Status on {due.as_of.isoformat()}: {r.status}",
                 f"Weight: {r.weight}", f"Owner: {r.owner or '-'}"]
        if r.citation:
            lines.append(f"Source: {r.citation}")
        cal.add_component(_event(r.case_ref, r.deadline_id, r.title, r.due, r.window_start, r.status, due.as_of,
                                 lines))
    return cal.to_ical().decode("utf-8")


def show_ics(view: CaseView) -> str:
    summary: dict[str, Any] = view.summary
    ref = str(summary["case"])
    as_of = date.fromisoformat(summary["as_of"])
    cal = _calendar(f"reviewflow: {ref}")
    for d in summary["deadlines"]:
        window = d.get("window")
        lines = [f"Case: {ref}", f"Deadline: {d['id']} ({d['rule']})", f"Status on {as_of.isoformat()}: {d['status']}",
                 f"Weight: {d['weight']}", f"Owner: {d.get('owner') or '-'}"]
        if d.get("citation"):
            lines.append(f"Source: {d['citation']}")
        cal.add_component(_event(ref, d["id"], d["title"], date.fromisoformat(d["due"]),
                                 date.fromisoformat(window["from"]) if window else None, d["status"], as_of, lines))
    return cal.to_ical().decode("utf-8")
