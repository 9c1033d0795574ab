"""The facts a report counts, read from the records in the store as they stood on `as_of`.

Only the fields a report may show are read (the breakdown fields, themes, the outcome field) and the
deadlines it reports on; personal fields are never copied out. Which records belong to a report: those of
the partnership's definitions (`processes:` of a kind: partnership definition), or every record when no
partnership is named and none can be inferred.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from reviewflow.engine.cases.case import Case
from reviewflow.engine.cases.deadlines import calendar_for_process, working_days_in
from reviewflow.engine.definition.model import Process
from reviewflow.engine.errors import NotFoundError, RefusedError, did_you_mean
from reviewflow.engine.oversight.records import OversightService, replay_until
from reviewflow.engine.oversight.views import action_view
from reviewflow.engine.reports.model import (
    BREAKDOWN_FIELDS,
    ActionFact,
    CaseFact,
    Dimension,
    OutputFact,
    ReportInput,
    Settings,
    ThemeFact,
    Timeliness,
)
from reviewflow.engine.service import CaseService, Progress

TITLES = {"scrutiny": "Review processes", "yearly": "Yearly report: learning from serious incidents"}


@dataclass(frozen=True)
class ReportRequest:
    kind: str  # scrutiny | yearly
    period_from: date
    period_to: date
    as_of: date | None = None  # default: the end of the period
    partnership: str | None = None
    suppress_below: int | None = None  # overrides the partnership's setting


def settings_for(partnership: Process | None, suppress_below: int | None, titles: dict[str, str]) -> Settings:
    base = Settings()
    r = partnership.reporting if partnership is not None else None
    chosen = Settings(
        suppress_below=suppress_below if suppress_below is not None else
        (r.suppress_below if r and r.suppress_below is not None else base.suppress_below),
        suppress_note=(r.suppress_note if r and suppress_below is None else None),
        counted_from=(r.counted_from if r and r.counted_from else base.counted_from),
        outcome_field=(r.outcome_field if r and r.outcome_field else base.outcome_field),
        cspr=(r.cspr if r and r.cspr is not None else base.cspr),
        no_review=(r.no_review if r and r.no_review is not None else base.no_review),
        timeliness=(r.timeliness if r and r.timeliness is not None else base.timeliness))
    return Settings(**{**chosen.__dict__,
                       "counted_from_title": titles.get(chosen.counted_from, chosen.counted_from)})


def case_fact(case: Case, settings: Settings, as_of: date) -> CaseFact:
    hit = case.first.get(settings.counted_from)
    outcome = case.fields.get(settings.outcome_field)
    return CaseFact(case.ref, case.pseudonym, case.process.id, hit[1] if hit else None,
                    {f: _text(case.fields.get(f)) for f in BREAKDOWN_FIELDS if f in case.process.fields},
                    tuple(str(t) for t in case.fields.get("themes") or ()),
                    str(outcome) if outcome is not None else None, _timeliness(case, settings, as_of))


def _timeliness(case: Case, settings: Settings, as_of: date) -> tuple[Timeliness, ...]:
    out = []
    cal = calendar_for_process(case.process)
    for deadline_id in settings.timeliness:
        if deadline_id not in case.process.deadlines:
            continue
        inst = case.deadline(deadline_id, as_of)
        if inst is None:
            continue
        end = inst.met_at if inst.status == "met_late" else as_of if inst.status == "overdue" else None
        working = inst.unit == "working_days"
        late = None
        if end is not None:
            late = working_days_in(cal, inst.due, end) if working else (end - inst.due).days
        out.append(Timeliness(inst.id, inst.title, inst.rule, inst.due, inst.met_at, inst.status, late,
                              "working day" if working else "calendar day"))
    return tuple(out)


def gather(svc: CaseService, request: ReportRequest, progress: Progress | None = None) -> ReportInput:
    """Everything the report needs, as plain facts; `progress(done, total)` after each record read."""
    as_of = request.as_of or request.period_to
    if request.period_to < request.period_from:
        raise RefusedError(f"the period ends ({request.period_to.isoformat()}) before it starts "
                           f"({request.period_from.isoformat()})", "give --from before --to")
    rows = svc.cases(kinds=None)
    partnership = _partnership(svc, request.partnership, {r.process_id for r in rows})
    if partnership is not None:
        rows = [r for r in rows if r.process_id in partnership.member_processes]
    cases: list[CaseFact] = []
    actions: list[ActionFact] = []
    definitions: dict[str, Process] = {}
    replayed: list[Case] = []
    for done, row in enumerate(rows, start=1):
        if row.opened_at <= as_of:
            case = replay_until(svc, row, as_of)
            definitions.setdefault(case.process.id, case.process)
            replayed.append(case)
        if progress is not None:
            progress(done, len(rows))
    titles = {e.id: e.title for p in definitions.values() for e in p.events.values()}
    settings = settings_for(partnership, request.suppress_below, titles)
    for case in replayed:
        if case.process.kind == "case":
            cases.append(case_fact(case, settings, as_of))
        elif case.process.kind == "action_plan":
            v = action_view(case, as_of)
            actions.append(ActionFact(v.ref, v.plan, v.overseen_by, v.agreed, v.due, v.status, v.overdue,
                                      tuple(v.get("themes") or ()), tuple(v.from_cases)))
    members = set(partnership.member_processes) if partnership else None
    outputs = [OutputFact(o.ref, o.issued, str(o.fields.get("output_kind")), o.sessions, o.attendees,
                          tuple(o.fields.get("themes") or ()), o.interim)
               for o in OversightService(svc).outputs(request.period_from, request.period_to)
               if members is None or o.definition in members]
    kinds = [p for p in definitions.values() if p.kind == "case"]
    statuses = next((tuple(p.stages) for p in definitions.values() if p.kind == "action_plan"),
                    ("open", "completed", "closed"))
    return ReportInput(
        request.kind, TITLES.get(request.kind, "Report"), partnership.id if partnership else None,
        partnership.title if partnership else None, request.period_from, request.period_to, as_of, settings,
        _dimensions(kinds), tuple(cases), tuple(actions), tuple(outputs), _themes(partnership), statuses)


def _partnership(svc: CaseService, wanted: str | None, stored: set[str]) -> Process | None:
    ids = svc.registry.ids_of_kind("partnership")
    if wanted is not None:
        if wanted not in ids:
            raise NotFoundError(f'no partnership definition has the id "{wanted}"',
                                did_you_mean(wanted, ids) or f"partnerships: {', '.join(ids) or 'none found'}")
        process = svc.current(wanted).process
        assert process is not None
        return process
    found = []
    for pid in ids:
        process = svc.current(pid).process
        if process is not None and stored & set(process.member_processes):
            found.append(process)
    return found[0] if len(found) == 1 else None


def _dimensions(processes: list[Process]) -> tuple[Dimension, ...]:
    out = []
    for field_id in BREAKDOWN_FIELDS:
        field = next((p.fields[field_id] for p in processes if field_id in p.fields), None)
        if field is not None:
            out.append(Dimension(field_id, field.title, field.values))
    return tuple(out)


def _themes(partnership: Process | None) -> tuple[ThemeFact, ...]:
    if partnership is None:
        return ()
    return tuple(ThemeFact(t.id, t.title, t.description, tuple((r.text, r.as_of) for r in t.responses))
                 for t in partnership.themes.values())


def _text(value: object) -> str | None:
    return None if value is None else str(value)
