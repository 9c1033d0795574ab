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

This module opens the store and writes definitions and events; the rest of `PostgresStore` is one base
class per concern: `postgres_connection` (the connection, and the only module that imports `psycopg` at
run time: no psycopg exception leaves it, each becomes a `StoreError`, or the refusal it stands for),
`postgres_migrate` (the schema version), `postgres_reads`, `postgres_verify` (with the ledger) and
`postgres_memberships`. The schema itself is in `postgres_schema`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date

from reviewflow.engine.errors import IntegrityError, NotFoundError
from reviewflow.engine.events import Event
from reviewflow.engine.store.chain import GENESIS_HASH, canonical_json, chain_hash, chain_rows, check_chain
from reviewflow.engine.store.postgres_connection import redact
from reviewflow.engine.store.postgres_memberships import PostgresMemberships
from reviewflow.engine.store.postgres_migrate import PostgresMigrator
from reviewflow.engine.store.postgres_rows import deadlines_json
from reviewflow.engine.store.postgres_schema import ADMIN_ROLE, SCHEMA
from reviewflow.engine.store.postgres_verify import PostgresVerify
from reviewflow.engine.store.types import (
    CaseRow,
    DeadlineRow,
    DefinitionRow,
    StoredEvent,
    check_deadline_rows,
)

__all__ = ["PostgresStore", "redact"]


class PostgresStore(PostgresVerify, PostgresMemberships, PostgresMigrator):
    """The `Store` in a PostgreSQL database (schema `reviewflow`); the contract of each method is in `Store`."""

    def __init__(self, url: str, *, upgrade: bool = False, lock_timeout_ms: int = 10_000) -> None:
        self.url = url
        self.location = redact(url)
        self.lock_timeout_ms = lock_timeout_ms
        self.applied_migrations: list[int] = []
        self.principal = ""  # the login, once connected: session_user, which no client can change
        self._conn = None
        self._conn = self._connect()
        try:
            self.principal = str(self._scalar("SELECT session_user"))
            self._migrate(upgrade)
        except BaseException:
            self.close()
            raise

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
                                deadlines_json(deadlines), projected_on)).fetchone()
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
                    (ref, payloads, expected_last_seq, stage, closed, deadlines_json(deadlines),
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
                 [r[2] for r in rows], [r[3] for r in rows], [r[4] for r in rows], deadlines_json(deadlines),
                 case.projected_on))
