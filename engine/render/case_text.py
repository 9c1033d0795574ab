"""Cases as text for people: `case show`, `history`, `explain`, `cases`, `due` and the write commands.

Pure functions from the plain data the service returns (the same dicts `--format json` prints, see
docs/json.md) to strings. Nothing here prints, reads the clock or touches the store. Written for a
business manager: dates carry their weekday, ids are shown beside titles so they can be typed into the
next command, and anything overdue or due soon is marked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reviewflow.engine.cases.case import Case

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
OPEN_STATUSES = ("pending", "due_soon", "overdue", "extended", "paused")
STATUS_TEXT = {
    "pending": "pending",
    "due_soon": "DUE SOON",
    "overdue": "OVERDUE",
    "extended": "extended",
    "paused": "paused",
    "met": "met",
    "met_late": "met late",
    "waived": "waived",
    "not_applicable": "n/a",
}
GATE_STATUS_TEXT = {
    "decided": "decided",
    "not_open": "not open yet",
    "disputed": "DISPUTED",
    "awaiting_recommendation": "awaiting the recommendation",
    "awaiting_decision": "awaiting the decision",
}
HASH_PREFIX = 12


def day(value: str | date | None) -> str:
    """'2024-01-02 Tue' from an ISO date (or '—')."""
    if value is None:
        return "—"
    d = value if isinstance(value, date) else date.fromisoformat(value)
    return f"{d.isoformat()} {WEEKDAYS[d.weekday()]}"


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], indent: str = "  ") -> list[str]:
    """Left-aligned columns; the last column is never padded (it may be long)."""
    body = [[("—" if c is None else str(c)) for c in row] for row in rows]
    all_rows = [list(headers), *body]
    widths = [max(len(r[i]) for r in all_rows) for i in range(len(headers) - 1)]
    out = []
    for r in all_rows:
        cells = [c.ljust(w) for c, w in zip(r[:-1], widths, strict=True)] + [r[-1]]
        out.append((indent + "  ".join(cells)).rstrip())
    return out


def role_text(role: str | None, roles: Mapping[str, str]) -> str:
    if not role:
        return "—"
    title = roles.get(role)
    return f"{role} ({title})" if title and title != role else role


def as_of_line(as_of: str, from_last_event: bool) -> str:
    if from_last_event:
        return f"As of {day(as_of)}, the last recorded event; pass --as-of for another date."
    return f"As of {day(as_of)}."


# -- allowed actions ------------------------------------------------------------------------------


def allowed_lines(actions: Sequence[Mapping[str, Any]]) -> list[str]:
    """What may be done now, one line each, deadline controls grouped, ready to type."""
    out: list[str] = []
    tail: list[str] = []
    controls: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for a in actions:
        kind, name, by = a["action"], a["name"], tuple(a["by"])
        who = f"  (by {', '.join(by)})" if by else ""
        if kind == "record":
            agencies = f" --agency {'|'.join(a['agencies'])}" if a["agencies"] else ""
            out.append(f"record {name}{agencies}{who}")
        elif kind in ("recommend", "decide"):
            out.append(f"{kind} {name} {'|'.join(a['options'])}{who}")
        elif kind in ("extend", "pause", "resume", "waive"):
            controls.setdefault((name, by), []).append(kind)
        elif kind == "note":
            tail.append("note TEXT  (by any role)")
        elif kind == "correct":
            tail.append("correct SEQ  (by a role that may record that event)")
        else:  # pragma: no cover - a new action kind still shows
            out.append(str(a.get("text") or f"{kind} {name}"))
    grouped: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for (name, by), kinds in controls.items():
        grouped.setdefault(("|".join(kinds), by), []).append(name)
    for (joined, by), names in grouped.items():
        out.append(f"{joined} {', '.join(names)}  (by {', '.join(by)})")
    return out + tail


def refusal_allowed_lines(allowed: Sequence[str]) -> list[str]:
    """The RefusedError.allowed strings, with the long 'note by <every role>' shortened."""
    out = []
    for text in allowed:
        if text.startswith("note by ") or text == "note":
            out.append("note (by any role)")
        elif text == "correct":
            out.append("correct SEQ (by a role that may record that event)")
        else:
            out.append(text)
    return out


# -- case show ------------------------------------------------------------------------------------


def deadline_when(d: Mapping[str, Any]) -> str:
    window = d.get("window")
    if window:
        return f"{day(window['from'])} – {day(window['to'])}"
    return day(d.get("due"))


def deadline_status(d: Mapping[str, Any]) -> str:
    status = STATUS_TEXT.get(d["status"], d["status"])
    if d["status"] in ("met", "met_late") and d.get("met_at"):
        status += f" {d['met_at']}"
    if d["status"] in ("overdue", "due_soon"):
        status = f"! {status}"
    return status


def deadline_rows(deadlines: Sequence[Mapping[str, Any]]) -> list[str]:
    rows = []
    for d in deadlines:
        notes = []
        if d.get("original_due") and d["original_due"] != d["due"]:
            notes.append(f"originally {d['original_due']}")
        if d.get("non_working"):
            notes.append(f"not a working day: {d['non_working']}")
        if d.get("provisional"):
            notes.append("provisional")
        title = f"{d['title']} [{d['id']}]" + (f" ({'; '.join(notes)})" if notes else "")
        rows.append((deadline_when(d), deadline_status(d), d["weight"], title))
    return table(("DUE", "STATUS", "WEIGHT", "DEADLINE"), rows)


def show_text(summary: Mapping[str, Any], roles: Mapping[str, str], *, from_last_event: bool,
              hidden_personal: Sequence[str] = ()) -> str:
    """The case summary (`CaseService.show`) for a business manager."""
    s = summary
    lines = [f"Case {s['case']}" + (f" · {s['pseudonym']}" if s.get("pseudonym") else "")]
    definition = s.get("definition") or {}
    hash_text = f", definition {str(definition.get('hash', ''))[:HASH_PREFIX]}" if definition.get("hash") else ""
    lines.append(f"Process: {s['process']} version {s['version']}{hash_text}")
    newer = definition.get("newer")
    if newer:
        lines.append(f"  A newer version of this definition exists (version {newer['version']}, "
                     f"{str(newer['hash'])[:HASH_PREFIX]}); this case stays on the version it was opened with.")
    lines.append(f"Opened: {day(s.get('opened'))}")
    lines.append(as_of_line(s["as_of"], from_last_event))
    stage = s.get("stage") or {}
    lines.append(f"Stage: {stage.get('title', '—')} [{stage.get('id', '—')}]")
    if s.get("closed"):
        lines.append(f"Closed. Outcome: {s.get('outcome') or '—'}")
    else:
        lines.append(f"Owner: {role_text(stage.get('owner'), roles)}")

    fields = s.get("fields") or {}
    if fields or hidden_personal:
        lines += ["", "Case details:"]
        for key, value in fields.items():
            shown = ", ".join(map(str, value)) if isinstance(value, list) else value
            shown = "true" if shown is True else "false" if shown is False else shown
            lines.append(f"  {key}: {shown}")
        if hidden_personal:
            lines.append(f"  ({plural(len(hidden_personal), 'personal field')} hidden: "
                         f"{', '.join(hidden_personal)}; pass --show-personal to see "
                         f"{'it' if len(hidden_personal) == 1 else 'them'})")

    lines += ["", "Allowed now:"]
    lines += [f"  {line}" for line in allowed_lines(s.get("allowed") or [])]

    gates = [g for g in s.get("gates") or [] if g["status"] != "not_open"]
    if gates:
        lines += ["", "Decisions:"]
        for g in gates:
            lines.append(f"  {g['title']} [{g['id']}]: {gate_state_text(g)}")

    deadlines = sorted(s.get("deadlines") or [], key=lambda d: d["due"])  # stable: definition order on ties
    lines += ["", "Deadlines:"]
    if deadlines:
        lines += deadline_rows(deadlines)
        flagged = [d for d in deadlines if d["status"] in ("overdue", "due_soon")]
        if flagged:
            lines.append(f"  ! {plural(sum(d['status'] == 'overdue' for d in deadlines), 'deadline')} overdue, "
                         f"{sum(d['status'] == 'due_soon' for d in deadlines)} due soon. "
                         f"`reviewflow case explain {s['case']} DEADLINE` shows how a date was counted.")
    else:
        lines.append("  none started yet")

    tasks = [t for t in s.get("tasks") or [] if t["status"] not in ("done", "done_late")]
    if tasks:
        lines += ["", "Open agency tasks:"]
        lines += table(("AGENCY", "DUE", "STATUS", "TASK"),
                       [(t["agency"], day(t["due"]) if t["due"] else "—",
                         deadline_status(t), f"{t['title']} (record {t['done_by']} --agency {t['agency']})")
                        for t in tasks])

    owed = [n for n in s.get("notifications") or [] if n["status"] == "open"]
    if owed:
        lines += ["", "Notifications owed (close with `case note … --notified RECIPIENT`):"]
        for n in owed:
            note = f": {n['note']}" if n.get("note") else ""
            lines.append(f"  {role_text(n['recipient'], roles)}, since {n['since']} "
                         f"({n['gate']} → {n['option']}){note}")
    return "\n".join(lines)


def gate_state_text(g: Mapping[str, Any]) -> str:
    if g["status"] == "decided":
        text = f"decided {g['outcome']} on {g['decided_at']}"
        if g.get("settled_by") == "dispute":
            text += f" (dispute settled by {g['dispute_decided_by']})"
        return text
    text = GATE_STATUS_TEXT.get(g["status"], g["status"])
    if g.get("recommendation"):
        r = g["recommendation"]
        text += f"; {r['by']} recommended {r['option']} on {r['at']}"
    if g.get("decisions"):
        text += "; decisions so far: " + ", ".join(f"{v['by']} {v['option']}" for v in g["decisions"])
        waiting = [p for p in g["parties"] if p not in {v["by"] for v in g["decisions"]}]
        if waiting and g["status"] != "disputed":
            text += f"; waiting for {', '.join(waiting)}"
    if g["status"] == "disputed" and g.get("dispute_decided_by"):
        text += f"; {g['dispute_decided_by']} now decides"
    return text


# -- history --------------------------------------------------------------------------------------


def _data_text(data: Mapping[str, Any]) -> str:
    parts = []
    for key, value in data.items():
        if isinstance(value, list):
            value = ",".join(map(str, value))
        elif value is True or value is False:
            value = str(value).lower()
        parts.append(f"{key}={value}")
    return " ".join(parts)


def history_text(ref: str, rows: Sequence[Mapping[str, Any]], personal_hidden: bool) -> str:
    lines = [f"History of case {ref}: {plural(len(rows), 'event')}"]
    lines += table(("SEQ", "DATE", "KIND", "NAME", "BY", "ACTOR", "AGENCY", "RECORDED BY", "HASH", "DATA"),
                   [(r["seq"], day(r["at"]), r["kind"], r["name"], r["by"], r["actor"], r["agency"],
                     r.get("recorded_by"), str(r["hash"])[:HASH_PREFIX], _data_text(r["data"]) or "—")
                    for r in rows])
    if personal_hidden and any(v == "(personal)" for r in rows for v in r["data"].values()):
        lines.append("Personal fields are shown as (personal); pass --show-personal to see them.")
    return "\n".join(lines)


# -- explain --------------------------------------------------------------------------------------


def explain_text(ref: str, e: Mapping[str, Any], events: Mapping[int, Mapping[str, Any]], *,
                 from_last_event: bool, as_of: str) -> str:
    """How one deadline's dates were counted (`CaseService.explain`)."""
    anchor = e["anchor"]
    lines = [f"{e['title']} [{e['id']}] in case {ref}", as_of_line(as_of, from_last_event),
             f"Rule: {e['rule']}"]
    if e.get("citation"):
        lines.append(f"Source: {e['citation']}")
    lines.append(f"Weight: {e['weight']}")
    anchored = events.get(int(anchor["seq"]))
    what = f"{anchor['event']} (event {anchor['seq']}"
    if anchored is not None:
        what += f", recorded by {anchored['by']}"
    what += ")"
    if anchor.get("recorded_at"):
        lines.append(f"Counted from: the planned date {day(anchor['date'])} of {what}, "
                     f"planned on {anchor['recorded_at']}")
    else:
        lines.append(f"Counted from: {day(anchor['date'])}, the date of {what}")
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
    for a in e.get("adjustments") or []:
        if a["kind"] == "extended":
            lines.append(f"Extended on {a['at']} by {a['by']} (event {a['seq']}): {a['from']} → {a['to']}. "
                         f"Reason: {a['reason']}")
        elif a["kind"] == "paused":
            if a.get("until"):
                lines.append(f"Paused on {a['at']} by {a['by']} (event {a['seq']}) until {a['until']}: "
                             f"moved on {plural(a['days'], 'day')}, {a['from']} → {a['to']}. Reason: {a['reason']}")
            else:
                lines.append(f"Paused on {a['at']} by {a['by']} (event {a['seq']}), not yet resumed: the clock "
                             f"stopped with {a['from']} due. Reason: {a['reason']}")
        elif a["kind"] == "waived":
            lines.append(f"Waived on {a['at']} by {a['by']} (event {a['seq']}). Reason: {a['reason']}")
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


# -- cases and due ------------------------------------------------------------------------------


def cases_text(rows: Sequence[Mapping[str, Any]]) -> str:
    if not rows:
        return "no cases"
    lines = table(("CASE", "PSEUDONYM", "PROCESS", "OPENED", "EVENTS", "STATE", "STAGE"),
                  [(r["case"], r["pseudonym"], r["process"], r["opened"], r["events"],
                    "closed" if r["closed"] else "open", r["stage"]) for r in rows], indent="")
    return "\n".join([*lines, f"{plural(len(rows), 'case')}"])


def due_text(payload: Mapping[str, Any]) -> str:
    rows = payload["deadlines"]
    scope = f"As of {day(payload['as_of'])}"
    if payload.get("within") is not None:
        scope += f", due within {plural(payload['within'], 'calendar day')} (overdue included)"
    if payload.get("role"):
        scope += f", owned by {payload['role']}"
    if not rows:
        return f"{scope}: nothing open is due."
    lines = [f"{scope}:"]
    lines += table(("DUE", "STATUS", "CASE", "OWNER", "WEIGHT", "DEADLINE"),
                   [(f"{r['window_start']} – {r['due']}" if r["window_start"] else day(r["due"]),
                     deadline_status(r), r["case"], r["owner"], r["weight"], f"{r['title']} [{r['deadline']}]")
                    for r in rows])
    summary = payload["summary"]
    lines.append(f"{plural(summary['total'], 'deadline')}: {summary['overdue']} overdue, "
                 f"{summary['due_soon']} due soon.")
    return "\n".join(lines)


# -- after a write --------------------------------------------------------------------------------

_VERBS = {"opened": "opened", "recorded": "recorded", "recommended": "recommended on", "decided": "decided",
          "dispute_decided": "settled the dispute on", "extended": "extended", "paused": "paused",
          "resumed": "resumed", "waived": "waived", "corrected": "corrected", "noted": "noted"}


def write_text(case: Case, as_of: date) -> str:
    """What the latest event of `case` did: the event, the stage, a gate's state, deadlines started,
    met or moved, and the per-agency tasks of a stage just entered."""
    from reviewflow.engine.cases import gates as gatemod

    event = case.events[-1]
    what = event.name
    if event.kind in ("recommended", "decided", "dispute_decided"):
        what += f": {event.data.get('option')}"
    if event.kind == "corrected":
        what = f"event {event.data.get('supersedes')}"
    if event.agency:
        what += f" for {event.agency}"
    lines = [f"{case.ref}: {event.by} {_VERBS.get(event.kind, event.kind)} {what} on {day(event.at)} "
             f"(event {event.seq})."]
    stage = case.process.stages[case.stage]
    lines.append(f"Stage: {stage.title} [{stage.id}]" + (f" — closed: {stage.outcome}" if case.is_closed else ""))
    if event.kind in ("recommended", "decided", "dispute_decided"):
        gate = case.process.gates[event.name]
        summary = gatemod.summary(case.process, gate, case.gate_state(gate.id), case.stage)
        lines.append(f"Decision {gate.id}: {gate_state_text(summary)}")
        if summary["status"] == "disputed" and gate.dispute is None:
            lines.append("  the parties disagree and there is no dispute path: a party must decide again")
    for d in case.deadlines(as_of):
        if d.anchor.seq == event.seq:
            when = f"between {day(d.window_start)} and {day(d.due)}" if d.window_start else f"due {day(d.due)}"
            state = "" if d.status in ("pending", "due_soon", "overdue") else f" ({STATUS_TEXT[d.status]})"
            lines.append(f"Deadline started: {d.title} [{d.id}] {when}{state}")
        elif d.met_seq == event.seq:
            lines.append(f"Deadline {STATUS_TEXT.get(d.status, d.status)}: {d.title} [{d.id}] (due {day(d.due)})")
        elif any(a.seq == event.seq for a in d.adjustments):
            lines.append(f"Deadline {d.title} [{d.id}]: now due {day(d.due)} (originally {d.original_due}), "
                         f"{STATUS_TEXT.get(d.status, d.status)}")
    if case.visits and case.visits[-1].entered_seq == event.seq:  # the event moved the case on
        for t in case.tasks(as_of):
            if t.stage == case.stage and t.done_at is None:
                lines.append(f"Task: {t.title} for {t.member}" + (f", due {day(t.due)}" if t.due else ""))
    lines.append(f"Next: `reviewflow case show {case.ref}` lists what is allowed now.")
    return "\n".join(lines)
