"""The stable, JSON-ready view of a case (docs/json.md, `case show --format json`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from reviewflow.engine.cases import gates as gatemod
from reviewflow.engine.cases import publication
from reviewflow.engine.cases.allowed import allowed_actions
from reviewflow.engine.cases.case import Case


def summarize(case: Case, as_of: date, show_personal: bool = False) -> dict[str, Any]:
    """Stage, fields, what is allowed now, deadlines, tasks, gates, notifications, holds and publication.

    Fields the definition marks personal are left out unless `show_personal` is given.
    """
    process = case.process
    stage = process.stages[case.stage] if case.stage else None
    personal = process.personal_fields()
    return {
        "case": case.ref,
        "pseudonym": case.pseudonym,
        "process": process.id,
        "version": process.version,
        "as_of": as_of.isoformat(),
        "opened": case.opened_at.isoformat() if case.opened_at else None,
        "stage": {"id": stage.id, "title": stage.title, "owner": stage.owner} if stage else None,
        "closed": case.is_closed,
        "outcome": case.outcome(),
        "fields": {k: v for k, v in case.fields.items() if show_personal or k not in personal},
        "allowed": [a.to_dict() for a in allowed_actions(case, as_of)],
        "deadlines": [d.to_dict() for d in case.deadlines(as_of)],
        "tasks": [t.to_dict() for t in case.tasks(as_of)],
        "gates": [gatemod.summary(process, g, case.gate_state(g.id), case.stage) for g in process.gates.values()],
        "notifications": [n.to_dict() for n in case.notifications],
        "holds": [h.to_dict() for h in case.holds],
        "publication": publication.record(case),
    }
