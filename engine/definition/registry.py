"""The registry: definitions by process id on the search path, found without parsing any YAML.

Split from the loading pipeline (`reviewflow.engine.definition.loader`) so that a command that only
needs to know which file holds an id, or the hash of a definition's texts as they are now (`case show`
asking whether a newer version exists), imports no YAML or schema library.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from reviewflow.engine.definition import searchpath
from reviewflow.engine.errors import CodeInfo, Diagnostic, Location, Severity
from reviewflow.engine.limits import read_regular_text
from reviewflow.engine.paths import processes_dir

DUPLICATE_ID = CodeInfo("L103", "duplicate-process-id", Severity.ERROR, "Two definition files use the same process id.")

SCENARIOS_DIR = "scenarios"  # scenario files live here, beside the definitions they exercise
_TOP_ID = re.compile(r"""^id:[ \t]*["']?([A-Za-z0-9_.-]+)["']?[ \t]*(?:#.*)?$""", re.MULTILINE)
_TOP_EXTENDS = re.compile(r"""^extends:[ \t]*["']?([A-Za-z0-9_.-]+)["']?[ \t]*(?:#.*)?$""", re.MULTILINE)
_TOP_REVIEWFLOW = re.compile(r"^reviewflow:", re.MULTILINE)
_TOP_KIND = re.compile(r"""^kind:[ \t]*["']?([a-z_]+)["']?[ \t]*(?:#.*)?$""", re.MULTILINE)


# ---------------------------------------------------------------------------------------------
# Registry

@cache
def _bundled_root() -> Path:
    return processes_dir().resolve()


def display_name(path: Path) -> str:
    """How diagnostics name a file: `bundled:…` for a bundled file, else relative to the working
    directory when it is below it (never a site-packages path a user cannot open from their folder)."""
    if Path(path).resolve().is_relative_to(_bundled_root()):
        return bundled_name(path)
    try:
        return os.path.relpath(path) if path.is_absolute() and path.resolve().is_relative_to(Path.cwd()) \
            else str(path)
    except (OSError, ValueError):
        return str(path)


def peek(text: str) -> tuple[str | None, str | None, int]:
    """The top-level `id`, `extends` and the id's line, read without parsing (the registry must be cheap)."""
    if not _TOP_REVIEWFLOW.search(text):
        return None, None, 0
    found = _TOP_ID.search(text)
    if found is None:
        return None, None, 0
    ext = _TOP_EXTENDS.search(text)
    return found.group(1), ext.group(1) if ext else None, text.count("\n", 0, found.start()) + 1


_PEEKED: dict[tuple[Path, int, int], tuple[str | None, str | None, int, str | None]] = {}


def _peek_file(real: Path) -> tuple[str | None, str | None, int, str | None] | None:
    """(id, extends, the id's line, kind) of a file, remembered per (path, mtime, size) in this process
    (`validate` builds more than one registry over the same files); None when it cannot be read."""
    try:
        stat = real.stat()
        key = (real, stat.st_mtime_ns, stat.st_size)
        found = _PEEKED.get(key)
        if found is None:
            text = read_regular_text(real)  # never blocks on a named pipe
            pid, ext, line = peek(text)
            kind = _TOP_KIND.search(text) if pid is not None else None
            found = _PEEKED[key] = (pid, ext, line, kind.group(1) if kind else None)
        return found
    except OSError:
        return None


def yaml_kind(path: Path) -> str | None:
    """"definition", "scenario" or None (other YAML: CI workflows, a pre-commit config) for one file.

    A definition has a top-level `reviewflow:` key or lives under a `processes/` folder; a scenario has a
    top-level `scenario:` key or lives under a `scenarios/` folder. Read without parsing: pre-commit
    hands over every changed YAML file and most of them are none of ours.
    """
    parts = Path(path).parts[:-1]
    if SCENARIOS_DIR in parts:
        return "scenario"
    try:
        head = read_regular_text(path)  # never blocks on a named pipe
    except OSError:
        head = ""
    if _TOP_REVIEWFLOW.search(head):
        return "definition"
    if re.search(r"^scenario:", head, re.MULTILINE):
        return "scenario"
    return "definition" if "processes" in parts else None


def definition_files(root: Path) -> list[Path]:
    """`root` itself if it is a file, else every *.yaml below it outside `scenarios/` directories.

    Anything named *.yaml that is not a folder counts (a named pipe or a broken link too), so that
    loading it reports why it cannot be read instead of skipping it without a word."""
    if root.is_file():
        return [root]
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*.yaml")
                  if not p.is_dir() and SCENARIOS_DIR not in p.relative_to(root).parts[:-1])


class Registry:
    """Definitions by process id, in search-path order: the first file with an id wins.

    A workspace file shadows a bundled file with the same id (`shadowed` records the pair, `validate`
    warns once); two workspace files, or two bundled files, with one id are an L103 error. Fallback roots
    (`with_roots`) are searched last and only to find bases: an id clash there is nobody's error, so a
    folder of unrelated examples beside the file being validated does not make every shared id an error.
    """

    def __init__(self, roots: Sequence[Path | searchpath.Root] = (), fallback_roots: Sequence[Path] = ()) -> None:
        self.roots: list[searchpath.Root] = []
        self.fallback_roots: list[Path] = []
        self._paths: dict[str, list[Path]] = {}
        self._origins: dict[Path, searchpath.Origin | None] = {}  # None: a fallback root's file
        self._extends: dict[str, str | None] = {}
        self._kinds: dict[str, str | None] = {}  # the kind a file declares (None: its base's, or "case")
        self._lines: dict[Path, int] = {}
        self.shadowed: dict[str, tuple[Path, Path]] = {}  # id -> (workspace file, bundled file it replaces)
        self.diagnostics: list[Diagnostic] = []
        for root in roots:
            self.add_root(root if isinstance(root, searchpath.Root) else _workspace_root(root))
        for fallback in fallback_roots:
            self.add_fallback(fallback)

    @classmethod
    def for_search_path(cls, search: searchpath.SearchPath) -> Registry:
        return cls(search.roots)

    def add_root(self, root: searchpath.Root) -> None:
        self.roots.append(root)
        self._add_files(root.path, root.origin)

    def add_fallback(self, path: Path) -> None:
        self.fallback_roots.append(Path(path))
        self._add_files(Path(path), None)

    def _add_files(self, folder: Path, origin: searchpath.Origin | None) -> None:
        for path in definition_files(folder):
            real = path.resolve()
            if real in self._origins:
                continue
            self._origins[real] = origin
            found = _peek_file(real)
            if found is None:
                continue  # unreadable files are reported when they are loaded, not here
            pid, ext, line, kind = found
            if pid is None:
                continue
            self._lines[real] = line
            others = self._paths.setdefault(pid, [])
            if others and origin is not None:
                self._note_clash(pid, others[0], path, origin)
            if not others:
                self._extends[pid] = ext
                self._kinds[pid] = kind
            others.append(path)

    def _note_clash(self, pid: str, winner: Path, path: Path, origin: searchpath.Origin) -> None:
        winner_origin = self._origins.get(winner.resolve())
        if winner_origin is None:
            return
        if winner_origin.is_workspace and origin is searchpath.Origin.BUNDLED:
            self.shadowed.setdefault(pid, (winner, path))
            return
        self.diagnostics.append(DUPLICATE_ID.diagnostic(
            f'process id "{pid}" is already used by {display_name(winner)}', Location(display_name(path),
                                                                                  self._lines[path.resolve()], 1),
            "process ids must be unique across the workspace; rename one, or remove the copy"))

    def with_roots(self, roots: Sequence[Path]) -> Registry:
        """A new registry that also finds bases under `roots`, after every root it already has."""
        return Registry(self.roots, [*self.fallback_roots, *roots])

    def path_for(self, process_id: str) -> Path | None:
        paths = self._paths.get(process_id)
        return paths[0] if paths else None

    def paths_for(self, process_id: str) -> list[Path]:
        return list(self._paths.get(process_id, ()))

    def origin_of(self, path: Path) -> searchpath.Origin | None:
        """Where a file was found (None: not on the search path itself, only a fallback for bases)."""
        return self._origins.get(Path(path).resolve())

    def is_primary(self, path: Path) -> bool:
        return self.origin_of(path) is not None

    def extends_of(self, process_id: str) -> str | None:
        return self._extends.get(process_id)

    def ids(self) -> list[str]:
        return sorted(self._paths)

    def kind_of(self, process_id: str) -> str | None:
        """The kind of definition an id names, read without parsing (a local file inherits its base's)."""
        seen: set[str] = set()
        current: str | None = process_id
        while current is not None and current in self._paths and current not in seen:
            seen.add(current)
            if self._kinds.get(current):
                return self._kinds[current]
            current = self._extends.get(current)
        return "case" if process_id in self._paths else None

    def ids_of_kind(self, kind: str) -> list[str]:
        return [i for i in self.ids() if self.kind_of(i) == kind]

    @property
    def has_workspace(self) -> bool:
        return any(root.origin.is_workspace for root in self.roots)


def _workspace_root(path: Path) -> searchpath.Root:
    """A folder given as a plain path: the bundled folder keeps its origin, anything else is workspace."""
    bundled = _bundled_root()
    origin = searchpath.Origin.BUNDLED if Path(path).resolve() == bundled else searchpath.Origin.OPTION
    return searchpath.Root(Path(path), origin)


def bundled_name(path: Path) -> str:
    """How a bundled file is named to users: `bundled:leeds/leeds-rapid-review.yaml`, never a site-packages path."""
    try:
        return "bundled:" + Path(path).resolve().relative_to(_bundled_root()).as_posix()
    except ValueError:
        return str(path)


def default_registry(extra_roots: Sequence[Path] = ()) -> Registry:
    """`extra_roots` as the workspace, then the bundled processes/ folder."""
    return Registry([*extra_roots, processes_dir()])


def registry_for(search: searchpath.SearchPath) -> Registry:
    return Registry.for_search_path(search)


def definition_hash(texts: Sequence[str]) -> str:
    """sha256 over the chain's texts, local file first: names are left out so moving a file keeps it."""
    digest = hashlib.sha256()
    for text in texts:
        raw = text.encode("utf-8")
        digest.update(f"{len(raw)}\n".encode())
        digest.update(raw)
    return digest.hexdigest()
