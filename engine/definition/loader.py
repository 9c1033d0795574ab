"""The loading pipeline and the registry that finds definitions by id.

    file ──yamlio──► Document ──schema──► (stop on errors) ──overlay (bases by id, cached)──► Resolved
         ──builder──► Process

The same pipeline runs over two sources: files found through a `Registry`, and a stored bundle of
texts (`load_from_bundle`), so a case reopens on exactly the definition it started with, without the
filesystem. Parsed files are cached per (path, mtime, size) and resolved chains per their files' keys,
so validating many definitions that extend one base parses and resolves that base once.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from reviewflow.engine.definition import builder, overlay, schema, searchpath, yamlio
from reviewflow.engine.definition.model import Process
from reviewflow.engine.errors import (
    CodeInfo,
    DefinitionError,
    Diagnostic,
    Location,
    NotFoundError,
    Severity,
    did_you_mean,
)
from reviewflow.engine.limits import read_regular_text
from reviewflow.engine.paths import processes_dir

_E = Severity.ERROR
UNKNOWN_BASE = CodeInfo("L101", "unknown-base", _E, "`extends` names a process id that no definition has.")
EXTENDS_CYCLE = CodeInfo("L102", "extends-cycle", _E, "Definitions extend each other in a loop.")
DUPLICATE_ID = CodeInfo("L103", "duplicate-process-id", _E, "Two definition files use the same process id.")
BASE_INVALID = CodeInfo("L105", "base-invalid", _E, "The base named by `extends` has errors of its own.")
SHADOWS_BUNDLED = CodeInfo("L107", "shadows-bundled", Severity.WARNING,
                           "A workspace definition has the id of a bundled one and replaces it.")
FOLLOWS_IN_BASE = CodeInfo("L108", "follows-in-base", _E,
                           "Problems inside a base that follow from a local file's changes, collapsed into one.")
NOT_A_DEFINITION = CodeInfo("L106", "not-a-definition", _E,
                            "A YAML file without the `reviewflow:` key is not a process definition.")
UNKNOWN_MEMBER = CodeInfo("L109", "unknown-member-process", _E,
                          "A partnership's `processes` names a process id that no definition has.")
UNKNOWN_VOCABULARY = CodeInfo("L110", "unknown-vocabulary", _E,
                              "A field's `vocabulary` names no partnership definition (kind: partnership).")
CODES: tuple[CodeInfo, ...] = (UNKNOWN_BASE, EXTENDS_CYCLE, DUPLICATE_ID, builder.BAD_DATE, BASE_INVALID,
                               NOT_A_DEFINITION, SHADOWS_BUNDLED, FOLLOWS_IN_BASE, UNKNOWN_MEMBER,
                               UNKNOWN_VOCABULARY, builder.EXPRESSION_SYNTAX)

SCENARIOS_DIR = "scenarios"  # scenario files live here, beside the definitions they exercise
_TOP_ID = re.compile(r"""^id:[ \t]*["']?([A-Za-z0-9_.-]+)["']?[ \t]*(?:#.*)?$""", re.MULTILINE)
_TOP_EXTENDS = re.compile(r"""^extends:[ \t]*["']?([A-Za-z0-9_.-]+)["']?[ \t]*(?:#.*)?$""", re.MULTILINE)
_TOP_REVIEWFLOW = re.compile(r"^reviewflow:", re.MULTILINE)
_TOP_KIND = re.compile(r"""^kind:[ \t]*["']?([a-z_]+)["']?[ \t]*(?:#.*)?$""", re.MULTILINE)


@dataclass
class LoadResult:
    file: str
    process: Process | None  # None when errors prevented building it
    base: Process | None  # the resolved parent (for conformance lint); None without `extends`
    diagnostics: list[Diagnostic]
    bundle: dict[str, str]  # {display name: exact text} of every file in the extends chain

    @property
    def ok(self) -> bool:
        return self.process is not None and not any(d.is_error for d in self.diagnostics)


# ---------------------------------------------------------------------------------------------
# Registry

def _display(path: Path) -> str:
    """How diagnostics name a file: `bundled:…` for a bundled file, else relative to the working
    directory when it is below it (never a site-packages path a user cannot open from their folder)."""
    if Path(path).resolve().is_relative_to(processes_dir().resolve()):
        return bundled_name(path)
    try:
        return os.path.relpath(path) if path.is_absolute() and path.resolve().is_relative_to(Path.cwd()) \
            else str(path)
    except (OSError, ValueError):
        return str(path)


def _peek(text: str) -> tuple[str | None, str | None, int]:
    """The top-level `id`, `extends` and the id's line, read without parsing (the registry must be cheap)."""
    if not _TOP_REVIEWFLOW.search(text):
        return None, None, 0
    found = _TOP_ID.search(text)
    if found is None:
        return None, None, 0
    ext = _TOP_EXTENDS.search(text)
    return found.group(1), ext.group(1) if ext else None, text.count("\n", 0, found.start()) + 1


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
            try:
                text = read_regular_text(real)
            except OSError:
                continue  # unreadable files are reported when they are loaded, not here
            pid, ext, line = _peek(text)
            if pid is None:
                continue
            self._lines[real] = line
            others = self._paths.setdefault(pid, [])
            if others and origin is not None:
                self._note_clash(pid, others[0], path, origin)
            if not others:
                self._extends[pid] = ext
                kind = _TOP_KIND.search(text)
                self._kinds[pid] = kind.group(1) if kind else None
            others.append(path)

    def _note_clash(self, pid: str, winner: Path, path: Path, origin: searchpath.Origin) -> None:
        winner_origin = self._origins.get(winner.resolve())
        if winner_origin is None:
            return
        if winner_origin.is_workspace and origin is searchpath.Origin.BUNDLED:
            self.shadowed.setdefault(pid, (winner, path))
            return
        self.diagnostics.append(DUPLICATE_ID.diagnostic(
            f'process id "{pid}" is already used by {_display(winner)}', Location(_display(path),
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
    bundled = processes_dir().resolve()
    origin = searchpath.Origin.BUNDLED if Path(path).resolve() == bundled else searchpath.Origin.OPTION
    return searchpath.Root(Path(path), origin)


def bundled_name(path: Path) -> str:
    """How a bundled file is named to users: `bundled:leeds/leeds-rapid-review.yaml`, never a site-packages path."""
    try:
        return "bundled:" + Path(path).resolve().relative_to(processes_dir().resolve()).as_posix()
    except ValueError:
        return str(path)


def default_registry(extra_roots: Sequence[Path] = ()) -> Registry:
    """`extra_roots` as the workspace, then the bundled processes/ folder."""
    return Registry([*extra_roots, processes_dir()])


def registry_for(search: searchpath.SearchPath) -> Registry:
    return Registry.for_search_path(search)


# ---------------------------------------------------------------------------------------------
# The pipeline, over a source of texts

@dataclass
class _Parsed:
    key: tuple[Any, ...]  # cache key: changes when the text changes
    document: yamlio.Document | None
    diagnostics: list[Diagnostic]


@dataclass
class _Outcome:
    key: tuple[Any, ...] | None  # None: depends on lookups (unknown base, cycle), not cached
    parsed: _Parsed
    process: Process | None
    base: Process | None
    resolved: overlay.Resolved | None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def result(self) -> LoadResult:
        doc = self.parsed.document
        chain = self.resolved.chain if self.resolved else ((doc,) if doc else ())
        name = doc.file if doc else str(self.parsed.key[-1])
        return LoadResult(name, self.process, self.base,
                          sorted(self.parsed.diagnostics + self.diagnostics, key=Diagnostic.sort_key),
                          {d.file: d.text for d in chain})


_PARSED: dict[tuple[Any, ...], _Parsed] = {}
_OUTCOMES: dict[tuple[Any, ...], _Outcome] = {}
_BUNDLES: dict[str, Process] = {}


def clear_caches() -> None:
    _PARSED.clear()
    _OUTCOMES.clear()
    _BUNDLES.clear()


def _check(document: yamlio.Document | None, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Schema-check a freshly read document; a YAML file that is not a definition gets one clear L106."""
    if document is None or any(d.is_error for d in diagnostics):
        return diagnostics
    if not isinstance(document.data, dict) or "reviewflow" not in document.data:
        return [*diagnostics, NOT_A_DEFINITION.diagnostic(
            "this YAML file is not a reviewflow process definition (it has no `reviewflow:` key)",
            Location(document.file, 1, 1),
            "start a definition with `reviewflow: 1`; scenario files belong in a scenarios/ directory")]
    return [*diagnostics, *schema.validate_document(document)]


def definition_hash(texts: Sequence[str]) -> str:
    """sha256 over the chain's texts, local file first: names are left out so moving a file keeps it."""
    digest = hashlib.sha256()
    for text in texts:
        raw = text.encode("utf-8")
        digest.update(f"{len(raw)}\n".encode())
        digest.update(raw)
    return digest.hexdigest()


class _Pipeline:
    """Loads one definition and its bases through `find` (id → handle) and `read` (handle → _Parsed)."""

    def __init__(self, read: Callable[[str], _Parsed], find: Callable[[str], str | None],
                 ids: Callable[[], list[str]], extends_of: Callable[[str], str | None]) -> None:
        self.read, self.find, self.ids, self.extends_of = read, find, ids, extends_of

    def load(self, handle: str, stack: tuple[str, ...] = ()) -> _Outcome:
        parsed = self.read(handle)
        doc = parsed.document
        if doc is None or any(d.is_error for d in parsed.diagnostics):
            return _Outcome(parsed.key, parsed, None, None, None)
        ext = doc.data.get("extends")
        if not isinstance(ext, str):
            return self._assemble(parsed, None)
        problem = self._base_problem(doc, ext, handle, stack)
        if problem is not None:
            return _Outcome(None, parsed, None, None, None, [problem])
        base_handle = self.find(ext)
        assert base_handle is not None  # _base_problem reported an unknown base
        base = self.load(base_handle, (*stack, handle))
        if base.process is None or base.resolved is None:
            count = sum(1 for d in base.result().diagnostics if d.is_error)
            base_file = base.result().file
            return _Outcome(None, parsed, None, None, None, [BASE_INVALID.diagnostic(
                f'the base process "{ext}" ({base_file}) has {count} error{"s" if count != 1 else ""}',
                doc.key_location(["extends"]),
                f"run `reviewflow validate {base_file}` and fix the base first")])
        return self._assemble(parsed, base)

    def _base_problem(self, doc: yamlio.Document, ext: str, handle: str,
                      stack: tuple[str, ...]) -> Diagnostic | None:
        where = doc.location(["extends"])
        if self.find(ext) is None:
            return UNKNOWN_BASE.diagnostic(f'no definition has the process id "{ext}" named by extends', where,
                                           did_you_mean(ext, self.ids()) or "no definitions were found")
        own = str(doc.data.get("id"))
        loop: list[str] = [own]
        current: str | None = ext
        # Follow the cheap extends links first, so every file in a loop reports the whole loop.
        while current is not None and current not in loop:
            loop.append(current)
            current = self.extends_of(current)
        if current == own or self.find(ext) == handle or self.find(ext) in stack:
            # (the second test is a backstop for a file changed since the registry read it)
            return EXTENDS_CYCLE.diagnostic("extends cycle: " + " → ".join([*loop, own]), where,
                                            "a definition may not extend itself, directly or through its bases")
        return None  # a loop further up is reported by the base itself, and here as L105

    def _assemble(self, parsed: _Parsed, base: _Outcome | None) -> _Outcome:
        cacheable = base is None or base.key is not None
        key = (parsed.key, base.key if base else None)
        if cacheable and key in _OUTCOMES:
            return _OUTCOMES[key]
        assert parsed.document is not None
        resolved = overlay.resolve(parsed.document, base.resolved if base else None)
        problems: list[Diagnostic] = []
        if base is not None:
            # The merged result must itself be a whole definition (a patch may have removed a required key).
            # Without `extends` the schema checks it as a complete definition, not as a patch.
            merged = resolved.as_document()
            merged = replace(merged, data={k: v for k, v in merged.data.items() if k != "extends"})
            problems = [d for d in schema.validate_document(merged) if d.is_error]
        process = None
        if not problems:
            process, problems = builder.build(resolved, definition_hash([d.text for d in resolved.chain]))
        outcome = _Outcome(key if cacheable else None, parsed, process, base.process if base else None,
                           resolved, problems)
        if cacheable:
            _OUTCOMES[key] = outcome
        return outcome


# ---------------------------------------------------------------------------------------------
# Sources: the filesystem through a registry, and a stored bundle

def _read_file(path: Path) -> _Parsed:
    display = _display(path)
    try:
        stat = path.stat()
        key: tuple[Any, ...] = ("file", str(path.resolve()), stat.st_mtime_ns, stat.st_size, display)
    except OSError:
        key = ("file", str(path), -1, -1, display)
    cached = _PARSED.get(key)
    if cached is None:
        document, diagnostics = yamlio.load_yaml_file(path, display)
        cached = _PARSED[key] = _Parsed(key, document, _check(document, diagnostics))
    return cached


def _read_text(name: str, text: str) -> _Parsed:
    key = ("text", hashlib.sha256(text.encode("utf-8")).hexdigest(), name)
    cached = _PARSED.get(key)
    if cached is None:
        document, diagnostics = yamlio.load_yaml_text(text, name)
        cached = _PARSED[key] = _Parsed(key, document, _check(document, diagnostics))
    return cached


def _fs_pipeline(registry: Registry) -> _Pipeline:
    def find(process_id: str) -> str | None:
        path = registry.path_for(process_id)
        return str(path) if path else None

    return _Pipeline(lambda handle: _read_file(Path(handle)), find, registry.ids, registry.extends_of)


def _duplicate(path: Path, document: yamlio.Document | None, registry: Registry) -> Diagnostic | None:
    """L103 for a file whose id another file of the same kind (workspace, or bundled) also claims."""
    process_id = document.data.get("id") if document is not None and isinstance(document.data, dict) else None
    if not isinstance(process_id, str):
        return None
    mine = registry.origin_of(path)
    if mine is None:
        return None
    rivals = [p for p in registry.paths_for(process_id)
              if p.resolve() != path.resolve() and (theirs := registry.origin_of(p)) is not None
              and theirs.is_workspace == mine.is_workspace]
    if not rivals:
        return None
    assert document is not None
    return DUPLICATE_ID.diagnostic(
        f'process id "{process_id}" is already used by {_display(rivals[0])}', document.location(["id"]),
        "process ids must be unique across the workspace; rename one, or remove the copy")


def load_path(path: Path, registry: Registry) -> LoadResult:
    """Load one definition file (and its bases, by id through `registry`); every problem is collected."""
    path = Path(path)
    outcome = _fs_pipeline(registry).load(str(path))
    result = outcome.result()
    duplicate = _duplicate(path, outcome.parsed.document, registry)
    if duplicate is not None:
        result.diagnostics = sorted([*result.diagnostics, duplicate], key=Diagnostic.sort_key)
    return result


def load_process_by_id(process_id: str, registry: Registry | None = None) -> Process:
    """The process with this id; raises NotFoundError or DefinitionError (with every diagnostic)."""
    registry = registry or default_registry()
    path = registry.path_for(process_id)
    if path is None:
        raise NotFoundError(f'no process has the id "{process_id}"',
                            did_you_mean(process_id, registry.ids()) or "no process definitions were found")
    result = load_path(path, registry)
    errors = [d for d in result.diagnostics if d.is_error]
    if result.process is None or errors:
        raise DefinitionError(errors or result.diagnostics)
    return result.process


def load_from_bundle(bundle: Mapping[str, str], process_file: str) -> Process:
    """Rebuild a Process from stored texts alone (no filesystem); raises DefinitionError when they do not load."""
    cache_key = hashlib.sha256(json.dumps([process_file, sorted(bundle.items())]).encode("utf-8")).hexdigest()
    cached = _BUNDLES.get(cache_key)
    if cached is not None:
        return cached
    if process_file not in bundle:
        raise NotFoundError(f'the stored definition has no file "{process_file}"',
                            did_you_mean(process_file, bundle))
    by_id: dict[str, str] = {}
    extends: dict[str, str | None] = {}
    for name, text in bundle.items():
        pid, ext, _ = _peek(text)
        if pid is not None and pid not in by_id:
            by_id[pid], extends[pid] = name, ext
    pipeline = _Pipeline(lambda name: _read_text(name, bundle[name]), by_id.get, lambda: sorted(by_id),
                         extends.get)
    result = pipeline.load(process_file).result()
    errors = [d for d in result.diagnostics if d.is_error]
    if result.process is None or errors:
        raise DefinitionError(errors or result.diagnostics)
    _BUNDLES[cache_key] = result.process
    return result.process
