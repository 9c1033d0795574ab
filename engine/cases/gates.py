"""Decision gates: the fold of recommendation and decision events into a gate's state.

Rules (facts.md §7, D-7):
- single: one decision by `decided_by` settles the gate.
- all: each member of the `decided_by` body decides; unanimity settles it, a disagreement once every
  member has decided is a dispute.
- majority: an option chosen by more than half of the members settles it; if every member has decided
  and no option has a majority, it is a dispute.
A party may change its decision by deciding again until the gate is settled (its latest decision counts).
In a dispute, the gate's `dispute.decided_by` role settles it (kind "dispute_decided"); without a
dispute path the parties must re-decide until they agree.

A gate with `reconsider:` may be re-opened once settled (kind "reopened", with a reason and the seq of the
event that prompted it, e.g. the Panel's letter): the settled round moves into `rounds` (never lost) and
a new round starts, with the same recommend/decide/dispute rules. An `advisory` recommendation may come
before or after the decision; it never holds the decision up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from reviewflow.engine.definition.model import Gate, Process
from reviewflow.engine.events import Event
from reviewflow.engine.values import build, evolve


@dataclass(frozen=True)
class Vote:
    by: str
    option: str
    at: date
    seq: int
    actor: str | None = None
    rationale: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"by": self.by, "option": self.option, "at": self.at.isoformat(), "seq": self.seq,
                "actor": self.actor, "rationale": self.rationale}


@dataclass(frozen=True)
class Reopening:
    """Why a settled decision was re-opened: the event that did it and the event that prompted it."""

    seq: int
    at: date
    by: str
    reason: str
    prompted_by: int  # seq of the prompting event (e.g. the Panel's response)
    prompted_name: str

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "at": self.at.isoformat(), "by": self.by, "reason": self.reason,
                "prompted_by": {"seq": self.prompted_by, "event": self.prompted_name}}


@dataclass(frozen=True)
class GateState:
    gate: str
    recommendation: Vote | None = None
    decisions: dict[str, Vote] = field(default_factory=dict)  # party role -> its latest decision
    disputed: bool = False
    outcome: Vote | None = None  # the vote that settled the gate (its `by` may be the dispute decider)
    settled_by: str | None = None  # "single" | "all" | "majority" | "dispute"
    reopened: Reopening | None = None  # what started this round (None for the first)
    rounds: tuple[GateState, ...] = ()  # earlier, superseded rounds, oldest first

    @property
    def is_settled(self) -> bool:
        return self.outcome is not None

    def round_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome.option if self.outcome else None,
                "decided_at": self.outcome.at.isoformat() if self.outcome else None,
                "settled_by": self.settled_by,
                "recommendation": self.recommendation.to_dict() if self.recommendation else None,
                "decisions": [v.to_dict() for v in self.decisions.values()],
                "reopened": self.reopened.to_dict() if self.reopened else None}


def reopen(state: GateState, event: Event, prompted_name: str) -> GateState:
    """A new round after a settled one; the settled round is kept in `rounds`."""
    settled = replace(state, rounds=())
    reopening = Reopening(event.seq, event.at, event.by, str(event.data.get("reason", "")),
                          int(event.data.get("prompted_by", 0)), prompted_name)
    return GateState(state.gate, reopened=reopening, rounds=(*state.rounds, settled))


def parties(process: Process, gate: Gate) -> tuple[str, ...]:
    """Who decides: the decided_by role (single), or each member of that body (all/majority)."""
    if gate.rule == "single":
        return (gate.decided_by,)
    role = process.roles.get(gate.decided_by)
    return role.members if role is not None and role.members else (gate.decided_by,)


def _vote(event: Event) -> Vote:
    return build(Vote, by=event.by, option=str(event.data.get("option")), at=event.at, seq=event.seq,
                 actor=event.actor, rationale=event.data.get("rationale"))


def _settle(process: Process, gate: Gate, decisions: dict[str, Vote]) -> tuple[str | None, bool]:
    """(settled option or None, disputed) for the decisions so far."""
    who = parties(process, gate)
    votes = [decisions[p].option for p in who if p in decisions]
    if gate.rule == "single":
        return (votes[0] if votes else None), False
    if gate.rule == "majority":
        for option in dict.fromkeys(votes):
            if votes.count(option) * 2 > len(who):
                return option, False
        return None, len(votes) == len(who)
    if len(votes) < len(who):
        return None, False
    if len(set(votes)) == 1:
        return votes[0], False
    return None, True


def fold(process: Process, state: GateState, event: Event) -> GateState:
    """The gate's state after one of its events ("recommended", "decided", "dispute_decided")."""
    gate = process.gates[event.name]
    vote = _vote(event)
    if event.kind == "recommended":
        return evolve(state, recommendation=vote)
    if event.kind == "dispute_decided":
        return evolve(state, outcome=vote, settled_by="dispute", disputed=False)
    decisions = dict(state.decisions)
    decisions[event.by] = vote
    option, disputed = _settle(process, gate, decisions)
    if option is not None:
        return evolve(state, decisions=decisions, outcome=evolve(vote, option=option),
                       settled_by=gate.rule, disputed=False)
    return evolve(state, decisions=decisions, disputed=disputed)


def status(gate: Gate, state: GateState, stage: str) -> str:
    if state.is_settled:
        return "decided"
    if stage != gate.at:
        return "not_open"
    if state.disputed:
        return "disputed"
    if gate.recommended_by and state.recommendation is None and gate.recommendation == "required":
        return "awaiting_recommendation"
    return "awaiting_decision"


def summary(process: Process, gate: Gate, state: GateState, stage: str) -> dict[str, Any]:
    return {
        "id": gate.id,
        "title": gate.title,
        "at": gate.at,
        "rule": gate.rule,
        "status": status(gate, state, stage),
        "recommended_by": gate.recommended_by,
        "parties": list(parties(process, gate)),
        "dispute_decided_by": gate.dispute.decided_by if gate.dispute else None,
        "recommendation": state.recommendation.to_dict() if state.recommendation else None,
        "decisions": [v.to_dict() for v in state.decisions.values()],
        "outcome": state.outcome.option if state.outcome else None,
        "decided_at": state.outcome.at.isoformat() if state.outcome else None,
        "settled_by": state.settled_by,
        "recommendation_kind": gate.recommendation,
        "reconsiderable": gate.reconsider is not None,
        "reopened": state.reopened.to_dict() if state.reopened else None,
        "history": [r.round_dict() for r in state.rounds],
    }


def fixed_values(process: Process, states: Mapping[str, GateState],
                 field_id: str) -> tuple[tuple[Any, ...], str, str, int] | None:
    """(allowed values, gate, option, seq) when a standing decision fixes `field_id` (its option's `sets`);
    the latest settled decision wins."""
    found = None
    for gate_id, state in states.items():
        gate = process.gates.get(gate_id)
        if gate is None or state.outcome is None:
            continue
        option = gate.option(state.outcome.option)
        if option is not None and field_id in option.sets and (found is None or state.outcome.seq > found[3]):
            found = (option.sets[field_id], gate_id, option.id, state.outcome.seq)
    return found


def field_refusal(process: Process, states: Mapping[str, GateState], data: Mapping[str, Any]) -> str | None:
    """Why event data may not set a field that a standing decision fixes, or None."""
    for key, value in data.items():
        fixed = fixed_values(process, states, key)
        if fixed is not None and value not in fixed[0]:
            allowed = " or ".join(f'"{v}"' for v in fixed[0])
            return (f'{key} "{value}" disagrees with the decision on {fixed[1]} ({fixed[2]}, event {fixed[3]}): '
                    f"{key} must be {allowed} while that decision stands")
    return None
