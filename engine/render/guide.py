"""The staff guide: a readable Markdown account of a process (what the Kirklees guide does by hand)."""

from __future__ import annotations

from reviewflow.engine.definition.model import Deadline, Gate, Hold, Process, Reporting, Stage
from reviewflow.engine.render.process_view import chair_text, citation_text, stage_order
from reviewflow.engine.reports.model import Settings


def _role_title(process: Process, role_id: str | None) -> str:
    if role_id is None:
        return "—"
    role = process.roles.get(role_id)
    return role.title if role else role_id


def _roles(process: Process, role_ids: tuple[str, ...] | list[str]) -> str:
    return ", ".join(_role_title(process, r) for r in role_ids) or "—"


def _event_title(process: Process, name: str) -> str:
    if name in process.events:
        return process.events[name].title
    gate_id, _, suffix = name.partition(".")
    if gate_id in process.gates:
        return f"{process.gates[gate_id].title} ({suffix})"
    return name


def _in_sentence(title: str) -> str:
    """A title used mid-sentence: lower-case its first letter unless it starts an acronym (SCSI, CSPR)."""
    if len(title) > 1 and title[0].isupper() and title[1].islower():
        return title[0].lower() + title[1:]
    return title


def _deadline_line(process: Process, deadline: Deadline) -> str:
    rule = deadline.rule
    unit = rule.unit.replace("_", " ")
    if rule.n == 1 and not rule.is_window:
        unit = unit.rstrip("s")
    anchor = _in_sentence(_event_title(process, rule.anchor))
    if rule.fixed is not None:
        when = f"by {rule.fixed.isoformat()} (a fixed date)"
    elif rule.is_window:
        when = f"between {rule.n} and {rule.n_to} {unit} after {anchor}"
    else:
        when = f"{rule.n} {unit} {rule.direction} {anchor}"
        if rule.roll == "forward":
            when += ", moved to the next working day if it lands on a non-working day"
    met = " or ".join(_in_sentence(_event_title(process, m)) for m in deadline.met_by)
    line = f"**{deadline.title}** — {when}; met by: {met}. Weight: {deadline.weight.value}."
    if deadline.applies_when:
        line += f" Applies when `{deadline.applies_when.source}`."
    if deadline.escalate_to:
        line += f" Escalate to {_role_title(process, deadline.escalate_to)}."
    held = [h.title for h in process.holds.values() if deadline.id in h.pauses]
    if held:
        line += f" Paused while a hold is active: {', '.join(held)}."
    if deadline.ruling:
        line += f" Ruling: {deadline.ruling}"
    cite = citation_text(process, deadline.cite)
    if cite:
        line += f" *Source: {cite}*"
    return line


def _gate_section(process: Process, gate: Gate) -> list[str]:
    lines = [f"**Decision: {gate.title}**", ""]
    if gate.question:
        lines.append(f"- Question: {gate.question}")
    if gate.recommended_by:
        advisory = (" (advisory: the decision need not wait for it, and it may come afterwards)"
                    if gate.recommendation == "advisory" else "")
        lines.append(f"- Recommended by: {_role_title(process, gate.recommended_by)}{advisory}")
    decider = _role_title(process, gate.decided_by)
    if gate.rule == "all":
        members = process.roles.get(gate.decided_by)
        who = _roles(process, list(members.members)) if members else decider
        lines.append(f"- Decided by: {decider} — every member must agree ({who})")
    elif gate.rule == "majority":
        lines.append(f"- Decided by: {decider} — by majority of its members")
    else:
        lines.append(f"- Decided by: {decider}")
    if gate.dispute:
        lines.append(f"- If they disagree: {_role_title(process, gate.dispute.decided_by)} decides")
    if gate.separation_of_duties and gate.recommended_by:
        lines.append("- Whoever recommends may not also decide")
    if gate.rationale_required:
        lines.append("- A written rationale is required")
    if gate.reconsider is not None:
        prompts = " or ".join(f"*{_event_title(process, e)}*" for e in gate.reconsider.prompted_by)
        lines.append(f"- Can be reconsidered by {_roles(process, list(gate.reconsider.by))} when prompted by "
                     f"{prompts} (`case reconsider`); the first decision stays in the history")
    for criterion in gate.criteria:
        lines.append(f"- Criterion: {criterion}")
    lines.append("- Options:")
    for option in gate.options:
        target_stage = process.stages.get(option.to) if option.to else None
        target = target_stage.title if target_stage else (option.to or "—")
        text = f"  - **{option.title}** → {target}"
        if option.notify:
            text += f"; notify {_roles(process, list(option.notify))}"
            if option.notify_note:
                text += f" ({option.notify_note})"
            done = sorted({e for e in option.notified_by.values()})
            if done:
                text += "; done by recording " + " / ".join(f"*{_event_title(process, e)}*" for e in done)
        for field_id, values in option.sets.items():
            text += f"; sets {field_id} to {' or '.join(map(str, values))}"
        lines.append(text)
    cite = citation_text(process, gate.cite)
    if cite:
        lines.append(f"- *Source: {cite}*")
    lines.append("")
    return lines


def _stage_section(process: Process, number: int, stage: Stage) -> list[str]:
    heading = f"### {number}. {stage.title}"
    if stage.final:
        heading += " (end)"
    lines = [heading, ""]
    if stage.owner:
        lines.append(f"*Owner: {_role_title(process, stage.owner)}*")
        lines.append("")
    if stage.description:
        lines.extend([stage.description.strip(), ""])
    if stage.final and stage.outcome:
        lines.extend([f"Outcome: {stage.outcome}", ""])
    for transition in stage.transitions:
        event = process.events.get(transition.event)
        who = _roles(process, list(event.by)) if event else "—"
        target = process.stages[transition.to].title if transition.to in process.stages else transition.to
        text = f"- When {who} record *{_event_title(process, transition.event)}* → {target}"
        if transition.when:
            text += f" (only if `{transition.when.source}`)"
        lines.append(text)
    for task in stage.tasks:
        due = f", due {task.due.describe()}" if task.due else ""
        lines.append(f"- Task for each of the case's {task.per}: {task.title} (done by "
                     f"*{_event_title(process, task.done_by)}*{due}; if missing: {task.on_missing})")
    if stage.transitions or stage.tasks:
        lines.append("")
    gate = process.gate_at(stage.id)
    if gate:
        lines.extend(_gate_section(process, gate))
    cite = citation_text(process, stage.cite)
    if cite:
        lines.extend([f"*Source: {cite}*", ""])
    return lines


def _process_sections(p: Process) -> list[str]:
    lines = ["## Who is involved", "", "| Role | Kind | Members / chair |", "|---|---|---|"]
    for role in p.roles.values():
        extra = ", ".join(_role_title(p, m) for m in role.members)
        chair = chair_text(role)
        if chair:
            extra += ("; " if extra else "") + f"chair: {chair}"
        lines.append(f"| {role.title} | {role.kind} | {extra or '—'} |")
    lines.extend(["", "## Timescales", ""])
    for deadline in p.deadlines.values():
        lines.append(f"- {_deadline_line(p, deadline)}")
    lines.extend(["", "Working days are Monday to Friday except England & Wales bank holidays"
                  + (" and the partnership's closure days" if p.calendar.closures else "")
                  + "; the day of the event itself is day 0 and never counts.", ""])
    lines.extend(["## Step by step", ""])
    for number, stage_id in enumerate(stage_order(p), start=1):
        lines.extend(_stage_section(p, number, p.stages[stage_id]))
    anytime = [e for e in p.events.values() if e.anytime]
    if anytime:
        lines.extend(["## At any time", ""])
        lines.extend(f"- *{e.title}* ({_roles(p, list(e.by))})" + (f", once `{e.when.source}`" if e.when else "")
                     for e in anytime)
        lines.append("")
    if p.holds:
        lines.extend(["## Holds", "", "A hold is started, reviewed and ended with `case hold`, `case hold-review` and "
                      "`case hold-end`. While it is active the deadlines it pauses stand still and the steps it "
                      "blocks are refused; everything else (learning, interim action) goes on.", ""])
        lines.extend(_hold_line(p, h) for h in p.holds.values())
        lines.append("")
    return lines


def _partnership_sections(p: Process) -> list[str]:
    """A partnership definition: its member definitions, its themes with the recorded responses, and how its
    reports count."""
    lines = ["## Definitions of this partnership", ""]
    lines.extend(f"- `{member}`" for member in p.member_processes)
    lines.extend(["", "## Themes and the partnership's responses", ""])
    for theme in p.themes.values():
        lines.extend([f"### {theme.title} (`{theme.id}`)", ""])
        if theme.description:
            lines.extend([theme.description, ""])
        if theme.responses:  # a theme without one ends at its description: no second blank line
            lines.extend(f"- {r.as_of.isoformat() if r.as_of else 'undated'}: {r.text}" for r in theme.responses)
            lines.append("")
    return [*lines, *_reporting_lines(p.reporting)]


def _reporting_lines(reporting: Reporting | None) -> list[str]:
    """What `reviewflow report` counts for this partnership: each setting as the definition gives it, or the
    report's default (named as such) where it gives none, so staff see what the report will do."""
    r, default = reporting or Reporting(), Settings()

    def shown(value: object, fallback: object) -> str:
        chosen, note = (fallback, " (the default)") if value is None else (value, "")
        text = (", ".join(f"`{v}`" for v in chosen) or "none") if isinstance(chosen, tuple) else f"`{chosen}`"
        return text + note

    below = shown(r.suppress_below, default.suppress_below) + (f". {r.suppress_note}" if r.suppress_note else "")
    return ["## Report settings", "",
            f"- Counts below N are shown as \"<N\", with N: {below}",
            f"- A case is counted from: {shown(r.counted_from, default.counted_from)}",
            f"- Its review outcome is the field: {shown(r.outcome_field, default.outcome_field)}",
            f"- Outcomes counted as a CSPR: {shown(r.cspr, default.cspr)}",
            f"- Outcomes counted as no further review: {shown(r.no_review, default.no_review)}",
            f"- Deadlines whose timeliness is reported: {shown(r.timeliness, default.timeliness)}", ""]


def guide_markdown(process: Process) -> str:
    p = process
    lines = [f"# {p.title}", ""]
    facts = [f"Process `{p.id}` version {p.version}"]
    if p.partnership:
        facts.append(p.partnership)
    if p.extends:
        facts.append(f"extends `{p.extends}`")
    if p.effective_from:
        facts.append(f"effective from {p.effective_from.isoformat()}")
    if p.effective_to:
        facts.append(f"to {p.effective_to.isoformat()}")
    lines.extend([" · ".join(facts), ""])
    if p.description:
        lines.extend([p.description.strip(), ""])
    if p.kind == "partnership":
        lines.extend(_partnership_sections(p))
    else:
        lines.extend(_process_sections(p))
    if p.notes:
        lines.extend(["## Notes on the sources", ""])
        lines.extend(f"- {n}" for n in p.notes)
        lines.append("")
    if p.deviations:
        lines.extend(["## Recorded deviations from the base", ""])
        lines.extend(f"- `{d.item}`: {d.reason}" for d in p.deviations)
        lines.append("")
    if p.sources:
        lines.extend(["## Sources", ""])
        for source in p.sources.values():
            where = source.file or source.url or ""
            lines.append(f"- **{source.id}**: {source.title}" + (f" — {where}" if where else ""))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _hold_line(process: Process, hold: Hold) -> str:
    line = f"- **{hold.title}** (started by {_roles(process, list(hold.by))})"
    if hold.pauses:
        line += "; pauses " + ", ".join(process.deadlines[d].title if d in process.deadlines else d
                                        for d in hold.pauses)
    if hold.blocks:
        line += "; blocks " + ", ".join(_in_sentence(_event_title(process, e)) for e in hold.blocks)
    if not hold.pauses and not hold.blocks:
        line += "; recorded and reviewed, pauses and blocks nothing"
    if hold.description:
        line += f". {hold.description.strip()}"
    cite = citation_text(process, hold.cite)
    if cite:
        line += f" *Source: {cite}*"
    return line
