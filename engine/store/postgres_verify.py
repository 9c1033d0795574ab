"""Verifying a PostgreSQL store: every case's chain recomputed here, in Python, and checked against its rows
and the ledger, the ledger's own links when this login sees all of it; and the ledger's head for anchors.
"""

from __future__ import annotations

from itertools import groupby
from typing import TYPE_CHECKING, Any

from reviewflow.engine.store.ledger import EMPTY_HEAD, check_ledger_links
from reviewflow.engine.store.postgres_reads import PostgresReads
from reviewflow.engine.store.postgres_rows import case_row, ledger_entry
from reviewflow.engine.store.postgres_schema import CASE_COLUMNS, EVENT_COLUMNS, LEDGER_COLUMNS, SCHEMA
from reviewflow.engine.store.types import ChainProblem, LedgerEntry, LedgerHead
from reviewflow.engine.store.verifying import check_case, check_leftovers

if TYPE_CHECKING:
    import psycopg


class PostgresVerify(PostgresReads):
    """`verify` and the ledger of `PostgresStore`."""

    def verify(self, ref: str | None = None) -> list[ChainProblem]:
        problems: list[ChainProblem] = []
        one = ref is not None
        where, params = (" WHERE case_ref = %s", (ref,)) if one else ("", ())
        with self._snapshot() as conn:
            cases = {str(r[0]): case_row(r) for r in conn.execute(
                f"SELECT {CASE_COLUMNS} FROM {SCHEMA}.cases" + (" WHERE ref = %s" if one else ""), params)}
            deadlines = self._deadlines_of(conn, [ref] if one else None)  # type: ignore[list-item]
            entries: dict[str, list[LedgerEntry]] = {}
            for r in conn.execute(f"SELECT {LEDGER_COLUMNS} FROM {SCHEMA}.ledger{where} "
                                  "ORDER BY case_ref, position", params):
                entries.setdefault(str(r[1]), []).append(ledger_entry(r))
            if not one and self._sees_whole_ledger(conn):
                link_problems, _ = check_ledger_links(ledger_entry(r) for r in conn.execute(
                    f"SELECT {LEDGER_COLUMNS} FROM {SCHEMA}.ledger ORDER BY position"))
                problems += link_problems
            seen: set[str] = set()
            # A server-side cursor: a store of millions of events is checked without holding them all.
            with conn.cursor(name="reviewflow_verify") as cursor:
                cursor.itersize = 5_000
                cursor.execute(f"SELECT case_ref, {EVENT_COLUMNS} FROM {SCHEMA}.events{where} "
                               "ORDER BY case_ref, seq", params)
                for case_ref, group in groupby(cursor, key=lambda r: str(r[0])):
                    seen.add(case_ref)
                    problems += check_case(case_ref, [r[1:] for r in group], cases.get(case_ref), deadlines, entries)
        if one and not seen and not cases and not entries:
            self._unknown_case(ref)  # type: ignore[arg-type]
        problems += check_leftovers(cases, seen, deadlines, entries)
        return sorted(problems, key=lambda p: (p.ref, p.seq))

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
