"""The refusals only a store makes; each means the write was refused and nothing was written.

The other errors a store raises on purpose are the engine's own (`reviewflow.engine.errors`):
`NotFoundError`, `IntegrityError` and `StoreError`.
"""

from __future__ import annotations

from reviewflow.engine.errors import EngineError, RefusedError, StoreError


class ConcurrencyError(StoreError):
    """`expected_last_seq` did not match: someone else appended first. Re-read the case and retry."""


class CaseExistsError(EngineError):
    """`open_case` with a reference that is already taken."""


class AccessRefusedError(RefusedError):
    """The database refused this login: a role it was not granted in the case's partnership, or a
    privilege it does not have (administration, migration)."""
