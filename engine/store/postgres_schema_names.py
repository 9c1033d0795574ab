"""The names every part of the PostgreSQL schema shares: the schema, the group roles, and the search_path
each function sets."""

from __future__ import annotations

SCHEMA = "reviewflow"
APP_ROLE = "reviewflow_app"
ADMIN_ROLE = "reviewflow_admin"

# Every function sets its own search_path: a SECURITY DEFINER function must never find a table or
# function through a schema the caller can create objects in.
SEARCH_PATH = f"SET search_path = {SCHEMA}, pg_catalog, pg_temp"
