"""The PostgreSQL backend of `Store`: one database shared by a team, the database deciding who may act.

How it keeps the promises of `Store`:
- nothing acknowledged is lost: every write is one transaction, committed with `synchronous_commit`
  at least `on` (the session raises it from `off`), so when `append` returns the events are in the
  server's WAL on disk;
- nothing is lost or duplicated by concurrent writers: `append_events` takes a row lock on the case
  and compares the expected last seq under it (a stale writer gets `ConcurrencyError` and re-decides);
  `UNIQUE (case_ref, seq)` stands behind it;
- nothing is silently changed: people's logins can only SELECT and call the write functions, which
  compute the chain hash in the database over the payload and the authenticated login
  (`recorded_by`); triggers refuse UPDATE and DELETE of events even by the owner; `verify` recomputes
  every hash here, in Python, so a server that computed them wrongly would be caught too;
- who may act is the database's decision: the write functions refuse an event whose role the login
  was not granted in the case's partnership, and row-level security hides other partnerships' cases
  (see `postgres_schema` for the whole design).

This is the only module that imports `psycopg`; no psycopg exception leaves it (each becomes a
`StoreError`, or the refusal it stands for). The schema itself is in `postgres_schema`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import date, timedelta
from itertools import groupby
from types import TracebackType
from typing import Any, NoReturn, Self

from reviewflow.engine.errors import (
    EngineError,
    IntegrityError,
    NotFoundError,
    RefusedError,
    StoreError,
    did_you_mean,
)
from reviewflow.engine.events import Event
from reviewflow.engine.store.chain import GENESIS_HASH, canonical_json, chain_hash, chain_rows, check_chain
from reviewflow.engine.store.errors import AccessRefusedError, CaseExistsError, ConcurrencyError
from reviewflow.engine.store.ledger import (
    EMPTY_HEAD,
    check_case_ledger,
    check_head,
    check_ledger_links,
    read_problem,
)
from reviewflow.engine.store.postgres_schema import (
    ADMIN_ROLE,
    APP_ROLE,
    CASE_COLUMNS,
    CREATE_STORE,
    DEADLINE_COLUMNS,
    EVENT_COLUMNS,
    LEDGER_COLUMNS,
    MIGRATION_LOCK,
    MIGRATIONS,
    SCHEMA,
    SCHEMA_VERSION,
)
from reviewflow.engine.store.readchain import read_events, verify_rows
from reviewflow.engine.store.types import (
    CaseRow,
    ChainProblem,
    DeadlineRow,
    DefinitionRow,
    LedgerEntry,
    LedgerHead,
    Membership,
    StoredEvent,
    StoreInfo,
    check_deadline_rows,
)

try:
    import psycopg
    from psycopg.conninfo import conninfo_to_dict
except ImportError:  # the optional extra is not installed: say so when a store is opened
    psycopg = None  # type: ignore[assignment]

__all__ = ["PostgresStore", "redact"]

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


def _case_row(row: Sequence[Any]) -> CaseRow:
    ref, process_id, definition_hash, pseudonym, opened_at, stage, closed, last_seq, partnership, projected = row
    return CaseRow(ref, process_id, definition_hash, pseudonym, opened_at, stage, bool(closed), int(last_seq),
                   partnership, projected)


def _ledger_entry(row: Sequence[Any]) -> LedgerEntry:
    position, case_ref, seq, event_hash, state, prev_hash, digest = row
    return LedgerEntry(int(position), str(case_ref), int(seq), str(event_hash), str(state), str(prev_hash),
                       str(digest))


_RESTORE_HINT = ("run `reviewflow verify` for every problem; restore the database from its backups "
                 "(point-in-time recovery, docs/deployment.md)")


def _deadline_row(row: Sequence[Any]) -> DeadlineRow:
    return DeadlineRow(*row)


def _deadlines_json(deadlines: Sequence[DeadlineRow]) -> str:
    return json.dumps([{"deadline_id": d.deadline_id, "title": d.title,
                        "due": None if d.due is None else d.due.isoformat(),
                        "window_start": None if d.window_start is None else d.window_start.isoformat(),
                        "weight": d.weight, "status": d.status, "owner": d.owner,
                        "escalate_to": d.escalate_to, "citation": d.citation} for d in deadlines])


_BATCH = 1_000  # rows handed out per integrity check while streaming `cases` and `due`


class PostgresStore:
    """The `Store` in a PostgreSQL database (schema `reviewflow`); the contract of each method is in `Store`."""

    def __init__(self, url: str, *, upgrade: bool = False, lock_timeout_ms: int = 10_000) -> None:
        self.url = url
        self.location = redact(url)
        self.lock_timeout_ms = lock_timeout_ms
        self.applied_migrations: list[int] = []
        self.principal = ""  # the login, once connected: session_user, which no client can change
        self._conn: psycopg.Connection[Any] | None = None
        self._conn = self._connect()
        try:
            self.principal = str(self._scalar("SELECT session_user"))
            self._migrate(upgrade)
        except BaseException:
            self.close()
            raise

    # ----------------------------------------------------------------------- connection and errors

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

    # ------------------------------------------------------------------------------------ migrations

    def _version(self, conn: psycopg.Connection[Any]) -> int | None:
        """The store's schema version: 0 when there is no store here, None when `reviewflow` is not one."""
        present = conn.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = %s), "
            "EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "        WHERE n.nspname = %s AND c.relname = 'schema_migrations')", (SCHEMA, SCHEMA)).fetchone()
        assert present is not None
        schema, table = present
        if not schema:
            return 0
        if not table:
            return None
        row = conn.execute(f"SELECT COALESCE(MAX(version), 0) FROM {SCHEMA}.schema_migrations").fetchone()
        return int(row[0]) if row else 0

    def _refuse_version(self, version: int | None, upgrade: bool) -> None:
        if version is None:
            raise StoreError(f"the database at {self.location} has a schema {SCHEMA!r} that is not a "
                             "reviewflow store", hint="point reviewflow at a database of its own")
        if version > SCHEMA_VERSION:
            raise StoreError(f"the store at {self.location} has schema version {version}, newer than this "
                             f"reviewflow understands ({SCHEMA_VERSION})",
                             hint="upgrade reviewflow; never use a store with an older version")
        if 0 < version < SCHEMA_VERSION and not upgrade:
            raise StoreError(f"the store at {self.location} has schema version {version}; this reviewflow "
                             f"needs {SCHEMA_VERSION}",
                             hint="an administrator upgrades it once, with the owner login: "
                                  "reviewflow db migrate --db postgresql://OWNER@…")

    def _migrate(self, upgrade: bool) -> None:
        denied = (f"login {self.principal} may not use this store: a database administrator adds it to "
                  f"{APP_ROLE} (GRANT {APP_ROLE} TO {self.principal}) and grants it roles with "
                  "`reviewflow admin grant`")
        with self._db(denied) as conn:
            version = self._version(conn)
        self._refuse_version(version, upgrade)
        if version == SCHEMA_VERSION:
            return
        try:
            self._apply_migrations(upgrade)
        except AccessRefusedError as exc:
            what = "there is no reviewflow store in this database" if version == 0 else \
                f"the store has schema version {version}, not {SCHEMA_VERSION}"
            raise AccessRefusedError(f"{what}, and login {self.principal} may not create or upgrade it",
                                     hint="the owner login does, once: reviewflow db migrate --db "
                                          "postgresql://OWNER@HOST/DATABASE") from exc

    def _apply_migrations(self, upgrade: bool) -> None:
        applied: list[int] = []
        with self._db() as conn, conn.transaction():
            # Under the lock, again: another process may have migrated while we waited.
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            version = self._version(conn)
            self._refuse_version(version, upgrade)
            assert version is not None
            if version == 0:
                encoding = conn.execute("SHOW server_encoding").fetchone()
                if encoding != ("UTF8",):
                    raise StoreError(f"the database at {self.location} uses encoding {encoding}, not UTF8",
                                     hint="create the database WITH ENCODING 'UTF8'")
                for statement in CREATE_STORE:
                    conn.execute(statement)
            for number, name, statements in MIGRATIONS:
                if number > version:
                    for statement in statements:
                        conn.execute(statement)
                    conn.execute(f"INSERT INTO {SCHEMA}.schema_migrations (version, name) VALUES (%s, %s)",
                                 (number, name))
                    applied.append(number)
        self.applied_migrations += applied

    def info(self) -> StoreInfo:
        with self._db() as conn:
            version = self._version(conn) or 0
        return StoreInfo("postgresql", self.location, version, SCHEMA_VERSION, self.principal,
                         tuple(self.applied_migrations))

    # ----------------------------------------------------------------------------------- definitions

    def save_definition(self, definition_hash: str, process_id: str, version: str,
                        bundle: Mapping[str, str]) -> None:
        names = sorted(bundle)  # code-point order, as the function's COLLATE "C" ORDER BY
        with self._db() as conn:
            conn.execute(f"SELECT {SCHEMA}.save_definition(%s, %s, %s, %s::text[], %s::text[])",
                         (definition_hash, process_id, version, names, [bundle[n] for n in names]))

    def definition(self, definition_hash: str) -> DefinitionRow:
        rows = self._rows(f"SELECT d.process_id, d.version, f.name, f.content FROM {SCHEMA}.definitions d "
                          f"LEFT JOIN {SCHEMA}.definition_files f USING (definition_hash) "
                          "WHERE d.definition_hash = %s ORDER BY f.name", (definition_hash,))
        if not rows:
            known = [str(r[0]) for r in self._rows(
                f"SELECT definition_hash FROM {SCHEMA}.definitions WHERE left(definition_hash, %s) = %s",
                (len(definition_hash), definition_hash))] if definition_hash else []
            raise NotFoundError(f"no stored definition has hash {definition_hash}",
                                hint=f'did you mean "{known[0]}"?' if len(known) == 1 else
                                "definitions are stored when a case is opened with them")
        bundle = {str(name): str(content) for _, _, name, content in rows if name is not None}
        return DefinitionRow(definition_hash, str(rows[0][0]), str(rows[0][1]), bundle)

    def definition_hashes(self) -> list[str]:
        return [str(r[0]) for r in self._rows(f"SELECT definition_hash FROM {SCHEMA}.definitions "
                                              "ORDER BY definition_hash")]

    def latest_definition_hash(self, process_id: str) -> str | None:
        found = self._scalar(f"SELECT definition_hash FROM {SCHEMA}.definitions WHERE process_id = %s "
                             "ORDER BY id DESC LIMIT 1", (process_id,))
        return None if found is None else str(found)

    # ---------------------------------------------------------------------------------------- writes

    def _stored(self, ref: str, payloads: Sequence[str],
                returned: Sequence[tuple[int, str, str, str]]) -> list[StoredEvent]:
        """The events as the database stored them, after checking it hashed them as `chain` does.

        Called inside the write's transaction: a disagreement rolls the write back.
        """
        stored = []
        for payload, (seq, prev, digest, recorded_by) in zip(payloads, returned, strict=True):
            parsed = json.loads(payload)
            if chain_hash(prev, ref, seq, parsed, recorded_by) != digest:
                raise IntegrityError(f"the database hashed case {ref} seq {seq} differently from reviewflow; "
                                     "nothing was written",
                                     hint="the store's link_hash function and this reviewflow disagree: report it")
            stored.append(StoredEvent(Event.from_json_dict(parsed, seq=seq), digest, prev, recorded_by))
        return stored

    def open_case(self, ref: str, process_id: str, definition_hash: str, pseudonym: str | None,
                  first: Event, *, stage: str | None, closed: bool = False,
                  deadlines: Sequence[DeadlineRow] = (), partnership: str | None = None,
                  projected_on: date | None = None) -> StoredEvent:
        if not partnership:
            raise ValueError("a case in a PostgreSQL store needs its partnership: it decides who may see it")
        payload = canonical_json(first.to_json_dict())
        check_deadline_rows(ref, deadlines)
        with self._db() as conn, conn.transaction():
            row = conn.execute(f"SELECT * FROM {SCHEMA}.open_case(%s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, "
                               "%s::date)",
                               (ref, partnership, process_id, definition_hash, pseudonym, stage, closed, payload,
                                _deadlines_json(deadlines), projected_on)).fetchone()
            assert row is not None
            return self._stored(ref, [payload], [(1, GENESIS_HASH, row[0], row[1])])[0]

    def append(self, ref: str, events: Sequence[Event], *, expected_last_seq: int, stage: str | None,
               closed: bool, deadlines: Sequence[DeadlineRow], projected_on: date | None = None) -> list[StoredEvent]:
        if not events:
            raise ValueError("append needs at least one event: state never changes without a record")
        payloads = [canonical_json(event.to_json_dict()) for event in events]
        check_deadline_rows(ref, deadlines)
        try:
            with self._db() as conn, conn.transaction():
                returned = conn.execute(
                    f"SELECT * FROM {SCHEMA}.append_events(%s, %s::text[], %s, %s, %s, %s::jsonb, %s::date)",
                    (ref, payloads, expected_last_seq, stage, closed, _deadlines_json(deadlines),
                     projected_on)).fetchall()
                return self._stored(ref, payloads, returned)
        except NotFoundError as exc:
            self._unknown_case(ref, exc)

    def import_case(self, case: CaseRow, events: Sequence[StoredEvent],
                    deadlines: Sequence[DeadlineRow] = ()) -> None:
        if not case.partnership:
            raise IntegrityError(f"case {case.ref} has no partnership, which a PostgreSQL store needs",
                                 hint="import with --partnership KEY to give it one")
        rows = chain_rows(events)
        check_deadline_rows(case.ref, deadlines)
        problems = check_chain(case.ref, rows, case.last_seq)
        if problems:
            raise IntegrityError(f"case {case.ref} does not verify, so it was not imported: {problems[0]}",
                                 hint="export it again from a store where `reviewflow case verify` passes")
        denied = f"importing needs an administrator's login (a member of {ADMIN_ROLE}), or the owner's"
        with self._db(denied) as conn:
            conn.execute(
                f"SELECT {SCHEMA}.import_case(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s::text[], %s::text[], "
                "%s::text[], %s::text[], %s::jsonb, %s::date)",
                (case.ref, case.partnership, case.process_id, case.definition_hash, case.pseudonym,
                 case.opened_at, case.stage, case.closed, case.last_seq, [r[1] for r in rows],
                 [r[2] for r in rows], [r[3] for r in rows], [r[4] for r in rows], _deadlines_json(deadlines),
                 case.projected_on))

    # ----------------------------------------------------------------------------------------- reads

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
                self._check_states(conn, [_case_row(rows[0])])
            if rows:
                case = _case_row(rows[0])
        if not rows:
            self._unknown_case(ref)
        return case

    @staticmethod
    def _last_entries(conn: psycopg.Connection[Any], refs: Sequence[str] | None) -> dict[str, LedgerEntry]:
        where, params = ("WHERE case_ref = ANY(%s)", (list(refs),)) if refs is not None else ("", ())
        rows = conn.execute(f"SELECT DISTINCT ON (case_ref) {LEDGER_COLUMNS} FROM {SCHEMA}.ledger {where} "
                            "ORDER BY case_ref, position DESC", params).fetchall()
        return {str(r[1]): _ledger_entry(r) for r in rows}

    @staticmethod
    def _deadlines_of(conn: psycopg.Connection[Any], refs: Sequence[str] | None) -> dict[str, list[DeadlineRow]]:
        where, params = ("WHERE case_ref = ANY(%s)", (list(refs),)) if refs is not None else ("", ())
        found: dict[str, list[DeadlineRow]] = {}
        for r in conn.execute(f"SELECT {DEADLINE_COLUMNS} FROM {SCHEMA}.open_deadlines {where} "
                              "ORDER BY case_ref, deadline_id", params):
            found.setdefault(str(r[0]), []).append(_deadline_row(r))
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
        if check:  # decoded once, its chain checked in the same pass; then its head against the ledger
            events = read_events(ref, links, int(rows[0][0]))
            problems = check_head(ref, links, entry)
            if problems:
                raise IntegrityError(f"the record of case {ref} does not verify: {problems[0]}", hint=_RESTORE_HINT)
            return events
        try:
            return [StoredEvent(Event.from_json_dict(json.loads(payload), seq=seq), digest, prev, by)
                    for seq, payload, prev, digest, by in links]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:  # only reachable with check=False
            raise IntegrityError(f"the record of case {ref} holds an unreadable event",
                                 hint="run `verify` to see which one") from exc

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
            while batch := [_case_row(r) for r in cursor.fetchmany(_BATCH)]:
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
            while batch := [(_deadline_row(r[:-1]), r[-1]) for r in cursor.fetchmany(_BATCH)]:
                refs = sorted({row.case_ref for row, _ in batch} - checked) if check else []
                if refs:
                    cases = [_case_row(r) for r in conn.execute(
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

    def verify(self, ref: str | None = None) -> list[ChainProblem]:
        problems: list[ChainProblem] = []
        one = ref is not None
        where, params = (" WHERE case_ref = %s", (ref,)) if one else ("", ())
        with self._snapshot() as conn:
            cases = {str(r[0]): _case_row(r) for r in conn.execute(
                f"SELECT {CASE_COLUMNS} FROM {SCHEMA}.cases" + (" WHERE ref = %s" if one else ""), params)}
            deadlines = self._deadlines_of(conn, [ref] if one else None)  # type: ignore[list-item]
            entries: dict[str, list[LedgerEntry]] = {}
            for r in conn.execute(f"SELECT {LEDGER_COLUMNS} FROM {SCHEMA}.ledger{where} "
                                  "ORDER BY case_ref, position", params):
                entries.setdefault(str(r[1]), []).append(_ledger_entry(r))
            if not one and self._sees_whole_ledger(conn):
                link_problems, _ = check_ledger_links(_ledger_entry(r) for r in conn.execute(
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
                    links = [r[1:] for r in group]
                    row = cases.get(case_ref)
                    if row is None:
                        problems.append(ChainProblem(case_ref, 0, "events are stored for a case with no case row"))
                    problems.extend(verify_rows(case_ref, links, None if row is None else row.last_seq))
                    problems.extend(check_case_ledger(case_ref, row, {int(r[0]): str(r[3]) for r in links},
                                                      deadlines.get(case_ref, []), entries.pop(case_ref, [])))
        if one and not seen and not cases and not entries:
            self._unknown_case(ref)  # type: ignore[arg-type]
        for missing in sorted(set(cases) - seen):
            row = cases[missing]
            problems.append(ChainProblem(missing, row.last_seq, "the case row exists but no events are stored"))
            problems.extend(check_case_ledger(missing, row, {}, deadlines.get(missing, []), entries.pop(missing, [])))
        for gone in sorted(entries):
            problems.extend(check_case_ledger(gone, None, {}, [], entries[gone]))
        for orphan in sorted(set(deadlines) - set(cases)):
            problems.append(ChainProblem(orphan, 0, "deadline rows are stored for a case with no case row",
                                         "projection"))
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

    # ----------------------------------------------------------------------------------- memberships

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
