"""The loading pipeline (the registry that finds definitions by id is `definition.registry`).

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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from reviewflow.engine.definition import builder, overlay, schema, yamlio
from reviewflow.engine.definition.model import Process
from reviewflow.engine.definition.registry import (  # re-exported: the loader's names since #8
    DUPLICATE_ID,
    SCENARIOS_DIR,
    Registry,
    bundled_name,
    default_registry,
    definition_files,
    definition_hash,
    registry_for,
    yaml_kind,
)
from reviewflow.engine.definition.registry import (
    display_name as _display,
)
from reviewflow.engine.definition.registry import (
    peek as _peek,
)
from reviewflow.engine.errors import (
    CodeInfo,
    DefinitionError,
    Diagnostic,
    Location,
    NotFoundError,
    Severity,
    did_you_mean,
)

_E = Severity.ERROR
UNKNOWN_BASE = CodeInfo("L101", "unknown-base", _E, "`extends` names a process id that no definition has.")
EXTENDS_CYCLE = CodeInfo("L102", "extends-cycle", _E, "Definitions extend each other in a loop.")
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
UNKNOWN_OUTCOME_FIELD = CodeInfo("L111", "unknown-outcome-field", _E,
                                 "A partnership's `reporting.outcome_field` is a field none of its case definitions has.")
CODES: tuple[CodeInfo, ...] = (UNKNOWN_BASE, EXTENDS_CYCLE, DUPLICATE_ID, builder.BAD_DATE, BASE_INVALID,
                               NOT_A_DEFINITION, SHADOWS_BUNDLED, FOLLOWS_IN_BASE, UNKNOWN_MEMBER,
                               UNKNOWN_VOCABULARY, UNKNOWN_OUTCOME_FIELD, builder.EXPRESSION_SYNTAX)
__all__ = ["CODES", "SCENARIOS_DIR", "LoadResult", "Registry", "bundled_name", "clear_caches", "default_registry",
           "definition_files", "definition_hash", "load_from_bundle", "load_path", "load_process_by_id",
           "registry_for", "yaml_kind"]


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
            merged_data = {k: v for k, v in resolved.data.items() if k != "extends"}
            # Where each merged value was written is worked out only when there is a problem to place.
            if not schema.fits(merged_data):
                merged = replace(resolved.as_document(), data=merged_data)
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
