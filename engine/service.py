"""The orchestration the CLI calls: store + loader + runtime, one command at a time.

Every command: read the case's events → replay under the definition the case was opened with → check
the request and make the event (reviewflow.engine.cases.commands) → append it with the expected last seq, the new stage
and the open-deadline projection. When another writer appended first (ConcurrencyError), the command
is re-read and re-decided, a few times. Nothing here reads the clock: dates come in as `at` / `as_of`.

A case stays on its definition: opening saves the exact definition texts under their hash, and every
later command gets the process those stored texts build from the compiled-definition cache
(`cases.definitions`: built once, then loaded without YAML, schema or state-machine libraries). Whether
a newer version exists is a hash of the files on the search path compared with the case's.

A case belongs to a partnership for good, named at opening: by default the folder its definition file
is in (processes/leeds/leeds-rapid-review.yaml belongs to "leeds"), the layout `reviewflow new`
creates. On PostgreSQL the partnership decides who may see the case and act in it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from reviewflow.engine.calendar.rules import CalendarLike
from reviewflow.engine.cases import checks, definitions
from reviewflow.engine.cases.case import Case, corrected_dates
from reviewflow.engine.cases.checks import DatePolicy, check_partnership
from reviewflow.engine.cases.definitions import partnership_of
from reviewflow.engine.cases.projection import (  # row_differences: engine.integrity imports it from here
    deadline_rows,
    row_differences,
    with_status,
)
from reviewflow.engine.cases.summary import summarize
from reviewflow.engine.cases.views import (  # re-exported: what readers of the service import from it
    CaseHistory,
    CaseView,
    CountedRows,
    DeadlineView,
    DueList,
)
from reviewflow.engine.definition.model import CHILD_KINDS, Process
from reviewflow.engine.definition.registry import Registry, default_registry
from reviewflow.engine.errors import (
    DefinitionError,
    IntegrityError,
    NotFoundError,
    RefusedError,
    did_you_mean,
)
from reviewflow.engine.events import Event
from reviewflow.engine.store.errors import ConcurrencyError
from reviewflow.engine.store.protocol import Store
from reviewflow.engine.store.types import CaseRow, ChainProblem, DeadlineRow

if TYPE_CHECKING:
    from types import ModuleType

    from reviewflow.engine.cases.write_report import WriteReport
    from reviewflow.engine.definition.loader import LoadResult

# A writer that finds the case moved on re-reads it, decides again and retries, waiting a little longer
# each time (jittered, so writers that collided do not collide again in step): eight writers on one case
# all get through (tests/test_store_concurrency.py), and a case that never settles is still refused.
RETRIES = 40
BACKOFF_FIRST_S = 0.002
BACKOFF_MAX_S = 0.25
Progress = Callable[[int, int], None]  # (done, total): long work reports through this, never prints


class CaseService:
    def __init__(self, store: Store, registry: Registry | None = None,
                 calendar: CalendarLike | None = None, dates: DatePolicy | None = None,
                 keep_cases: bool = False, sleep: Callable[[float], None] = time.sleep) -> None:
        """`keep_cases`: keep each case between commands instead of re-reading (and re-verifying) its
        whole record every time, so that N commands cost O(N), not O(N²). Only for a store this service
        alone writes, such as a scenario run's in-memory one; the CLI re-reads on every command."""
        self.store = store
        self._registry = registry
        self._calendar = calendar  # None: each definition's own calendar (tests may inject one)
        self._processes: dict[str, Process] = {}
        self.dates = dates or DatePolicy()  # a date far after the case's last one needs --confirm-date
        self._kept: dict[str, tuple[int, Case]] | None = {} if keep_cases else None  # ref -> (last seq, case)
        self._sleep = sleep  # how a writer waits before retrying (tests may count the waits)

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            self._registry = default_registry()
        return self._registry

    # ------------------------------------------------------------------------------ definitions

    def current(self, process_id: str, *, linted: bool = False) -> LoadResult:
        """The definition as it is in the files now (raises NotFoundError / DefinitionError).

        With `linted`, a definition that `reviewflow validate` rejects (a loosened statutory deadline,
        say) is refused too: no case may start on it."""
        from reviewflow.engine.definition.loader import load_path  # the whole pipeline: imported when used
        from reviewflow.engine.lint import lint_process

        path = self.registry.path_for(process_id)
        if path is None:
            raise NotFoundError(f'no process has the id "{process_id}"',
                                did_you_mean(process_id, self.registry.ids()) or "no definitions were found")
        result = load_path(path, self.registry)
        errors = [d for d in result.diagnostics if d.is_error]
        if result.process is not None and not errors and linted:
            errors = [d for d in lint_process(result.process, result.base) if d.is_error]
        if result.process is None or errors:
            raise DefinitionError(errors or result.diagnostics)
        return result

    def definition_of(self, ref: str) -> Process:
        """The definition case `ref` runs on (what its data is typed by)."""
        return self.process_for(self.store.case(ref).definition_hash)

    def process_for(self, definition_hash: str) -> Process:
        """The exact definition a case was opened with, rebuilt from the stored texts."""
        found = self._processes.get(definition_hash)
        if found is None:
            found = definitions.from_stored(definition_hash, self.store.definition(definition_hash))
            self._processes[definition_hash] = found
        return found

    def replay(self, row: CaseRow, events: list[Event]) -> Case:
        """The fold of a case's events under its stored definition (what every read starts from)."""
        return Case.replay(self.process_for(row.definition_hash), row.ref, events, self._calendar)

    # ----------------------------------------------------------------------------------- reading

    def case(self, ref: str) -> tuple[Case, CaseRow]:
        row = self.store.case(ref)
        kept = self._kept.get(ref) if self._kept is not None else None
        if kept is not None and kept[0] == row.last_seq:
            return kept[1], row
        events = [s.event for s in self.store.events(ref)]
        try:
            case = self.replay(row, events)
        except IntegrityError as exc:
            raise IntegrityError(f"case {ref}: {exc.message}", exc.hint) from exc
        # The row and the events are two reads: another writer may have appended between them, and then
        # they describe different moments (the append that follows is refused and retried as stale).
        same_moment = len(events) == row.last_seq
        differs = row_differences(row, case) if same_moment else []
        if differs:
            raise IntegrityError(f"the case row of {ref} does not match its events: {differs[0]}",
                                 hint="run `reviewflow verify` for every problem; restore the store from a "
                                      "backup (`reviewflow db restore`)")
        self._keep(ref, row.last_seq, case)
        return case, row

    def _keep(self, ref: str, last_seq: int, case: Case) -> None:
        if self._kept is not None:
            self._kept[ref] = (last_seq, case)

    def show(self, ref: str, as_of: date, show_personal: bool = False,
             check_newer: bool = True) -> dict[str, Any]:
        """The case summary plus which definition it runs on and whether a newer one exists."""
        case, row = self.case(ref)
        return self._summary(case, row, as_of, show_personal, check_newer)

    def _summary(self, case: Case, row: CaseRow, as_of: date, show_personal: bool,
                 check_newer: bool) -> dict[str, Any]:
        out = summarize(case, as_of, show_personal)
        out["definition"] = {"hash": row.definition_hash, "version": case.process.version,
                             "file": case.process.file, "newer": None}
        if check_newer:
            now = self.newer(row.process_id, row.definition_hash)
            if now is not None:
                out["definition"]["newer"] = {"hash": now.text_hash, "version": now.version, "file": now.file}
        return out

    def newer(self, process_id: str, definition_hash: str) -> Process | None:
        """The definition on the search path now when it differs from `definition_hash` and builds; else None
        (a hash of the files' texts, then the compiled cache; built only when neither answers)."""
        return definitions.newer(self.registry, process_id, definition_hash, lambda: self.current(process_id))

    def view(self, ref: str, as_of: date | None = None, show_personal: bool = False) -> CaseView:
        """`show` for a reader; without `as_of`, judged on the date of the case's last event."""
        case, row = self.case(ref)
        summary = self._summary(case, row, as_of or _last_date(case), show_personal, check_newer=True)
        summary["as_of_source"] = "given" if as_of is not None else "last_event"
        personal = case.process.personal_fields()
        hidden = () if show_personal else tuple(sorted(k for k in case.fields if k in personal))
        roles = {r.id: r.title for r in case.process.roles.values()}
        return CaseView(summary, roles, hidden)

    def history(self, ref: str, show_personal: bool = False) -> list[dict[str, Any]]:
        row = self.store.case(ref)
        personal = self.process_for(row.definition_hash).personal_fields()
        stored_events = self.store.events(ref)
        events = [stored.event for stored in stored_events]
        # Nothing is edited: a superseded event is listed as recorded, and says which corrections supersede it
        # and, when one re-dated it, the date everything else now counts it on.
        redated = corrected_dates(events)
        superseding: dict[int, list[int]] = {}
        for e in events:
            if e.kind == "corrected":
                superseding.setdefault(int(e.data.get("supersedes", 0)), []).append(e.seq)
        out = []
        for stored, e in zip(stored_events, events, strict=True):
            data = {k: ("(personal)" if k in personal and not show_personal else v) for k, v in e.data.items()}
            corrected_date = redated.get(e.seq)
            out.append({"seq": e.seq, "kind": e.kind, "name": e.name, "at": e.at.isoformat(), "by": e.by,
                        "actor": e.actor, "agency": e.agency, "data": data, "recorded_by": stored.recorded_by,
                        "hash": stored.hash, "prev_hash": stored.prev_hash,
                        "corrected_by": superseding.get(e.seq, []),
                        "corrected_date": corrected_date.isoformat() if corrected_date else None})
        return out

    def explain(self, ref: str, deadline_id: str, as_of: date) -> dict[str, Any]:
        case, _ = self.case(ref)
        return case.explain(deadline_id, as_of).to_dict()

    def event_log(self, ref: str, show_personal: bool = False) -> CaseHistory:
        return CaseHistory(ref, self.history(ref, show_personal), personal_hidden=not show_personal)

    def deadline_view(self, ref: str, deadline_id: str, as_of: date | None = None) -> DeadlineView:
        """`explain` for a reader; without `as_of`, judged on the date of the case's last event."""
        case, _ = self.case(ref)
        judged_on = as_of or _last_date(case)
        explanation = case.explain(deadline_id, judged_on).to_dict()
        anchor_seq = int(explanation["anchor"]["seq"])
        anchored = next((e for e in case.events if e.seq == anchor_seq), None)
        return DeadlineView(ref, judged_on, as_of is not None, explanation, anchored.by if anchored else None)

    def verify(self, ref: str | None = None) -> list[ChainProblem]:
        """The store's own check (chains and ledger); `reviewflow.engine.integrity` checks everything."""
        return self.store.verify(ref)

    def cases(self, process_id: str | None = None, open_only: bool = False,
              kinds: tuple[str, ...] | None = CHILD_KINDS) -> list[CaseRow]:
        """Case rows (by default only cases about a child: actions and learning outputs are listed apart)."""
        return list(self.iter_cases(process_id, open_only, kinds))

    def iter_cases(self, process_id: str | None = None, open_only: bool = False,
                   kinds: tuple[str, ...] | None = CHILD_KINDS) -> Iterator[CaseRow]:
        """`cases` one row at a time, as the store reads them (constant memory in the number of cases).

        A `process_id` that names no definition and no stored record is a typo, not "no cases"."""
        if process_id is not None:
            self._check_process_id(process_id)
        for row in self.store.iter_cases(process_id, open_only):
            if kinds is None or self.kind_of(row) in kinds:
                yield row

    def _check_process_id(self, process_id: str) -> None:
        if next(iter(self.store.iter_cases(process_id, False)), None) is not None:
            return
        known = set(self.registry.ids())
        if process_id not in known:
            known |= {r.process_id for r in self.store.iter_cases(None, False)}
            raise NotFoundError(f'no definition and no case has the process id "{process_id}"',
                                did_you_mean(process_id, known) or "no definitions were found")

    def kind_of(self, row: CaseRow) -> str:
        """The kind of definition a stored record runs on (case, action_plan, learning)."""
        return self.process_for(row.definition_hash).kind

    def due(self, as_of: date, within: int | None = None, role: str | None = None) -> list[DeadlineRow]:
        """Open deadlines, agency returns and hold reviews from the projection, each with its status worked
        out on `as_of` by the rule `case show` uses (overdue, due soon within the deadline's largest
        reminder or 2 working days); no case is replayed.

        A `role` that no stored case's definition has is a typo, not "nothing due": refused, naming them."""
        return list(self.iter_due(as_of, within, role))

    def iter_due(self, as_of: date, within: int | None = None, role: str | None = None) -> Iterator[DeadlineRow]:
        """`due` one row at a time, in the index's order (each row comes with its case's definition hash)."""
        if role is not None:
            self._check_role(role)
        if within is not None:
            within = min(within, (date.max - as_of).days)  # "within N days" never runs past the last date
        yield from with_status(self.store.iter_due(as_of, within_days=within, owner=role), as_of,
                               self.process_for, self._calendar)

    def _check_role(self, role: str) -> None:
        roles = {r for h in self.store.definition_hashes() for r in self.process_for(h).roles}
        if roles and role not in roles:
            raise NotFoundError(f'no case in this store has a role "{role}"', did_you_mean(role, roles))

    def due_list(self, as_of: date, within: int | None = None, role: str | None = None, *,
                 stream: bool = False) -> DueList:
        """The due list; with `stream`, its rows are read as the renderer writes them (`CountedRows`)."""
        rows = self.iter_due(as_of, within, role)
        return DueList(as_of, within, role, CountedRows(rows) if stream else tuple(rows))

    # ---------------------------------------------------------------------------------- commands

    def open(self, process_id: str, ref: str, at: date, by: str, fields: Mapping[str, Any],
             pseudonym: str | None, actor: str | None = None, as_of: date | None = None,
             partnership: str | None = None) -> WriteReport:
        """Open a case (or an action, or a learning output) on the definition as it is now (`as_of`, today,
        defaults to `at`). It belongs to `partnership` (default: the folder its definition file is in)."""
        today = as_of or at
        if at > today:
            raise RefusedError(f"the date {at.isoformat()} is after today ({today.isoformat()})",
                               "record what has happened, on the day it happened")
        result = self.current(process_id, linted=True)
        process = result.process
        assert process is not None  # current() raised otherwise
        if process.kind == "partnership":
            raise RefusedError(f'"{process_id}" is a partnership definition: it holds no records',
                               "open a case of one of its processes: " + ", ".join(process.member_processes))
        why = _actions().effective_refusal(process, at)
        if why is not None:
            raise RefusedError(why, definitions.in_force_hint(self.registry, process, at,
                                                              lambda key: self.current(key).process))
        self.check_vocabulary(process, fields)
        if partnership is None:
            path = self.registry.path_for(process_id)
            assert path is not None  # current() raised otherwise
            partnership = partnership_of(path)
        check_partnership(partnership)
        event = _actions().open_case(process, ref, at, by, fields, pseudonym, actor)
        self.store.save_definition(process.text_hash, process.id, process.version, result.bundle)
        self._processes.setdefault(process.text_hash, process)
        case = Case.replay(process, ref, [event], self._calendar)
        stored = self.store.open_case(ref, process.id, process.text_hash, pseudonym, event,
                                      stage=case.stage, closed=case.is_closed,
                                      deadlines=deadline_rows(case, at), partnership=partnership,
                                      projected_on=at)
        opened = Case.replay(process, ref, [stored.event], self._calendar)
        self._keep(ref, 1, opened)
        return _report_write(opened, today)

    def _command(self, ref: str, as_of: date, make: Callable[[Case], Event]) -> WriteReport:
        wait = BACKOFF_FIRST_S
        for attempt in range(RETRIES):
            case, row = self.case(ref)
            try:
                event = make(case)
                self.dates.check(case.last_at, checks.dates_typed(event, as_of), "the case's last event")
                after = case.apply(event)
            except RefusedError as exc:
                checks.list_allowed(exc, case, as_of)
                raise
            try:
                self.store.append(ref, [event], expected_last_seq=row.last_seq, stage=after.stage,
                                  closed=after.is_closed, deadlines=deadline_rows(after, as_of), projected_on=as_of)
            except ConcurrencyError:
                if attempt == RETRIES - 1:
                    raise
                self._sleep(random.uniform(wait / 2, wait))  # jitter: writers that collided spread out
                wait = min(wait * 2, BACKOFF_MAX_S)
                continue
            self._keep(ref, row.last_seq + 1, after)
            return _report_write(after, as_of)
        raise AssertionError("unreachable")  # pragma: no cover

    def check_vocabulary(self, process: Process, data: Mapping[str, Any]) -> None:
        """Refuse a list field's members that are not themes of its partnership vocabulary (as it is now)."""
        checks.check_vocabulary(process, data, self.vocabulary)

    def vocabulary(self, partnership_id: str) -> list[str]:
        """The theme ids of a partnership definition, from its file as it is now."""
        process = self.current(partnership_id).process
        assert process is not None
        if process.kind != "partnership":
            raise NotFoundError(f'"{partnership_id}" is a definition of kind "{process.kind}", not a partnership',
                                "a field's vocabulary names a partnership definition (kind: partnership)")
        return list(process.themes)

    def record(self, ref: str, name: str, at: date, by: str, as_of: date, agency: str | None = None,
               data: Mapping[str, Any] | None = None, actor: str | None = None) -> WriteReport:
        if data:
            self.check_vocabulary(self.definition_of(ref), data)
        return self._command(ref, as_of, lambda c: _actions().record(c, name, at, by, as_of, agency, data, actor))

    def recommend(self, ref: str, gate: str, option: str, at: date, by: str, rationale: str | None,
                  as_of: date, actor: str | None = None) -> WriteReport:
        return self._command(ref, as_of,
                             lambda c: _actions().recommend(c, gate, option, at, by, rationale, as_of, actor))

    def decide(self, ref: str, gate: str, option: str, at: date, by: str, rationale: str | None,
               as_of: date, actor: str | None = None) -> WriteReport:
        return self._command(ref, as_of,
                             lambda c: _actions().decide(c, gate, option, at, by, rationale, as_of, actor))

    def reconsider(self, ref: str, gate: str, prompted_by: int | str, at: date, by: str, reason: str | None,
                   as_of: date, actor: str | None = None) -> WriteReport:
        return self._command(ref, as_of,
                             lambda c: _actions().reconsider(c, gate, prompted_by, at, by, reason, as_of, actor))

    def hold(self, ref: str, kind: str, at: date, by: str, as_of: date, reason: str | None,
             review_on: date | None = None) -> WriteReport:
        return self._command(ref, as_of, lambda c: _actions().hold_start(c, kind, at, by, as_of, reason, review_on))

    def hold_review(self, ref: str, kind: str, at: date, by: str, as_of: date, reason: str | None,
                    review_on: date | None = None) -> WriteReport:
        return self._command(ref, as_of, lambda c: _actions().hold_review(c, kind, at, by, as_of, reason, review_on))

    def hold_end(self, ref: str, kind: str, at: date, by: str, as_of: date, reason: str | None) -> WriteReport:
        return self._command(ref, as_of, lambda c: _actions().hold_end(c, kind, at, by, as_of, reason))

    def extend(self, ref: str, deadline: str, at: date, by: str, as_of: date, reason: str | None,
               to: date | None = None, working_days: int | None = None) -> WriteReport:
        return self._command(ref, as_of,
                             lambda c: _actions().extend(c, deadline, at, by, as_of, reason, to, working_days))

    def pause(self, ref: str, deadline: str, at: date, by: str, as_of: date, reason: str | None) -> WriteReport:
        return self._command(ref, as_of, lambda c: _actions().pause(c, deadline, at, by, as_of, reason))

    def resume(self, ref: str, deadline: str, at: date, by: str, as_of: date, reason: str | None) -> WriteReport:
        return self._command(ref, as_of, lambda c: _actions().resume(c, deadline, at, by, as_of, reason))

    def waive(self, ref: str, deadline: str, at: date, by: str, as_of: date, reason: str | None) -> WriteReport:
        return self._command(ref, as_of, lambda c: _actions().waive(c, deadline, at, by, as_of, reason))

    def correct(self, ref: str, seq: int, at: date, by: str, reason: str | None, data: Mapping[str, Any],
                as_of: date | None = None, actor: str | None = None, at_date: date | None = None) -> WriteReport:
        self.check_vocabulary(self.definition_of(ref), data)
        return self._command(ref, as_of or at,
                             lambda c: _actions().correct(c, seq, at, by, reason, data, as_of, actor, at_date))

    def note(self, ref: str, at: date, by: str, text: str, as_of: date | None = None,
             notified: str | list[str] | None = None, actor: str | None = None) -> WriteReport:
        return self._command(ref, as_of or at,
                             lambda c: _actions().note(c, at, by, text, as_of, notified, actor))


def _actions() -> ModuleType:
    """The case commands (checks that make events): imported by the writes that use them, so a read
    command never loads them."""
    from reviewflow.engine.cases import commands

    return commands


def _report_write(case: Case, as_of: date) -> WriteReport:
    from reviewflow.engine.cases.write_report import report_write

    return report_write(case, as_of)


def _last_date(case: Case) -> date:
    assert case.last_at is not None  # a stored case always has its opening event
    return case.last_at

