"""The store itself, for people: `db info` and `admin members` (docs/json.md has the JSON shapes)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reviewflow.engine.render.case_text import table
from reviewflow.engine.store.types import Membership, StoreInfo


def info_json(info: StoreInfo) -> dict[str, Any]:
    return {"backend": info.backend, "location": info.location, "schema_version": info.schema_version,
            "code_schema_version": info.code_schema_version, "recorded_as": info.principal,
            "roles_enforced": info.backend == "postgresql"}


def info_text(info: StoreInfo) -> str:
    enforced = ("by the database (reviewflow admin grant)" if info.backend == "postgresql"
                else "no: --by is advisory on SQLite")
    return (f"backend:         {info.backend}\nlocation:        {info.location}\n"
            f"schema version:  {info.schema_version} (this reviewflow: {info.code_schema_version})\n"
            f"recorded as:     {info.principal}\nroles enforced:  {enforced}")


def members_json(members: Sequence[Membership]) -> dict[str, Any]:
    return {"members": [{"partnership": m.partnership, "login": m.login, "role": m.role,
                         "granted_by": m.granted_by} for m in members]}


def members_text(members: Sequence[Membership]) -> str:
    if not members:
        return "no memberships"
    return "\n".join(table(("PARTNERSHIP", "LOGIN", "ROLE", "GRANTED BY"),
                           [(m.partnership, m.login, m.role, m.granted_by) for m in members], indent=""))
