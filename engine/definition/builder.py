"""Build the frozen `reviewflow.engine.definition.model.Process` from a resolved, schema-valid definition.

Structure was already checked by the schema, so this module only does what the schema cannot:
turn ISO strings into real calendar dates, parse every guard, and attach to each element the
Location where it was written (through the overlay's provenance). Every problem is collected;
a definition with any error yields no Process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from types import MappingProxyType
from typing import Any, TypeVar, cast

from reviewflow.engine.calendar.table import FIRST_SUPPORTED, LAST_SUPPORTED
from reviewflow.engine.dates import iso_date_or_none
from reviewflow.engine.definition.guards import expressions
from reviewflow.engine.definition.model import (
    Authority,
    Basis,
    CalendarSpec,
    ChairRotation,
    Citation,
    Closure,
    Deadline,
    DeadlineRule,
    Deviation,
    Dispute,
    EventDef,
    Field,
    Gate,
    GateOption,
    Hold,
    Process,
    Reconsider,
    Reminder,
    Reporting,
    Role,
    Source,
    Stage,
    Task,
    Theme,
    ThemeResponse,
    Transition,
    Unit,
    Weight,
    frozen_map,
)
from reviewflow.engine.definition.overlay import PathKey, Resolved
from reviewflow.engine.errors import CodeInfo, Diagnostic, Location, Severity

BAD_DATE = CodeInfo("L104", "bad-date", Severity.ERROR, "A date that does not exist in the calendar (e.g. 2023-02-30).")
EXPRESSION_SYNTAX = CodeInfo("X501", "expression-syntax", Severity.ERROR,
                             "A guard (when / applies_when) that is not in the guard language.")
CODES = (BAD_DATE, EXPRESSION_SYNTAX)

_UNITS = ("working_days", "calendar_days", "months")
_PUBLICATION = ("planned", "published", "taken_down", "disclosed")
T = TypeVar("T")


class _Builder:
    def __init__(self, resolved: Resolved) -> None:
        self.r = resolved
        self.data = resolved.data
        self.problems: list[Diagnostic] = []

    # -- small readers ---------------------------------------------------------------------------

    def at(self, path: PathKey) -> Location:
        return self.r.key_locate(path)

    def entries(self, parent: dict[str, Any], path: PathKey, build: Callable[[str, dict[str, Any], PathKey], T],
                ) -> dict[str, T]:
        items = parent.get(str(path[-1])) if path else None
        out: dict[str, T] = {}
        if isinstance(items, dict):
            for key, value in items.items():
                if isinstance(value, dict):
                    out[key] = build(key, value, (*path, key))
        return out

    def date(self, value: Any, path: PathKey) -> date | None:
        if value is None:
            return None
        parsed = iso_date_or_none(value)
        if parsed is None:
            text = str(value)
            self.problems.append(BAD_DATE.diagnostic(
                f'"{text}" is not a real calendar date', self.r.locate(path),
                'write an existing date as "YYYY-MM-DD", e.g. "2024-02-29" (leap year) or "2023-02-28"'))
        return parsed

    def guard(self, value: Any, path: PathKey) -> expressions.Expression | None:
        if not isinstance(value, str):
            return None
        where = self.r.locate(path)
        try:
            return expressions.parse(value, where)
        except expressions.ExpressionError as exc:
            shown = value if len(value) <= 80 else value[:77] + "…"  # a runaway guard is not repeated whole
            self.problems.append(EXPRESSION_SYNTAX.diagnostic(
                f"{exc.message} in guard '{shown}'", self._column(where, path, exc.column), exc.hint))
            return None

    def _column(self, where: Location, path: PathKey, column: int) -> Location:
        """Point inside the guard: the YAML value starts at `where`, maybe with a quote first."""
        text = self.r.origin(path).text
        lines = text.splitlines()
        if where.line <= 0 or where.col <= 0 or where.line > len(lines):
            return where
        line = lines[where.line - 1]
        first = line[where.col - 1:where.col]
        if first in ("|", ">"):
            return where  # a block scalar: the guard is on the following lines
        skip = 1 if first in ("'", '"') else 0
        return Location(where.file, where.line, where.col + skip + column - 1)

    def cite(self, value: Any, path: PathKey) -> Citation | None:
        if not isinstance(value, dict) or "source" not in value:
            return None
        basis = value.get("basis")
        return Citation(
            source=str(value["source"]),
            section=_str(value.get("section")),
            basis=Basis(str(basis)) if basis in Basis._value2member_map_ else None,
            note=_str(value.get("note")),
            confidence=value.get("confidence") if value.get("confidence") in ("C", "I", "U") else None,
            location=self.r.locate(path),
        )

    # -- elements --------------------------------------------------------------------------------

    def source(self, sid: str, d: dict[str, Any], path: PathKey) -> Source:
        return Source(sid, str(d.get("title", sid)), _str(d.get("file")), _str(d.get("url")), self.at(path))

    def role(self, rid: str, d: dict[str, Any], path: PathKey) -> Role:
        chair: str | ChairRotation | None = _str(d.get("chair"))
        raw = d.get("chair")
        if isinstance(raw, dict):
            starting = self.date(raw.get("starting"), (*path, "chair", "starting"))
            chair = ChairRotation(_strs(raw.get("rotates")), int(raw.get("every_months", 12)),
                                  starting) if starting else None
        return Role(rid, str(d.get("title", rid)), d.get("kind", "officer"), _str(d.get("description")),
                    _strs(d.get("members")), chair, _str(d.get("replaces")), bool(d.get("mandatory", False)),
                    self.cite(d.get("cite"), (*path, "cite")), self.at(path))

    def field(self, fid: str, d: dict[str, Any], path: PathKey) -> Field:
        return Field(fid, str(d.get("title", fid)), d.get("type", "string"), _strs(d.get("values")),
                     bool(d.get("personal", False)), bool(d.get("required", False)),
                     _str(d.get("description")), _str(d.get("vocabulary")), self.at(path))

    def event(self, eid: str, d: dict[str, Any], path: PathKey) -> EventDef:
        publication = d.get("publication")
        return EventDef(eid, str(d.get("title", eid)), _strs(d.get("by")), _strs(d.get("sets")),
                        _strs(d.get("may_set")), bool(d.get("repeat", False)), bool(d.get("per_agency", False)),
                        bool(d.get("anytime", False)), bool(d.get("planned", False)),
                        _str(d.get("description")), self.cite(d.get("cite"), (*path, "cite")), self.at(path),
                        self.guard(d.get("when"), (*path, "when")),
                        publication if publication in _PUBLICATION else None)

    def hold(self, hid: str, d: dict[str, Any], path: PathKey) -> Hold:
        return Hold(hid, str(d.get("title", hid)), _strs(d.get("by")), _strs(d.get("pauses")),
                    _strs(d.get("blocks")), _str(d.get("description")), self.cite(d.get("cite"), (*path, "cite")),
                    self.at(path))

    def rule(self, d: dict[str, Any] | None, path: PathKey, window: bool = False) -> DeadlineRule | None:
        if not isinstance(d, dict):
            return None
        if "date" in d:
            fixed = self.date(d.get("date"), (*path, "date"))
            opens = self.data.get("opens_with")
            opening = str(opens) if isinstance(opens, str) else "opened"
            return DeadlineRule("date", 0, opening, location=self.r.locate(path), fixed=fixed) if fixed else None
        unit = next((u for u in _UNITS if u in d), None)
        direction = "before" if "before" in d else "after"
        anchor = d.get(direction)
        if unit is None or not isinstance(anchor, str):
            return None
        amount = d[unit]
        if window and isinstance(amount, list) and len(amount) == 2:
            n, n_to = int(amount[0]), int(amount[1])
        else:
            n, n_to = int(amount), None
        return DeadlineRule(cast(Unit, unit), n, anchor, "before" if direction == "before" else "after", n_to,
                            "forward" if d.get("roll") == "forward" else "none", self.r.locate(path))

    def stage(self, sid: str, d: dict[str, Any], path: PathKey) -> Stage:
        transitions = []
        for i, t in enumerate(d.get("on") or []):
            if isinstance(t, dict):
                tp = (*path, "on", i)
                transitions.append(Transition(str(t.get("event")), str(t.get("to")),
                                              self.guard(t.get("when"), (*tp, "when")), self.r.locate(tp)))
        tasks = self.entries(d, (*path, "tasks"), self.task)
        return Stage(sid, str(d.get("title", sid)), _str(d.get("owner")), _str(d.get("description")),
                     bool(d.get("initial", False)), bool(d.get("final", False)), _str(d.get("outcome")),
                     tuple(transitions), tuple(tasks.values()), bool(d.get("mandatory", False)),
                     self.cite(d.get("cite"), (*path, "cite")), self.at(path))

    def task(self, tid: str, d: dict[str, Any], path: PathKey) -> Task:
        return Task(tid, str(d.get("title", tid)), str(d.get("per", "agencies")), str(d.get("done_by")),
                    self.rule(d.get("due"), (*path, "due")),
                    "block" if d.get("on_missing") == "block" else "proceed", self.at(path))

    def authority(self, d: Any) -> Authority | None:
        if not isinstance(d, dict):
            return None
        return Authority(_strs(d.get("extend")), _strs(d.get("pause")), _strs(d.get("waive")))

    def deadline(self, did: str, d: dict[str, Any], path: PathKey) -> Deadline:
        if "window" in d:
            rule = self.rule(d.get("window"), (*path, "window"), window=True)
        else:
            rule = self.rule(d.get("due"), (*path, "due"))
        weight = d.get("weight", "guidance")
        reminders = tuple(Reminder(int(r["working_days_before"])) for r in d.get("reminders") or []
                          if isinstance(r, dict) and "working_days_before" in r)
        return Deadline(
            did, str(d.get("title", did)),
            rule or DeadlineRule("working_days", 0, "", location=self.at(path)),
            _strs(d.get("met_by")),
            Weight(weight) if weight in Weight._value2member_map_ else Weight.GUIDANCE,
            self.guard(d.get("applies_when"), (*path, "applies_when")),
            reminders, _str(d.get("escalate_to")), self.authority(d.get("authority")),
            bool(d.get("mandatory", False)), bool(d.get("locked", False)), _str(d.get("description")),
            self.cite(d.get("cite"), (*path, "cite")), self.at(path), _str(d.get("ruling")))

    def option(self, oid: str, o: dict[str, Any], path: PathKey) -> GateOption:
        notify = _strs(o.get("notify"))
        raw = o.get("notified_by")
        notified_by: dict[str, str] = {}
        if isinstance(raw, str):
            notified_by = {recipient: raw for recipient in notify}
        elif isinstance(raw, dict):
            notified_by = {str(k): str(v) for k, v in raw.items() if isinstance(v, str)}
        sets: dict[str, tuple[Any, ...]] = {}
        for key, value in (o.get("sets") or {}).items():
            if value is not None:
                sets[str(key)] = tuple(value) if isinstance(value, list) else (value,)
        return GateOption(oid, str(o.get("title", oid)), _str(o.get("to")), notify, _str(o.get("notify_note")),
                          self.at(path), frozen_map(sets), frozen_map(notified_by))

    def gate(self, gid: str, d: dict[str, Any], path: PathKey) -> Gate:
        options = self.entries(d, (*path, "options"), self.option)
        dispute = d.get("dispute")
        raw = d.get("reconsider")
        reconsider = (Reconsider(_strs(raw.get("by")), _strs(raw.get("prompted_by")),
                                 self.r.locate((*path, "reconsider")))
                      if isinstance(raw, dict) else None)
        return Gate(
            gid, str(d.get("title", gid)), str(d.get("at")), str(d.get("decided_by")), tuple(options.values()),
            _str(d.get("question")), _strs(d.get("criteria")), _str(d.get("recommended_by")),
            d.get("rule", "single"),
            Dispute(str(dispute["decided_by"]), self.r.locate((*path, "dispute")))
            if isinstance(dispute, dict) and "decided_by" in dispute else None,
            bool(d.get("separation_of_duties", True)), bool(d.get("rationale_required", True)),
            bool(d.get("mandatory", False)), self.cite(d.get("cite"), (*path, "cite")), self.at(path),
            "advisory" if d.get("recommendation") == "advisory" else "required", reconsider)

    def theme(self, tid: str, d: dict[str, Any], path: PathKey) -> Theme:
        responses = []
        for i, r in enumerate(d.get("responses") or []):
            if isinstance(r, dict):
                rp = (*path, "responses", i)
                responses.append(ThemeResponse(str(r.get("text", "")), self.date(r.get("as_of"), (*rp, "as_of")),
                                               self.cite(r.get("cite"), (*rp, "cite"))))
        return Theme(tid, str(d.get("title", tid)), _str(d.get("description")), tuple(responses),
                     self.cite(d.get("cite"), (*path, "cite")), self.at(path))

    def reporting(self) -> Reporting | None:
        d = self.data.get("reporting")
        if not isinstance(d, dict):
            return None
        listed = {key: _strs(d[key]) if key in d else None for key in ("cspr", "no_review", "timeliness")}
        below = d.get("suppress_below")
        return Reporting(int(below) if isinstance(below, int) else None, _str(d.get("suppress_note")),
                         _str(d.get("counted_from")), _str(d.get("outcome_field")), **listed)

    def closures(self, key: str) -> tuple[Closure, ...]:
        out = []
        cal = self.data.get("calendar") or {}
        for i, item in enumerate(cal.get(key) or []):
            if isinstance(item, dict):
                day = self.date(item.get("date"), ("calendar", key, i, "date"))
                if day is not None and not FIRST_SUPPORTED <= day <= LAST_SUPPORTED:
                    self.problems.append(BAD_DATE.diagnostic(
                        f'"{day.isoformat()}" is outside the calendar reviewflow counts working days in '
                        f"({FIRST_SUPPORTED.isoformat()} to {LAST_SUPPORTED.isoformat()})",
                        self.r.locate(("calendar", key, i, "date")), "check the year"))
                    continue
                if day is not None:
                    out.append(Closure(day, str(item.get("name", "")), self.r.locate(("calendar", key, i))))
        return tuple(out)

    def deviations(self) -> Iterator[Deviation]:
        for i, d in enumerate(self.data.get("deviations") or []):
            if isinstance(d, dict):
                path = ("deviations", i)
                yield Deviation(str(d.get("item")), str(d.get("reason", "")), _str(d.get("approved_by")),
                                self.date(d.get("approved_on"), (*path, "approved_on")), self.r.locate(path))

    def process(self, text_hash: str) -> Process:
        d = self.data
        cal = d.get("calendar") or {}
        return Process(
            id=str(d.get("id")), title=str(d.get("title", d.get("id"))), version=str(d.get("version", "")),
            language=int(d.get("reviewflow", 1)), kind=d.get("kind", "case"),
            partnership=_str(d.get("partnership")),
            description=_str(d.get("description")),
            effective_from=self.date(d.get("effective_from"), ("effective_from",)),
            effective_to=self.date(d.get("effective_to"), ("effective_to",)),
            extends=_str(d.get("extends")), opens_with=_str(d.get("opens_with")),
            notes=_strs(d.get("notes")),
            sources=cast(Any, frozen_map(self.entries(d, ("sources",), self.source))),
            calendar=CalendarSpec(str(cal.get("region", "england-and-wales")), self.closures("closures"),
                                  self.closures("extra_holidays")),
            roles=cast(Any, frozen_map(self.entries(d, ("roles",), self.role))),
            fields=cast(Any, frozen_map(self.entries(d, ("fields",), self.field))),
            events=cast(Any, frozen_map(self.entries(d, ("events",), self.event))),
            stages=cast(Any, frozen_map(self.entries(d, ("stages",), self.stage))),
            deadlines=cast(Any, frozen_map(self.entries(d, ("deadlines",), self.deadline))),
            gates=cast(Any, frozen_map(self.entries(d, ("gates",), self.gate))),
            holds=cast(Any, frozen_map(self.entries(d, ("holds",), self.hold))),
            deadline_authority=self.authority(d.get("deadline_authority")) or Authority(),
            deviations=tuple(self.deviations()),
            overseen_by=_str(d.get("overseen_by")), member_processes=_strs(d.get("processes")),
            themes=cast(Any, frozen_map(self.entries(d, ("themes",), self.theme))),
            reporting=self.reporting(),
            file=self.r.file, text_hash=text_hash, location=self.r.key_locate(("id",)),
            removed=MappingProxyType(dict(self.r.removed)),
        )


def _str(value: Any) -> str | None:
    return None if value is None or isinstance(value, (dict, list)) else str(value)


def _strs(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(str(v) for v in value if v is not None)
    if isinstance(value, str):
        return (value,)
    return ()


def build(resolved: Resolved, text_hash: str) -> tuple[Process | None, list[Diagnostic]]:
    """The Process, or None with the reasons (every one of them) when the definition has errors."""
    builder = _Builder(resolved)
    process = builder.process(text_hash)
    problems = sorted(builder.problems, key=Diagnostic.sort_key)
    if any(p.is_error for p in problems):
        return None, problems
    return process, problems
