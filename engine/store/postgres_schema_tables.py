"""Migration 1's tables, and the triggers that refuse changing what is append-only or never changes.

Plain data, applied in this order by `postgres_schema.MIGRATIONS`.
"""

from __future__ import annotations

from reviewflow.engine.store.postgres_schema_names import SCHEMA, SEARCH_PATH

_APPEND_ONLY = "events are append-only: record a correction as a new event"
_IMMUTABLE = "stored definitions and the membership log never change"
_CASE_IDENTITY = "a case keeps its reference, partnership, process, definition and opening date"

TABLES = [
    # ids compare byte by byte (COLLATE "C"), as in SQLite: the same order, whatever the server's locale.
    f"""CREATE TABLE {SCHEMA}.definitions (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        definition_hash text COLLATE "C" NOT NULL UNIQUE,
        process_id text COLLATE "C" NOT NULL,
        version text NOT NULL)""",
    f"CREATE INDEX definitions_by_process ON {SCHEMA}.definitions (process_id, id)",
    f"""CREATE TABLE {SCHEMA}.definition_files (
        definition_hash text COLLATE "C" NOT NULL REFERENCES {SCHEMA}.definitions (definition_hash),
        name text COLLATE "C" NOT NULL,
        content text NOT NULL,
        PRIMARY KEY (definition_hash, name))""",
    f"""CREATE TABLE {SCHEMA}.cases (
        ref text COLLATE "C" PRIMARY KEY,
        partnership text COLLATE "C" NOT NULL CHECK (partnership <> ''),
        process_id text COLLATE "C" NOT NULL,
        definition_hash text COLLATE "C" NOT NULL REFERENCES {SCHEMA}.definitions (definition_hash),
        pseudonym text,
        opened_at date NOT NULL,
        stage text,
        closed boolean NOT NULL,
        last_seq integer NOT NULL CHECK (last_seq >= 1))""",
    f"CREATE INDEX cases_by_partnership ON {SCHEMA}.cases (partnership, ref)",
    f"CREATE INDEX cases_by_process ON {SCHEMA}.cases (process_id, ref)",
    # `partnership` repeats the case's so that row-level security needs no join; the write functions
    # copy it from the case row, never from the client. `recorded_by` is NULL only for events imported
    # from a store that did not record it.
    f"""CREATE TABLE {SCHEMA}.events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        case_ref text COLLATE "C" NOT NULL REFERENCES {SCHEMA}.cases (ref),
        partnership text COLLATE "C" NOT NULL,
        seq integer NOT NULL CHECK (seq >= 1),
        payload text NOT NULL,
        prev_hash text NOT NULL,
        hash text NOT NULL,
        recorded_by text,
        UNIQUE (case_ref, seq))""",
    f"""CREATE TABLE {SCHEMA}.open_deadlines (
        case_ref text COLLATE "C" NOT NULL REFERENCES {SCHEMA}.cases (ref),
        partnership text COLLATE "C" NOT NULL,
        deadline_id text COLLATE "C" NOT NULL,
        title text NOT NULL,
        due date,
        window_start date,
        weight text NOT NULL,
        status text NOT NULL,
        owner text COLLATE "C",
        escalate_to text,
        citation text,
        PRIMARY KEY (case_ref, deadline_id))""",
    # Ordered like `due`'s ORDER BY (ascending puts NULLs last, as `due` wants).
    f"CREATE INDEX open_deadlines_by_due ON {SCHEMA}.open_deadlines (due, case_ref, deadline_id)",
    f"CREATE INDEX open_deadlines_by_owner ON {SCHEMA}.open_deadlines (owner, due, case_ref, deadline_id)",
    f"""CREATE TABLE {SCHEMA}.memberships (
        login text COLLATE "C" NOT NULL,
        partnership text COLLATE "C" NOT NULL,
        role text COLLATE "C" NOT NULL,
        granted_by text NOT NULL,
        PRIMARY KEY (login, partnership, role))""",
    f"CREATE INDEX memberships_by_partnership ON {SCHEMA}.memberships (partnership, login, role)",
    # Who granted or revoked what: the database's clock, like schema_migrations, not part of any case.
    f"""CREATE TABLE {SCHEMA}.membership_log (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        action text NOT NULL CHECK (action IN ('grant', 'revoke')),
        login text NOT NULL,
        partnership text NOT NULL,
        role text NOT NULL,
        done_by text NOT NULL,
        done_at timestamptz NOT NULL DEFAULT now())""",
]

TRIGGERS = [
    f"""CREATE FUNCTION {SCHEMA}.refuse_change() RETURNS trigger LANGUAGE plpgsql {SEARCH_PATH} AS $$
    BEGIN
        RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'RF011';
    END $$""",
    *(f"""CREATE TRIGGER {table}_{verb.lower()}_refused BEFORE {verb} ON {SCHEMA}.{table}
          FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.refuse_change('{message}')"""
      for table, message in (("events", _APPEND_ONLY), ("definitions", _IMMUTABLE),
                             ("definition_files", _IMMUTABLE), ("membership_log", _IMMUTABLE))
      for verb in ("UPDATE", "DELETE", "TRUNCATE")),
    *(f"""CREATE TRIGGER cases_{verb.lower()}_refused BEFORE {verb} ON {SCHEMA}.cases
          FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.refuse_change('{_APPEND_ONLY}')"""
      for verb in ("DELETE", "TRUNCATE")),
    f"""CREATE FUNCTION {SCHEMA}.keep_case_identity() RETURNS trigger LANGUAGE plpgsql {SEARCH_PATH} AS $$
    BEGIN
        IF (NEW.ref, NEW.partnership, NEW.process_id, NEW.definition_hash, NEW.opened_at)
           IS DISTINCT FROM (OLD.ref, OLD.partnership, OLD.process_id, OLD.definition_hash, OLD.opened_at) THEN
            RAISE EXCEPTION '{_CASE_IDENTITY}' USING ERRCODE = 'RF011';
        END IF;
        RETURN NEW;
    END $$""",
    f"""CREATE TRIGGER cases_identity_kept BEFORE UPDATE ON {SCHEMA}.cases
        FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.keep_case_identity()""",
]
