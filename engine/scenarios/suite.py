"""Scenarios: executable examples of a process definition, run by `reviewflow test`.

A scenario file (docs/scenarios.md, schemas/scenario.schema.json) opens one case under one process,
records what happens, and states what must be true at given dates: the stage, what may be done, each
deadline's due date, window and status, the open tasks, the outcome, and which steps must be refused.

    load_scenario(path)        -> (Scenario | None, diagnostics)   schema + dates + names, precise line:col
    validate_scenarios(paths)  -> diagnostics                      for `reviewflow validate`
    run_paths(paths)           -> TestRun                          every scenario, run in memory

The package: `model` (values), `check` (checks beyond the schema), `run` (the runner and its
comparisons), this module (finding, loading and running files), `scaffold` (`reviewflow new`). The
text, JSON and JUnit renderings are in `engine.render.scenario_report`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewflow.engine.definition.model import Process
from reviewflow.engine.errors import CodeInfo, Diagnostic, EngineError, Location, Severity, did_you_mean
from reviewflow.engine.paths import processes_dir
from reviewflow.engine.scenarios.check import CODES as CHECK_CODES
from reviewflow.engine.scenarios.check import check_against_process, check_structure
from reviewflow.engine.scenarios.model import Scenario, parse_scenario
from reviewflow.engine.scenarios.run import ScenarioResult, run_scenario

SCHEMA_NAME = "scenario"

T700 = CodeInfo("T700", "scenario-not-found", Severity.ERROR, "A path given to `reviewflow test` does not exist "
                "or holds no scenario.")
CODES: dict[str, CodeInfo] = {"T700": T700, **CHECK_CODES}


# --- finding scenario files ----------------------------------------------------------------------


def display_name(path: Path) -> str:
    """Bundled scenarios are named relative to processes/ (leeds/scenarios/x.yaml), others to the cwd."""
    resolved = path.resolve()
    for base in (processes_dir(), Path.cwd()):
        try:
            return resolved.relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return str(path)


def discover(paths: Sequence[str | Path] = ()) -> tuple[list[Path], list[Diagnostic]]:
    """Scenario files under `paths` (files, or folders searched for `**/scenarios/*.yaml`).

    With no paths: every `processes/**/scenarios/*.yaml` of the bundled definitions.
    """
    if not paths:
        return sorted(processes_dir().glob("**/scenarios/*.yaml")), []
    found: list[Path] = []
    problems: list[Diagnostic] = []
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            found.append(path)
            continue
        if path.is_dir():
            files = set(path.glob("**/scenarios/*.yaml"))
            if path.name == "scenarios":
                files.update(path.glob("*.yaml"))
            if files:
                found.extend(sorted(files))
                continue
            problems.append(T700.diagnostic(f"no scenario files under {raw}", Location(str(raw)),
                                            "scenarios live in <partnership>/scenarios/*.yaml"))
            continue
        problems.append(T700.diagnostic(f"no such file or folder: {raw}", Location(str(raw)),
                                        "check the path; with no path every bundled scenario runs"))
    unique = list(dict.fromkeys(p.resolve() for p in found))
    return unique, problems


# --- the process a scenario runs under -----------------------------------------------------------


@dataclass
class ProcessSource:
    """Finds the process a scenario names, preferring a definition beside the scenario's folder.

    A scenario at X/scenarios/s.yaml tests the definitions in X/*.yaml: that is what lets a
    partnership copy a definition, edit it, and run its scenarios against the copy.
    """

    _registry: Any = None
    _cache: dict[tuple[str, str], tuple[Process | None, list[Diagnostic], Any]] = field(default_factory=dict)

    def registry(self) -> Any:
        if self._registry is None:
            from reviewflow.engine.definition.loader import default_registry

            self._registry = default_registry()
        return self._registry

    def resolve(self, scenario_path: Path, process_id: str,
                where: Location) -> tuple[Process | None, list[Diagnostic], Any]:
        """(process, problems, registry to hand to CaseService)."""
        home = _home_folder(scenario_path)
        key = (str(home), process_id)
        if key not in self._cache:
            self._cache[key] = self._resolve(home, process_id, where)
        process, problems, registry = self._cache[key]
        # problems are located at the first scenario that asked; relocate them for this one
        return process, [_relocate(d, where) for d in problems], registry

    def _resolve(self, home: Path | None, process_id: str,
                 where: Location) -> tuple[Process | None, list[Diagnostic], Any]:
        from reviewflow.engine.definition import loader

        registry = self.registry()
        if home is not None and _local_definition(home, process_id):
            # the scenario's own folder first: a copy beside it wins over a bundled definition
            registry = loader.Registry([home, processes_dir()])
        try:
            process = loader.load_process_by_id(process_id, registry)
        except EngineError as exc:
            diagnostics = list(getattr(exc, "diagnostics", []) or [])
            if diagnostics:
                first = diagnostics[0]
                return None, [CHECK_CODES["T711"].diagnostic(
                    f"process {process_id} does not load: {first.location}: {first.message}", where,
                    f"run `reviewflow validate {first.location.file}`")], registry
            return None, [CHECK_CODES["T701"].diagnostic(
                f'unknown process "{process_id}"', where,
                did_you_mean(process_id, registry.ids()) or exc.hint)], registry
        return process, [], registry


def _relocate(diagnostic: Diagnostic, where: Location) -> Diagnostic:
    return Diagnostic(diagnostic.code, diagnostic.slug, diagnostic.message, where, diagnostic.severity,
                      diagnostic.hint)


def _home_folder(scenario_path: Path) -> Path | None:
    parent = scenario_path.resolve().parent
    return parent.parent if parent.name == "scenarios" else None


def _local_definition(home: Path, process_id: str) -> bool:
    """Whether `home` (the folder holding the scenario's `scenarios/`) defines process_id itself."""
    from reviewflow.engine.definition.loader import Registry

    return Registry([home]).path_for(process_id) is not None


# --- loading and validating ----------------------------------------------------------------------


def _path_tuple(pointer: str) -> tuple[str | int, ...]:
    tokens: list[str | int] = []
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        tokens.append(int(token) if token.isdigit() else token)
    return tuple(tokens)


def load_scenario(path: str | Path, source: ProcessSource | None = None,
                  ) -> tuple[Scenario | None, list[Diagnostic], Process | None, Any]:
    """Load and check one scenario file: (scenario, diagnostics, process, registry).

    The scenario is None when there is any error; diagnostics are sorted by position.
    """
    from reviewflow.engine.definition.schema import validate_document
    from reviewflow.engine.definition.yamlio import load_yaml_file

    path = Path(path)
    name = display_name(path)
    document, problems = load_yaml_file(path, name)
    if document is None or any(d.is_error for d in problems):
        return None, sorted(problems, key=Diagnostic.sort_key), None, None

    def locate(pointer: str) -> Location:
        return document.location(_path_tuple(pointer))

    def locate_key(pointer: str) -> Location:
        return document.key_location(_path_tuple(pointer))

    problems.extend(validate_document(document, schema_name=SCHEMA_NAME))
    if any(d.is_error for d in problems):
        return None, sorted(problems, key=Diagnostic.sort_key), None, None
    data = document.data
    problems.extend(check_structure(data, locate, locate_key))
    source = source or ProcessSource()
    process, found, registry = source.resolve(path, data["process"], locate("/process"))
    problems.extend(found)
    if process is not None:
        problems.extend(check_against_process(data, process, locate, locate_key))
    problems.sort(key=Diagnostic.sort_key)
    if any(d.is_error for d in problems) or process is None:
        return None, problems, process, registry
    return parse_scenario(data, name, locate, locate_key), problems, process, registry


def validate_scenarios(paths: Iterable[str | Path]) -> list[Diagnostic]:
    """Every problem in the scenario files under `paths` (files or folders), for `reviewflow validate`."""
    files, problems = discover(list(paths))
    source = ProcessSource()
    for path in files:
        problems.extend(load_scenario(path, source)[1])
    return sorted(problems, key=Diagnostic.sort_key)


# --- running -------------------------------------------------------------------------------------


@dataclass
class TestRun:
    results: list[ScenarioResult]
    diagnostics: list[Diagnostic] = field(default_factory=list)  # paths that were not found

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed

    @property
    def ok(self) -> bool:
        return not self.failed and not any(d.is_error for d in self.diagnostics)


def service_factory(registry: Any) -> Any:
    """() -> (CaseService, Store) on a fresh in-memory store."""
    from reviewflow.engine.service import CaseService
    from reviewflow.engine.store import open_store

    def make() -> tuple[Any, Any]:
        store = open_store(":memory:")
        return CaseService(store, registry), store

    return make


def run_file(path: str | Path, source: ProcessSource | None = None) -> ScenarioResult:
    started = time.perf_counter()
    scenario, problems, _process, registry = load_scenario(path, source)
    if scenario is None:
        title = _title_of(path)
        result = ScenarioResult(file=display_name(Path(path)), title=title, process=None, diagnostics=problems)
    else:
        result = run_scenario(scenario, service_factory(registry))
        result.diagnostics = [d for d in problems if not d.is_error]
    result.seconds = time.perf_counter() - started
    return result


def _title_of(path: str | Path) -> str:
    from reviewflow.engine.definition.yamlio import load_yaml_file

    document, _ = load_yaml_file(path)
    if document is not None and isinstance(document.data, dict) and isinstance(document.data.get("title"), str):
        return str(document.data["title"])
    return "(invalid scenario file)"


def run_paths(paths: Sequence[str | Path] = ()) -> TestRun:
    """Run every scenario under `paths` (default: every bundled scenario)."""
    files, problems = discover(paths)
    source = ProcessSource()
    return TestRun([run_file(path, source) for path in files], problems)
