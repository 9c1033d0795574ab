"""What `reviewflow validate` runs: load every definition given, then lint each one that built.

Results are values (a report per file); rendering and exit codes belong to the CLI.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from reviewflow.engine.definition.loader import (
    FOLLOWS_IN_BASE,
    SCENARIOS_DIR,
    SHADOWS_BUNDLED,
    UNKNOWN_MEMBER,
    UNKNOWN_OUTCOME_FIELD,
    UNKNOWN_VOCABULARY,
    Registry,
    bundled_name,
    default_registry,
    definition_files,
    load_path,
)
from reviewflow.engine.definition.model import Process
from reviewflow.engine.definition.results import (  # re-exported: validate's values
    FileReport,
    ValidationReport,
)
from reviewflow.engine.definition.searchpath import Origin, Root
from reviewflow.engine.errors import Diagnostic, Location, did_you_mean
from reviewflow.engine.lint import lint_process
from reviewflow.engine.lint.registry import RULES
from reviewflow.engine.paths import processes_dir


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


def validate_paths(paths: Sequence[Path], registry: Registry | None = None, *,
                   all_problems: bool = False) -> ValidationReport:
    """Load and lint every definition named by `paths` (files or directories).

    What is named is workspace: it comes first and shadows a bundled definition of the same id. Bases
    are then found on the registry's own roots (default: the bundled processes/), and last in the
    named files' folders, so a file can extend a sibling base. Problems a local file causes inside its
    bases are collapsed into one line after the file's own, unless `all_problems` asks for each."""
    definitions, _scenarios = expand(paths)
    registry = with_named(registry or default_registry(), paths)
    reports: list[FileReport] = []
    for path in definitions:
        result = load_path(path, registry)
        diagnostics = list(result.diagnostics)
        if result.process is not None:
            diagnostics.extend(lint_process(result.process, result.base))
            diagnostics.extend(cross_references(result.process, registry, result.bundle.get(result.file, "")))
            shadowing = _shadowing(path, result.process.id, registry, result.file)
            if shadowing is not None:
                diagnostics.append(shadowing)
        process_id = result.process.id if result.process else _declared_id(path, registry)
        ordered = (sorted(diagnostics, key=Diagnostic.sort_key) if all_problems
                   else _cause_first(result.file, diagnostics, result.bundle))
        reports.append(FileReport(result.file, process_id, ordered))
    return ValidationReport(reports)


def cross_references(process: Process, registry: Registry, text: str = "") -> list[Diagnostic]:
    """What one definition names in other files: a field's vocabulary (L110), a partnership's processes (L109)."""
    found: list[Diagnostic] = []
    for field in process.fields.values():
        if field.vocabulary is None:
            continue
        path = registry.path_for(field.vocabulary)
        problem = None
        if path is None:
            problem = f'field "{field.id}" names the vocabulary "{field.vocabulary}", which no definition has'
        else:
            kind = load_path(path, registry).process
            if kind is not None and kind.kind != "partnership":
                problem = (f'field "{field.id}" names "{field.vocabulary}" as its vocabulary, but that is a '
                           f'definition of kind "{kind.kind}", not a partnership')
        if problem:
            partnerships = [i for i in registry.ids() if registry.kind_of(i) == "partnership"]
            found.append(UNKNOWN_VOCABULARY.diagnostic(
                problem, field.location,
                did_you_mean(field.vocabulary, partnerships) or
                f"name a partnership definition (kind: partnership): {', '.join(partnerships) or 'none found'}"))
    for member in process.member_processes if process.kind == "partnership" else ():
        if registry.path_for(member) is None:
            found.append(UNKNOWN_MEMBER.diagnostic(
                f'processes names "{member}", which no definition has', _line_of(process, text, member),
                did_you_mean(member, registry.ids()) or "list the ids of this partnership's definitions"))
    if process.kind == "partnership" and process.reporting is not None and process.reporting.outcome_field:
        found += _outcome_field_problems(process, registry, text, process.reporting.outcome_field)
    return found


def _outcome_field_problems(partnership: Process, registry: Registry, text: str, name: str) -> list[Diagnostic]:
    """A partnership's reports count cases by `reporting.outcome_field` of its case definitions, which lint
    reads one at a time: the field must exist in at least one of them (L111), and where it is marked
    personal X507 warns, as it does for the default outcome field."""
    where = _line_of(partnership, text, "outcome_field:", section="reporting:")
    paths = [registry.path_for(member) for member in partnership.member_processes]
    built = [load_path(path, registry).process for path in paths if path is not None]
    cases = [member for member in built if member is not None and member.kind == "case"]
    holding = [member for member in cases if name in member.fields]
    found: list[Diagnostic] = []
    if cases and not holding:
        known = sorted({field for member in cases for field in member.fields})
        found.append(UNKNOWN_OUTCOME_FIELD.diagnostic(
            f'reporting.outcome_field is "{name}", a field none of this partnership\'s case definitions has '
            f"({', '.join(member.id for member in cases)}): reports would find no outcome for any case",
            where, did_you_mean(name, known) or "name the field that records which review followed"))
    personal = [member.id for member in holding if member.fields[name].personal]
    if personal:
        found.append(RULES["X507"].info.diagnostic(
            f'field "{name}" is marked personal in {", ".join(personal)}, but the scrutiny and yearly reports '
            "count its values (it is this partnership's reporting.outcome_field)", where,
            "report on a non-personal field, or unmark it"))
    return found


def _line_of(process: Process, text: str, item: str, section: str = "processes:") -> Location:
    """Where `item` is written under the top-level `section` (the model keeps no location per list item or
    setting)."""
    inside = False
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith(section):
            inside = True
            if item in line:
                return Location(process.location.file, number, line.index(item) + 1)
            continue
        if inside and line[:1] not in (" ", "-", "") and not line.startswith("#"):
            break
        if inside and item in line:
            return Location(process.location.file, number, line.index(item) + 1)
    return process.location


def _cause_first(file: str, diagnostics: list[Diagnostic], bundle: dict[str, str]) -> list[Diagnostic]:
    """This file's own problems, then one line for the problems its changes cause inside its bases.

    A base is validated on its own; what goes wrong inside it here comes from the local file (a role
    removed that the base's steps still name, say), so one slip must not bury its cause under a screen of
    errors in a file the partnership did not write.
    """
    own = [d for d in diagnostics if d.location.file == file]
    inherited = [d for d in diagnostics if d.location.file != file and d.is_error]
    others = [d for d in diagnostics if d.location.file != file and not d.is_error]
    if len(inherited) <= 1:
        return sorted(diagnostics, key=Diagnostic.sort_key)
    first = min(inherited, key=Diagnostic.sort_key)
    bases = ", ".join(dict.fromkeys(d.location.file for d in inherited))
    where = _extends_location(file, bundle) or (own[0].location if own else Location(file, 1, 1))
    summary = FOLLOWS_IN_BASE.diagnostic(
        f"{len(inherited)} further problems inside the base ({bases}) follow from this file's changes; "
        f"the first: {first.location.line}:{first.location.col} {first.code} {first.message}",
        where, "fix this file's own problems (above) first; "
        "`reviewflow validate --all-problems` lists every one")
    return [*sorted([*own, *others], key=Diagnostic.sort_key), summary]



def _extends_location(file: str, bundle: dict[str, str]) -> Location | None:
    text = bundle.get(file)
    if text is None:
        return None
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("extends:"):
            return Location(file, number, 1)
    return None


def with_named(registry: Registry, paths: Sequence[Path]) -> Registry:
    """`registry` with the named files and folders in front, and the named files' folders as fallbacks."""
    bundled = processes_dir().resolve()
    named: list[Root] = []
    for path in map(Path, paths):
        inside_bundled = path.resolve().is_relative_to(bundled)
        named.append(Root(path, Origin.BUNDLED if inside_bundled else Origin.OPTION))
    # Each folder once: a folder met again adds no file, but would be walked and its files peeked again.
    folders = list(dict.fromkeys(p.parent for p in map(Path, paths) if not p.is_dir()))
    return Registry([*named, *registry.roots], [*registry.fallback_roots, *folders])


def _shadowing(path: Path, process_id: str, registry: Registry, shown: str) -> Diagnostic | None:
    pair = registry.shadowed.get(process_id)
    if pair is None or pair[0].resolve() != path.resolve():
        return None
    replaced = bundled_name(pair[1])
    return SHADOWS_BUNDLED.diagnostic(
        f'process id "{process_id}" replaces the bundled definition {replaced}: cases opened and scenarios '
        "run with this id use this file", Location(shown, 1, 1),
        "that is what a partnership's own copy is for; give it another id to keep both")


def _declared_id(path: Path, registry: Registry) -> str | None:
    """The id a broken file claims, for the report, when it could not be built."""
    for process_id in registry.ids():
        if any(p.resolve() == path.resolve() for p in registry.paths_for(process_id)):
            return process_id
    return None
