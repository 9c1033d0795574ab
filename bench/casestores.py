"""Stores of many Leeds rapid-review cases for the benchmarks, written through the public API.

Each case is ten events (opened, the RAG's recommendation and the local authority's decision to notify,
the Panel notified, information requested, three agencies' scoping returns, scoping shared, the rapid
review meeting), made by the engine's own case commands on the bundled `leeds-rapid-review` definition
and written with `Store.open_case` / `Store.append` together with the open-deadline projection the
engine computes. Start dates are spread over a year (52 weekly templates, each replayed once), so
`due` sees deadlines on many days and in every status.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from reviewflow.engine.cases import commands as actions
from reviewflow.engine.cases.case import PSEUDONYM_KEY, Case
from reviewflow.engine.cases.projection import deadline_rows
from reviewflow.engine.definition.loader import default_registry, load_path
from reviewflow.engine.store import open_store

PROCESS = "leeds-rapid-review"
FIRST = date(2024, 1, 8)
TEMPLATES = 52


def definition() -> tuple[Any, dict[str, str]]:
    registry = default_registry()
    path = registry.path_for(PROCESS)
    assert path is not None
    result = load_path(path, registry)
    assert result.process is not None, result.diagnostics
    return result.process, result.bundle


def template(process: Any, start: date) -> tuple[list[Any], list[Any], str]:
    """The ten events of one case opened on `start`, its deadline rows after them, and its stage."""
    def d(days: int) -> date:
        return start + timedelta(days=days)

    first = actions.open_case(process, "T", start, "local_authority",
                              {"harm": "seriously_harmed", "abuse_or_neglect": True,
                               "agencies": ["police", "health", "education"]}, "Child B")
    case = Case.replay(process, "T", [first])
    steps = [
        lambda c: actions.recommend(c, "notification_decision", "notify", d(0), "rag", "serious harm", d(0)),
        lambda c: actions.decide(c, "notification_decision", "notify", d(0), "local_authority", "s16C", d(0)),
        lambda c: actions.record(c, "notified_panel", d(1), "local_authority", d(1)),
        lambda c: actions.record(c, "information_requested", d(2), "business_manager", d(2)),
        *[_returned(agency, d(6 + i)) for i, agency in enumerate(("police", "health", "education"))],
        lambda c: actions.record(c, "scoping_shared", d(9), "business_manager", d(9)),
        lambda c: actions.record(c, "rapid_review_meeting_held", d(14), "rag", d(14)),
    ]
    for step in steps:
        case = case.apply(step(case))
    return case.events, deadline_rows(case, d(14)), case.stage


def _returned(agency: str, on: date) -> Any:
    return lambda c: actions.record(c, "scoping_template_returned", on, "relevant_agency", on, agency=agency)


def build(path: Path, cases: int, progress: bool = True) -> dict[str, Any]:
    """A store at `path` holding `cases` cases of ten events each; returns what a benchmark needs to know."""
    process, bundle = definition()
    templates = [template(process, FIRST + timedelta(days=7 * k)) for k in range(TEMPLATES)]
    with open_store(str(path)) as store:
        store.save_definition(process.text_hash, process.id, process.version, bundle)
        for i in range(cases):
            events, rows, stage = templates[i % TEMPLATES]
            ref = f"LEEDS-{i:07d}"
            # The case row repeats the opening event's pseudonym: reads refuse a row that differs from its events.
            store.open_case(ref, process.id, process.text_hash, events[0].data[PSEUDONYM_KEY], events[0], stage="aware",
                            partnership="leeds")
            store.append(ref, events[1:], expected_last_seq=1, stage=stage, closed=False,
                         deadlines=[replace(r, case_ref=ref) for r in rows])
            if progress and i and i % 10_000 == 0:
                print(f"  ... {i:,} cases written", flush=True)
    return {"cases": cases, "events": cases * len(templates[0][0]), "ref": "LEEDS-0000000",
            "rows_per_case": sum(len(t[1]) for t in templates) / TEMPLATES,
            "as_of": (FIRST + timedelta(days=200)).isoformat()}
