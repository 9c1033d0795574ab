"""Case commands: check a request against the case and its definition, then return the new event.

Nothing here changes a case or touches a store: a command returns an `Event` (the caller appends it
and folds it in). Every refusal is a `RefusedError` saying exactly why, with a hint and `allowed`, the
list of what may be done now. Unknown gates and deadlines are `NotFoundError`s with a did-you-mean.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from reviewflow.engine.cases import gates as gatemod
from reviewflow.engine.cases.allowed import allowed_actions
from reviewflow.engine.cases.case import PSEUDONYM_KEY, Case
from reviewflow.engine.cases.checks import check_data, check_dates, check_role, refuse, standard_keys
from reviewflow.engine.cases.controls import (
    correct,
    extend,
    hold_end,
    hold_review,
    hold_start,
    note,
    pause,
    resume,
    waive,
)
from reviewflow.engine.definition.model import Gate, Process
from reviewflow.engine.errors import NotFoundError, RefusedError, did_you_mean
from reviewflow.engine.events import Event

REF_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")
PSEUDONYM_MAX = 40
CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def open_case(process: Process, ref: str, at: date, by: str, fields: Mapping[str, Any],
              pseudonym: str | None, actor: str | None = None) -> Event:
    """The first event of a new case (kind "opened", name `process.opens_with`).

    A case about a child needs a pseudonym; an action or a learning output (kinds about no child) has none.
    When the opening event is `planned` (an action agreed with its due date) it carries `planned_date`,
    which may not be before the day it was agreed.
    """
    if not REF_PATTERN.match(ref or ""):
        raise RefusedError(f'reference "{ref}" is not valid',
                           "1 to 64 letters, digits, '.', '_', '/' or '-', without spaces")
    _check_pseudonym(process, pseudonym)
    name = process.opens_with or "opened"
    ev = process.events.get(name)
    check_role(process, by, ev.by if ev is not None else tuple(process.roles), f'open a case ("{name}")')
    planned = ("planned_date",) if ev is not None and ev.planned else ()
    allowed = (*ev.sets, *ev.may_set, *planned) if ev is not None else tuple(process.fields)
    required = [f.id for f in process.fields.values() if f.required]
    if ev is not None:
        required += [f for f in (*ev.sets, *planned) if f not in required]
    what = f'opening a case of "{process.id}"' if process.about_a_child else f'"{name}"'
    data = check_data(process, fields, allowed, required, what)
    if planned and date.fromisoformat(data["planned_date"]) < at:
        raise RefusedError(f'the due date {data["planned_date"]} is before the day it was agreed ({at.isoformat()})',
                           "a due date is on or after the day it is agreed; to move it later, extend it")
    if pseudonym is not None:
        data[PSEUDONYM_KEY] = pseudonym
    return Event("opened", name, at, by, actor, None, data)


def _check_pseudonym(process: Process, pseudonym: str | None) -> None:
    if not process.about_a_child:
        if pseudonym is not None:
            raise RefusedError(f'a record of "{process.id}" ({process.kind.replace("_", " ")}) is about no child '
                               "and takes no pseudonym", "leave out the pseudonym; name source cases instead")
        return
    why = pseudonym_problem(pseudonym)
    if why is not None:  # never repeat it: a rejected pseudonym may be the child's real name
        raise RefusedError(f"the pseudonym is not valid: {why}",
                           f'a short pseudonym such as "Child B" (at most {PSEUDONYM_MAX} characters), '
                           "never the child's name")


def effective_refusal(process: Process, at: date) -> str | None:
    """Why a case aware on `at` may not open under `process` (its effective dates), or None."""
    if process.in_force(at):
        return None
    start, end = process.effective_from, process.effective_to
    if start and end:
        span = f"from {start.isoformat()} to {end.isoformat()}"
    else:
        span = f"from {start.isoformat()}" if start else f"until {end.isoformat() if end else ''}"
    edition = f" (it extends {process.extends})" if process.extends else ""
    return f'"{process.id}"{edition} is in force {span}; a case aware on {at.isoformat()} does not fall under it'


def pseudonym_problem(pseudonym: str | None) -> str | None:
    """What is wrong with a pseudonym, said without repeating it; None when it is fine."""
    text = pseudonym or ""
    if not text.strip():
        return "it is empty"
    if len(text) > PSEUDONYM_MAX:
        return f"it has {len(text)} characters; at most {PSEUDONYM_MAX}"
    if text != text.strip():
        return "it starts or ends with a space"
    if CONTROL_CHARACTER.search(text):
        return "it holds a line break, a tab or another control character"
    return None


def record(case: Case, name: str, at: date, by: str, as_of: date, agency: str | None = None,
           data: Mapping[str, Any] | None = None, actor: str | None = None) -> Event:
    """A recorded definition event, after every rule of the stage, role, agency, data and date."""
    process = case.process
    ev = process.events.get(name)
    if ev is None:
        raise refuse(case, f'unknown event "{name}" in process "{process.id}"',
                      did_you_mean(name, process.events), as_of)
    if name == process.opens_with:
        raise refuse(case, f'"{name}" opens the case and was recorded when it opened', None, as_of)
    check_role(process, by, ev.by, f'record "{name}"', lambda: [str(a) for a in allowed_actions(case, as_of)])
    why = case.stage_refusal(name)
    if why is not None:
        raise refuse(case, why, None, as_of)
    why = case.repeat_refusal(ev)
    if why is not None:
        raise refuse(case, why, None, as_of)
    if ev.per_agency:
        _check_agency(case, name, agency, as_of)
    elif agency is not None:
        raise refuse(case, f'"{name}" is not recorded per agency', "leave out the agency", as_of)
    may, must = standard_keys(ev.planned, ev.publication)
    allowed = (*ev.sets, *ev.may_set, *may)
    required = [*ev.sets, *must]
    clean = check_data(process, data or {}, allowed, required, f'"{name}"',
                       lambda: [str(a) for a in allowed_actions(case, as_of)])
    if "planned_date" in clean and date.fromisoformat(clean["planned_date"]) < at:
        raise refuse(case, f'planned_date {clean["planned_date"]} is before the event\'s date '
                      f"{at.isoformat()}", "a plan names a date on or after the day it is made", as_of)
    if "online_until" in clean and date.fromisoformat(clean["online_until"]) < at:
        raise refuse(case, f'online_until {clean["online_until"]} is before the publication date {at.isoformat()}',
                     None, as_of)
    why = case.field_refusal(clean)
    if why is not None:
        raise refuse(case, why, "record what the decision says, or reconsider the decision first", as_of)
    check_dates(case, at, as_of)
    event = Event("recorded", name, at, by, actor, agency, clean)
    after = case.apply(event)
    if after.last_blocked_by_guard:
        guards = " or ".join(f"{e.guard} (to {e.to})" for e in case.machine.edges(case.stage, name))
        raise refuse(case, f'"{name}" may not move the case from stage "{case.stage}": no guard holds',
                      f"the guard is {guards}; the case's fields do not satisfy it", as_of)
    _check_leaving(case, after, as_of)
    return event


def _check_agency(case: Case, name: str, agency: str | None, as_of: date) -> None:
    listed = case.fields.get(case.agency_list(name))
    members = [str(a) for a in listed] if isinstance(listed, list) else []
    if agency is None:
        raise refuse(case, f'"{name}" is recorded once per agency: give the agency',
                      f"agencies still to return: {', '.join(case.agencies_left(name)) or 'none'}", as_of)
    if agency not in members:
        raise refuse(case, f'agency "{agency}" is not one of the case\'s {case.agency_list(name)} '
                      f"({', '.join(members) or 'none listed'})", did_you_mean(agency, members), as_of)
    done = case.agency_done.get(name, {}).get(agency)
    if done is not None:
        raise refuse(case, f'"{name}" was already recorded for {agency} on {done[1].isoformat()} '
                      f"(event {done[0]})", "record a correction to change it", as_of)


def _check_leaving(case: Case, after: Case, as_of: date) -> None:
    """on_missing: block — the case may not leave a stage while a task instance is not done."""
    if after.stage == case.stage:
        return
    missing = case.blocking_tasks(as_of)
    if missing:
        names = ", ".join(f"{t.task} for {t.member}" for t in missing)
        raise refuse(case, f'the case may not leave stage "{case.stage}" while returns are missing: {names}',
                      f'record "{missing[0].done_by}" for each missing agency first', as_of)


def _gate(case: Case, gate_id: str, as_of: date) -> Gate:
    gate = case.process.gates.get(gate_id)
    if gate is None:
        raise NotFoundError(f'unknown gate "{gate_id}"', did_you_mean(gate_id, case.process.gates))
    if case.is_closed:
        raise refuse(case, f'the case is closed: stage "{case.stage}" is final', None, as_of)
    state = case.gate_state(gate.id)
    if case.stage != gate.at:
        if state.outcome is not None:
            raise refuse(case, f'gate "{gate.id}" was already decided: "{state.outcome.option}" on '
                          f'{state.outcome.at.isoformat()}; the case has moved on to stage "{case.stage}"',
                          None, as_of)
        raise refuse(case, f'gate "{gate.id}" is open only in stage "{gate.at}"; the case is in '
                      f'stage "{case.stage}"', None, as_of)
    if state.outcome is not None:
        raise refuse(case, f'gate "{gate.id}" was already decided: "{state.outcome.option}" on '
                      f"{state.outcome.at.isoformat()}", None, as_of)
    return gate


def _advisory_gate(case: Case, gate_id: str, as_of: date) -> Gate | None:
    """An advisory gate the recommender may still speak to after the decision (or in another stage)."""
    gate = case.process.gates.get(gate_id)
    if gate is None or gate.recommendation != "advisory" or case.is_closed:
        return None
    state = case.gate_state(gate.id)
    if case.stage == gate.at and not state.is_settled:
        return None  # the ordinary path
    if state.recommendation is not None:
        raise refuse(case, f'{state.recommendation.by} already gave its advisory recommendation on gate "{gate.id}" '
                     f"on {state.recommendation.at.isoformat()}", None, as_of)
    if not state.is_settled:
        return None  # not open yet: _gate says so
    return gate


def _option_and_rationale(case: Case, gate: Gate, option: str, rationale: str | None, as_of: date) -> dict:
    if gate.option(option) is None:
        raise refuse(case, f'gate "{gate.id}" has no option "{option}"',
                      did_you_mean(option, [o.id for o in gate.options]), as_of)
    if gate.rationale_required and not (rationale or "").strip():
        raise refuse(case, f'gate "{gate.id}" requires a rationale', "give --rationale TEXT", as_of)
    return {"option": option, "rationale": rationale}


def recommend(case: Case, gate: str, option: str, at: date, by: str, rationale: str | None,
              as_of: date, actor: str | None = None) -> Event:
    """A recommendation; an `advisory` one may also come after the decision, once (no longer holding it up)."""
    g = _advisory_gate(case, gate, as_of) or _gate(case, gate, as_of)
    if g.recommended_by is None:
        raise refuse(case, f'gate "{g.id}" takes no recommendation', "decide it directly", as_of)
    check_role(case.process, by, (g.recommended_by,), f'recommend on gate "{g.id}"',
               lambda: [str(a) for a in allowed_actions(case, as_of)])
    state = case.gate_state(g.id)
    if g.recommendation == "advisory" and state.recommendation is not None and state.decisions:
        raise refuse(case, f'{state.recommendation.by} already gave its advisory recommendation on gate "{g.id}" '
                      f"on {state.recommendation.at.isoformat()}", None, as_of)
    if g.recommendation == "required" and state.decisions:
        raise refuse(case, f'decisions on gate "{g.id}" have begun: the recommendation can no longer change',
                      None, as_of)
    data = _option_and_rationale(case, g, option, rationale, as_of)
    check_dates(case, at, as_of)
    return Event("recommended", g.id, at, by, actor, None, data)


def decide(case: Case, gate: str, option: str, at: date, by: str, rationale: str | None,
           as_of: date, actor: str | None = None) -> Event:
    """A party's decision, or the dispute decider's when the parties disagree."""
    g = _gate(case, gate, as_of)
    state = case.gate_state(g.id)
    parties = gatemod.parties(case.process, g)
    dispute_by = g.dispute.decided_by if g.dispute else None
    if g.recommended_by and state.recommendation is None and g.recommendation == "required":
        raise refuse(case, f'gate "{g.id}" needs a recommendation from {g.recommended_by} before a decision',
                      None, as_of)
    rec = state.recommendation
    if g.separation_of_duties and rec is not None:
        if by == rec.by:
            raise refuse(case, f'separation of duties: {by} recommended on gate "{g.id}" and may not decide it',
                          f"the decision is for {', '.join(parties)}", as_of)
        if actor is not None and actor == rec.actor:
            raise refuse(case, f'separation of duties: {actor} made the recommendation on gate "{g.id}" '
                          "and may not decide it", "another person must decide for this role", as_of)
    kind = "decided"
    if by == dispute_by and by not in parties:
        if not state.disputed:
            raise refuse(case, f"{by} decides gate \"{g.id}\" only when {', '.join(parties)} disagree",
                          None, as_of)
        kind = "dispute_decided"
    elif by not in parties:
        check_role(case.process, by, parties + ((dispute_by,) if state.disputed and dispute_by else ()),
                   f'decide gate "{g.id}"', lambda: [str(a) for a in allowed_actions(case, as_of)])
    data = _option_and_rationale(case, g, option, rationale, as_of)
    check_dates(case, at, as_of)
    event = Event(kind, g.id, at, by, actor, None, data)
    after = case.apply(event)
    _check_leaving(case, after, as_of)
    return event


def reconsider(case: Case, gate: str, prompted_by: int | str, at: date, by: str, reason: str | None,
               as_of: date, actor: str | None = None) -> Event:
    """Re-open a settled decision (the gate's `reconsider`), naming the recorded event that prompted it.

    `prompted_by` is that event's seq, or its name (the latest occurrence). The superseding decision then
    follows the gate's ordinary rules; the settled one stays in the gate's history."""
    g = case.process.gates.get(gate)
    if g is None:
        raise NotFoundError(f'unknown gate "{gate}"', did_you_mean(gate, case.process.gates))
    if case.is_closed:
        raise refuse(case, f'the case is closed: stage "{case.stage}" is final', None, as_of)
    if g.reconsider is None:
        raise refuse(case, f'gate "{g.id}" is not re-openable: its decision is final',
                     "the definition gives the gate no `reconsider:`", as_of)
    state = case.gate_state(g.id)
    if not state.is_settled or state.outcome is None:
        raise refuse(case, f'gate "{g.id}" is not decided yet: decide it, there is nothing to reconsider', None, as_of)
    if case.stage != g.at:
        raise refuse(case, f'gate "{g.id}" can be reconsidered only in stage "{g.at}"; the case is in stage '
                     f'"{case.stage}"', None, as_of)
    check_role(case.process, by, g.reconsider.by, f'reconsider gate "{g.id}"',
               lambda: [str(a) for a in allowed_actions(case, as_of)])
    text = (reason or "").strip()
    if not text:
        raise refuse(case, "a reconsideration needs a reason", "give --reason TEXT", as_of)
    seq = _prompt(case, g, prompted_by, state.outcome.seq, as_of)
    check_dates(case, at, as_of)
    return Event("reopened", g.id, at, by, actor, None, {"reason": text, "prompted_by": seq})


def _prompt(case: Case, gate: Gate, prompted_by: int | str, settled_seq: int, as_of: date) -> int:
    """The seq of the prompting event: one of the gate's `prompted_by`, recorded after it was settled."""
    assert gate.reconsider is not None
    names = gate.reconsider.prompted_by
    hits = [(seq, name) for name in names for seq, _ in case.occurrences.get(name, ()) if seq > settled_seq]
    listed = ", ".join(names)
    if isinstance(prompted_by, str) and not prompted_by.isdigit():
        if prompted_by not in names:
            raise refuse(case, f'"{prompted_by}" does not prompt a reconsideration of gate "{gate.id}"',
                         f"it may be prompted by: {listed}", as_of)
        found = [seq for seq, name in hits if name == prompted_by]
        if not found:
            raise refuse(case, f'no "{prompted_by}" has been recorded since gate "{gate.id}" was decided '
                         f"(event {settled_seq})", None, as_of)
        return max(found)
    seq = int(prompted_by)
    if not any(seq == s for s, _ in hits):
        raise refuse(case, f"event {seq} does not prompt a reconsideration of gate \"{gate.id}\"",
                     f"name an event recorded after the decision (event {settled_seq}) that is one of: {listed}",
                     as_of)
    return seq


def dispute_hint(case: Case, gate: Gate) -> str:
    """Said after a decision leaves the parties disagreeing (for callers that report the state)."""
    if gate.dispute is not None:
        return f"the parties disagree: {gate.dispute.decided_by} now decides"
    return "the parties disagree and there is no dispute path: a party must change its decision by deciding again"


__all__ = ["open_case", "record", "recommend", "decide", "reconsider", "extend", "pause", "resume", "waive",
           "correct", "note", "dispute_hint", "hold_start", "hold_review", "hold_end", "effective_refusal"]
