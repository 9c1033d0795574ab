"""The SQLite backend's tables, indexes and triggers, as numbered migrations.

Plain data: `reviewflow.engine.store.sqlite` applies the migrations a store file has not had yet, each in
one transaction, and records it in `schema_migrations`.
"""

from __future__ import annotations

# "RFLW" in the file header, so a reviewflow store is recognisable and a foreign database is refused.
APPLICATION_ID = 0x52464C57

_APPEND_ONLY = "events are append-only: record a correction as a new event"
_IMMUTABLE_DEFINITION = "stored definition texts never change: save the new text under its own hash"
_LEDGER_APPEND_ONLY = "the ledger is append-only"

# Each migration runs once, in one transaction, and is recorded in `schema_migrations`.
# Never edit a shipped migration: add a new one.
MIGRATIONS: tuple[tuple[int, str, tuple[str, ...]], ...] = (
    (1, "initial schema", (
        # `id` keeps save order, so "latest definition" means the most recently saved one.
        """CREATE TABLE definitions (
            id INTEGER PRIMARY KEY,
            definition_hash TEXT NOT NULL UNIQUE,
            process_id TEXT NOT NULL,
            version TEXT NOT NULL)""",
        "CREATE INDEX definitions_by_process ON definitions (process_id, id)",
        # Exact file texts, one row per file, so a case can always be replayed under its own definition.
        """CREATE TABLE definition_files (
            definition_hash TEXT NOT NULL REFERENCES definitions (definition_hash),
            name TEXT NOT NULL,
            content TEXT NOT NULL,
            PRIMARY KEY (definition_hash, name)) WITHOUT ROWID""",
        """CREATE TABLE cases (
            ref TEXT PRIMARY KEY,
            process_id TEXT NOT NULL,
            definition_hash TEXT NOT NULL REFERENCES definitions (definition_hash),
            pseudonym TEXT,
            opened_at TEXT NOT NULL,
            stage TEXT,
            closed INTEGER NOT NULL CHECK (closed IN (0, 1)),
            last_seq INTEGER NOT NULL CHECK (last_seq >= 1))""",
        "CREATE INDEX cases_by_process ON cases (process_id, ref)",
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            case_ref TEXT NOT NULL REFERENCES cases (ref),
            seq INTEGER NOT NULL CHECK (seq >= 1),
            payload TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL,
            UNIQUE (case_ref, seq))""",
        # A cache of replay (rebuildable from the events), so `due` answers without replaying.
        """CREATE TABLE open_deadlines (
            case_ref TEXT NOT NULL REFERENCES cases (ref),
            deadline_id TEXT NOT NULL,
            title TEXT NOT NULL,
            due TEXT,
            window_start TEXT,
            weight TEXT NOT NULL,
            status TEXT NOT NULL,
            owner TEXT,
            escalate_to TEXT,
            citation TEXT,
            PRIMARY KEY (case_ref, deadline_id)) WITHOUT ROWID""",
        # Ordered like `due`'s ORDER BY, so the query is an index range scan with no sort step; covering
        # (every column), so the scan never goes back to the table: half the time at 100k cases.
        "CREATE INDEX open_deadlines_by_due ON open_deadlines (due, case_ref, deadline_id, title, "
        "window_start, weight, status, owner, escalate_to, citation)",
        "CREATE INDEX open_deadlines_by_owner ON open_deadlines (owner, due, case_ref, deadline_id)",
        # Triggers stop accidents (a hand-run UPDATE); deliberate tampering is what `verify` is for.
        f"CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
        f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END",
        f"CREATE TRIGGER events_no_delete BEFORE DELETE ON events "
        f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END",
        f"CREATE TRIGGER definition_files_no_update BEFORE UPDATE ON definition_files "
        f"BEGIN SELECT RAISE(ABORT, '{_IMMUTABLE_DEFINITION}'); END",
        f"CREATE TRIGGER definition_files_no_delete BEFORE DELETE ON definition_files "
        f"BEGIN SELECT RAISE(ABORT, '{_IMMUTABLE_DEFINITION}'); END",
    )),
    (2, "recorded_by and partnership", (
        # Who the store knew was writing each event (the OS user on SQLite); NULL for earlier events,
        # whose hashes were computed without it and still verify.
        "ALTER TABLE events ADD COLUMN recorded_by TEXT",
        # Which partnership a case belongs to, so it can move to a PostgreSQL store that enforces it.
        "ALTER TABLE cases ADD COLUMN partnership TEXT",
    )),
    (3, "ledger and projection date", (
        # The day the deadline rows were worked out as of, so `verify` can fold the case as of that day.
        "ALTER TABLE cases ADD COLUMN projected_on TEXT",
        # One entry per write, chained across cases (engine/store/ledger.py). No foreign key to cases:
        # an entry naming a case that is gone is exactly what `verify` must be able to see.
        """CREATE TABLE ledger (
            position INTEGER PRIMARY KEY CHECK (position >= 1),
            case_ref TEXT NOT NULL,
            seq INTEGER NOT NULL,
            event_hash TEXT NOT NULL,
            state TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL)""",
        "CREATE INDEX ledger_by_case ON ledger (case_ref, position)",
        f"CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger "
        f"BEGIN SELECT RAISE(ABORT, '{_LEDGER_APPEND_ONLY}'); END",
        f"CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger "
        f"BEGIN SELECT RAISE(ABORT, '{_LEDGER_APPEND_ONLY}'); END",
        # Existing cases get their entries from sqlite.py's backfill, run in the same transaction.
    )),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]
LEDGER_MIGRATION = 3  # the migration after whose statements existing cases get their ledger entries

# The column order of every SELECT and INSERT of these rows: the row conversions depend on it.
CASE_COLUMNS = ("ref, process_id, definition_hash, pseudonym, opened_at, stage, closed, last_seq, partnership, "
                "projected_on")
EVENT_COLUMNS = "seq, payload, prev_hash, hash, recorded_by"
LEDGER_COLUMNS = "position, case_ref, seq, event_hash, state, prev_hash, hash"
DEADLINE_COLUMNS = ("case_ref, deadline_id, title, due, window_start, weight, status, owner, "
                    "escalate_to, citation")

# applied_at_utc uses SQLite's CURRENT_TIMESTAMP: the database's clock, not the engine's. That is
# acceptable for migration bookkeeping, which is not part of any case record.
MIGRATIONS_TABLE = """CREATE TABLE schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at_utc TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"""
