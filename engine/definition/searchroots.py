"""The folders of the definitions search path, in order, with where each came from: the rule itself.

`definition.searchpath` wraps these in its `Root` / `SearchPath` values for the engine; the `reviewflow`
script reads them here directly, to key a cached `validate` answer before it loads anything else
(reviewflow.launch). So this module imports only `os`, `enum` and `pathlib`, and the error class only to
raise it.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path

from reviewflow.engine.paths import processes_dir

TYPE_CHECKING = False
if TYPE_CHECKING:  # `typing` itself costs a few milliseconds to import
    from collections.abc import Mapping, Sequence

ENVIRONMENT_VARIABLE = "REVIEWFLOW_PATH"
WORKSPACE_FOLDER = "processes"


class Origin(StrEnum):
    OPTION = "option"  # --processes DIR
    ENVIRONMENT = "environment"  # $REVIEWFLOW_PATH
    WORKSPACE = "workspace"  # ./processes
    BUNDLED = "bundled"  # shipped with reviewflow

    @property
    def is_workspace(self) -> bool:
        return self is not Origin.BUNDLED


def search_folders(options: Sequence[str | Path], environ: Mapping[str, str], cwd: Path, *,
                   bundled: bool = True) -> list[tuple[Path, Origin]]:
    """(folder, origin) for each `--processes` option, each $REVIEWFLOW_PATH entry, ./processes when it
    exists, then the bundled folder; a folder met twice is kept once, where it first came.

    A folder named by an option or by REVIEWFLOW_PATH must exist: a typo there would otherwise make a
    partnership's definitions silently disappear behind the bundled ones (an EngineError says so).
    """
    found: list[tuple[Path, Origin]] = []
    for option in options:
        found.append((_existing_folder(Path(option), cwd, "--processes"), Origin.OPTION))
    for entry in environ.get(ENVIRONMENT_VARIABLE, "").split(os.pathsep):
        if entry.strip():
            found.append((_existing_folder(Path(entry), cwd, ENVIRONMENT_VARIABLE), Origin.ENVIRONMENT))
    local = cwd / WORKSPACE_FOLDER
    if local.is_dir():
        found.append((local, Origin.WORKSPACE))
    if bundled:
        found.append((processes_dir(), Origin.BUNDLED))
    shipped = processes_dir().resolve()
    unique: dict[Path, tuple[Path, Origin]] = {}
    for path, origin in found:
        # In a source checkout ./processes *is* the bundled folder: it stays bundled, not a workspace.
        real = path.resolve()
        unique.setdefault(real, (path, Origin.BUNDLED) if real == shipped else (path, origin))
    return list(unique.values())


def _existing_folder(path: Path, cwd: Path, named_by: str) -> Path:
    full = path if path.is_absolute() else cwd / path
    if not full.is_dir():
        from reviewflow.engine.errors import EngineError

        what = "is a file, not a folder" if full.exists() else "does not exist"
        raise EngineError(f"{named_by} names {path}, which {what}",
                          "name a folder of process definitions (YAML files with a top-level `reviewflow:` key)")
    return full
