"""Property: replaying every event at once equals applying them one at a time (same summary)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reviewflow.engine.cases import commands as actions
from reviewflow.engine.cases.allowed import allowed_actions
from reviewflow.engine.cases.case import Case
from reviewflow.engine.cases.summary import summarize
from reviewflow.engine.errors import EngineError
from test_runtime_support import OPEN_FIELDS, full_process

OPTIONS = ("review", "none")


def _candidates(case: Case, day: date) -> list[Any]:
    """Commands that may be tried now (some will be refused: that is part of the test)."""
    out: list[Any] = []
    for a in allowed_actions(case, day):
        by = a.by[0] if a.by else "business_manager"
        if a.action == "record":
            for agency in a.agencies or (None,):
                data = {"planned_date": (day + timedelta(days=30)).isoformat()} if a.name == "publication_planned" else None
                out.append(lambda c, n=a.name, b=by, ag=agency, dt=data: actions.record(c, n, day, b, day, ag, dt))
        elif a.action in ("recommend", "decide"):
            fn = getattr(actions, a.action)
            for who in a.by:
                for option in a.options:
                    out.append(lambda c, f=fn, n=a.name, w=who, o=option: f(c, n, o, day, w, "because", day))
        elif a.action in ("extend",):
            out.append(lambda c, n=a.name, b=by: actions.extend(c, n, day, b, day, "r", working_days=2))
        elif a.action in ("pause", "resume", "waive"):
            fn = getattr(actions, a.action)
            out.append(lambda c, f=fn, n=a.name, b=by: f(c, n, day, b, day, "r"))
    out.append(lambda c: actions.note(c, day, "business_manager", "n"))
    out.append(lambda c: actions.correct(c, 1, day, "local_authority", "fix", {"agencies": ["police"]}))
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 10_000)), min_size=1, max_size=25))
def test_replay_equals_incremental_application(steps):
    process = full_process()
    day = date(2024, 3, 4)
    first = actions.open_case(process, "P-1", day, "local_authority", OPEN_FIELDS, "Child B")
    case = Case.replay(process, "P-1", [first])
    for gap, pick in steps:
        day += timedelta(days=gap)
        options = _candidates(case, day)
        try:
            event = options[pick % len(options)](case)
        except EngineError:
            continue
        case = case.apply(event)
    replayed = Case.replay(process, "P-1", case.events)
    for as_of in (day, day + timedelta(days=40)):
        assert summarize(replayed, as_of, show_personal=True) == summarize(case, as_of, show_personal=True)
    assert [e.seq for e in case.events] == list(range(1, len(case.events) + 1))
