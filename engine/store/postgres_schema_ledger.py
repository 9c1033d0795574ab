"""Migration 2: the store-wide ledger (`reviewflow.engine.store.ledger`) kept by the database, and the
projection date.

The write functions are replaced by versions that add a ledger entry; existing cases get one entry
each. Plain data, applied in this order by `postgres_schema.MIGRATIONS`.
"""

from __future__ import annotations

from reviewflow.engine.store.postgres_schema_names import ADMIN_ROLE, APP_ROLE, SCHEMA, SEARCH_PATH
from reviewflow.engine.store.postgres_schema_security import MEMBERS_SEE

# One key for pg_advisory_xact_lock around the ledger's head: "RFLD". Entries are chained, so writes
# take their turn at the head; the lock is taken last in each write function and held to commit.
LEDGER_LOCK = 0x52464C44
_LEDGER_APPEND_ONLY = "the ledger is append-only"
_GENESIS = "0" * 64


def _digest(json_expression: str) -> str:
    return f"encode(sha256(convert_to(canonical_text({json_expression}), 'UTF8')), 'hex')"


_CASE_STATE = _digest("""jsonb_build_object(
            'ref', c.ref, 'process_id', c.process_id, 'definition_hash', c.definition_hash,
            'pseudonym', c.pseudonym, 'opened_at', c.opened_at, 'stage', c.stage, 'closed', c.closed,
            'last_seq', c.last_seq, 'partnership', c.partnership, 'projected_on', c.projected_on)""")
_ROW_STATE = _digest("""jsonb_build_object(
            'deadline_id', d.deadline_id, 'title', d.title, 'due', d.due, 'window_start', d.window_start,
            'weight', d.weight, 'status', d.status, 'owner', d.owner, 'escalate_to', d.escalate_to,
            'citation', d.citation)""")

LEDGER = [
    f"ALTER TABLE {SCHEMA}.cases ADD COLUMN projected_on date",
    # No foreign key to cases: an entry naming a case that is gone is what `verify` must see.
    f"""CREATE TABLE {SCHEMA}.ledger (
        position bigint PRIMARY KEY CHECK (position >= 1),
        case_ref text COLLATE "C" NOT NULL,
        partnership text COLLATE "C" NOT NULL,
        seq integer NOT NULL,
        event_hash text NOT NULL,
        state text NOT NULL,
        prev_hash text NOT NULL,
        hash text NOT NULL)""",
    f"CREATE INDEX ledger_by_case ON {SCHEMA}.ledger (case_ref, position)",
    *(f"""CREATE TRIGGER ledger_{verb.lower()}_refused BEFORE {verb} ON {SCHEMA}.ledger
          FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.refuse_change('{_LEDGER_APPEND_ONLY}')"""
      for verb in ("UPDATE", "DELETE", "TRUNCATE")),
    # The text ledger.entry_text builds, and ledger.state_text's digests, computed in the database.
    f"""CREATE FUNCTION {SCHEMA}.ledger_hash(p_prev text, p_position bigint, p_ref text, p_seq integer,
                                             p_event_hash text, p_state text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE {SEARCH_PATH} AS $$
        SELECT encode(sha256(convert_to(
            '{{"case":' || to_json(p_ref)::text || ',"event":' || to_json(p_event_hash)::text
            || ',"position":' || p_position::text || ',"prev":' || to_json(p_prev)::text
            || ',"seq":' || p_seq::text || ',"state":' || p_state || '}}', 'UTF8')), 'hex')
    $$""",
    f"""CREATE FUNCTION {SCHEMA}.case_state(p_ref text) RETURNS text LANGUAGE sql STABLE {SEARCH_PATH} AS $$
        SELECT canonical_text(jsonb_build_object(
            'case', {_CASE_STATE},
            'deadlines', coalesce((SELECT jsonb_object_agg(d.deadline_id, {_ROW_STATE})
                                   FROM open_deadlines d WHERE d.case_ref = c.ref), '{{}}'::jsonb)))
        FROM cases c WHERE c.ref = p_ref
    $$""",
    # Called by the write functions (never granted to a login) after they have written the case.
    f"""CREATE FUNCTION {SCHEMA}.add_ledger_entry(p_ref text, p_event_hash text) RETURNS void
        LANGUAGE plpgsql {SEARCH_PATH} AS $$
    DECLARE
        v_position bigint;
        v_prev text;
        v_case cases%ROWTYPE;
        v_state text;
    BEGIN
        PERFORM pg_advisory_xact_lock({LEDGER_LOCK});
        SELECT position, hash INTO v_position, v_prev FROM ledger ORDER BY position DESC LIMIT 1;
        IF NOT FOUND THEN
            v_position := 0;
            v_prev := '{_GENESIS}';
        END IF;
        SELECT * INTO v_case FROM cases WHERE ref = p_ref;
        v_state := case_state(p_ref);
        INSERT INTO ledger (position, case_ref, partnership, seq, event_hash, state, prev_hash, hash)
            VALUES (v_position + 1, p_ref, v_case.partnership, v_case.last_seq, p_event_hash, v_state, v_prev,
                    ledger_hash(v_prev, v_position + 1, p_ref, v_case.last_seq, p_event_hash, v_state));
    END $$""",
    # What an anchor records and checks, for any login: the head, and the hash at a position, without
    # disclosing which case an entry is about (row-level security hides other partnerships' entries).
    f"""CREATE FUNCTION {SCHEMA}.ledger_head(OUT head_position bigint, OUT head_hash text)
        LANGUAGE sql STABLE SECURITY DEFINER {SEARCH_PATH} AS $$
        SELECT coalesce(max(position), 0),
               coalesce((SELECT hash FROM ledger ORDER BY position DESC LIMIT 1), '{_GENESIS}') FROM ledger
    $$""",
    f"""CREATE FUNCTION {SCHEMA}.ledger_hash_at(p_position bigint) RETURNS text
        LANGUAGE sql STABLE SECURITY DEFINER {SEARCH_PATH} AS $$
        SELECT hash FROM ledger WHERE position = p_position
    $$""",
    f"DROP FUNCTION {SCHEMA}.open_case(text, text, text, text, text, text, boolean, text, jsonb)",
    f"DROP FUNCTION {SCHEMA}.append_events(text, text[], integer, text, boolean, jsonb)",
    f"DROP FUNCTION {SCHEMA}.import_case(text, text, text, text, text, date, text, boolean, integer, text[], "
    "text[], text[], text[], jsonb)",
    f"""CREATE FUNCTION {SCHEMA}.open_case(p_ref text, p_partnership text, p_process_id text,
                                           p_definition_hash text, p_pseudonym text, p_stage text,
                                           p_closed boolean, p_payload text, p_deadlines jsonb,
                                           p_projected_on date)
        RETURNS TABLE (stored_hash text, stored_recorded_by text)
        LANGUAGE plpgsql SECURITY DEFINER {SEARCH_PATH} AS $$
    DECLARE
        v_hash text;
    BEGIN
        PERFORM check_may_act(p_partnership, event_role(p_payload));
        INSERT INTO cases (ref, partnership, process_id, definition_hash, pseudonym, opened_at, stage,
                           closed, last_seq, projected_on)
            SELECT p_ref, p_partnership, p_process_id, p_definition_hash, p_pseudonym,
                   (p_payload::jsonb ->> 'at')::date, p_stage, p_closed, 1, p_projected_on
            WHERE EXISTS (SELECT 1 FROM definitions WHERE definition_hash = p_definition_hash)
            ON CONFLICT (ref) DO NOTHING;
        IF NOT FOUND THEN
            IF EXISTS (SELECT 1 FROM cases WHERE ref = p_ref) THEN
                RAISE EXCEPTION 'case "%" already exists', p_ref USING ERRCODE = 'RF004',
                    HINT = 'case references are unique: choose another reference';
            END IF;
        END IF;
        PERFORM check_definition(p_definition_hash, p_process_id);
        v_hash := link_hash('{_GENESIS}', p_ref, 1, p_payload, session_user);
        INSERT INTO events (case_ref, partnership, seq, payload, prev_hash, hash, recorded_by)
            VALUES (p_ref, p_partnership, 1, p_payload, '{_GENESIS}', v_hash, session_user);
        PERFORM replace_deadlines(p_ref, p_partnership, p_deadlines);
        PERFORM add_ledger_entry(p_ref, v_hash);
        stored_hash := v_hash;
        stored_recorded_by := session_user;
        RETURN NEXT;
    END $$""",
    f"""CREATE FUNCTION {SCHEMA}.append_events(p_ref text, p_payloads text[], p_expected_last_seq integer,
                                               p_stage text, p_closed boolean, p_deadlines jsonb,
                                               p_projected_on date)
        RETURNS TABLE (stored_seq integer, stored_prev_hash text, stored_hash text, stored_recorded_by text)
        LANGUAGE plpgsql SECURITY DEFINER {SEARCH_PATH} AS $$
    DECLARE
        v_case cases%ROWTYPE;
        v_payload text;
        v_prev text;
        v_hash text;
        v_seq integer;
    BEGIN
        SELECT * INTO v_case FROM cases WHERE ref = p_ref FOR UPDATE;
        -- A case of a partnership the login does not belong to is as unknown as one that does not exist.
        IF NOT FOUND OR NOT EXISTS (SELECT 1 FROM memberships m WHERE m.login = session_user
                                    AND m.partnership = v_case.partnership) THEN
            RAISE EXCEPTION 'unknown case "%"', p_ref USING ERRCODE = 'RF002';
        END IF;
        FOREACH v_payload IN ARRAY p_payloads LOOP
            PERFORM check_may_act(v_case.partnership, event_role(v_payload));
        END LOOP;
        IF v_case.last_seq <> p_expected_last_seq THEN
            RAISE EXCEPTION 'case "%" changed while this command ran (expected last seq %, found %)',
                p_ref, p_expected_last_seq, v_case.last_seq USING ERRCODE = 'RF001',
                HINT = 're-read the case and try the command again';
        END IF;
        SELECT hash INTO v_prev FROM events WHERE case_ref = p_ref AND seq = v_case.last_seq;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'case "%" says its last event is seq %, which is missing', p_ref, v_case.last_seq
                USING ERRCODE = 'RF008', HINT = 'run `reviewflow verify`; restore the store from a backup';
        END IF;
        v_seq := v_case.last_seq;
        FOREACH v_payload IN ARRAY p_payloads LOOP
            v_seq := v_seq + 1;
            v_hash := link_hash(v_prev, p_ref, v_seq, v_payload, session_user);
            INSERT INTO events (case_ref, partnership, seq, payload, prev_hash, hash, recorded_by)
                VALUES (p_ref, v_case.partnership, v_seq, v_payload, v_prev, v_hash, session_user);
            stored_seq := v_seq;
            stored_prev_hash := v_prev;
            stored_hash := v_hash;
            stored_recorded_by := session_user;
            RETURN NEXT;
            v_prev := v_hash;
        END LOOP;
        UPDATE cases SET stage = p_stage, closed = p_closed, last_seq = v_seq, projected_on = p_projected_on
            WHERE ref = p_ref;
        PERFORM replace_deadlines(p_ref, v_case.partnership, p_deadlines);
        PERFORM add_ledger_entry(p_ref, v_prev);
    END $$""",
    f"""CREATE FUNCTION {SCHEMA}.import_case(p_ref text, p_partnership text, p_process_id text,
                                             p_definition_hash text, p_pseudonym text, p_opened_at date,
                                             p_stage text, p_closed boolean, p_last_seq integer,
                                             p_payloads text[], p_prev_hashes text[], p_hashes text[],
                                             p_recorded_by text[], p_deadlines jsonb, p_projected_on date)
        RETURNS void LANGUAGE plpgsql SECURITY DEFINER {SEARCH_PATH} AS $$
    DECLARE
        v_prev text := '{_GENESIS}';
        v_count integer := coalesce(array_length(p_payloads, 1), 0);
    BEGIN
        IF v_count <> p_last_seq OR v_count = 0 THEN
            RAISE EXCEPTION 'case "%" has % events but its row says %', p_ref, v_count, p_last_seq
                USING ERRCODE = 'RF008';
        END IF;
        PERFORM check_definition(p_definition_hash, p_process_id);
        FOR i IN 1 .. v_count LOOP
            PERFORM event_role(p_payloads[i]);
            IF p_prev_hashes[i] <> v_prev
               OR link_hash(v_prev, p_ref, i, p_payloads[i], p_recorded_by[i]) <> p_hashes[i] THEN
                RAISE EXCEPTION 'case "%" seq % does not verify', p_ref, i USING ERRCODE = 'RF008',
                    HINT = 'export it again from a store where `reviewflow verify` passes';
            END IF;
            v_prev := p_hashes[i];
        END LOOP;
        INSERT INTO cases (ref, partnership, process_id, definition_hash, pseudonym, opened_at, stage,
                           closed, last_seq, projected_on)
            VALUES (p_ref, p_partnership, p_process_id, p_definition_hash, p_pseudonym, p_opened_at,
                    p_stage, p_closed, p_last_seq, p_projected_on)
            ON CONFLICT (ref) DO NOTHING;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'case "%" already exists in this store', p_ref USING ERRCODE = 'RF004',
                HINT = 'import into a store that does not hold these cases yet';
        END IF;
        INSERT INTO events (case_ref, partnership, seq, payload, prev_hash, hash, recorded_by)
            SELECT p_ref, p_partnership, i, p_payloads[i], p_prev_hashes[i], p_hashes[i], p_recorded_by[i]
            FROM generate_series(1, v_count) AS i;
        PERFORM replace_deadlines(p_ref, p_partnership, p_deadlines);
        PERFORM add_ledger_entry(p_ref, v_prev);
    END $$""",
    # Existing cases: one entry each, for its head and rows as they stand, in the order the cases were
    # last written (the id of each case's last event), as the SQLite migration does.
    f"""DO $$
    DECLARE
        v_ref text;
        v_hash text;
    BEGIN
        FOR v_ref, v_hash IN
            SELECT c.ref, e.hash FROM {SCHEMA}.cases c
            LEFT JOIN {SCHEMA}.events e ON e.case_ref = c.ref AND e.seq = c.last_seq
            ORDER BY e.id NULLS FIRST, c.ref
        LOOP
            PERFORM {SCHEMA}.add_ledger_entry(v_ref, coalesce(v_hash, '{_GENESIS}'));
        END LOOP;
    END $$""",
    f"REVOKE ALL ON ALL FUNCTIONS IN SCHEMA {SCHEMA} FROM PUBLIC",
    f"GRANT SELECT ON {SCHEMA}.ledger TO {APP_ROLE}, {ADMIN_ROLE}",
    f"ALTER TABLE {SCHEMA}.ledger ENABLE ROW LEVEL SECURITY",
    f"CREATE POLICY members_read ON {SCHEMA}.ledger FOR SELECT USING ({MEMBERS_SEE})",
    f"GRANT EXECUTE ON FUNCTION {SCHEMA}.open_case(text, text, text, text, text, text, boolean, text, jsonb, date), "
    f"{SCHEMA}.append_events(text, text[], integer, text, boolean, jsonb, date), "
    f"{SCHEMA}.ledger_head(), {SCHEMA}.ledger_hash_at(bigint), "
    f"{SCHEMA}.ledger_hash(text, bigint, text, integer, text, text) TO {APP_ROLE}",
    f"GRANT EXECUTE ON FUNCTION {SCHEMA}.import_case(text, text, text, text, text, date, text, boolean, integer, "
    f"text[], text[], text[], text[], jsonb, date), {SCHEMA}.ledger_head(), {SCHEMA}.ledger_hash_at(bigint) "
    f"TO {ADMIN_ROLE}",
]
