"""Shared helpers for the runtime tests (no tests here): the full-language definition and a driver."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from reviewflow.engine.cases import commands as actions
from reviewflow.engine.cases.case import Case
from reviewflow.engine.definition.loader import default_registry, load_path
from reviewflow.engine.definition.model import Process

FULL = Path(__file__).parent / "definitions" / "valid" / "full_language.yaml"

_loaded: dict[str, Process] = {}


def full_process() -> Process:
    if "full" not in _loaded:
        result = load_path(FULL, default_registry())
        assert result.ok, result.diagnostics
        assert result.process is not None
        _loaded["full"] = result.process
    return _loaded["full"]


def with_gate(process: Process, **changes: Any) -> Process:
    gates = dict(process.gates)
    gates["review_decision"] = replace(gates["review_decision"], **changes)
    return replace(process, gates=gates, text_hash=process.text_hash + "-gate-" + repr(sorted(changes)))


def with_deadline(process: Process, deadline_id: str, **changes: Any) -> Process:
    deadlines = dict(process.deadlines)
    deadlines[deadline_id] = replace(deadlines[deadline_id], **changes)
    return replace(process, deadlines=deadlines, text_hash=process.text_hash + "-dl-" + repr(sorted(changes)))


OPEN_FIELDS = {"harm": "died", "abuse_suspected": True, "agencies": ["police", "health"]}


class WeekdayCalendar:
    """A stub calendar: Monday to Friday are working days, nothing else is special."""

    provenance = "weekdays only (test stub)"

    def is_working_day(self, d: date) -> bool:
        return d.weekday() < 5

    def non_working_reason(self, d: date) -> str | None:
        return None if d.weekday() < 5 else "weekend"

    def add_working_days(self, d: date, n: int) -> date:
        step = 1 if n >= 0 else -1
        left = abs(n)
        while left:
            d += timedelta(days=step)
            left -= self.is_working_day(d)
        return d

    def add_calendar_days(self, d: date, n: int, roll_forward: bool = False) -> date:
        d += timedelta(days=n)
        while roll_forward and not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def add_months(self, d: date, n: int) -> date:
        import calendar

        month = d.month - 1 + n
        year, month = d.year + month // 12, month % 12 + 1
        return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))

    def explain_working_days(self, d: date, n: int) -> Any:
        raise NotImplementedError

    def is_provisional(self, d: date) -> bool:
        return False


class Driver:
    """Runs commands against a case, folding each event in; `today` is the as_of of every command."""

    def __init__(self, process: Process | None = None, opened: date = date(2024, 3, 4),
                 fields: dict[str, Any] | None = None, calendar: Any = None) -> None:
        self.process = process or full_process()
        first = actions.open_case(self.process, "CASE-1", opened, "local_authority",
                                  fields if fields is not None else OPEN_FIELDS, "Child B")
        self.case = Case.replay(self.process, "CASE-1", [first], calendar)
        self.today = opened

    def at(self, day: date) -> Driver:
        self.today = max(self.today, day)
        return self

    def record(self, name: str, by: str, day: date | None = None, **kw: Any) -> Case:
        day = day or self.today
        self.at(day)
        self.case = self.case.apply(actions.record(self.case, name, day, by, self.today, **kw))
        return self.case

    def do(self, command: str, *args: Any, day: date | None = None, **kw: Any) -> Case:
        """recommend/decide: (gate, option, by, rationale); extend/pause/resume/waive: (deadline, by, reason)."""
        day = day or self.today
        self.at(day)
        fn = getattr(actions, command)
        if command in ("recommend", "decide"):
            gate, option, by, rationale = args
            event = fn(self.case, gate, option, day, by, rationale, self.today, **kw)
        else:
            deadline, by, reason = args
            event = fn(self.case, deadline, day, by, self.today, reason, **kw)
        self.case = self.case.apply(event)
        return self.case

    def to_decision(self, day: date = date(2024, 3, 15)) -> Case:
        self.record("notified_panel", "local_authority", date(2024, 3, 5))
        self.record("information_requested", "business_manager", date(2024, 3, 6))
        self.record("scoping_returned", "agency", date(2024, 3, 7), agency="police")
        self.record("scoping_returned", "agency", date(2024, 3, 8), agency="health")
        return self.record("meeting_held", "business_manager", day)
