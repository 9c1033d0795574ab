"""`reviewflow validate` without the command line: what it prints and its exit code.

Two callers, one answer: the click command (`commands.definitions.validate`) and the `reviewflow` script
(`reviewflow.launch`), which runs a `validate` it can read before click and the command modules load (about
a tenth of a cold run's time; pre-commit calls `validate` with the changed files on every commit). Nothing
here imports click: the caller writes the text and exits with the code.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from reviewflow.commands.exitcodes import EXIT_OK, EXIT_PROBLEM
from reviewflow.engine.render.formats import Output, render
from reviewflow.engine.render.terminal import printable

if TYPE_CHECKING:
    from reviewflow.engine.definition.results import ValidationReport
    from reviewflow.engine.definition.searchpath import SearchPath

NOTHING_TO_CHECK = "no definition or scenario among the files given: nothing to check"


def answer(paths: Sequence[Path], search: SearchPath, output_format: str, *, strict: bool, quiet: bool,
           all_problems: bool, skip_other_yaml: bool) -> tuple[str, int]:
    """(text, exit code) of `reviewflow validate PATHS...` on `search`; raises what the command reports
    (a named folder with no definition in it)."""
    from reviewflow.engine.calendar.package import package_fingerprint
    from reviewflow.engine.definition import results, validatecache
    from reviewflow.engine.definition.registry import yaml_kind
    from reviewflow.engine.render.diagnostics import Validation

    chosen = [p for p in paths if not skip_other_yaml or p.is_dir() or yaml_kind(p) is not None]
    folders = [p for p in chosen if p.is_dir()]
    if folders:  # named folders only: the validation modules are not loaded for an unchanged workspace
        from reviewflow.engine.validation import expand
    empty = [p for p in folders if expand([p]) == ([], [])]
    if empty:
        from reviewflow.engine.errors import NotFoundError

        raise NotFoundError(f"there is no definition or scenario file (*.yaml) under {empty[0]}",
                            "name a folder of definitions, or a definition or scenario file")
    if paths and not chosen:
        return printable(NOTHING_TO_CHECK) + "\n", EXIT_OK
    roots = search.workspace or search.roots
    targets = chosen or [root.path for root in roots]
    # An unchanged workspace: the clean report of the last run on exactly these files (definition.results).
    cache_key = validatecache.key(targets, [(r.path, r.origin.value) for r in search.roots], [all_problems],
                                  package_fingerprint()[1])
    report = results.load(cache_key)
    if report is None:
        report = _validate(targets, search, all_problems)
        results.save(cache_key, report)
    validation = Validation(report, strict=strict, quiet=quiet)
    text = render(Output.DIAGNOSTICS, output_format, validation)
    code = EXIT_PROBLEM if validation.failed else EXIT_OK
    # What the `reviewflow` script answers the same invocation with next time, straight from the saved
    # answer (reviewflow.launch does so only for the workspace, no PATH); never a report with errors.
    if not paths and report.ok and validatecache.load_answer(cache_key, output_format, strict, quiet) != (text, code):
        validatecache.save_answer(cache_key, output_format, strict, quiet, text, code)
    return text, code


def _validate(targets: list[Path], search: SearchPath, all_problems: bool) -> ValidationReport:
    """Load and lint every definition named, then check the scenario files among them."""
    from reviewflow.engine.definition.registry import Registry
    from reviewflow.engine.validation import FileReport, ValidationReport, expand, validate_paths

    files = validate_paths(targets, Registry.for_search_path(search), all_problems=all_problems).files
    reported = {f.process_id for f in files if f.process_id and not f.ok}
    scenario_files = expand(targets)[1]
    if scenario_files:  # the scenario modules load only when there are scenarios to check
        from reviewflow.engine.scenarios.suite import validate_scenarios

        files += [FileReport(_shown(f), None, validate_scenarios([f], search, reported)) for f in scenario_files]
    return ValidationReport(files)


def _shown(path: Path) -> str:
    """A path as the report shows it: relative to the working directory when below it."""
    resolved, here = path.resolve(), Path.cwd()
    return str(resolved.relative_to(here)) if resolved.is_relative_to(here) else str(path)
