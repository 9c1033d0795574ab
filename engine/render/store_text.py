"""The store itself, for people: `db info` and `admin members` (docs/json.md has the JSON shapes)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class MemberList:
    """`admin members`: the memberships found, and the partnership asked about (None: every one)."""

    partnership: str | None
    members: Sequence[Membership]


def members_json(found: MemberList) -> dict[str, Any]:
    return {"members": [{"partnership": m.partnership, "login": m.login, "role": m.role,
                         "granted_by": m.granted_by} for m in found.members]}


def members_text(found: MemberList) -> str:
    if not found.members:
        return "no memberships" + (f" in partnership {found.partnership}" if found.partnership else "")
    return "\n".join(table(("PARTNERSHIP", "LOGIN", "ROLE", "GRANTED BY"),
                           [(m.partnership, m.login, m.role, m.granted_by) for m in found.members], indent=""))
