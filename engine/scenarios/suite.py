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
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from reviewflow.engine.definition.model import Process
from reviewflow.engine.definition.searchpath import Origin, Root, SearchPath, bundled_only
from reviewflow.engine.errors import CodeInfo, Diagnostic, EngineError, Location, Severity, did_you_mean
from reviewflow.engine.lint import lint_process
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
    """Bundled scenarios are named `bundled:leeds/scenarios/x.yaml`, others relative to the cwd."""
    resolved = path.resolve()
    try:
        return "bundled:" + resolved.relative_to(processes_dir().resolve()).as_posix()
    except ValueError:
        pass
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def _scenarios_under(folder: Path) -> list[Path]:
    files = set(folder.glob("**/scenarios/*.yaml"))
    if folder.name == "scenarios":
        files.update(folder.glob("*.yaml"))
    return sorted(files)


def discover(paths: Sequence[str | Path] = (), search: SearchPath | None = None,
             include_bundled: bool = False) -> tuple[list[Path], list[Diagnostic]]:
    """Scenario files under `paths` (files, or folders searched for `**/scenarios/*.yaml`).

    With no paths: the scenarios of the workspace on the search path; the bundled ones only when there
    is no workspace, or when `include_bundled` asks for them too.
    """
    if not paths:
        search = search or bundled_only()
        chosen = [r for r in search.roots
                  if r.origin.is_workspace or include_bundled or not search.has_workspace]
        found = [f for r in chosen if r.path.is_dir() for f in _scenarios_under(r.path)]
        return list(dict.fromkeys(p.resolve() for p in found)), []
    found = []
    problems: list[Diagnostic] = []
    for raw in paths:
        path = Path(raw)
        if path.is_file() or (path.exists() and not path.is_dir()):  # a pipe or device: loading says so
            found.append(path)
            continue
        if path.is_dir():
            files = _scenarios_under(path)
            if files:
                found.extend(files)
                continue
            problems.append(T700.diagnostic(f"no scenario files under {raw}", Location(str(raw)),
                                            "scenarios live in <partnership>/scenarios/*.yaml"))
            continue
        problems.append(T700.diagnostic(f"no such file or folder: {raw}", Location(str(raw)),
                                        "check the path; with no path the workspace's scenarios run"))
    unique = list(dict.fromkeys(p.resolve() for p in found))
    return unique, problems


# --- the process a scenario runs under -----------------------------------------------------------


@dataclass
class Resolved:
    """The process a scenario runs under, the file it came from, and the registry its cases use."""

    process: Process | None
    problems: list[Diagnostic]
    registry: Any
    definition: str | None = None  # the definition file, as users name it
    origin: Origin | None = None


@dataclass
class ProcessSource:
    """Finds the process a scenario names: beside the scenario's folder first, then on the search path.

    A scenario at X/scenarios/s.yaml tests the definitions in X/*.yaml: that is what lets a
    partnership copy a definition, edit it, and run its scenarios against the copy. A scenario that ends
    up on a bundled definition while a workspace exists gets a warning (T716) saying so.
    """

    search: SearchPath = field(default_factory=bundled_only)
    _cache: dict[tuple[str, str, bool], Resolved] = field(default_factory=dict)

    def resolve(self, scenario_path: Path, process_id: str, where: Location) -> Resolved:
        home = _home_folder(scenario_path)
        bundled_scenario = _is_bundled(scenario_path)
        key = (str(home), process_id, bundled_scenario)
        if key not in self._cache:
            self._cache[key] = self._resolve(home, process_id, where, bundled_scenario)
        found = self._cache[key]
        # problems are located at the first scenario that asked; relocate them for this one
        return replace(found, problems=[_relocate(d, where) for d in found.problems])

    def _resolve(self, home: Path | None, process_id: str, where: Location, bundled_scenario: bool) -> Resolved:
        from reviewflow.engine.definition import loader

        roots: list[Root] = list(self.search.roots)
        if home is not None and _local_definition(home, process_id):
            # the scenario's own folder first: a copy beside it wins over any other definition
            roots.insert(0, Root(home, Origin.BUNDLED if _is_bundled(home) else Origin.OPTION))
        registry = loader.Registry(roots)
        try:
            process = loader.load_process_by_id(process_id, registry)
        except EngineError as exc:
            diagnostics = list(getattr(exc, "diagnostics", []) or [])
            if diagnostics:
                first = diagnostics[0]
                return Resolved(None, [CHECK_CODES["T711"].diagnostic(
                    f"process {process_id} does not load: {first.location}: {first.message}", where,
                    f"run `reviewflow validate {first.location.file}`")], registry)
            return Resolved(None, [CHECK_CODES["T701"].diagnostic(
                f'unknown process "{process_id}"', where,
                did_you_mean(process_id, registry.ids()) or exc.hint)], registry)
        path = registry.path_for(process_id)
        assert path is not None  # load_process_by_id found it
        lint_errors = [d for d in lint_process(process, _base_of(process, registry)) if d.is_error]
        if lint_errors:
            first = lint_errors[0]
            return Resolved(None, [CHECK_CODES["T711"].diagnostic(
                f"process {process_id} is invalid: {first.location}: {first.code} {first.message}", where,
                f"run `reviewflow validate {first.location.file}`: a scenario proves nothing on a definition "
                "that no case may open on")], registry)
        origin = registry.origin_of(path)
        shown = loader.bundled_name(path) if origin is Origin.BUNDLED else display_name(path)
        problems = []
        if origin is Origin.BUNDLED and self.search.has_workspace and not bundled_scenario:
            problems.append(CHECK_CODES["T716"].diagnostic(
                f'process "{process_id}" is the bundled definition {shown}, not one of your workspace', where,
                f"to test your own version, copy it into the workspace: `reviewflow copy {process_id}`"))
        return Resolved(process, problems, registry, shown, origin)


def _base_of(process: Process, registry: Any) -> Process | None:
    from reviewflow.engine.definition import loader

    return loader.load_process_by_id(process.extends, registry) if process.extends else None


def _relocate(diagnostic: Diagnostic, where: Location) -> Diagnostic:
    return Diagnostic(diagnostic.code, diagnostic.slug, diagnostic.message, where, diagnostic.severity,
                      diagnostic.hint)


def _home_folder(scenario_path: Path) -> Path | None:
    parent = scenario_path.resolve().parent
    return parent.parent if parent.name == "scenarios" else None


def _is_bundled(path: Path) -> bool:
    return path.resolve().is_relative_to(processes_dir().resolve())


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


@dataclass
class Loaded:
    """One scenario file, checked: `scenario` is None when there is any error."""

    scenario: Scenario | None
    diagnostics: list[Diagnostic]
    resolved: Resolved | None = None


def load_scenario(path: str | Path, source: ProcessSource | None = None) -> Loaded:
    """Load and check one scenario file (schema, dates, names against its process); diagnostics sorted."""
    from reviewflow.engine.definition.schema import validate_document
    from reviewflow.engine.definition.yamlio import load_yaml_file

    path = Path(path)
    name = display_name(path)
    document, problems = load_yaml_file(path, name)
    if document is None or any(d.is_error for d in problems):
        return Loaded(None, sorted(problems, key=Diagnostic.sort_key))

    def locate(pointer: str) -> Location:
        return document.location(_path_tuple(pointer))

    def locate_key(pointer: str) -> Location:
        return document.key_location(_path_tuple(pointer))

    problems.extend(validate_document(document, schema_name=SCHEMA_NAME))
    if any(d.is_error for d in problems):
        return Loaded(None, sorted(problems, key=Diagnostic.sort_key))
    data = document.data
    problems.extend(check_structure(data, locate, locate_key))
    resolved = (source or ProcessSource()).resolve(path, data["process"], locate("/process"))
    problems.extend(resolved.problems)
    if resolved.process is not None:
        problems.extend(check_against_process(data, resolved.process, locate, locate_key))
    problems.sort(key=Diagnostic.sort_key)
    if any(d.is_error for d in problems) or resolved.process is None:
        return Loaded(None, problems, resolved)
    return Loaded(parse_scenario(data, name, locate, locate_key), problems, resolved)


def validate_scenarios(paths: Iterable[str | Path], search: SearchPath | None = None,
                       reported: Collection[str] = ()) -> list[Diagnostic]:
    """Every problem in the scenario files under `paths` (files or folders), for `reviewflow validate`.

    `reported` names processes whose own problems the same validation already lists: a scenario of
    one of them is not reported again as T711 (one cause, said once)."""
    files, problems = discover(list(paths), search)
    source = ProcessSource(search or bundled_only())
    for path in files:
        found = load_scenario(path, source).diagnostics
        problems.extend(d for d in found if not (d.code == "T711" and _names_process(d, reported)))
    return sorted(problems, key=Diagnostic.sort_key)


def _names_process(diagnostic: Diagnostic, process_ids: Collection[str]) -> bool:
    return any(diagnostic.message.startswith(f"process {pid} ") for pid in process_ids)


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
    from reviewflow.engine.cases.checks import DatePolicy
    from reviewflow.engine.service import CaseService
    from reviewflow.engine.store import open_store

    def make() -> tuple[Any, Any]:
        store = open_store(":memory:")
        # A scenario's dates are written in a file and checked by its expectations: no date horizon.
        # The store is private to the run, so the service keeps the case between steps (linear time).
        return CaseService(store, registry, dates=DatePolicy(horizon_days=None), keep_cases=True), store

    return make


def run_file(path: str | Path, source: ProcessSource | None = None) -> ScenarioResult:
    started = time.perf_counter()
    loaded = load_scenario(path, source)
    if loaded.scenario is None or loaded.resolved is None:
        result = ScenarioResult(file=display_name(Path(path)), title=_title_of(path), process=None,
                                diagnostics=loaded.diagnostics)
    else:
        result = run_scenario(loaded.scenario, service_factory(loaded.resolved.registry))
        result.diagnostics = [d for d in loaded.diagnostics if not d.is_error]
    if loaded.resolved is not None:
        result.definition = loaded.resolved.definition
    result.seconds = time.perf_counter() - started
    return result


def _title_of(path: str | Path) -> str:
    from reviewflow.engine.definition.yamlio import load_yaml_file

    document, _ = load_yaml_file(path)
    if document is not None and isinstance(document.data, dict) and isinstance(document.data.get("title"), str):
        return str(document.data["title"])
    return "(invalid scenario file)"


def run_paths(paths: Sequence[str | Path] = (), search: SearchPath | None = None,
              include_bundled: bool = False) -> TestRun:
    """Run every scenario under `paths`; with none, the workspace's (see `discover`)."""
    search = search or bundled_only()
    files, problems = discover(paths, search, include_bundled)
    source = ProcessSource(search)
    return TestRun([run_file(path, source) for path in files], problems)
