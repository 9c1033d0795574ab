"""Who may do what, as the database enforces it: the group roles, the functions that grant and revoke
memberships, the privileges, and row-level security (migration 1).

Plain data, applied in this order by `postgres_schema` (the group roles before the schema exists).
"""

from __future__ import annotations

from reviewflow.engine.store.postgres_schema_names import ADMIN_ROLE, APP_ROLE, SCHEMA, SEARCH_PATH

GROUP_ROLES = [
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

MEMBERSHIP_FUNCTIONS = [
    f"""CREATE FUNCTION {SCHEMA}.grant_role(p_login text, p_role text, p_partnership text) RETURNS boolean
        LANGUAGE plpgsql SECURITY DEFINER {SEARCH_PATH} AS $$
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
        LANGUAGE plpgsql SECURITY DEFINER {SEARCH_PATH} AS $$
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

MEMBERS_SEE = f"partnership IN (SELECT m.partnership FROM {SCHEMA}.memberships m WHERE m.login = session_user)"

SECURITY = [
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
    *(f"CREATE POLICY members_read ON {SCHEMA}.{table} FOR SELECT USING ({MEMBERS_SEE})"
      for table in ("cases", "events", "open_deadlines")),
    f"ALTER TABLE {SCHEMA}.memberships ENABLE ROW LEVEL SECURITY",
    f"""CREATE POLICY own_or_admin ON {SCHEMA}.memberships FOR SELECT
        USING (login = session_user OR pg_has_role(session_user, '{ADMIN_ROLE}', 'MEMBER'))""",
]
