"""Where the bundled data lives: the one place that knows, for a checkout and an installed wheel alike.

`processes/` and `schemas/` are installed as top-level data packages beside `engine/`, so the same
relative lookup works in a source checkout and in site-packages.
"""

from __future__ import annotations

from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent


def processes_dir() -> Path:
    return _ROOT / "processes"


def schemas_dir() -> Path:
    return _ROOT / "schemas"


def schema_path(name: str = "process") -> Path:
    return schemas_dir() / f"{name}.schema.json"
