"""What `reviewflow validate` runs: load every definition given, then lint each one that built.

Results are values (a report per file); rendering and exit codes belong to the CLI.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reviewflow.engine.definition.loader import (
    SCENARIOS_DIR,
    Registry,
    default_registry,
    definition_files,
    load_path,
)
from reviewflow.engine.errors import Diagnostic, Severity
from reviewflow.engine.lint import lint_process


@dataclass
class FileReport:
    file: str
    process_id: str | None
    diagnostics: list[Diagnostic]

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


@dataclass
class ValidationReport:
    files: list[FileReport]

    @property
    def error_count(self) -> int:
        return sum(1 for f in self.files for d in f.diagnostics if d.severity is Severity.ERROR)

    @property
    def warning_count(self) -> int:
        return sum(1 for f in self.files for d in f.diagnostics if d.severity is Severity.WARNING)

    @property
    def ok(self) -> bool:
        return self.error_count == 0


def expand(paths: Sequence[Path]) -> tuple[list[Path], list[Path]]:
    """(definition files, scenario files) named by `paths`; directories are searched for *.yaml."""
    definitions: list[Path] = []
    scenarios: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            definitions.extend(definition_files(path))
            scenarios.extend(p for p in sorted(path.rglob("*.yaml"))
                             if SCENARIOS_DIR in p.relative_to(path).parts[:-1])
        elif SCENARIOS_DIR in path.parts[:-1]:
            scenarios.append(path)
        else:
            definitions.append(path)
    return list(dict.fromkeys(definitions)), list(dict.fromkeys(scenarios))


def validate_scenarios(paths: Sequence[Path], registry: Registry) -> list[FileReport]:
    """Extension point: scenario files are validated by the scenarios feature; until it plugs in
    here, they are collected and skipped (never mistaken for definitions)."""
    return []


def validate_paths(paths: Sequence[Path], registry: Registry | None = None) -> ValidationReport:
    """Load and lint every definition named by `paths` (files or directories).

    Bases are found by id on the registry's roots (default: the bundled processes/) and then in the
    given paths' own directories, so a file can extend a sibling base."""
    definitions, scenarios = expand(paths)
    dirs = list(dict.fromkeys(p if p.is_dir() else p.parent for p in map(Path, paths)))
    registry = (registry or default_registry()).with_roots(dirs)
    reports: list[FileReport] = []
    for path in definitions:
        result = load_path(path, registry)
        diagnostics = list(result.diagnostics)
        if result.process is not None:
            diagnostics.extend(lint_process(result.process, result.base))
        process_id = result.process.id if result.process else _declared_id(path, registry)
        reports.append(FileReport(result.file, process_id, sorted(diagnostics, key=Diagnostic.sort_key)))
    reports.extend(validate_scenarios(scenarios, registry))
    return ValidationReport(reports)


def _declared_id(path: Path, registry: Registry) -> str | None:
    """The id a broken file claims, for the report, when it could not be built."""
    for process_id in registry.ids():
        if any(p.resolve() == path.resolve() for p in registry.paths_for(process_id)):
            return process_id
    return None
