"""One case for people: where it stands (`case show`), what a write did, and what is allowed now; plus the
small text helpers the other case renderers share.

Pure functions from the plain values the service returns (the summary is the dict `--format json`
prints, see docs/json.md) to strings. Nothing here prints, reads the clock or touches the store. Written
for a business manager: dates carry their weekday, ids are shown beside titles so they can be typed into
the next command, and anything overdue or due soon is marked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reviewflow.engine.cases.write_report import WriteReport
    from reviewflow.engine.service import CaseView

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
OPEN_STATUSES = ("pending", "due_soon", "overdue", "extended", "paused")  # as engine.cases.deadlines
STATUS_TEXT = {
    "pending": "pending",
    "due_soon": "DUE SOON",
    "overdue": "OVERDUE",
    "extended": "extended",
    "paused": "paused",
    "met": "met",
    "met_late": "met late",
    "early": "EARLY",
    "closed": "closed (not met)",
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
        elif kind == "reconsider":
            out.append(f"reconsider {name} --prompted-by SEQ|EVENT --reason TEXT{who}")
        elif kind in ("hold", "hold-review", "hold-end"):
            out.append(f"{kind} {name}{who}")
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


def show_json(view: CaseView) -> dict[str, Any]:
    return view.summary


def show_text(view: CaseView) -> str:
    """Where the case stands (`CaseService.view`), for a business manager."""
    s = view.summary
    lines = _heading_lines(s, view.role_titles)
    lines += _details_lines(s.get("fields") or {}, view.hidden_personal)
    lines += ["", "Allowed now:", *(f"  {line}" for line in allowed_lines(s.get("allowed") or []))]
    gates = [g for g in s.get("gates") or [] if g["status"] != "not_open"]
    if gates:
        lines += ["", "Decisions:", *(f"  {g['title']} [{g['id']}]: {gate_state_text(g)}" for g in gates)]
    lines += _deadline_lines(s["case"], s.get("deadlines") or [])
    tasks = [t for t in s.get("tasks") or [] if t["status"] not in ("done", "done_late")]
    if tasks:
        lines += ["", "Open agency tasks:"]
        lines += table(("AGENCY", "DUE", "STATUS", "TASK"),
                       [(t["agency"], day(t["due"]) if t["due"] else "—",
                         deadline_status(t), f"{t['title']} (record {t['done_by']} --agency {t['agency']})")
                        for t in tasks])
    owed = [n for n in s.get("notifications") or [] if n["status"] == "open"]
    if owed:
        lines += ["", "Notifications owed (done by the event named, or `case note … --notified RECIPIENT`):"]
        lines += [f"  {role_text(n['recipient'], view.role_titles)}, since {n['since']} "
                  f"({n['gate']} → {n['option']})"
                  + (f", done by recording {n['discharged_by']}" if n.get("discharged_by") else "")
                  + (f": {n['note']}" if n.get("note") else "") for n in owed]
    lines += hold_lines(s.get("holds") or [])
    lines += publication_lines(s.get("publication"))
    return "\n".join(lines)


def hold_lines(holds: Sequence[Mapping[str, Any]]) -> list[str]:
    """Active holds first (what each pauses and blocks, and its review date), then ended ones."""
    if not holds:
        return []
    lines = ["", "Holds:"]
    for h in sorted(holds, key=lambda h: not h["active"]):
        span = f"since {day(h['started'])}" if h["active"] else f"{h['started']} to {h['ended']}"
        text = f"  {h['title']} [{h['kind']}] {'ACTIVE ' if h['active'] else ''}{span}"
        if h["active"]:
            text += f", review {day(h['review_on'])}" if h.get("review_on") else ", no review date set"
            effects = []
            if h["pauses"]:
                effects.append(f"pauses {', '.join(h['pauses'])}")
            if h["blocks"]:
                effects.append(f"blocks {', '.join(h['blocks'])}")
            text += f" ({'; '.join(effects) or 'pauses and blocks nothing'})"
        lines.append(f"{text}: {h['reason']}")
    return lines


def publication_lines(record: Mapping[str, Any] | None) -> list[str]:
    if not record or not (record.get("planned_date") or record.get("items") or record.get("disclosures")):
        return []
    lines = ["", "Publication:"]
    if record.get("planned_date") and not record.get("items"):
        lines.append(f"  planned for {day(record['planned_date'])}")
    for item in record.get("items") or []:
        text = f"  {item['what']} published {day(item['online_from'])}"
        if item.get("where"):
            text += f" at {item['where']}"
        if item.get("taken_down"):
            text += f"; taken down {day(item['taken_down'])} (available on request)"
        elif item.get("online_until"):
            text += f"; online until {day(item['online_until'])}"
        lines.append(text)
    for d in record.get("disclosures") or []:
        lines.append(f"  disclosed on request {day(d['at'])}" + (f": {d['what']}" if d.get("what") else ""))
    return lines


def _heading_lines(s: Mapping[str, Any], roles: Mapping[str, str]) -> list[str]:
    """Which case, on which definition, as of when, in which stage and whose it is."""
    lines = [f"Case {s['case']}" + (f" · {s['pseudonym']}" if s.get("pseudonym") else "")]
    definition = s.get("definition") or {}
    hash_text = f", definition {str(definition.get('hash', ''))[:HASH_PREFIX]}" if definition.get("hash") else ""
    source = f" (opened from {definition['file']})" if definition.get("file") else ""
    lines.append(f"Process: {s['process']} version {s['version']}{hash_text}{source}")
    newer = definition.get("newer")
    if newer:
        where = f" in {newer['file']}" if newer.get("file") else ""
        lines.append(f"  A newer version of this definition exists{where} (version {newer['version']}, "
                     f"{str(newer['hash'])[:HASH_PREFIX]}); this case stays on the version it was opened with.")
    lines.append(f"Opened: {day(s.get('opened'))}")
    lines.append(as_of_line(s["as_of"], s["as_of_source"] == "last_event"))
    stage = s.get("stage") or {}
    lines.append(f"Stage: {stage.get('title', '—')} [{stage.get('id', '—')}]")
    if s.get("closed"):
        lines.append(f"Closed. Outcome: {s.get('outcome') or '—'}")
    else:
        lines.append(f"Owner: {role_text(stage.get('owner'), roles)}")
    return lines


def _details_lines(fields: Mapping[str, Any], hidden_personal: Sequence[str]) -> list[str]:
    if not fields and not hidden_personal:
        return []
    lines = ["", "Case details:"]
    for key, value in fields.items():
        shown = ", ".join(map(str, value)) if isinstance(value, list) else value
        shown = "true" if shown is True else "false" if shown is False else shown
        lines.append(f"  {key}: {shown}")
    if hidden_personal:
        lines.append(f"  ({plural(len(hidden_personal), 'personal field')} hidden: "
                     f"{', '.join(hidden_personal)}; pass --show-personal to see "
                     f"{'it' if len(hidden_personal) == 1 else 'them'})")
    return lines


def _deadline_lines(ref: str, deadlines: Sequence[Mapping[str, Any]]) -> list[str]:
    if not deadlines:
        return ["", "Deadlines:", "  none started yet"]
    ordered = sorted(deadlines, key=lambda d: d["due"])  # stable: definition order on ties
    lines = ["", "Deadlines:", *deadline_rows(ordered)]
    if any(d["status"] in ("overdue", "due_soon") for d in ordered):
        lines.append(f"  ! {plural(sum(d['status'] == 'overdue' for d in ordered), 'deadline')} overdue, "
                     f"{sum(d['status'] == 'due_soon' for d in ordered)} due soon. "
                     f"`reviewflow case explain {ref} DEADLINE` shows how a date was counted.")
    return lines


def gate_state_text(g: Mapping[str, Any]) -> str:
    text = _reconsidered_text(g)
    if g["status"] == "decided":
        text += f"decided {g['outcome']} on {g['decided_at']}"
        if g.get("settled_by") == "dispute":
            text += f" (dispute settled by {g['dispute_decided_by']})"
        if g.get("recommendation_kind") == "advisory" and g.get("recommendation"):
            r = g["recommendation"]
            text += f"; {r['by']} advised {r['option']} on {r['at']}"
        return text
    return text + _open_gate_text(g)


def _reconsidered_text(g: Mapping[str, Any]) -> str:
    """'was X on DATE, reconsidered on DATE (prompted by EVENT N): ' for each superseded round."""
    parts = []
    for past in g.get("history") or []:
        parts.append(f"was {past['outcome']} on {past['decided_at']}")
    reopened = g.get("reopened")
    if reopened:
        prompt = reopened["prompted_by"]
        parts.append(f"reconsidered on {reopened['at']} (prompted by {prompt['event']}, event {prompt['seq']}: "
                     f"{reopened['reason']})")
    return ("; ".join(parts) + "; now ") if parts else ""


def _open_gate_text(g: Mapping[str, Any]) -> str:
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


# -- after a write --------------------------------------------------------------------------------

_VERBS = {"opened": "opened", "recorded": "recorded", "recommended": "recommended on", "decided": "decided",
          "dispute_decided": "settled the dispute on", "extended": "extended", "paused": "paused",
          "resumed": "resumed", "waived": "waived", "corrected": "corrected", "noted": "noted",
          "reopened": "re-opened the decision", "hold_started": "started the hold", "hold_reviewed": "reviewed the hold",
          "hold_ended": "ended the hold"}


def write_text(report: WriteReport) -> str:
    """What one write did: the event, the stage, a gate's state, deadlines started, met or moved, and the
    per-agency tasks of a stage just entered."""
    r = report
    what = r.name if r.supersedes is None else f"event {r.supersedes}"
    if r.option is not None:
        what += f": {r.option}"
    if r.agency:
        what += f" for {r.agency}"
    lines = [f"{r.ref}: {r.by} {_VERBS.get(r.kind, r.kind)} {what} on {day(r.at)} (event {r.seq}).",
             f"Stage: {r.stage_title} [{r.stage_id}]" + (f" — closed: {r.outcome}" if r.closed else "")]
    if r.gate is not None:
        lines.append(f"Decision {r.gate['id']}: {gate_state_text(r.gate)}")
        if r.stuck_in_dispute:
            lines.append("  the parties disagree and there is no dispute path: a party must decide again")
    for d in r.deadlines:
        status = STATUS_TEXT.get(d.status, d.status)
        if d.change == "started":
            when = f"between {day(d.window_start)} and {day(d.due)}" if d.window_start else f"due {day(d.due)}"
            state = "" if d.status in ("pending", "due_soon", "overdue") else f" ({status})"
            lines.append(f"Deadline started: {d.title} [{d.id}] {when}{state}")
        elif d.change == "met":
            lines.append(f"Deadline {status}: {d.title} [{d.id}] (due {day(d.due)})")
        else:
            lines.append(f"Deadline {d.title} [{d.id}]: now due {day(d.due)} (originally {d.original_due}), "
                         f"{status}")
    for t in r.tasks:
        lines.append(f"Task: {t.title} for {t.member}" + (f", due {day(t.due)}" if t.due else ""))
    return "\n".join(lines)
