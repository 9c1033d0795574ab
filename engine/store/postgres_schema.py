"""The PostgreSQL backend's schema, functions, privileges and row-level security, as numbered migrations.

Plain data: `reviewflow.engine.store.postgres_migrate` applies the migrations a database has not had yet,
in one transaction under an advisory lock, and records each in `reviewflow.schema_migrations`. The SQL
is kept by concern, and this module puts it in the order it is applied: `postgres_schema_tables`,
`postgres_schema_writes` and `postgres_schema_security` make migration 1, `postgres_schema_ledger`
migration 2; the names they share are in `postgres_schema_names`.

Who may do what is decided by the database, not by the client:
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

from reviewflow.engine.store.postgres_schema_ledger import LEDGER
from reviewflow.engine.store.postgres_schema_names import ADMIN_ROLE, APP_ROLE, SCHEMA
from reviewflow.engine.store.postgres_schema_security import GROUP_ROLES, MEMBERSHIP_FUNCTIONS, SECURITY
from reviewflow.engine.store.postgres_schema_tables import TABLES, TRIGGERS
from reviewflow.engine.store.postgres_schema_writes import WRITE_FUNCTIONS

__all__ = [
    "ADMIN_ROLE", "APP_ROLE", "CASE_COLUMNS", "CREATE_STORE", "DEADLINE_COLUMNS", "EVENT_COLUMNS",
    "LEDGER_COLUMNS", "MIGRATIONS", "MIGRATION_LOCK", "SCHEMA", "SCHEMA_VERSION",
]

# One key for pg_advisory_xact_lock: "RFLW" as a number, as in the SQLite header.
MIGRATION_LOCK = 0x52464C57

# Each migration runs once, in one transaction, and is recorded in `schema_migrations`.
# Never edit a shipped migration: add a new one.
MIGRATIONS: tuple[tuple[int, str, tuple[str, ...]], ...] = (
    (1, "schema, write functions, privileges and row-level security",
     (*TABLES, *TRIGGERS, *WRITE_FUNCTIONS, *MEMBERSHIP_FUNCTIONS, *SECURITY)),
    (2, "ledger and projection date", tuple(LEDGER)),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]

# What a database without a store gets before migration 1: the cluster-wide group roles (the schema's
# grants name them), the schema, and the table that records migrations (the database's clock, not the
# engine's: bookkeeping, not part of any case record).
CREATE_STORE: tuple[str, ...] = (
    *GROUP_ROLES,
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
