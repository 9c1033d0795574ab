"""Reading a PostgreSQL store: one case, its events, the lists of cases and of due deadlines, each checked
before it is handed out (events against their chain and the ledger's head, case and deadline rows
against their case's last ledger entry).

Lists are streamed through a server-side cursor in one snapshot, a batch at a time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, NoReturn

from reviewflow.engine.errors import IntegrityError, NotFoundError, did_you_mean
from reviewflow.engine.store.ledger import read_problem
from reviewflow.engine.store.postgres_connection import PostgresConnection
from reviewflow.engine.store.postgres_rows import case_row, deadline_row, ledger_entry
from reviewflow.engine.store.postgres_schema import CASE_COLUMNS, DEADLINE_COLUMNS, LEDGER_COLUMNS, SCHEMA
from reviewflow.engine.store.readchain import stored_events
from reviewflow.engine.store.types import CaseRow, DeadlineRow, LedgerEntry, StoredEvent

if TYPE_CHECKING:
    import psycopg

_RESTORE_HINT = ("run `reviewflow verify` for every problem; restore the database from its backups "
                 "(point-in-time recovery, docs/deployment.md)")

_BATCH = 1_000  # rows handed out per integrity check while streaming `cases` and `due`


class PostgresReads(PostgresConnection):
    """The reads of `PostgresStore`."""

    def _unknown_case(self, ref: str, exc: NotFoundError | None = None) -> NoReturn:
        # Only the cases this login may see are suggested: row-level security filters this query too.
        refs = [str(r[0]) for r in self._rows(f"SELECT ref FROM {SCHEMA}.cases")]
        hint = did_you_mean(ref, refs) or (f"login {self.principal} sees only the cases of partnerships it holds a "
                                           "role in (`reviewflow admin members` lists them)")
        raise NotFoundError(f'unknown case "{ref}"', hint=hint) from exc

    def case(self, ref: str, *, check: bool = True) -> CaseRow:
        with self._snapshot() as conn:
            rows = conn.execute(f"SELECT {CASE_COLUMNS} FROM {SCHEMA}.cases WHERE ref = %s", (ref,)).fetchall()
            if rows and check:
                self._check_states(conn, [case_row(rows[0])])
            if rows:
                case = case_row(rows[0])
        if not rows:
            self._unknown_case(ref)
        return case

    @staticmethod
    def _last_entries(conn: psycopg.Connection[Any], refs: Sequence[str] | None) -> dict[str, LedgerEntry]:
        where, params = ("WHERE case_ref = ANY(%s)", (list(refs),)) if refs is not None else ("", ())
        rows = conn.execute(f"SELECT DISTINCT ON (case_ref) {LEDGER_COLUMNS} FROM {SCHEMA}.ledger {where} "
                            "ORDER BY case_ref, position DESC", params).fetchall()
        return {str(r[1]): ledger_entry(r) for r in rows}

    @staticmethod
    def _deadlines_of(conn: psycopg.Connection[Any], refs: Sequence[str] | None) -> dict[str, list[DeadlineRow]]:
        where, params = ("WHERE case_ref = ANY(%s)", (list(refs),)) if refs is not None else ("", ())
        found: dict[str, list[DeadlineRow]] = {}
        for r in conn.execute(f"SELECT {DEADLINE_COLUMNS} FROM {SCHEMA}.open_deadlines {where} "
                              "ORDER BY case_ref, deadline_id", params):
            found.setdefault(str(r[0]), []).append(deadline_row(r))
        return found

    def _check_states(self, conn: psycopg.Connection[Any], cases: Sequence[CaseRow], everything: bool = False) -> None:
        """Refuse case rows (and their deadline rows) that are not the ones their last ledger entry recorded."""
        if not cases:
            return
        refs = None if everything else [c.ref for c in cases]
        entries, deadlines = self._last_entries(conn, refs), self._deadlines_of(conn, refs)
        for case in cases:
            problem = read_problem(case, deadlines.get(case.ref, []), entries.get(case.ref))
            if problem is not None:
                raise IntegrityError(f"the stored state of case {case.ref} does not verify: {problem}",
                                     hint=_RESTORE_HINT)

    def events(self, ref: str, *, check: bool = True) -> list[StoredEvent]:
        with self._snapshot() as conn:
            rows = conn.execute(f"SELECT c.last_seq, e.seq, e.payload, e.prev_hash, e.hash, e.recorded_by "
                                f"FROM {SCHEMA}.cases c LEFT JOIN {SCHEMA}.events e ON e.case_ref = c.ref "
                                "WHERE c.ref = %s ORDER BY e.seq", (ref,)).fetchall()
            entry = self._last_entries(conn, [ref]).get(ref) if check and rows else None
        if not rows:
            self._unknown_case(ref)
        links = [r[1:] for r in rows if r[1] is not None]
        return stored_events(ref, links, int(rows[0][0]), entry, check, _RESTORE_HINT)

    def cases(self, process_id: str | None = None, open_only: bool = False, *, check: bool = True) -> list[CaseRow]:
        return list(self.iter_cases(process_id, open_only, check=check))

    def iter_cases(self, process_id: str | None = None, open_only: bool = False, *,
                   check: bool = True) -> Iterator[CaseRow]:
        """`cases` through a server-side cursor in one snapshot, each batch checked against its cases'
        last ledger entries before it is handed out."""
        where, params = ["true"], []
        if process_id is not None:
            where.append("process_id = %s")
            params.append(process_id)
        if open_only:
            where.append("NOT closed")
        with self._stream(f"SELECT {CASE_COLUMNS} FROM {SCHEMA}.cases WHERE {' AND '.join(where)} ORDER BY ref",
                          params) as (conn, cursor):
            while batch := [case_row(r) for r in cursor.fetchmany(_BATCH)]:
                if check:
                    self._check_states(conn, batch)
                yield from batch

    def due(self, as_of: date, within_days: int | None = None, owner: str | None = None, *,
            check: bool = True) -> list[DeadlineRow]:
        return [row for row, _ in self.iter_due(as_of, within_days, owner, check=check)]

    def iter_due(self, as_of: date, within_days: int | None = None, owner: str | None = None, *,
                 check: bool = True) -> Iterator[tuple[DeadlineRow, str | None]]:
        """`due` in the index's order, each row with its case's definition hash; the cases of each batch
        are checked against their last ledger entries (once each) before their rows are handed out."""
        where: list[str] = ["true"]
        params: list[Any] = []
        if owner is not None:
            where.append("d.owner = %s")
            params.append(owner)
        if within_days is not None:
            where.append("d.due <= %s")
            params.append(as_of + timedelta(days=within_days))
        columns = ", ".join(f"d.{c.strip()}" for c in DEADLINE_COLUMNS.split(","))
        checked: set[str] = set()
        # Ascending puts undated rows (NULL) last, as the contract asks, in the index's own order.
        with self._stream(f"SELECT {columns}, c.definition_hash FROM {SCHEMA}.open_deadlines d "
                          f"LEFT JOIN {SCHEMA}.cases c ON c.ref = d.case_ref WHERE {' AND '.join(where)} "
                          "ORDER BY d.due, d.case_ref, d.deadline_id", params) as (conn, cursor):
            while batch := [(deadline_row(r[:-1]), r[-1]) for r in cursor.fetchmany(_BATCH)]:
                refs = sorted({row.case_ref for row, _ in batch} - checked) if check else []
                if refs:
                    cases = [case_row(r) for r in conn.execute(
                        f"SELECT {CASE_COLUMNS} FROM {SCHEMA}.cases WHERE ref = ANY(%s)", (refs,))]
                    missing = sorted(set(refs) - {c.ref for c in cases})
                    if missing:
                        raise IntegrityError(f"deadline rows are stored for case {missing[0]}, which has no case row",
                                             hint=_RESTORE_HINT)
                    self._check_states(conn, cases)
                    checked.update(refs)
                yield from batch

    @contextmanager
    def _stream(self, sql: str, params: Sequence[Any]) -> Iterator[tuple[psycopg.Connection[Any], Any]]:
        """A server-side cursor over `sql` in one read-only snapshot, and its connection: reads made while
        its rows are being consumed run in the same transaction."""
        with self._snapshot() as conn, conn.cursor(name="reviewflow_stream") as cursor:
            cursor.itersize = 2_000
            cursor.execute(sql, params)
            yield conn, cursor
