"""Where definitions are looked for: the same ordered search path for every command.

1. each `--processes DIR`, in the order given;
2. each folder of `REVIEWFLOW_PATH` (separated by os.pathsep, like PATH);
3. `./processes`, when the working directory has one (a partnership's own repository);
4. the definitions bundled with reviewflow, last.

Folders 1-3 are the *workspace*. A workspace definition with the id of a bundled one replaces it (it
shadows it: `validate` says so once); two workspace files with one id are an error. The engine never reads
the environment itself: the caller passes the options, the environment and the working directory in.
The rule itself is `definition.searchroots` (light enough for the `reviewflow` script's fast path); this
module gives its folders as the engine's values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from reviewflow.engine.definition.searchroots import (  # noqa: F401 (named here for the engine's callers)
    ENVIRONMENT_VARIABLE,
    WORKSPACE_FOLDER,
    Origin,
    search_folders,
)
from reviewflow.engine.errors import EngineError
from reviewflow.engine.paths import processes_dir

if TYPE_CHECKING:
    from dataclasses import dataclass
else:  # the same frozen dataclasses, defined without compiling generated methods (engine.values)
    from reviewflow.engine.values import frozen_dataclass as dataclass


@dataclass(frozen=True)
class Root:
    path: Path
    origin: Origin

    def describe(self, cwd: Path) -> str:
        where = {Origin.OPTION: "--processes", Origin.ENVIRONMENT: f"${ENVIRONMENT_VARIABLE}",
                 Origin.WORKSPACE: "the working directory's processes/", Origin.BUNDLED: "bundled"}[self.origin]
        return f"{shown_path(self.path, cwd)}  ({where})"


@dataclass(frozen=True)
class SearchPath:
    roots: tuple[Root, ...]

    @property
    def workspace(self) -> tuple[Root, ...]:
        return tuple(r for r in self.roots if r.origin.is_workspace)

    @property
    def has_workspace(self) -> bool:
        return bool(self.workspace)

    def describe(self, cwd: Path) -> list[str]:
        return [root.describe(cwd) for root in self.roots]


def resolve(options: Sequence[str | Path] = (), environ: Mapping[str, str] | None = None,
            cwd: Path | None = None, *, bundled: bool = True) -> SearchPath:
    """The search path for these `--processes` options, environment and working directory.

    A folder named by an option or by REVIEWFLOW_PATH must exist: a typo there would otherwise make a
    partnership's definitions silently disappear behind the bundled ones.
    """
    environ = {} if environ is None else environ
    cwd = cwd or Path(".").absolute()
    return SearchPath(tuple(Root(path, origin) for path, origin in search_folders(options, environ, cwd,
                                                                                    bundled=bundled)))


def explain(environ: Mapping[str, str], cwd: Path) -> list[str]:
    """The search path from `cwd` as numbered lines, or the reason it cannot be resolved (for --help)."""
    try:
        found = resolve([], environ, cwd)
    except EngineError as exc:
        return [f"(cannot be resolved: {exc.message})"]
    return [f"{number}. {line}" for number, line in enumerate(found.describe(cwd), start=1)]


def bundled_only() -> SearchPath:
    return SearchPath((Root(processes_dir(), Origin.BUNDLED),))


def shown_path(path: Path, cwd: Path) -> str:
    """A path as a person in `cwd` would type it: relative when below cwd, else absolute."""
    try:
        return path.resolve().relative_to(cwd.resolve()).as_posix() or "."
    except ValueError:
        return str(path.resolve())
