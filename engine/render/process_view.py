"""A process as plain data (the stable JSON shape of `reviewflow show --format json`) and its stage order;
the list of bundled definitions (`reviewflow processes`)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reviewflow.engine.definition.model import Citation, DeadlineRule, Process, Reporting, Role, Stage, Theme

if TYPE_CHECKING:
    from reviewflow.engine.definition.loader import LoadResult


def stage_order(process: Process) -> list[str]:
    """Stages in the order a case meets them: breadth-first from the initial stage, then the rest."""
    next_stages: dict[str, list[str]] = {s: [] for s in process.stages}
    for stage in process.stages.values():
        next_stages[stage.id].extend(t.to for t in stage.transitions)
    for gate in process.gates.values():
        if gate.at in next_stages:
            next_stages[gate.at].extend(o.to for o in gate.options if o.to)
    initial = [s.id for s in process.stages.values() if s.initial]
    seen: list[str] = []
    queue = deque(initial)
    while queue:
        stage_id = queue.popleft()
        if stage_id in seen or stage_id not in process.stages:
            continue
        seen.append(stage_id)
        queue.extend(next_stages.get(stage_id, []))
    return seen + [s for s in process.stages if s not in seen]


def citation_text(process: Process, cite: Citation | None) -> str | None:
    if cite is None:
        return None
    source = process.sources.get(cite.source)
    parts = [source.title if source else cite.source]
    if cite.section:
        parts.append(cite.section)
    where = ", ".join(parts)
    if source and source.file:
        where += f" ({source.file})"
    elif source and source.url:
        where += f" ({source.url})"
    tags = [t for t in (cite.basis.value if cite.basis else None, cite.confidence and f"[{cite.confidence}]") if t]
    text = f"{where}" + (f" — {' '.join(tags)}" if tags else "")
    if cite.note:
        text += f". Note: {cite.note}"
    return text


def citation_json(process: Process, cite: Citation | None) -> dict[str, Any] | None:
    if cite is None:
        return None
    return {
        "source": cite.source,
        "section": cite.section,
        "basis": cite.basis.value if cite.basis else None,
        "confidence": cite.confidence,
        "note": cite.note,
        "text": citation_text(process, cite),
    }


def rule_json(rule: DeadlineRule) -> dict[str, Any]:
    return {
        "unit": rule.unit,
        "n": rule.n,
        "n_to": rule.n_to,
        "direction": rule.direction,
        "anchor": rule.anchor,
        "roll": rule.roll,
        "date": rule.fixed.isoformat() if rule.fixed else None,
        "text": rule.describe(),
    }


def chair_text(role: Role) -> str | None:
    chair = role.chair
    if chair is None:
        return None
    if isinstance(chair, str):
        return chair
    among = ", ".join(chair.among)
    return f"rotates every {chair.every_months} months among {among} (from {chair.starting.isoformat()})"


def _stage_json(process: Process, s: Stage) -> dict[str, Any]:
    return {
        "id": s.id, "title": s.title, "owner": s.owner, "description": s.description,
        "initial": s.initial, "final": s.final, "outcome": s.outcome,
        "transitions": [{"on": t.event, "to": t.to, "when": t.when.source if t.when else None}
                        for t in s.transitions],
        "tasks": [{"id": t.id, "title": t.title, "per": t.per, "done_by": t.done_by,
                   "due": rule_json(t.due) if t.due else None, "on_missing": t.on_missing}
                  for t in s.tasks],
        "citation": citation_json(process, s.cite),
    }


def _theme_json(process: Process, theme: Theme) -> dict[str, Any]:
    return {
        "id": theme.id, "title": theme.title, "description": theme.description,
        "responses": [{"text": r.text, "as_of": r.as_of.isoformat() if r.as_of else None,
                       "citation": citation_json(process, r.cite)} for r in theme.responses],
        "citation": citation_json(process, theme.cite),
    }


def _reporting_json(reporting: Reporting | None) -> dict[str, Any] | None:
    """The settings as the definition writes them: a key it leaves out is null (the report's default), so a
    reader can tell a partnership that chose the default from one that said nothing."""
    if reporting is None:
        return None
    r = reporting

    def listed(values: tuple[str, ...] | None) -> list[str] | None:
        return None if values is None else list(values)

    return {"suppress_below": r.suppress_below, "suppress_note": r.suppress_note, "counted_from": r.counted_from,
            "outcome_field": r.outcome_field, "cspr": listed(r.cspr), "no_review": listed(r.no_review),
            "timeliness": listed(r.timeliness)}


def process_json(process: Process) -> dict[str, Any]:
    """The documented, stable JSON shape of a process (docs/json.md)."""
    p = process
    return {
        "id": p.id,
        "title": p.title,
        "version": p.version,
        "kind": p.kind,
        "partnership": p.partnership,
        "extends": p.extends,
        "effective_from": p.effective_from.isoformat() if p.effective_from else None,
        "effective_to": p.effective_to.isoformat() if p.effective_to else None,
        "file": p.file,
        "definition_hash": p.text_hash,
        "description": p.description,
        "notes": list(p.notes),
        "opens_with": p.opens_with,
        "sources": [{"id": s.id, "title": s.title, "file": s.file, "url": s.url} for s in p.sources.values()],
        "roles": [
            {"id": r.id, "title": r.title, "kind": r.kind, "members": list(r.members), "chair": chair_text(r),
             "replaces": r.replaces, "citation": citation_json(p, r.cite)}
            for r in p.roles.values()
        ],
        "fields": [
            {"id": f.id, "title": f.title, "type": f.type, "values": list(f.values), "personal": f.personal,
             "required": f.required}
            for f in p.fields.values()
        ],
        "events": [
            {"id": e.id, "title": e.title, "by": list(e.by), "sets": list(e.sets), "per_agency": e.per_agency,
             "anytime": e.anytime, "planned": e.planned, "repeat": e.repeat,
             "when": e.when.source if e.when else None, "publication": e.publication,
             "citation": citation_json(p, e.cite)}
            for e in p.events.values()
        ],
        "stages": [_stage_json(p, p.stages[i]) for i in stage_order(p)],
        "deadlines": [
            {"id": d.id, "title": d.title, "rule": rule_json(d.rule), "met_by": list(d.met_by),
             "weight": d.weight.value, "applies_when": d.applies_when.source if d.applies_when else None,
             "escalate_to": d.escalate_to, "mandatory": d.mandatory, "ruling": d.ruling,
             "citation": citation_json(p, d.cite)}
            for d in p.deadlines.values()
        ],
        "gates": [
            {"id": g.id, "title": g.title, "at": g.at, "question": g.question, "criteria": list(g.criteria),
             "recommended_by": g.recommended_by, "recommendation": g.recommendation,
             "decided_by": g.decided_by, "rule": g.rule,
             "reconsider": ({"by": list(g.reconsider.by), "prompted_by": list(g.reconsider.prompted_by)}
                            if g.reconsider else None),
             "dispute": g.dispute.decided_by if g.dispute else None,
             "separation_of_duties": g.separation_of_duties, "rationale_required": g.rationale_required,
             "options": [{"id": o.id, "title": o.title, "to": o.to, "notify": list(o.notify),
                          "notify_note": o.notify_note, "notified_by": dict(o.notified_by),
                          "sets": {k: list(v) for k, v in o.sets.items()}} for o in g.options],
             "citation": citation_json(p, g.cite)}
            for g in p.gates.values()
        ],
        "holds": [{"id": h.id, "title": h.title, "by": list(h.by), "pauses": list(h.pauses),
                   "blocks": list(h.blocks), "citation": citation_json(p, h.cite)} for h in p.holds.values()],
        "deviations": [{"item": d.item, "reason": d.reason, "approved_by": d.approved_by} for d in p.deviations],
        "processes": list(p.member_processes),
        "themes": [_theme_json(p, t) for t in p.themes.values()],
        "reporting": _reporting_json(p.reporting),
    }


# -- reviewflow processes -------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogueEntry:
    """One definition on the search path: its id, the file as users name it, where it was found."""

    process_id: str
    file: str
    origin: str  # option | environment | workspace | bundled
    result: LoadResult


@dataclass(frozen=True)
class Catalogue:
    entries: tuple[CatalogueEntry, ...]


def catalogue_json(catalogue: Catalogue) -> dict[str, Any]:
    rows = []
    for entry in catalogue.entries:
        process = entry.result.process
        rows.append({
            "id": entry.process_id,
            "title": process.title if process else "(invalid: run reviewflow validate)",
            "base": process.extends if process else None,
            "version": process.version if process else None,
            "origin": entry.origin,
            "file": entry.file,
            "valid": not any(d.is_error for d in entry.result.diagnostics),
        })
    return {"processes": rows}


def catalogue_text(catalogue: Catalogue) -> str:
    rows = catalogue_json(catalogue)["processes"]
    if not rows:
        return "no process definitions found"
    headers = ("ID", "TITLE", "BASE", "VERSION", "ORIGIN", "FILE")
    table = [(r["id"], r["title"], r["base"] or "—", r["version"] or "—", r["origin"], r["file"]) for r in rows]
    widths = [max(len(str(row[i])) for row in [headers, *table]) for i in range(len(headers))]
    return "\n".join("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
                     for row in [headers, *table])
