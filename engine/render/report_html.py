"""A computed report as one self-contained HTML page: inline CSS, inline SVG bar charts, each chart beside
the table of the same figures (charts are `role="img"` with a title and a description; the tables carry
captions and header scopes). No script, no font, no image, no link leaves the file: it opens offline.
"""

from __future__ import annotations

from html import escape

from reviewflow.engine.render.report_text import heading, long_date
from reviewflow.engine.reports.model import Breakdown, Cell, Report, TimelinessRow

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:2rem auto;max-width:72rem;
color:#1b1b1b;line-height:1.45;padding:0 1rem;background:#fff}
h1{font-size:1.6rem;border-bottom:4px solid #1d70b8;padding-bottom:.4rem}h2{margin-top:2.2rem;color:#0b0c0c}
.rule{background:#f3f2f1;border-left:5px solid #1d70b8;padding:.6rem 1rem;margin:.8rem 0}
.pair{display:flex;flex-wrap:wrap;gap:1.5rem;align-items:flex-start;margin:1rem 0}
.pair>figure{margin:0;flex:1 1 24rem}.pair>table{flex:0 1 20rem}
table{border-collapse:collapse;margin:.4rem 0}caption{text-align:left;font-weight:600;padding:.3rem 0}
th,td{border:1px solid #b1b4b6;padding:.3rem .6rem;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
.headline{font-size:2.4rem;font-weight:700;color:#1d70b8}.muted{color:#505a5f}
.theme{border-top:1px solid #b1b4b6;padding-top:.6rem}
"""
BAR = "#1d70b8"
HIDDEN = "#b1b4b6"


def _cell(c: Cell, t: int) -> str:
    return escape(c.shown(t))


def svg_bars(b: Breakdown, t: int, chart_id: str) -> str:
    """A horizontal bar chart of a breakdown; a suppressed cell is a grey outline bar with its marker."""
    rows = b.rows
    width, label_w, bar_w, row_h = 600, 230, 300, 30
    height = row_h * len(rows) + 16
    top = max([r.cell.value for r in rows if not r.cell.suppressed] + [1])
    parts = [f'<svg width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="{chart_id}-t {chart_id}-d">',
             f'<title id="{chart_id}-t">{escape(b.title)}</title>',
             f'<desc id="{chart_id}-d">' + escape("; ".join(f"{r.label}: {r.cell.shown(t)}" for r in rows))
             + "</desc>"]
    for i, r in enumerate(rows):
        y = 8 + i * row_h
        parts.append(f'<text x="{label_w - 8}" y="{y + 19}" text-anchor="end" font-size="14" '
                     f'fill="#0b0c0c">{escape(r.label)}</text>')
        if r.cell.suppressed:
            parts.append(f'<rect x="{label_w}" y="{y + 4}" width="40" height="20" fill="none" stroke="{HIDDEN}" '
                         'stroke-dasharray="4 3"/>')
            parts.append(f'<text x="{label_w + 48}" y="{y + 19}" font-size="14" fill="#505a5f">'
                         f"{_cell(r.cell, t)}</text>")
            continue
        w = round(bar_w * r.cell.value / top) if r.cell.value else 0
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{max(w, 1)}" height="20" fill="{BAR}"/>')
        parts.append(f'<text x="{label_w + max(w, 1) + 8}" y="{y + 19}" font-size="14" fill="#0b0c0c">'
                     f"{r.cell.value}</text>")
    parts.append("</svg>")
    return "".join(parts)


def table(b: Breakdown, t: int, unit: str = "cases", total: bool = True) -> str:
    rows = "".join(f'<tr><th scope="row">{escape(r.label)}</th><td class="n">{_cell(r.cell, t)}</td></tr>'
                   for r in b.rows)
    if total:
        rows += f'<tr><th scope="row">Total</th><td class="n"><strong>{_cell(b.total, t)}</strong></td></tr>'
    return (f'<table><caption>{escape(b.title)}</caption><thead><tr><th scope="col"></th>'
            f'<th scope="col">{escape(unit)}</th></tr></thead><tbody>{rows}</tbody></table>')


def pair(b: Breakdown, t: int, chart_id: str, unit: str = "cases") -> str:
    if not b.rows:
        return f'<p class="muted">{escape(b.title)}: none in the period.</p>'
    return f'<div class="pair"><figure>{svg_bars(b, t, chart_id)}</figure>{table(b, t, unit)}</div>'


def _late(row: TimelinessRow) -> str:
    if not row.late_listed:
        return '<p class="muted">Late cases are not listed: their number is suppressed.</p>'
    if not row.late:
        return ""
    items = "".join(f"<li>{escape(c.ref)}: {c.late_by} {escape(c.unit)}{'s' if c.late_by != 1 else ''} late"
                    f"{' (still open)' if c.status == 'overdue' else ''}</li>" for c in row.late)
    return f"<p>Late:</p><ul>{items}</ul>"


def _themes(report: Report) -> str:
    t = report.threshold
    if not report.themes:
        return '<p class="muted">No theme vocabulary: name a partnership with --partnership.</p>'
    out = []
    for th in report.themes:
        responses = "".join(f"<li><span class=\"muted\">{escape(d.isoformat() if d else 'undated')}</span> "
                            f"{escape(text)}</li>" for text, d in th.responses) or "<li>No response recorded.</li>"
        desc = f"<p>{escape(th.description)}</p>" if th.description else ""
        out.append(f'<section class="theme"><h3>{escape(th.title)}</h3><p class="muted">Cases: '
                   f"{_cell(th.cases, t)} · actions: {_cell(th.actions, t)} · learning outputs: "
                   f"{_cell(th.outputs, t)}</p>{desc}<p>The partnership's response:</p><ul>{responses}</ul></section>")
    return "".join(out)


def report_html(report: Report) -> str:
    t = report.threshold
    title = heading(report)
    body = [f"<h1>{escape(title)}</h1>", f'<p class="muted">As recorded by {long_date(report.as_of)}.</p>',
            f'<p class="rule"><strong>Counting rule.</strong> {escape(report.counting_rule)}</p>',
            f'<p class="rule"><strong>Suppression.</strong> {escape(report.suppression_rule)}</p>',
            "<h2>Rapid reviews</h2>",
            f'<p><span class="headline">{_cell(report.rapid_reviews, t)}</span> rapid reviews in the period.</p>']
    body += [pair(b, t, f"chart-{b.id}") for b in report.breakdowns]
    body += ["<h2>Reviews that followed</h2>",
             f"<p>Child Safeguarding Practice Reviews commissioned: <strong>{_cell(report.cspr, t)}</strong>. "
             f"Local learning reviews initiated: <strong>{_cell(report.local_reviews, t)}</strong>.</p>",
             pair(report.outcomes, t, "chart-outcome"), "<h2>Timeliness</h2>"]
    for row in report.timeliness:
        body += [f"<h3>{escape(row.title)}</h3>", f'<p class="muted">{escape(row.rule)}</p>',
                 pair(row.counts, t, f"chart-t-{row.deadline}"), _late(row)]
    body += ["<h2>Cross-cutting themes and the partnership's response</h2>", _themes(report),
             "<h2>Actions</h2>", pair(report.actions, t, "chart-actions", "actions"),
             f"<p>Overdue on {long_date(report.as_of)}: <strong>{_cell(report.actions_overdue, t)}</strong>.</p>",
             "<h2>Learning outputs and reach</h2>", pair(report.outputs, t, "chart-outputs", "outputs"),
             f"<p>Reach: <strong>{report.sessions}</strong> sessions, <strong>{report.attendees}</strong> "
             f"attendees. Issued while a source review was still open (interim learning): "
             f"{report.interim_outputs}.</p>"]
    return ("<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body><main>"
            + "\n".join(body) + "</main></body></html>\n")
