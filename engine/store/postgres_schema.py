"""The PostgreSQL backend's schema, functions, privileges and row-level security, as numbered migrations.

Plain data: `reviewflow.engine.store.postgres` applies the migrations a database has not had yet, in one
transaction under an advisory lock, and records each in `reviewflow.schema_migrations`.

Who may do what is decided here, by the database, not by the client:
- every object lives in the schema `reviewflow`, owned by the login that ran the migrations (the owner:
  an administrator's login, never a person's everyday one);
- people log in with their own logins, members of the group role `reviewflow_app`, which may only
  SELECT, and EXECUTE three functions: `save_definition`, `open_case` and `append_events`. Those run
  with the owner's rights (SECURITY DEFINER) and check, for every event, that `session_user` (the login
  that authenticated, which no client can change) was granted the event's role in the case's
  partnership (`memberships`); they record that login as `recorded_by` and compute the chain hash
  themselves, over the payload and `recorded_by`, so neither can be forged;
- row-level security shows a login only the cases, events and deadlines of its partnerships, and
  only its own memberships;
- members of `reviewflow_admin` may grant and revoke memberships and import whole cases
  (`grant_role`, `revoke_role`, `import_case`); row-level security shows them the cases of their own
  partnerships only, like anyone else;
- triggers refuse UPDATE and DELETE of events, definitions and the membership log even by the owner,
  so a hand-run statement cannot slip through; `reviewflow case verify` detects whatever a superuser
  does around them.
"""

from __future__ import annotations

SCHEMA = "reviewflow"
APP_ROLE = "reviewflow_app"
ADMIN_ROLE = "reviewflow_admin"

# One key for pg_advisory_xact_lock: "RFLW" as a number, as in the SQLite header.
MIGRATION_LOCK = 0x52464C57

_APPEND_ONLY = "events are append-only: record a correction as a new event"
_IMMUTABLE = "stored definitions and the membership log never change"
_CASE_IDENTITY = "a case keeps its reference, partnership, process, definition and opening date"

# Every function sets its own search_path: a SECURITY DEFINER function must never find a table or
# function through a schema the caller can create objects in.
_PATH = f"SET search_path = {SCHEMA}, pg_catalog, pg_temp"

_GROUP_ROLES = [
    # Cluster-wide, so a second store in the same cluster finds them already there; two migrations
    # racing to create one are told so by a unique violation rather than duplicate_object.
    f"""DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
            CREATE ROLE {role} NOLOGIN;
        END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END $$"""
    for role in (APP_ROLE, ADMIN_ROLE)
]

_TABLES = [
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

_TRIGGERS = [
    f"""CREATE FUNCTION {SCHEMA}.refuse_change() RETURNS trigger LANGUAGE plpgsql {_PATH} AS $$
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
    f"""CREATE FUNCTION {SCHEMA}.keep_case_identity() RETURNS trigger LANGUAGE plpgsql {_PATH} AS $$
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

# The link text is built exactly as `reviewflow.engine.store.chain.chain_text` builds it: sorted keys,
# no spaces, to_json escaping strings as Python's json.dumps(ensure_ascii=False) does; the payload is
# the client's canonical text, checked by `event_role`.
_FUNCTIONS = [
    f"""CREATE FUNCTION {SCHEMA}.link_hash(p_prev text, p_ref text, p_seq integer, p_payload text,
                                           p_recorded_by text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE {_PATH} AS $$
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
        LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE {_PATH} AS $$
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
        LANGUAGE plpgsql IMMUTABLE {_PATH} AS $$
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
        LANGUAGE plpgsql STABLE {_PATH} AS $$
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
        RETURNS void LANGUAGE sql {_PATH} AS $$
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
        LANGUAGE plpgsql SECURITY DEFINER {_PATH} AS $$
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
        LANGUAGE plpgsql STABLE {_PATH} AS $$
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
        LANGUAGE plpgsql SECURITY DEFINER {_PATH} AS $$
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
        LANGUAGE plpgsql SECURITY DEFINER {_PATH} AS $$
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
        LANGUAGE plpgsql SECURITY DEFINER {_PATH} AS $$
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
    f"""CREATE FUNCTION {SCHEMA}.grant_role(p_login text, p_role text, p_partnership text) RETURNS boolean
        LANGUAGE plpgsql SECURITY DEFINER {_PATH} AS $$
    BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_login AND rolcanlogin) THEN
            RAISE EXCEPTION 'there is no database login "%"', p_login USING ERRCODE = 'RF010',
                HINT = format('a database administrator creates it first: CREATE ROLE %I LOGIN IN ROLE {APP_ROLE}',
                              p_login);
        END IF;
        IF p_role !~ '^[A-Za-z0-9_.-]+$' THEN
            RAISE EXCEPTION '"%" is not a role id', p_role USING ERRCODE = 'RF012',
                HINT = 'a role id of the partnership''s definitions, e.g. local_authority';
        END IF;
        IF p_partnership !~ '^[a-z0-9][a-z0-9_.-]*$' THEN
            RAISE EXCEPTION '"%" is not a partnership key', p_partnership USING ERRCODE = 'RF012',
                HINT = 'the key its cases were opened with: lower-case letters, digits, -, _ or ., e.g. leeds';
        END IF;
        IF NOT pg_has_role(p_login, '{APP_ROLE}', 'MEMBER') THEN
            EXECUTE format('GRANT {APP_ROLE} TO %I', p_login);
        END IF;
        INSERT INTO memberships (login, partnership, role, granted_by)
            VALUES (p_login, p_partnership, p_role, session_user) ON CONFLICT DO NOTHING;
        IF NOT FOUND THEN
            RETURN false;
        END IF;
        INSERT INTO membership_log (action, login, partnership, role, done_by)
            VALUES ('grant', p_login, p_partnership, p_role, session_user);
        RETURN true;
    END $$""",
    f"""CREATE FUNCTION {SCHEMA}.revoke_role(p_login text, p_role text, p_partnership text) RETURNS boolean
        LANGUAGE plpgsql SECURITY DEFINER {_PATH} AS $$
    BEGIN
        DELETE FROM memberships WHERE login = p_login AND partnership = p_partnership AND role = p_role;
        IF NOT FOUND THEN
            RETURN false;
        END IF;
        INSERT INTO membership_log (action, login, partnership, role, done_by)
            VALUES ('revoke', p_login, p_partnership, p_role, session_user);
        RETURN true;
    END $$""",
]

_MEMBERS_SEE = f"partnership IN (SELECT m.partnership FROM {SCHEMA}.memberships m WHERE m.login = session_user)"

_SECURITY = [
    f"REVOKE ALL ON SCHEMA {SCHEMA} FROM PUBLIC",
    f"GRANT USAGE ON SCHEMA {SCHEMA} TO {APP_ROLE}, {ADMIN_ROLE}",
    f"REVOKE ALL ON ALL TABLES IN SCHEMA {SCHEMA} FROM PUBLIC",
    f"REVOKE ALL ON ALL FUNCTIONS IN SCHEMA {SCHEMA} FROM PUBLIC",
    # Reading only: every write is a function call below.
    f"GRANT SELECT ON {SCHEMA}.definitions, {SCHEMA}.definition_files, {SCHEMA}.cases, {SCHEMA}.events, "
    f"{SCHEMA}.open_deadlines, {SCHEMA}.memberships, {SCHEMA}.schema_migrations TO {APP_ROLE}",
    # An administrator reads cases like anyone else: those of the partnerships it is a member of.
    f"GRANT SELECT ON {SCHEMA}.definitions, {SCHEMA}.definition_files, {SCHEMA}.cases, {SCHEMA}.events, "
    f"{SCHEMA}.open_deadlines, {SCHEMA}.memberships, {SCHEMA}.membership_log, {SCHEMA}.schema_migrations "
    f"TO {ADMIN_ROLE}",
    f"GRANT EXECUTE ON FUNCTION {SCHEMA}.save_definition(text, text, text, text[], text[]), "
    f"{SCHEMA}.open_case(text, text, text, text, text, text, boolean, text, jsonb), "
    f"{SCHEMA}.append_events(text, text[], integer, text, boolean, jsonb), "
    f"{SCHEMA}.link_hash(text, text, integer, text, text) TO {APP_ROLE}",
    f"GRANT EXECUTE ON FUNCTION {SCHEMA}.save_definition(text, text, text, text[], text[]), "
    f"{SCHEMA}.import_case(text, text, text, text, text, date, text, boolean, integer, text[], text[], "
    f"text[], text[], jsonb), {SCHEMA}.grant_role(text, text, text), "
    f"{SCHEMA}.revoke_role(text, text, text) TO {ADMIN_ROLE}",
    *(f"ALTER TABLE {SCHEMA}.{table} ENABLE ROW LEVEL SECURITY" for table in ("cases", "events", "open_deadlines")),
    *(f"CREATE POLICY members_read ON {SCHEMA}.{table} FOR SELECT USING ({_MEMBERS_SEE})"
      for table in ("cases", "events", "open_deadlines")),
    f"ALTER TABLE {SCHEMA}.memberships ENABLE ROW LEVEL SECURITY",
    f"""CREATE POLICY own_or_admin ON {SCHEMA}.memberships FOR SELECT
        USING (login = session_user OR pg_has_role(session_user, '{ADMIN_ROLE}', 'MEMBER'))""",
]

# -- migration 2: the store-wide ledger (reviewflow.engine.store.ledger) and the projection date ------

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

_LEDGER = [
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
        LANGUAGE sql IMMUTABLE PARALLEL SAFE {_PATH} AS $$
        SELECT encode(sha256(convert_to(
            '{{"case":' || to_json(p_ref)::text || ',"event":' || to_json(p_event_hash)::text
            || ',"position":' || p_position::text || ',"prev":' || to_json(p_prev)::text
            || ',"seq":' || p_seq::text || ',"state":' || p_state || '}}', 'UTF8')), 'hex')
    $$""",
    f"""CREATE FUNCTION {SCHEMA}.case_state(p_ref text) RETURNS text LANGUAGE sql STABLE {_PATH} AS $$
        SELECT canonical_text(jsonb_build_object(
            'case', {_CASE_STATE},
            'deadlines', coalesce((SELECT jsonb_object_agg(d.deadline_id, {_ROW_STATE})
                                   FROM open_deadlines d WHERE d.case_ref = c.ref), '{{}}'::jsonb)))
        FROM cases c WHERE c.ref = p_ref
    $$""",
    # Called by the write functions (never granted to a login) after they have written the case.
    f"""CREATE FUNCTION {SCHEMA}.add_ledger_entry(p_ref text, p_event_hash text) RETURNS void
        LANGUAGE plpgsql {_PATH} AS $$
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
        LANGUAGE sql STABLE SECURITY DEFINER {_PATH} AS $$
        SELECT coalesce(max(position), 0),
               coalesce((SELECT hash FROM ledger ORDER BY position DESC LIMIT 1), '{_GENESIS}') FROM ledger
    $$""",
    f"""CREATE FUNCTION {SCHEMA}.ledger_hash_at(p_position bigint) RETURNS text
        LANGUAGE sql STABLE SECURITY DEFINER {_PATH} AS $$
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
        LANGUAGE plpgsql SECURITY DEFINER {_PATH} AS $$
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
        LANGUAGE plpgsql SECURITY DEFINER {_PATH} AS $$
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
        RETURNS void LANGUAGE plpgsql SECURITY DEFINER {_PATH} AS $$
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
    f"CREATE POLICY members_read ON {SCHEMA}.ledger FOR SELECT USING ({_MEMBERS_SEE})",
    f"GRANT EXECUTE ON FUNCTION {SCHEMA}.open_case(text, text, text, text, text, text, boolean, text, jsonb, date), "
    f"{SCHEMA}.append_events(text, text[], integer, text, boolean, jsonb, date), "
    f"{SCHEMA}.ledger_head(), {SCHEMA}.ledger_hash_at(bigint), "
    f"{SCHEMA}.ledger_hash(text, bigint, text, integer, text, text) TO {APP_ROLE}",
    f"GRANT EXECUTE ON FUNCTION {SCHEMA}.import_case(text, text, text, text, text, date, text, boolean, integer, "
    f"text[], text[], text[], text[], jsonb, date), {SCHEMA}.ledger_head(), {SCHEMA}.ledger_hash_at(bigint) "
    f"TO {ADMIN_ROLE}",
]

# Each migration runs once, in one transaction, and is recorded in `schema_migrations`.
# Never edit a shipped migration: add a new one.
MIGRATIONS: tuple[tuple[int, str, tuple[str, ...]], ...] = (
    (1, "schema, write functions, privileges and row-level security",
     (*_TABLES, *_TRIGGERS, *_FUNCTIONS, *_SECURITY)),
    (2, "ledger and projection date", tuple(_LEDGER)),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]

# What a database without a store gets before migration 1: the cluster-wide group roles (the schema's
# grants name them), the schema, and the table that records migrations (the database's clock, not the
# engine's: bookkeeping, not part of any case record).
CREATE_STORE: tuple[str, ...] = (
    *_GROUP_ROLES,
    f"CREATE SCHEMA {SCHEMA}",
    f"""CREATE TABLE {SCHEMA}.schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(),
        applied_by text NOT NULL DEFAULT session_user)""",
)

# The column order of every SELECT of these rows: the row conversions depend on it.
CASE_COLUMNS = ("ref, process_id, definition_hash, pseudonym, opened_at, stage, closed, last_seq, partnership, "
                "projected_on")
LEDGER_COLUMNS = "position, case_ref, seq, event_hash, state, prev_hash, hash"
EVENT_COLUMNS = "seq, payload, prev_hash, hash, recorded_by"
DEADLINE_COLUMNS = ("case_ref, deadline_id, title, due, window_start, weight, status, owner, "
                    "escalate_to, citation")
