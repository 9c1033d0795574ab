"""Moving a store: `reviewflow db export` / `import`, a JSON-lines stream of everything a store holds.

One JSON object per line, in this order:

    {"reviewflow_export": 1, "source": "sqlite", "schema_version": 2}
    {"type": "definition", "hash": …, "process_id": …, "version": …, "files": {name: text}}   (each one used)
    {"type": "case", "ref": …, "partnership": …, "process_id": …, "definition_hash": …, "pseudonym": …,
     "opened_at": …, "stage": …, "closed": …, "last_seq": …, "projected_on": …}  (projected_on: since schema 3)
    {"type": "event", "case": …, "seq": …, "event": {…}, "prev_hash": …, "hash": …, "recorded_by": …}
    {"type": "deadline", "case": …, "deadline_id": …, "title": …, "due": …, …}   (the projection rows)
    … the next case, its events and deadlines …
    {"type": "end", "definitions": N, "cases": N, "events": N}

Events keep their hashes and recorders exactly, so the chain in the target is the chain of the
source: every chain is checked on export, before anything is written on import, and again as the
target reads it back. The trailer makes a truncated file an error, not a smaller store. Memberships
are not exported: logins belong to a server, not to the record.

An export is only what the exporting login can see (on PostgreSQL, row-level security applies: the
owner sees every case, an officer those of their partnerships). It holds personal data like the store.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from reviewflow.engine.errors import IntegrityError, NotFoundError, StoreError
from reviewflow.engine.events import Event
from reviewflow.engine.store.chain import chain_rows, check_chain
from reviewflow.engine.store.errors import CaseExistsError
from reviewflow.engine.store.protocol import Store
from reviewflow.engine.store.types import CaseRow, DeadlineRow, StoredEvent

FORMAT = 1
_DEADLINE_DATES = ("due", "window_start")


@dataclass
class ImportReport:
    definitions: int = 0
    cases: list[str] = field(default_factory=list)
    events: int = 0


def export_lines(store: Store) -> Iterator[str]:
    """The store as JSON lines (without newlines); raises IntegrityError before the first case that
    does not verify, so a broken record is never carried over as if it were whole."""
    info = store.info()
    yield _line({"reviewflow_export": FORMAT, "source": info.backend, "schema_version": info.schema_version})
    cases = store.cases()
    hashes = sorted({c.definition_hash for c in cases})
    for definition_hash in hashes:
        row = store.definition(definition_hash)
        yield _line({"type": "definition", "hash": row.definition_hash, "process_id": row.process_id,
                     "version": row.version, "files": row.bundle})
    deadlines: dict[str, list[DeadlineRow]] = {}
    for d in store.due(date.min):
        deadlines.setdefault(d.case_ref, []).append(d)
    events = 0
    for case in cases:
        stored = store.events(case.ref)  # verifies the chain
        yield _line({"type": "case", "ref": case.ref, "partnership": case.partnership,
                     "process_id": case.process_id, "definition_hash": case.definition_hash,
                     "pseudonym": case.pseudonym, "opened_at": case.opened_at.isoformat(), "stage": case.stage,
                     "closed": case.closed, "last_seq": case.last_seq,
                     "projected_on": _iso(case.projected_on)})
        for s in stored:
            yield _line({"type": "event", "case": case.ref, "seq": s.event.seq, "event": s.event.to_json_dict(),
                         "prev_hash": s.prev_hash, "hash": s.hash, "recorded_by": s.recorded_by})
        events += len(stored)
        for d in deadlines.get(case.ref, []):
            yield _line({"type": "deadline", "case": d.case_ref, "deadline_id": d.deadline_id, "title": d.title,
                         "due": _iso(d.due), "window_start": _iso(d.window_start), "weight": d.weight,
                         "status": d.status, "owner": d.owner, "escalate_to": d.escalate_to,
                         "citation": d.citation})
    yield _line({"type": "end", "definitions": len(hashes), "cases": len(cases), "events": events})


def import_lines(store: Store, read: Callable[[], Iterable[str]], *,
                 partnership: str | None = None) -> ImportReport:
    """Import an export into `store`; `read` gives the lines afresh each time it is called.

    The whole stream is checked first (its shape, every chain, the trailer's counts, and that none of
    its cases is in the store already): a bad file writes nothing. Then each case is written in its own
    transaction and read back to verify. `partnership` is given to cases that have none (stores from
    before partnerships were kept); a PostgreSQL store needs one.
    """
    plan = ImportReport()
    needs_partnership = store.info().backend == "postgresql"
    for item in _read(read(), partnership):
        if isinstance(item, _Case):
            _check_case(item)
            if needs_partnership and not item.row.partnership:
                raise StoreError(f"case {item.row.ref} has no partnership, which a PostgreSQL store needs; "
                                 "nothing was imported",
                                 hint="give the cases that have none one: --partnership KEY (e.g. leeds)")
            try:
                store.case(item.row.ref)
            except NotFoundError:
                pass
            else:
                raise CaseExistsError(f'case "{item.row.ref}" is already in this store; nothing was imported',
                                      hint="import into a store that does not hold these cases yet")
            plan.cases.append(item.row.ref)
            plan.events += len(item.events)
    done = ImportReport()
    for item in _read(read(), partnership):
        if isinstance(item, _Definition):
            store.save_definition(item.hash, item.process_id, item.version, item.files)
            done.definitions += 1
            continue
        store.import_case(item.row, item.events, item.deadlines)
        problems = store.verify(item.row.ref)
        if problems:
            raise IntegrityError(f"case {item.row.ref} was imported but does not verify: {problems[0]}",
                                 hint="report it: the two stores disagree about the chain")
        done.cases.append(item.row.ref)
        done.events += len(item.events)
    assert done.cases == plan.cases and done.events == plan.events
    return done


# -- reading --------------------------------------------------------------------------------------


@dataclass
class _Definition:
    hash: str
    process_id: str
    version: str
    files: dict[str, str]


@dataclass
class _Case:
    row: CaseRow
    events: list[StoredEvent] = field(default_factory=list)
    deadlines: list[DeadlineRow] = field(default_factory=list)


def _line(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _bad(number: int, what: str) -> StoreError:
    return StoreError(f"line {number} of the export: {what}; nothing was imported",
                      hint="import a file written by `reviewflow db export`, whole and unedited")


def _read(lines: Iterable[str], partnership: str | None) -> Iterator[_Definition | _Case]:
    """Definitions and whole cases, in file order, checking the stream's shape and its trailer."""
    number, case, counts, ended = 0, None, {"definitions": 0, "cases": 0, "events": 0}, False
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        if ended:
            raise _bad(number, "there is more after the end line")
        try:
            item = json.loads(text)
        except ValueError as exc:
            raise _bad(number, f"not JSON ({exc})") from exc
        if not isinstance(item, dict):
            raise _bad(number, "not a JSON object")
        if number == 1:
            if item.get("reviewflow_export") != FORMAT:
                raise _bad(1, f"not a reviewflow export of format {FORMAT}")
            continue
        kind = item.get("type")
        try:
            if kind == "definition":
                counts["definitions"] += 1
                yield _Definition(item["hash"], item["process_id"], item["version"], dict(item["files"]))
            elif kind == "case":
                if case is not None:
                    yield case
                counts["cases"] += 1
                case = _Case(CaseRow(item["ref"], item["process_id"], item["definition_hash"], item["pseudonym"],
                                     date.fromisoformat(item["opened_at"]), item["stage"], bool(item["closed"]),
                                     int(item["last_seq"]), item.get("partnership") or partnership,
                                     _date(item.get("projected_on"))))
            elif kind in ("event", "deadline"):
                if case is None or item["case"] != case.row.ref:
                    raise _bad(number, f"a {kind} of case {item.get('case')!r} outside that case's lines")
                if kind == "event":
                    counts["events"] += 1
                    case.events.append(StoredEvent(Event.from_json_dict(item["event"], seq=int(item["seq"])),
                                                   item["hash"], item["prev_hash"], item["recorded_by"]))
                else:
                    dates = {k: None if item[k] is None else date.fromisoformat(item[k]) for k in _DEADLINE_DATES}
                    case.deadlines.append(DeadlineRow(item["case"], item["deadline_id"], item["title"],
                                                      dates["due"], dates["window_start"], item["weight"],
                                                      item["status"], item["owner"], item["escalate_to"],
                                                      item["citation"]))
            elif kind == "end":
                ended = True
                said = {k: item.get(k) for k in counts}
                if said != counts:
                    raise _bad(number, f"the end line counts {said}, the file holds {counts}")
            else:
                raise _bad(number, f"unknown line type {kind!r}")
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise _bad(number, f"a {kind} line without a valid {exc}") from exc
    if not ended:
        raise _bad(number, "the file ends before its end line (it was cut short)")
    if case is not None:
        yield case


def _check_case(case: _Case) -> None:
    problems = check_chain(case.row.ref, chain_rows(case.events), case.row.last_seq)
    # An event whose text changed on the way (a key added or dropped) no longer matches its hash.
    if problems:
        raise IntegrityError(f"case {case.row.ref} in the export does not verify: {problems[0]}; "
                             "nothing was imported",
                             hint="export it again from a store where `reviewflow case verify` passes")
