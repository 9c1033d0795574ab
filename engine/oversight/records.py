"""Actions and learning outputs through the case service: add, update, assess, close, list.

Each write is one event appended by `CaseService` (one transaction, the hash chain, the `due` projection),
after the checks a person needs to hear in words: an action needs an owner (an agency and a role, never a
person's name), a due date on or after the day it is agreed, source cases that exist; an impact assessment
needs the action first and cannot be dated before it. The event ids are the national bases' (see
`reviewflow.engine.oversight.views`); `case record` writes any other event of a local definition.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from reviewflow.engine.calendar.rules import base_dates
from reviewflow.engine.cases.case import Case
from reviewflow.engine.cases.deadlines import calendar_for_process
from reviewflow.engine.cases.write_report import WriteReport
from reviewflow.engine.definition.model import DeadlineRule, Process, Unit
from reviewflow.engine.errors import NotFoundError, RefusedError, did_you_mean
from reviewflow.engine.limits import too_many_digits
from reviewflow.engine.oversight.views import ActionView, OutputView, action_view, due_instance, output_view
from reviewflow.engine.service import CaseService, Progress
from reviewflow.engine.store.types import CaseRow

_WITHIN = re.compile(r"^\s*(\d+)\s+(working\s+days?|calendar\s+days?|days?|months?)\s*$", re.IGNORECASE)
KIND_WORDS = {"case": "case", "action_plan": "action", "learning": "learning output"}


def parse_within(text: str) -> tuple[Unit, int]:
    """"20 working days", "30 calendar days" (or "30 days"), "3 months" → (unit, n)."""
    match = _WITHIN.match(text or "")
    if match is None:
        raise RefusedError(f'"{text}" is not a timescale', 'write e.g. "20 working days", "30 calendar days" '
                           'or "3 months"')
    if too_many_digits(match.group(1)):  # int() of 5,000 digits is a ValueError (#14)
        raise RefusedError(f"the timescale has a number of {len(match.group(1)):,} digits",
                           'write e.g. "20 working days", "30 calendar days" or "3 months"')
    n, word = int(match.group(1)), match.group(2).lower()
    unit: Unit = "months" if word.startswith("month") else "working_days" if word.startswith("working") \
        else "calendar_days"
    if n < 1:
        raise RefusedError(f'"{text}" is not a timescale', "a timescale is at least 1 day or month")
    return unit, n


def due_from(process: Process, agreed: date, within: str) -> date:
    """The due date `within` after `agreed`, on the definition's working-day calendar (day 0 never counts)."""
    unit, n = parse_within(within)
    _, due = base_dates(calendar_for_process(process), DeadlineRule(unit, n, "agreed"), agreed)
    return due


@dataclass(frozen=True)
class ActionRequest:
    """What `action add` asks for; the owner and the due date are checked here, the rest by the definition."""

    finding: str | None
    owner_agency: str | None
    owner_role: str | None
    due: date | None = None
    within: str | None = None
    answers: str | None = None
    from_cases: Sequence[str] = ()
    from_review: str | None = None
    success_criteria: str | None = None
    themes: Sequence[str] = ()


@dataclass(frozen=True)
class OutputRequest:
    output_kind: str | None
    title: str | None
    audience: str | None
    channel: str | None
    from_cases: Sequence[str] = ()
    from_review: str | None = None
    themes: Sequence[str] = ()
    sessions: int | None = None
    attendees: int | None = None


class OversightService:
    """Actions and learning outputs over a `CaseService` (its store, definitions and calendar)."""

    def __init__(self, cases: CaseService) -> None:
        self.svc = cases

    # ------------------------------------------------------------------------------------- checks

    def _definition(self, process_id: str, kind: str) -> Process:
        process = self.svc.current(process_id).process
        assert process is not None
        if process.kind != kind:
            wanted = [i for i in self.svc.registry.ids() if self.svc.registry.kind_of(i) == kind]
            raise RefusedError(f'"{process_id}" is a definition of kind "{process.kind}", not "{kind}"',
                               f"use one of: {', '.join(wanted) or 'none found'}")
        return process

    def record(self, ref: str, kind: str) -> Case:
        """The replayed record `ref`, which must be of `kind` (an action, a learning output)."""
        word = KIND_WORDS.get(kind, kind)
        try:
            case, row = self.svc.case(ref)
        except NotFoundError:
            refs = [r.ref for r in self.svc.cases(kinds=(kind,))]
            raise NotFoundError(f'there is no {word} "{ref}"',
                                did_you_mean(ref, refs) or f"add it first: reviewflow {_add(kind)}") from None
        if case.process.kind != kind:
            raise RefusedError(f'"{ref}" is a {KIND_WORDS.get(case.process.kind, case.process.kind)}, not {_a(word)}',
                               f"use `reviewflow {_list(case.process.kind)}` for it")
        return case

    def _check_sources(self, from_cases: Sequence[str]) -> list[str]:
        known = {r.ref: r for r in self.svc.cases(kinds=None)}
        out = []
        for ref in from_cases:
            row = known.get(ref)
            if row is None:
                cases = [r for r in known.values() if self.svc.kind_of(r) == "case"]
                raise RefusedError(f'source case "{ref}" is not in the store',
                                   did_you_mean(ref, [r.ref for r in cases]) or
                                   "name cases by their reference (reviewflow cases), or a review with --from-review")
            if self.svc.kind_of(row) != "case":
                raise RefusedError(f'"{ref}" is {_a(KIND_WORDS[self.svc.kind_of(row)])}, not a case',
                                   "source cases are case references (reviewflow cases)")
            out.append(ref)
        return out

    def _check_dated(self, case: Case, at: date, doing: str) -> None:
        if case.opened_at is not None and at < case.opened_at:
            word = KIND_WORDS.get(case.process.kind, "record")
            raise RefusedError(f"{doing} is dated {at.isoformat()}, before the {word} {case.ref} was "
                               f"{'agreed' if word == 'action' else 'issued'} ({case.opened_at.isoformat()})",
                               f"date it on or after {case.opened_at.isoformat()}")

    # ------------------------------------------------------------------------------------ actions

    def add_action(self, plan_id: str, ref: str, at: date, by: str, as_of: date, request: ActionRequest,
                   actor: str | None = None) -> WriteReport:
        process = self._definition(plan_id, "action_plan")
        if not (request.owner_agency or "").strip() or not (request.owner_role or "").strip():
            raise RefusedError("an action needs an owner: an agency and a role (never a person's name)",
                               'give --owner-agency AGENCY and --owner-role "ROLE", e.g. --owner-agency police '
                               '--owner-role "Head of Public Protection"')
        if not (request.finding or "").strip():
            raise RefusedError("an action answers a finding or recommendation", 'give --finding "TEXT"')
        if (request.due is None) == (request.within is None):
            raise RefusedError("an action needs a due date: give either --due DATE or --within TIMESCALE",
                               'e.g. --due 2023-06-30, or --within "3 months" / "20 working days"')
        if not request.from_cases and not request.from_review:
            raise RefusedError("an action comes from a case or a review",
                               'give --from-case REF (repeatable) or --from-review "NAME" (a thematic review, '
                               "an audit)")
        due = request.due or due_from(process, at, request.within or "")
        fields: dict[str, Any] = {"finding": request.finding, "owner_agency": request.owner_agency,
                                  "owner_role": request.owner_role, "planned_date": due.isoformat()}
        optional = {"answers": request.answers, "from_review": request.from_review,
                    "success_criteria": request.success_criteria, "timescale": request.within,
                    "from_cases": self._check_sources(request.from_cases) or None,
                    "themes": list(request.themes) or None}
        fields.update({k: v for k, v in optional.items() if v})
        return self.svc.open(plan_id, ref, at, by, fields, None, actor, as_of)

    def update_action(self, ref: str, at: date, by: str, as_of: date, *, progress: str | None = None,
                      evidence: str | None = None, completed: bool = False, extend_to: date | None = None,
                      reason: str | None = None, actor: str | None = None) -> WriteReport:
        """One change: progress, evidence, completion, or a new due date (an extension, with a reason)."""
        case = self.record(ref, "action_plan")
        chosen = [n for n, v in (("--progress", progress), ("--evidence", evidence), ("--completed", completed),
                                 ("--extend-to", extend_to)) if v]
        if len(chosen) != 1:
            raise RefusedError("an update records one thing: " + (", ".join(chosen) if chosen else "nothing given"),
                               "give one of --progress TEXT, --evidence TEXT, --completed, --extend-to DATE")
        self._check_dated(case, at, "the update")
        if extend_to is not None:
            due = due_instance(case, as_of)
            if due is None:
                raise RefusedError(f"action {ref} has no due date to extend", None)
            return self.svc.extend(ref, due.id, at, by, as_of, reason, to=extend_to)
        if progress:
            return self.svc.record(ref, "progress_reported", at, by, as_of, data={"progress": progress}, actor=actor)
        if evidence:
            return self.svc.record(ref, "evidence_added", at, by, as_of, data={"evidence": evidence}, actor=actor)
        return self.svc.record(ref, "action_completed", at, by, as_of, actor=actor)

    def assess(self, ref: str, at: date, by: str, as_of: date, rating: str | None, narrative: str | None,
               actor: str | None = None) -> WriteReport:
        case = self.record(ref, "action_plan")
        self._check_dated(case, at, "the impact assessment")
        if not rating or not (narrative or "").strip():
            values = case.process.fields.get("impact_rating")
            raise RefusedError("an impact assessment needs a rating and a narrative",
                               f"give --rating ({'|'.join(values.values) if values else 'RATING'}) and "
                               '--narrative "TEXT"')
        return self.svc.record(ref, "impact_assessed", at, by, as_of,
                               data={"impact_rating": rating, "impact_narrative": narrative}, actor=actor)

    def close(self, ref: str, at: date, by: str, as_of: date, closure: str, note: str | None,
              actor: str | None = None) -> WriteReport:
        case = self.record(ref, "action_plan")
        self._check_dated(case, at, "the closure")
        data: dict[str, Any] = {"closure": closure}
        if note:
            data["closure_note"] = note
        return self.svc.record(ref, "action_closed", at, by, as_of, data=data, actor=actor)

    def actions(self, as_of: date, *, body: str | None = None, owner: str | None = None,
                status: str | None = None, overdue: bool = False, case: str | None = None,
                plan: str | None = None, progress: Progress | None = None) -> list[ActionView]:
        """Every action (as it stood on `as_of`), filtered, soonest due first.

        A filter value that no action plan has (a role, an agency, a stage, a case) is refused with a
        did-you-mean, so that a typo is not answered as "no actions"."""
        replayed = self._replayed("action_plan", as_of, plan, progress)
        processes = {c.process.text_hash: c.process for c in replayed}.values()
        _check_filter("--body", body, {r for p in processes for r in p.roles})
        _check_filter("--owner", owner, {str(v) for p in processes for v in _field_values(p, "owner_agency")}
                      | {str(c.fields.get("owner_agency")) for c in replayed})
        _check_filter("--status", status, {s for p in processes for s in p.stages})
        _check_filter("--case", case, {r.ref for r in self.svc.cases()} if case is not None else set())
        views = [action_view(c, as_of) for c in replayed]
        keep = [v for v in views
                if (body is None or v.overseen_by == body) and (owner is None or v.get("owner_agency") == owner)
                and (status is None or v.status == status) and (not overdue or v.overdue)
                and (case is None or case in v.from_cases)]
        return sorted(keep, key=lambda v: (v.due or date.max, v.ref))

    # ---------------------------------------------------------------------------- learning outputs

    def add_output(self, definition_id: str, ref: str, at: date, by: str, as_of: date, request: OutputRequest,
                   actor: str | None = None) -> WriteReport:
        self._definition(definition_id, "learning")
        missing = [o for o, v in (("--kind", request.output_kind), ("--title", request.title),
                                  ("--audience", request.audience), ("--channel", request.channel)) if not v]
        if missing:
            raise RefusedError(f"a learning output needs {', '.join(missing)}",
                               "say what it is, who it is for and how it reaches them")
        fields: dict[str, Any] = {"output_kind": request.output_kind, "title": request.title,
                                  "audience": request.audience, "channel": request.channel}
        optional = {"from_cases": self._check_sources(request.from_cases) or None,
                    "from_review": request.from_review, "themes": list(request.themes) or None,
                    "sessions": request.sessions, "attendees": request.attendees}
        fields.update({k: v for k, v in optional.items() if v is not None})
        return self.svc.open(definition_id, ref, at, by, fields, None, actor, as_of)

    def record_reach(self, ref: str, at: date, by: str, as_of: date, sessions: int, attendees: int,
                     actor: str | None = None) -> WriteReport:
        case = self.record(ref, "learning")
        self._check_dated(case, at, "the reach")
        return self.svc.record(ref, "reach_recorded", at, by, as_of,
                               data={"sessions": sessions, "attendees": attendees}, actor=actor)

    def outputs(self, date_from: date | None = None, date_to: date | None = None, *, kind: str | None = None,
                case: str | None = None, progress: Progress | None = None) -> list[OutputView]:
        """Learning outputs issued in [date_from, date_to], oldest first, with their reach.

        A `kind` or `case` that no learning definition or stored case has is refused with a did-you-mean."""
        views = []
        stages: dict[tuple[str, date], bool] = {}
        replayed = self._replayed("learning", date_to, None, progress)
        _check_filter("--kind", kind, {str(v) for c in replayed for v in _field_values(c.process, "output_kind")}
                      | {str(c.fields.get("output_kind")) for c in replayed})
        _check_filter("--case", case, {r.ref for r in self.svc.cases()} if case is not None else set())
        for c in replayed:
            assert c.opened_at is not None
            if (date_from and c.opened_at < date_from) or (date_to and c.opened_at > date_to):
                continue
            sources = [str(r) for r in c.fields.get("from_cases") or []]
            interim = any(self._open_on(r, c.opened_at, stages) for r in sources)
            views.append(output_view(c, interim))
        keep = [v for v in views if (kind is None or v.fields.get("output_kind") == kind)
                and (case is None or case in v.from_cases)]
        return sorted(keep, key=lambda v: (v.issued, v.ref))

    def _open_on(self, ref: str, on: date, memo: dict[tuple[str, date], bool]) -> bool:
        """Whether case `ref`'s review was still open (not in a final stage) on `on`."""
        key = (ref, on)
        if key not in memo:
            try:
                memo[key] = not replay_until(self.svc, self.svc.store.case(ref), on).is_closed
            except NotFoundError:
                memo[key] = False
        return memo[key]

    # -------------------------------------------------------------------------------------- shared

    def _replayed(self, kind: str, until: date | None, process_id: str | None,
                  progress: Progress | None) -> list[Case]:
        rows = self.svc.cases(process_id, kinds=(kind,))
        out = []
        for done, row in enumerate(rows, start=1):
            if until is None or row.opened_at <= until:
                out.append(replay_until(self.svc, row, until))
            if progress is not None:
                progress(done, len(rows))
        return out


def _field_values(process: Process, field_id: str) -> tuple[str, ...]:
    found = process.fields.get(field_id)
    return found.values if found is not None else ()


def _check_filter(option: str, value: str | None, known: set[str]) -> None:
    """A filter naming nothing known is a typo (#14): refuse it, naming what it could be. With nothing
    recorded there is nothing to filter, and "none" is the right answer."""
    if value is not None and known and value not in known:
        raise NotFoundError(f'{option} {value} names nothing recorded or defined here',
                            did_you_mean(value, known))


def replay_until(svc: CaseService, row: CaseRow, until: date | None) -> Case:
    """A record as it stood at the end of `until` (every event when None): a fold of its events so far."""
    events = [s.event for s in svc.store.events(row.ref)]
    if until is not None:
        events = [e for e in events if e.at <= until]
    return Case.replay(svc.process_for(row.definition_hash), row.ref, events)


def _a(word: str) -> str:
    return ("an " if word[:1] in "aeiou" else "a ") + word


def _add(kind: str) -> str:
    return {"action_plan": "action add PLAN REF …", "learning": "learning add DEFINITION REF …"}.get(kind,
                                                                                                    "case open …")


def _list(kind: str) -> str:
    return {"action_plan": "actions", "learning": "learning list"}.get(kind, "case show REF")


