"""A computed report (`reviewflow.engine.reports.model.Report`) as markdown, CSV and the JSON of docs/json.md.

Every count goes through `Cell.shown` (suppressed counts read "<N" or "suppressed"); nothing here sees a
case beyond its reference.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from reviewflow.engine.reports.model import Breakdown, Cell, Report, TimelinessRow

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def long_date(d: date) -> str:
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def heading(report: Report) -> str:
    who = f" — {report.partnership_title}" if report.partnership_title else ""
    return f"{report.title}, {long_date(report.period_from)} to {long_date(report.period_to)}{who}"


# -------------------------------------------------------------------------------------------- markdown


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def _breakdown_md(b: Breakdown, t: int, unit: str = "cases") -> list[str]:
    rows = [(r.label, r.cell.shown(t)) for r in b.rows]
    rows.append(("**total**", f"**{b.total.shown(t)}**"))
    return [f"**{b.title}**", "", *_table(("", unit), rows), ""]


def _late_md(row: TimelinessRow) -> list[str]:
    if not row.late_listed:
        return ["Late cases are not listed: their number is suppressed.", ""]
    if not row.late:
        return []
    lines = ["Late: " + "; ".join(f"{c.ref} {c.late_by} {c.unit}{'s' if c.late_by != 1 else ''} late"
                                  + (" (still open)" if c.status == "overdue" else "") for c in row.late), ""]
    return lines


def report_markdown(report: Report) -> str:
    t = report.threshold
    lines = [f"# {heading(report)}", "", f"As recorded by {long_date(report.as_of)}.", "",
             f"**Counting rule.** {report.counting_rule}", "", f"**Suppression.** {report.suppression_rule}", "",
             "## Rapid reviews", "",
             f"Rapid reviews in the period: **{report.rapid_reviews.shown(t)}**.", ""]
    for b in report.breakdowns:
        lines += _breakdown_md(b, t)
    lines += ["## Reviews that followed", "",
              f"Child Safeguarding Practice Reviews commissioned: **{report.cspr.shown(t)}**.", "",
              f"Local learning reviews initiated: **{report.local_reviews.shown(t)}**.", "",
              *_breakdown_md(report.outcomes, t), "## Timeliness", ""]
    for row in report.timeliness:
        lines += [f"**{row.title}** ({row.rule})", "",
                  *_table(("", "cases"), [(r.label, r.cell.shown(t)) for r in row.counts.rows]), "",
                  *_late_md(row)]
    if not report.timeliness:
        lines += ["No timeliness deadline was recorded for these cases.", ""]
    lines += ["## Cross-cutting themes and the partnership's response", ""]
    for theme in report.themes:
        lines += [f"### {theme.title}", "",
                  f"Cases: {theme.cases.shown(t)} · actions: {theme.actions.shown(t)} · learning outputs: "
                  f"{theme.outputs.shown(t)}", ""]
        if theme.description:
            lines += [theme.description, ""]
        lines += [f"- Response ({r_as_of.isoformat() if r_as_of else 'undated'}): {text}"
                  for text, r_as_of in theme.responses] or ["- No response recorded."]
        lines.append("")
    if not report.themes:
        lines += ["No theme vocabulary: name a partnership with --partnership.", ""]
    lines += ["## Actions", "", *_breakdown_md(report.actions, t, "actions"),
              f"Overdue on {long_date(report.as_of)}: **{report.actions_overdue.shown(t)}**.", "",
              "## Learning outputs and reach", "", *_breakdown_md(report.outputs, t, "outputs"),
              f"Reach: {report.sessions} sessions, {report.attendees} attendees. Issued while a source review "
              f"was still open (interim learning): {report.interim_outputs}.", ""]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------- csv


def csv_rows(report: Report) -> Iterator[tuple[str, str, str, str]]:
    """(section, item, value, note) rows: one per published figure."""
    t = report.threshold
    yield "report", "title", heading(report), ""
    yield "report", "as_of", report.as_of.isoformat(), ""
    yield "report", "counting_rule", report.counting_rule, ""
    yield "report", "suppression_rule", report.suppression_rule, ""
    yield "rapid_reviews", "total", report.rapid_reviews.shown(t), ""
    for b in (*report.breakdowns, report.outcomes):
        for r in b.rows:
            yield b.id, r.id, r.cell.shown(t), r.label
        yield b.id, "total", b.total.shown(t), ""
    yield "reviews", "cspr_commissioned", report.cspr.shown(t), ""
    yield "reviews", "local_learning_reviews", report.local_reviews.shown(t), ""
    for row in report.timeliness:
        for r in row.counts.rows:
            yield f"timeliness:{row.deadline}", r.id, r.cell.shown(t), row.title
        for c in row.late:
            yield f"timeliness:{row.deadline}", f"late:{c.ref}", str(c.late_by), f"{c.unit}s late ({c.status})"
    for theme in report.themes:
        yield f"theme:{theme.id}", "cases", theme.cases.shown(t), theme.title
        yield f"theme:{theme.id}", "actions", theme.actions.shown(t), theme.title
        yield f"theme:{theme.id}", "learning_outputs", theme.outputs.shown(t), theme.title
        for number, (text, _) in enumerate(theme.responses, start=1):
            yield f"theme:{theme.id}", f"response:{number}", text, theme.title
    for b in (report.actions, report.outputs):
        for r in b.rows:
            yield b.id, r.id, r.cell.shown(t), r.label
        yield b.id, "total", b.total.shown(t), ""
    yield "actions", "overdue", report.actions_overdue.shown(t), ""
    yield "learning", "sessions", str(report.sessions), ""
    yield "learning", "attendees", str(report.attendees), ""
    yield "learning", "interim", str(report.interim_outputs), ""


def report_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("section", "item", "value", "note"))
    writer.writerows(csv_rows(report))
    return out.getvalue()


# ------------------------------------------------------------------------------------------------ json


def _cell(c: Cell) -> dict[str, Any]:
    return c.to_json()


def _breakdown(b: Breakdown) -> dict[str, Any]:
    return {"id": b.id, "title": b.title, "total": _cell(b.total),
            "rows": [{"id": r.id, "label": r.label, **_cell(r.cell)} for r in b.rows]}


def report_json(report: Report) -> dict[str, Any]:
    return {
        "report": report.kind, "title": heading(report), "partnership": report.partnership,
        "period": {"from": report.period_from.isoformat(), "to": report.period_to.isoformat()},
        "as_of": report.as_of.isoformat(), "counting_rule": report.counting_rule,
        "suppression": {"threshold": report.threshold, "rule": report.suppression_rule},
        "rapid_reviews": _cell(report.rapid_reviews),
        "breakdowns": [_breakdown(b) for b in report.breakdowns],
        "outcomes": _breakdown(report.outcomes),
        "cspr_commissioned": _cell(report.cspr), "local_learning_reviews": _cell(report.local_reviews),
        "timeliness": [{"deadline": r.deadline, "title": r.title, "rule": r.rule, "counts": _breakdown(r.counts),
                        "late_listed": r.late_listed,
                        "late": [{"case": c.ref, "status": c.status, "due": c.due.isoformat(),
                                  "met": c.met_at.isoformat() if c.met_at else None, "late_by": c.late_by,
                                  "unit": c.unit} for c in r.late]} for r in report.timeliness],
        "themes": [{"id": th.id, "title": th.title, "description": th.description, "cases": _cell(th.cases),
                    "actions": _cell(th.actions), "learning_outputs": _cell(th.outputs),
                    "responses": [{"text": text, "as_of": d.isoformat() if d else None}
                                  for text, d in th.responses]} for th in report.themes],
        "actions": {**_breakdown(report.actions), "overdue": _cell(report.actions_overdue)},
        "learning_outputs": {**_breakdown(report.outputs), "sessions": report.sessions,
                             "attendees": report.attendees, "interim": report.interim_outputs},
    }
