"""The connection under `PostgresStore`: opened with the session settings every write relies on, opened
again after a failure, and every psycopg exception turned into the engine error it stands for.

The only module that imports `psycopg` at run time (the others name its types for mypy only), so no
psycopg exception leaves the store: `_db` translates each one. It is imported only when a PostgreSQL
store is opened (`open_store`), so `reviewflow --help` and SQLite users never load the driver.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from types import TracebackType
from typing import Any, Self

from reviewflow.engine.errors import EngineError, IntegrityError, NotFoundError, RefusedError, StoreError
from reviewflow.engine.store.errors import AccessRefusedError, CaseExistsError, ConcurrencyError

try:
    import psycopg
    from psycopg.conninfo import conninfo_to_dict
except ImportError:  # the optional extra is not installed: say so when a store is opened
    psycopg = None  # type: ignore[assignment]

__all__ = ["PostgresConnection", "redact"]

_INSTALL_HINT = "install the PostgreSQL extra: pip install 'reviewflow[postgres]'"
_LOST_HINT = ("the server may have restarted or the network failed; if this was a write, look at "
              "`reviewflow case history REF` to see whether it was recorded before repeating it")


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    url = re.sub(r"(://[^:/@?]*):[^@/?]*@", r"\1:***@", url)
    return re.sub(r"(?i)(password=)[^&\s]*", r"\1***", url)


def _one_line(text: str) -> str:
    """A driver's message on one line, without a password (libpq quotes a URL it cannot parse whole)."""
    return redact(" ".join(text.split()))


class PostgresConnection:
    """The base of `PostgresStore`: its connection, and the helpers every other part runs SQL through
    (`_db` translates errors, `_snapshot` gives one consistent view). `PostgresStore.__init__` connects."""

    url: str
    location: str
    lock_timeout_ms: int
    principal: str
    _conn: psycopg.Connection[Any] | None

    def _connect(self) -> psycopg.Connection[Any]:
        if psycopg is None:
            raise StoreError(f"cannot open {self.location}: the PostgreSQL driver (psycopg) is not installed",
                             hint=_INSTALL_HINT)
        try:
            given = conninfo_to_dict(self.url)
        except psycopg.Error as exc:
            raise StoreError(f"{self.location} is not a PostgreSQL URL that can be used: {_one_line(str(exc))}",
                             hint="write it as postgresql://LOGIN@HOST:PORT/DATABASE") from exc
        options: dict[str, Any] = {"autocommit": True}
        if "connect_timeout" not in given:
            options["connect_timeout"] = 10
        if "application_name" not in given:
            options["application_name"] = "reviewflow"
        try:
            conn = psycopg.connect(self.url, **options)
        except psycopg.Error as exc:
            raise self._connect_error(exc, given) from exc
        try:
            # `off` acknowledges commits before they are on disk; anything stronger is the DBA's choice.
            if conn.execute("SHOW synchronous_commit").fetchone() == ("off",):
                conn.execute("SET synchronous_commit = on")
            conn.execute(f"SET lock_timeout = {int(self.lock_timeout_ms)}")
        except psycopg.Error as exc:
            conn.close()
            raise self._translate(exc) from exc
        return conn

    def _connect_error(self, exc: Exception, given: Mapping[str, Any]) -> StoreError:
        login, database = given.get("user") or "(your OS user)", given.get("dbname") or "(the login's name)"
        # libpq reports a failed connection as text only (no SQLSTATE reaches the client): read it.
        text = _one_line(str(exc))
        if "password authentication failed" in text:
            return StoreError(f"the PostgreSQL server at {self.location} refused the password of login {login}",
                              hint="check the password (~/.pgpass, PGPASSWORD or the URL)")
        if re.search(r'database ".*" does not exist', text):
            return StoreError(f"there is no database {database} on the server of {self.location}",
                              hint="create it (createdb), or correct the database name in the URL")
        if "pg_hba.conf" in text or re.search(r'role ".*" does not exist', text):
            return StoreError(f"the PostgreSQL server at {self.location} refused login {login}: {text}",
                              hint="the server's administrator creates the login and lets it connect from "
                                   "here (pg_hba.conf)")
        return StoreError(f"cannot connect to the PostgreSQL server at {self.location}: {text}",
                          hint="check the URL (postgresql://LOGIN@HOST:PORT/DATABASE), that the server is "
                               "running and reachable from here, and its TLS settings")

    def _translate(self, exc: Exception, denied_hint: str | None = None) -> EngineError:
        """A psycopg exception as the engine error it stands for (the write functions raise RFxxx codes)."""
        state = getattr(exc, "sqlstate", None) or ""
        diag = getattr(exc, "diag", None)
        message = _one_line((diag.message_primary if diag is not None else None) or str(exc))
        hint = diag.message_hint if diag is not None else None
        by_code: dict[str, type[EngineError]] = {
            "RF001": ConcurrencyError, "RF002": NotFoundError, "RF003": AccessRefusedError,
            "RF004": CaseExistsError, "RF005": NotFoundError, "RF006": IntegrityError, "RF008": IntegrityError,
            "RF010": NotFoundError, "RF011": IntegrityError, "RF012": RefusedError,
        }
        if state in by_code:
            return by_code[state](message, hint=hint)
        if state == "RF007":
            return StoreError(f"the database refused an event: {message}",
                              hint="event data holds text, integers, booleans, lists and objects in canonical "
                                   "JSON, as reviewflow writes them; nothing was written")
        if state == "42501":
            return AccessRefusedError(f"the database refused login {self.principal or '(unknown)'}: {message}",
                                      hint=denied_hint or "a database administrator grants what is needed "
                                                          "(docs/deployment.md)")
        if state in ("40001", "40P01"):
            return ConcurrencyError(f"the database stopped this command to let another finish ({message})",
                                    hint="try the command again")
        if state == "55P03":
            return StoreError(f"the store is busy: a case stayed locked for more than {self.lock_timeout_ms} ms",
                              hint="try again in a moment; if it persists, look for a stuck session "
                                   "(pg_stat_activity)")
        if state == "53100":
            return StoreError("the database server's disk is full; nothing was written",
                              hint="its administrator frees space; then repeat the command")
        if state.startswith(("08", "57P")) or isinstance(exc, psycopg.OperationalError) and not state:
            return StoreError(f"lost the connection to the PostgreSQL server at {self.location} ({message})",
                              hint=_LOST_HINT)
        return StoreError(f"the PostgreSQL store at {self.location} failed: {message}",
                          hint="run `reviewflow case verify`; if this repeats, report it")

    def _live(self) -> psycopg.Connection[Any]:
        if self._conn is None:
            raise StoreError(f"the store at {self.location} is closed", hint="open the store again")
        if self._conn.broken or self._conn.closed:
            # The failure was reported to whoever was using it; a long-lived process carries on.
            self._conn = self._connect()
        return self._conn

    @contextmanager
    def _db(self, denied_hint: str | None = None) -> Iterator[psycopg.Connection[Any]]:
        conn = self._live()
        try:
            yield conn
        except psycopg.Error as exc:
            raise self._translate(exc, denied_hint) from exc

    @contextmanager
    def _snapshot(self) -> Iterator[psycopg.Connection[Any]]:
        """One consistent, read-only view for reads of several statements."""
        with self._db() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield conn

    def _scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        with self._db() as conn:
            row = conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._db() as conn:
            return conn.execute(sql, params).fetchall()

    def close(self) -> None:
        if self._conn is not None:
            with suppress(Exception):
                self._conn.close()
            self._conn = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
