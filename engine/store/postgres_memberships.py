"""Memberships in a PostgreSQL store: which login may act as which role in which partnership, granted and
revoked by an administrator through the database's own functions, which check who is asking.
"""

from __future__ import annotations

from reviewflow.engine.store.postgres_connection import PostgresConnection
from reviewflow.engine.store.postgres_schema import ADMIN_ROLE, SCHEMA
from reviewflow.engine.store.types import Membership


class PostgresMemberships(PostgresConnection):
    """The memberships of `PostgresStore`."""

    def _admin_denied(self) -> str:
        return (f"memberships are managed by an administrator: a member of {ADMIN_ROLE} "
                f"(GRANT {ADMIN_ROLE} TO {self.principal}), or the owner login")

    def grant(self, login: str, role: str, partnership: str) -> bool:
        with self._db(self._admin_denied()) as conn:
            row = conn.execute(f"SELECT {SCHEMA}.grant_role(%s, %s, %s)", (login, role, partnership)).fetchone()
        return bool(row and row[0])

    def revoke(self, login: str, role: str, partnership: str) -> bool:
        with self._db(self._admin_denied()) as conn:
            row = conn.execute(f"SELECT {SCHEMA}.revoke_role(%s, %s, %s)", (login, role, partnership)).fetchone()
        return bool(row and row[0])

    def members(self, partnership: str | None = None) -> list[Membership]:
        where, params = ("WHERE partnership = %s", (partnership,)) if partnership else ("", ())
        rows = self._rows(f"SELECT partnership, login, role, granted_by FROM {SCHEMA}.memberships {where} "
                          "ORDER BY partnership, login, role", params)
        return [Membership(*map(str, r)) for r in rows]
