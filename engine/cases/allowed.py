"""What may be done on a case now: the list `Case.allowed` returns and every refusal repeats.

Events: allowed by the stage (see reviewflow.engine.cases.case), not exhausted by their repeat rule, with agencies
left for per-agency events, and at least one transition guard holding on the current fields.
Gates: recommend (while no recommendation and no decision; an advisory recommendation also after the
decision, once), decide (the parties; in a dispute also the dispute decider), reconsider (a settled,
re-openable gate in its stage once a prompting event was recorded after the decision). Holds: hold
(start), hold-review and hold-end. Deadlines: extend / pause / resume / waive for open instances, by
their authority.
A note may always be added; a correction while the case has events that carry data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from reviewflow.engine.cases import gates as gatemod
from reviewflow.engine.cases import holds as holdmod
from reviewflow.engine.cases.case import Case


@dataclass(frozen=True)
class Action:
    """One thing that may be done now (for `allowed`, refusals and the summary)."""

    action: str  # record | recommend | decide | reconsider | hold | hold-review | hold-end | extend | pause |
    #              resume | waive | note | correct
    name: str  # event, gate or deadline id ("" for note/correct)
    by: tuple[str, ...] = ()
    agencies: tuple[str, ...] = ()
    options: tuple[str, ...] = ()

    def __str__(self) -> str:
        text = f"{self.action} {self.name}".rstrip()
        if self.agencies:
            text += f" --agency {'|'.join(self.agencies)}"
        if self.options:
            text += f" ({'|'.join(self.options)})"
        if self.by:
            text += f" by {', '.join(self.by)}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "name": self.name, "by": list(self.by),
                "agencies": list(self.agencies), "options": list(self.options), "text": str(self)}


_last: tuple[Case, int, date, list[Action]] | None = None  # the case state last asked about, and the answer
_computed = 0  # how many lists were worked out (a refused write works its list out once: tests check it)


def computed() -> int:
    return _computed


def allowed_actions(case: Case, as_of: date) -> list[Action]:
    """What may be done on `case` now. Asked again about the same case, unchanged, on the same day (a
    refusal's message and the list the service gives it), the answer is reused, not worked out again;
    a case changes only by folding an event, which lengthens `events`."""
    global _last, _computed
    if _last is not None and _last[0] is case and _last[1] == len(case.events) and _last[2] == as_of:
        return list(_last[3])
    _computed += 1
    found = _work_out(case, as_of)
    _last = (case, len(case.events), as_of, found)
    return list(found)


def _work_out(case: Case, as_of: date) -> list[Action]:
    out: list[Action] = []
    if not case.events:
        return out
    if not case.is_closed:
        out.extend(_events(case))
        out.extend(_gates(case))
        out.extend(_advisory(case))
        out.extend(_holds(case))
        out.extend(_deadlines(case, as_of))
    roles = tuple(case.process.roles)
    out.append(Action("note", "", roles))
    out.append(Action("correct", "", ()))
    return out


def _events(case: Case) -> list[Action]:
    out: list[Action] = []
    blocked = bool(case.blocking_tasks(case.last_at or date.min))
    for ev in case.process.events.values():
        if ev.id == case.process.opens_with or case.stage_refusal(ev.id) or case.repeat_refusal(ev):
            continue
        if not case.guard_allows(ev.id):
            continue
        if blocked and _leaves(case, ev.id):
            continue
        agencies: tuple[str, ...] = ()
        if ev.per_agency:
            agencies = tuple(case.agencies_left(ev.id))
            if not agencies:
                continue
        out.append(Action("record", ev.id, ev.by, agencies))
    return out


def _leaves(case: Case, name: str) -> bool:
    edge = case.machine.fire(case.stage, name, case.context())
    return edge is not None and edge.to is not None and edge.to != case.stage


def _gates(case: Case) -> list[Action]:
    gate = case.process.gate_at(case.stage)
    if gate is None:
        return []
    state = case.gate_state(gate.id)
    options = tuple(o.id for o in gate.options)
    if state.is_settled:
        if gate.reconsider is not None and state.outcome is not None and any(
                seq > state.outcome.seq for name in gate.reconsider.prompted_by
                for seq, _ in case.occurrences.get(name, ())):
            return [Action("reconsider", gate.id, gate.reconsider.by)]
        return []
    if gate.recommended_by and state.recommendation is None and gate.recommendation == "required":
        return [Action("recommend", gate.id, (gate.recommended_by,), (), options)]
    deciders = gatemod.parties(case.process, gate)
    if state.disputed and gate.dispute is not None:
        deciders = (*deciders, gate.dispute.decided_by)
    out = [Action("decide", gate.id, deciders, (), options)]
    if gate.recommended_by and (not state.decisions or (gate.recommendation == "advisory"
                                                         and state.recommendation is None)):
        out.insert(0, Action("recommend", gate.id, (gate.recommended_by,), (), options))
    return out


def _advisory(case: Case) -> list[Action]:
    """Advisory recommendations still to be given on gates already decided (or passed by)."""
    out = []
    for gate in case.process.gates.values():
        state = case.gate_state(gate.id)
        if (gate.recommendation == "advisory" and gate.recommended_by and state.is_settled
                and state.recommendation is None):
            out.append(Action("recommend", gate.id, (gate.recommended_by,), (), tuple(o.id for o in gate.options)))
    return out


def _holds(case: Case) -> list[Action]:
    out = []
    active = {s.kind for s in holdmod.active(case.holds)}
    for hold in case.process.holds.values():
        if hold.id in active:
            out.append(Action("hold-review", hold.id, hold.by))
            out.append(Action("hold-end", hold.id, hold.by))
        else:
            out.append(Action("hold", hold.id, hold.by))
    return out


def _deadlines(case: Case, as_of: date) -> list[Action]:
    out: list[Action] = []
    for inst in case.deadlines(as_of):
        if not inst.is_open:
            continue
        authority = case.authority(case.process.deadlines[inst.id])
        if inst.status == "paused":
            if authority.pause:
                out.append(Action("resume", inst.id, authority.pause))
            continue
        if authority.extend:
            out.append(Action("extend", inst.id, authority.extend))
        if authority.pause:
            out.append(Action("pause", inst.id, authority.pause))
        if authority.waive:
            out.append(Action("waive", inst.id, authority.waive))
    return out
