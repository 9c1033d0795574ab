"""A case's record for people and machines: every event (`case history`) and how one deadline was counted
(`case explain`). The JSON shapes are documented in docs/json.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from reviewflow.engine.render.case_text import HASH_PREFIX, STATUS_TEXT, as_of_line, day, plural, table

if TYPE_CHECKING:
    from reviewflow.engine.service import CaseHistory, DeadlineView

# -- history --------------------------------------------------------------------------------------


def history_json(history: CaseHistory) -> dict[str, Any]:
    return {"case": history.ref, "events": history.events}


def _data_text(data: Mapping[str, Any]) -> str:
    """`key=value ...` on one line: a text that spans lines (a note) is quoted with its line breaks
    written as \\n, so it stays in its row's DATA column."""
    parts = []
    for key, value in data.items():
        if isinstance(value, list):
            value = ",".join(map(str, value))
        elif value is True or value is False:
            value = str(value).lower()
        elif isinstance(value, str) and "\n" in value:
            # Only the line breaks are written here; other control characters are the terminal
            # escaping's (engine.render.terminal), as in every other cell.
            value = '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
        parts.append(f"{key}={value}")
    return " ".join(parts)


def history_text(history: CaseHistory) -> str:
    rows = history.events
    lines = [f"History of case {history.ref}: {plural(len(rows), 'event')}"]
    lines += table(("SEQ", "DATE", "KIND", "NAME", "BY", "ACTOR", "AGENCY", "RECORDED BY", "HASH", "DATA"),
                   [(r["seq"], day(r["at"]) + ("*" if r.get("corrected_by") else ""), r["kind"], r["name"], r["by"],
                     r["actor"], r["agency"], r.get("recorded_by"), str(r["hash"])[:HASH_PREFIX],
                     _data_text(r["data"]) or "—")
                    for r in rows])
    lines += [_correction_line(r) for r in rows if r.get("corrected_by")]
    if history.personal_hidden and any(v == "(personal)" for r in rows for v in r["data"].values()):
        lines.append("Personal fields are shown as (personal); pass --show-personal to see them.")
    return "\n".join(lines)


def _correction_line(row: Mapping[str, Any]) -> str:
    """Why a row is marked *: the corrections that supersede it, and the date it now counts on."""
    by = ", ".join(str(seq) for seq in row["corrected_by"])
    events = "event" if len(row["corrected_by"]) == 1 else "events"
    if row.get("corrected_date"):
        return (f"* {row['seq']}: counted on {day(row['corrected_date'])}, not {day(row['at'])} "
                f"(corrected by {events} {by}; the record keeps the date it was entered with)")
    return f"* {row['seq']}: corrected by {events} {by}"


# -- explain --------------------------------------------------------------------------------------


def explanation_json(view: DeadlineView) -> dict[str, Any]:
    return {"case": view.ref, "as_of": view.as_of.isoformat(),
            "as_of_source": "given" if view.as_of_given else "last_event", **view.explanation}


def explanation_text(view: DeadlineView) -> str:
    """How one deadline's dates were counted, every day and every change with its reason."""
    e = view.explanation
    lines = [f"{e['title']} [{e['id']}] in case {view.ref}",
             as_of_line(view.as_of.isoformat(), not view.as_of_given), f"Rule: {e['rule']}"]
    if e.get("citation"):
        lines.append(f"Source: {e['citation']}")
    lines.append(f"Weight: {e['weight']}")
    if e.get("met_by"):
        lines.append(f"Met by: {' or '.join(e['met_by'])}")
    if e.get("ruling"):
        lines.append(f"Ruling: {e['ruling']}")
    lines.append(_counted_from(e["anchor"], view.anchor_recorded_by))
    lines.append(f"Method: {e['method']}")
    if e.get("counted"):
        lines.append("Days counted:")
        lines += [f"  {i:>4}. {day(d)}" for i, d in enumerate(e["counted"], start=1)]
    if e.get("skipped"):
        lines.append("Days skipped:")
        lines += [f"        {day(s['date'])}  {s['reason']}" for s in e["skipped"]]
    if e.get("window"):
        lines.append(f"Window: {day(e['window']['from'])} to {day(e['window']['to'])}")
    lines.append(f"Due by the rule: {day(e['original_due'])}")
    lines += [_adjustment_line(a) for a in e.get("adjustments") or [] if a["kind"] in _ADJUSTMENT_KINDS]
    lines.append(f"Due: {day(e['due'])}" + (f" (not a working day: {e['non_working']})" if e.get("non_working")
                                               else ""))
    status = STATUS_TEXT.get(e["status"], e["status"])
    if e.get("met_at"):
        status += f" on {e['met_at']}"
    lines.append(f"Status: {status}")
    if e.get("provisional"):
        lines.append("Provisional: the bank holidays of that year are not yet confirmed.")
    lines.append(f"Calendar: {e['calendar']}")
    return "\n".join(lines)


def _counted_from(anchor: Mapping[str, Any], recorded_by: str | None) -> str:
    what = f"{anchor['event']} (event {anchor['seq']}"
    if recorded_by is not None:
        what += f", recorded by {recorded_by}"
    what += ")"
    if anchor.get("recorded_at"):
        return (f"Counted from: the planned date {day(anchor['date'])} of {what}, "
                f"planned on {anchor['recorded_at']}")
    return f"Counted from: {day(anchor['date'])}, the date of {what}"


_ADJUSTMENT_KINDS = ("extended", "paused", "waived")


def _adjustment_line(a: Mapping[str, Any]) -> str:
    done = f"on {a['at']} by {a['by']} (event {a['seq']})"
    if a["kind"] == "extended":
        return f"Extended {done}: {a['from']} → {a['to']}. Reason: {a['reason']}"
    if a["kind"] == "paused" and a.get("until"):
        return (f"Paused {done} until {a['until']}: moved on {plural(a['days'], 'day')}, "
                f"{a['from']} → {a['to']}. Reason: {a['reason']}")
    if a["kind"] == "paused":
        return f"Paused {done}, not yet resumed: the clock stopped with {a['from']} due. Reason: {a['reason']}"
    return f"Waived {done}. Reason: {a['reason']}"
