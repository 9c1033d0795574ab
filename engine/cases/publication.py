"""The case's publication record, read from the events a definition marks with `publication:`.

- `planned`: the latest planned publication date (a `planned` event's `planned_date`);
- `published`: what was published (`what`), where (`where`), from the event's date and, when given,
  until `online_until`;
- `taken_down`: everything online comes off (the date it did);
- `disclosed`: given on request afterwards (`what`, optional).

Nothing here is stored: the record is a view of the case's events, so it can never disagree with them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reviewflow.engine.cases.case import Case


def record(case: Case) -> dict[str, Any] | None:
    """{"planned_date", "items", "disclosures"}, or None when the definition marks no publication events."""
    process = case.process
    roles = {e.id: e.publication for e in process.events.values() if e.publication is not None}
    if not roles:
        return None
    planned: str | None = None
    items: list[dict[str, Any]] = []
    disclosures: list[dict[str, Any]] = []
    for event in case.events:
        role = roles.get(event.name) if event.kind == "recorded" else None
        if role == "planned":
            planned = event.data.get("planned_date", planned)
        elif role == "published":
            items.append({"seq": event.seq, "event": event.name, "what": event.data.get("what"),
                          "where": event.data.get("where"), "online_from": event.at.isoformat(),
                          "online_until": event.data.get("online_until"), "taken_down": None})
        elif role == "taken_down":
            for item in items:
                if item["taken_down"] is None:
                    item["taken_down"] = event.at.isoformat()
        elif role == "disclosed":
            disclosures.append({"seq": event.seq, "at": event.at.isoformat(), "what": event.data.get("what")})
    if event_planned := case.planned:
        for name, anchor in event_planned.items():
            if roles.get(name) == "planned":
                planned = anchor.at.isoformat()  # a correction of the plan counts
    return {"planned_date": planned, "items": items, "disclosures": disclosures}
