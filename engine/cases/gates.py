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
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from reviewflow.engine.definition.model import Gate, Process
from reviewflow.engine.events import Event


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
class GateState:
    gate: str
    recommendation: Vote | None = None
    decisions: dict[str, Vote] = field(default_factory=dict)  # party role -> its latest decision
    disputed: bool = False
    outcome: Vote | None = None  # the vote that settled the gate (its `by` may be the dispute decider)
    settled_by: str | None = None  # "single" | "all" | "majority" | "dispute"

    @property
    def is_settled(self) -> bool:
        return self.outcome is not None


def parties(process: Process, gate: Gate) -> tuple[str, ...]:
    """Who decides: the decided_by role (single), or each member of that body (all/majority)."""
    if gate.rule == "single":
        return (gate.decided_by,)
    role = process.roles.get(gate.decided_by)
    return role.members if role is not None and role.members else (gate.decided_by,)


def _vote(event: Event) -> Vote:
    return Vote(event.by, str(event.data.get("option")), event.at, event.seq, event.actor,
                event.data.get("rationale"))


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
        return replace(state, recommendation=vote)
    if event.kind == "dispute_decided":
        return replace(state, outcome=vote, settled_by="dispute", disputed=False)
    decisions = dict(state.decisions)
    decisions[event.by] = vote
    option, disputed = _settle(process, gate, decisions)
    if option is not None:
        return replace(state, decisions=decisions, outcome=replace(vote, option=option),
                       settled_by=gate.rule, disputed=False)
    return replace(state, decisions=decisions, disputed=disputed)


def status(gate: Gate, state: GateState, stage: str) -> str:
    if state.is_settled:
        return "decided"
    if stage != gate.at:
        return "not_open"
    if state.disputed:
        return "disputed"
    if gate.recommended_by and state.recommendation is None:
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
    }
