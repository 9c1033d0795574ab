"""Verifying a PostgreSQL store: every case's chain recomputed here, in Python, and checked against its rows
and the ledger, the ledger's own links when this login sees all of it; and the ledger's head for anchors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from reviewflow.engine.store.ledger import EMPTY_HEAD, check_ledger_links
from reviewflow.engine.store.postgres_reads import PostgresReads
from reviewflow.engine.store.postgres_rows import case_row, deadline_row, ledger_entry
from reviewflow.engine.store.postgres_schema import (
    CASE_COLUMNS,
    DEADLINE_COLUMNS,
    EVENT_COLUMNS,
    LEDGER_COLUMNS,
    SCHEMA,
)
from reviewflow.engine.store.types import ChainProblem, LedgerHead
from reviewflow.engine.store.verifying import CaseExaminer, verify_cases

if TYPE_CHECKING:
    import psycopg


class PostgresVerify(PostgresReads):
    """`verify` and the ledger of `PostgresStore`."""

    def verify(self, ref: str | None = None, examine: CaseExaminer | None = None) -> list[ChainProblem]:
        problems: list[ChainProblem] = []
        one = ref is not None
        where, params = (" WHERE case_ref = %s", (ref,)) if one else ("", ())
        with self._snapshot() as conn:
            if examine is not None:
                counted = conn.execute(f"SELECT count(*) FROM {SCHEMA}.cases" + (" WHERE ref = %s" if one else ""),
                                       params).fetchone()
                examine.begin(int(counted[0]) if counted else 0)
            if not one and self._sees_whole_ledger(conn):
                problems += check_ledger_links(ledger_entry(r) for r in conn.execute(
                    f"SELECT {LEDGER_COLUMNS} FROM {SCHEMA}.ledger ORDER BY position"))[0]
            # Server-side cursors in case order (every ref column is COLLATE "C": byte order, as the merge
            # in store/verifying.py compares), walked side by side: millions of events checked without
            # holding them, each case's rows in hand together, once.
            with conn.cursor(name="reviewflow_verify_cases") as cases, \
                    conn.cursor(name="reviewflow_verify_events") as events, \
                    conn.cursor(name="reviewflow_verify_ledger") as ledger, \
                    conn.cursor(name="reviewflow_verify_deadlines") as deadlines:
                for cursor, sql in ((cases, f"SELECT {CASE_COLUMNS} FROM {SCHEMA}.cases"
                                            + (" WHERE ref = %s" if one else "") + " ORDER BY ref"),
                                    (events, f"SELECT case_ref, {EVENT_COLUMNS} FROM {SCHEMA}.events{where} "
                                             "ORDER BY case_ref, seq"),
                                    (ledger, f"SELECT {LEDGER_COLUMNS} FROM {SCHEMA}.ledger{where} "
                                             "ORDER BY case_ref, position"),
                                    (deadlines, f"SELECT {DEADLINE_COLUMNS} FROM {SCHEMA}.open_deadlines{where} "
                                                "ORDER BY case_ref, deadline_id")):
                    cursor.itersize = 5_000
                    cursor.execute(sql, params)
                found, any_case = verify_cases((case_row(r) for r in cases), events,
                                               (ledger_entry(r) for r in ledger),
                                               (deadline_row(r) for r in deadlines), examine)
        if one and not any_case:
            self._unknown_case(ref)  # type: ignore[arg-type]
        return sorted(problems + found, key=lambda p: (p.ref, p.seq))

    @staticmethod
    def _sees_whole_ledger(conn: psycopg.Connection[Any]) -> bool:
        # Row-level security does not apply to the table's owner, a superuser or a BYPASSRLS login; anyone
        # else may see only part of the ledger, whose links then cannot be followed (not a problem found).
        row = conn.execute("SELECT r.rolsuper OR r.rolbypassrls OR c.relowner = r.oid FROM pg_roles r, pg_class c "
                           "JOIN pg_namespace n ON n.oid = c.relnamespace "
                           "WHERE r.rolname = current_user AND n.nspname = %s AND c.relname = 'ledger'",
                           (SCHEMA,)).fetchone()
        return bool(row and row[0])

    def ledger_visible(self) -> bool:
        with self._snapshot() as conn:
            return self._sees_whole_ledger(conn)

    def ledger_head(self) -> LedgerHead:
        row = self._rows(f"SELECT head_position, head_hash FROM {SCHEMA}.ledger_head()")
        return LedgerHead(int(row[0][0]), str(row[0][1])) if row else EMPTY_HEAD

    def ledger_hash_at(self, position: int) -> str | None:
        found = self._scalar(f"SELECT {SCHEMA}.ledger_hash_at(%s)", (position,))
        return None if found is None else str(found)

    def integrity_check(self) -> list[str]:
        """The server checks its own pages (data checksums, WAL): nothing for a client to add here."""
        return []

    def begin_integrity_check(self) -> Callable[[], list[str]]:
        return self.integrity_check
