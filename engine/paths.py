"""Where the bundled data lives (the one place that knows, for a checkout and an installed wheel alike),
and where the user's cache folder is.

`processes/` and `schemas/` are installed as top-level data packages beside `engine/`, so the same
relative lookup works in a source checkout and in site-packages.
"""

from __future__ import annotations

import os
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent


def processes_dir() -> Path:
    return _ROOT / "processes"


def schemas_dir() -> Path:
    return _ROOT / "schemas"


def schema_path(name: str = "process") -> Path:
    return schemas_dir() / f"{name}.schema.json"


CACHE_ENV = "REVIEWFLOW_CACHE"


def cache_dir() -> Path:
    """The user's cache folder: $REVIEWFLOW_CACHE, else $XDG_CACHE_HOME/reviewflow, else ~/.cache/reviewflow.

    Here, with nothing but `os` and `pathlib`, because the `reviewflow` script reads a cached answer
    before it loads anything else (reviewflow.launch)."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "reviewflow"
