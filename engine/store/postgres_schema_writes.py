"""Migration 1's write functions: every write a login makes is a call of one of these, which check who may
act, compute the chain hash in the database and keep the deadline projection.

Plain data, applied in this order by `postgres_schema.MIGRATIONS`; migration 2 (`postgres_schema_ledger`)
replaces `open_case`, `append_events` and `import_case` with versions that also add ledger entries.
"""

from __future__ import annotations

from reviewflow.engine.store.postgres_schema_names import SCHEMA, SEARCH_PATH

# The link text is built exactly as `reviewflow.engine.store.chain.chain_text` builds it: sorted keys,
# no spaces, to_json escaping strings as Python's json.dumps(ensure_ascii=False) does; the payload is
# the client's canonical text, checked by `event_role`.
WRITE_FUNCTIONS = [
    f"""CREATE FUNCTION {SCHEMA}.link_hash(p_prev text, p_ref text, p_seq integer, p_payload text,
                                           p_recorded_by text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE {SEARCH_PATH} AS $$
        SELECT encode(sha256(convert_to(
            '{{"case":' || to_json(p_ref)::text || ',"event":' || p_payload
            || ',"prev":' || to_json(p_prev)::text
            || CASE WHEN p_recorded_by IS NULL THEN ''
                    ELSE ',"recorded_by":' || to_json(p_recorded_by)::text END
            || ',"seq":' || p_seq::text || '}}', 'UTF8')), 'hex')
    $$""",
    # The canonical JSON text of a value, as chain.canonical_json writes it: keys in code-point order
    # (COLLATE "C" on UTF-8), no spaces, strings escaped by to_json. Numbers come out as jsonb writes them,
    # which is Python's text for integers and plain decimals (1e-07 or -0.0 would differ: reviewflow's
    # events never hold such floats, and a payload holding one is refused rather than stored unverifiable).
    f"""CREATE FUNCTION {SCHEMA}.canonical_text(v jsonb) RETURNS text
        LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE {SEARCH_PATH} AS $$
    BEGIN
        CASE jsonb_typeof(v)
            WHEN 'object' THEN
                RETURN '{{' || coalesce((SELECT string_agg(to_json(k)::text || ':' || canonical_text(v -> k), ','
                                                          ORDER BY k COLLATE "C")
                                        FROM jsonb_object_keys(v) AS k), '') || '}}';
            WHEN 'array' THEN
                RETURN '[' || coalesce((SELECT string_agg(canonical_text(e), ',' ORDER BY i)
                                       FROM jsonb_array_elements(v) WITH ORDINALITY AS a(e, i)), '') || ']';
            ELSE
                RETURN v::text;
        END CASE;
    END $$""",
    # The role an event is recorded under, after checking the payload is an event and nothing else (a
    # key the engine does not read could carry a forged "recorded_by" past a careless reader), in the
    # canonical text the chain hashes: anything else would be stored but never verify, and so make the
    # case unreadable for everyone.
    f"""CREATE FUNCTION {SCHEMA}.event_role(p_payload text) RETURNS text
        LANGUAGE plpgsql IMMUTABLE {SEARCH_PATH} AS $$
    DECLARE
        v jsonb;
    BEGIN
        BEGIN
            v := p_payload::jsonb;
        EXCEPTION WHEN others THEN
            RAISE EXCEPTION 'an event payload is not JSON' USING ERRCODE = 'RF007';
        END;
        IF canonical_text(v) <> p_payload THEN
            RAISE EXCEPTION 'an event payload is not canonical JSON' USING ERRCODE = 'RF007';
        END IF;
        IF jsonb_typeof(v) <> 'object'
           OR (SELECT array_agg(k ORDER BY k COLLATE "C") FROM jsonb_object_keys(v) AS k)
              <> ARRAY['actor', 'agency', 'at', 'by', 'data', 'kind', 'name']::text[]
           OR jsonb_typeof(v -> 'kind') <> 'string' OR jsonb_typeof(v -> 'name') <> 'string'
           OR jsonb_typeof(v -> 'by') <> 'string' OR v ->> 'by' = ''
           OR jsonb_typeof(v -> 'at') <> 'string' OR (v ->> 'at') !~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$'
           OR jsonb_typeof(v -> 'data') <> 'object'
           OR jsonb_typeof(v -> 'actor') NOT IN ('string', 'null')
           OR jsonb_typeof(v -> 'agency') NOT IN ('string', 'null') THEN
            RAISE EXCEPTION 'an event payload does not have the shape of an event' USING ERRCODE = 'RF007';
        END IF;
        RETURN v ->> 'by';
    END $$""",
    f"""CREATE FUNCTION {SCHEMA}.check_may_act(p_partnership text, p_role text) RETURNS void
        LANGUAGE plpgsql STABLE {SEARCH_PATH} AS $$
    BEGIN
        IF NOT EXISTS (SELECT 1 FROM memberships m WHERE m.login = session_user
                       AND m.partnership = p_partnership AND m.role = p_role) THEN
            RAISE EXCEPTION '% may not act as % in partnership %', session_user, p_role, p_partnership
                USING ERRCODE = 'RF003',
                      HINT = format('an administrator can allow it: reviewflow admin grant %s %s --partnership %s',
                                    session_user, p_role, p_partnership);
        END IF;
    END $$""",
    f"""CREATE FUNCTION {SCHEMA}.replace_deadlines(p_ref text, p_partnership text, p_deadlines jsonb)
        RETURNS void LANGUAGE sql {SEARCH_PATH} AS $$
        DELETE FROM open_deadlines WHERE case_ref = p_ref;
        INSERT INTO open_deadlines (case_ref, partnership, deadline_id, title, due, window_start, weight,
                                    status, owner, escalate_to, citation)
        SELECT p_ref, p_partnership, d.deadline_id, d.title, d.due, d.window_start, d.weight, d.status,
               d.owner, d.escalate_to, d.citation
        FROM jsonb_to_recordset(p_deadlines) AS d(deadline_id text, title text, due date, window_start date,
                                                  weight text, status text, owner text, escalate_to text,
                                                  citation text);
    $$""",
    f"""CREATE FUNCTION {SCHEMA}.save_definition(p_hash text, p_process_id text, p_version text,
                                                 p_names text[], p_contents text[]) RETURNS boolean
        LANGUAGE plpgsql SECURITY DEFINER {SEARCH_PATH} AS $$
    DECLARE
        v_row definitions%ROWTYPE;
    BEGIN
        INSERT INTO definitions (definition_hash, process_id, version) VALUES (p_hash, p_process_id, p_version)
            ON CONFLICT (definition_hash) DO NOTHING;
        IF FOUND THEN
            INSERT INTO definition_files (definition_hash, name, content)
                SELECT p_hash, n, c FROM unnest(p_names, p_contents) AS f(n, c);
            RETURN true;
        END IF;
        SELECT * INTO v_row FROM definitions WHERE definition_hash = p_hash;
        IF (v_row.process_id, v_row.version) IS DISTINCT FROM (p_process_id, p_version)
           OR (SELECT coalesce(array_agg(name ORDER BY name), '{{}}') FROM definition_files
               WHERE definition_hash = p_hash) IS DISTINCT FROM p_names
           OR (SELECT coalesce(array_agg(content ORDER BY name), '{{}}') FROM definition_files
               WHERE definition_hash = p_hash) IS DISTINCT FROM p_contents THEN
            RAISE EXCEPTION 'definition % is already stored with different content', p_hash
                USING ERRCODE = 'RF006',
                      HINT = 'a definition hash names exactly one set of texts; recompute it from the files';
        END IF;
        RETURN false;
    END $$""",
    f"""CREATE FUNCTION {SCHEMA}.check_definition(p_hash text, p_process_id text) RETURNS void
        LANGUAGE plpgsql STABLE {SEARCH_PATH} AS $$
    DECLARE
        v_process text;
    BEGIN
        SELECT process_id INTO v_process FROM definitions WHERE definition_hash = p_hash;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'definition % is not stored', p_hash USING ERRCODE = 'RF005',
                HINT = 'save the definition before opening a case with it';
        END IF;
        IF v_process <> p_process_id THEN
            RAISE EXCEPTION 'definition % belongs to process %, not %', p_hash, quote_literal(v_process),
                quote_literal(p_process_id) USING ERRCODE = 'RF006', HINT = 'open the case with its own process';
        END IF;
    END $$""",
    f"""CREATE FUNCTION {SCHEMA}.open_case(p_ref text, p_partnership text, p_process_id text,
                                           p_definition_hash text, p_pseudonym text, p_stage text,
                                           p_closed boolean, p_payload text, p_deadlines jsonb)
        RETURNS TABLE (stored_hash text, stored_recorded_by text)
        LANGUAGE plpgsql SECURITY DEFINER {SEARCH_PATH} AS $$
    DECLARE
        v_hash text;
    BEGIN
        PERFORM check_may_act(p_partnership, event_role(p_payload));
        INSERT INTO cases (ref, partnership, process_id, definition_hash, pseudonym, opened_at, stage,
                           closed, last_seq)
            SELECT p_ref, p_partnership, p_process_id, p_definition_hash, p_pseudonym,
                   (p_payload::jsonb ->> 'at')::date, p_stage, p_closed, 1
            WHERE EXISTS (SELECT 1 FROM definitions WHERE definition_hash = p_definition_hash)
            ON CONFLICT (ref) DO NOTHING;
        IF NOT FOUND THEN
            IF EXISTS (SELECT 1 FROM cases WHERE ref = p_ref) THEN
                RAISE EXCEPTION 'case "%" already exists', p_ref USING ERRCODE = 'RF004',
                    HINT = 'case references are unique: choose another reference';
            END IF;
        END IF;
        PERFORM check_definition(p_definition_hash, p_process_id);
        v_hash := link_hash('{"0" * 64}', p_ref, 1, p_payload, session_user);
        INSERT INTO events (case_ref, partnership, seq, payload, prev_hash, hash, recorded_by)
            VALUES (p_ref, p_partnership, 1, p_payload, '{"0" * 64}', v_hash, session_user);
        PERFORM replace_deadlines(p_ref, p_partnership, p_deadlines);
        stored_hash := v_hash;
        stored_recorded_by := session_user;
        RETURN NEXT;
    END $$""",
    # The row lock on the case serialises writers to one case (and only to that case); the expected
    # last seq turns a writer that decided on a stale record into a ConcurrencyError, never a lost
    # event; UNIQUE (case_ref, seq) would stop a duplicate even if both failed.
    f"""CREATE FUNCTION {SCHEMA}.append_events(p_ref text, p_payloads text[], p_expected_last_seq integer,
                                               p_stage text, p_closed boolean, p_deadlines jsonb)
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
                USING ERRCODE = 'RF008', HINT = 'run `reviewflow case verify`; restore the store from a backup';
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
        UPDATE cases SET stage = p_stage, closed = p_closed, last_seq = v_seq WHERE ref = p_ref;
        PERFORM replace_deadlines(p_ref, v_case.partnership, p_deadlines);
    END $$""",
    # Moving a store: the events keep their hashes and recorders, and the database recomputes every
    # hash and link itself before accepting them.
    f"""CREATE FUNCTION {SCHEMA}.import_case(p_ref text, p_partnership text, p_process_id text,
                                             p_definition_hash text, p_pseudonym text, p_opened_at date,
                                             p_stage text, p_closed boolean, p_last_seq integer,
                                             p_payloads text[], p_prev_hashes text[], p_hashes text[],
                                             p_recorded_by text[], p_deadlines jsonb) RETURNS void
        LANGUAGE plpgsql SECURITY DEFINER {SEARCH_PATH} AS $$
    DECLARE
        v_prev text := '{"0" * 64}';
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
                    HINT = 'export it again from a store where `reviewflow case verify` passes';
            END IF;
            v_prev := p_hashes[i];
        END LOOP;
        INSERT INTO cases (ref, partnership, process_id, definition_hash, pseudonym, opened_at, stage,
                           closed, last_seq)
            VALUES (p_ref, p_partnership, p_process_id, p_definition_hash, p_pseudonym, p_opened_at,
                    p_stage, p_closed, p_last_seq)
            ON CONFLICT (ref) DO NOTHING;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'case "%" already exists in this store', p_ref USING ERRCODE = 'RF004',
                HINT = 'import into a store that does not hold these cases yet';
        END IF;
        INSERT INTO events (case_ref, partnership, seq, payload, prev_hash, hash, recorded_by)
            SELECT p_ref, p_partnership, i, p_payloads[i], p_prev_hashes[i], p_hashes[i], p_recorded_by[i]
            FROM generate_series(1, v_count) AS i;
        PERFORM replace_deadlines(p_ref, p_partnership, p_deadlines);
    END $$""",
]
