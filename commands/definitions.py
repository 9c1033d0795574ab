"""Commands about process definitions: validate, processes, show, diagram."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from reviewflow.commands.common import echo_rendered, format_option, say
from reviewflow.commands.errors import EXIT_OK, EXIT_PROBLEM
from reviewflow.commands.workspace import processes_option, registry, search_path
from reviewflow.engine.render.formats import Output, render

if TYPE_CHECKING:
    from reviewflow.engine.definition.model import Process
    from reviewflow.engine.definition.results import ValidationReport
    from reviewflow.engine.definition.searchpath import SearchPath


def _load_process(reference: str) -> Process:
    """A process by id on the search path, or by the path of its YAML file."""
    from reviewflow.engine.definition.loader import load_path, load_process_by_id
    from reviewflow.engine.errors import DefinitionError
    from reviewflow.engine.validation import with_named

    path = Path(reference)
    if reference.endswith((".yaml", ".yml")) or path.is_file():
        result = load_path(path, with_named(registry(), [path]))
        errors = [d for d in result.diagnostics if d.is_error]
        if result.process is None or errors:
            raise DefinitionError(errors or result.diagnostics)
        return result.process
    return load_process_by_id(reference, registry())


def _shown(path: Path) -> str:
    """A path as the report shows it: relative to the working directory when below it."""
    resolved, here = path.resolve(), Path.cwd()
    return str(resolved.relative_to(here)) if resolved.is_relative_to(here) else str(path)


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@format_option(Output.DIAGNOSTICS)
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 1).")
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary line (text format).")
@click.option("--all-problems", is_flag=True,
              help="List every problem a local file causes inside its base, not one line for them all.")
@click.option("--skip-other-yaml", is_flag=True,
              help="Ignore YAML files that are neither definitions nor scenarios (for pre-commit, which "
                   "hands over every changed .yaml file).")
@processes_option
def validate(paths: tuple[Path, ...], output_format: str, strict: bool, quiet: bool, all_problems: bool,
             skip_other_yaml: bool) -> None:
    """Check definitions (schema, semantics, conformance to their base) and scenario files.

    With no PATH, checks the workspace: the folders on the definitions search path (--processes,
    $REVIEWFLOW_PATH, ./processes), or the bundled definitions when there is none.
    Exit 0 when clean, 1 when any error is found (or a warning with --strict).

    \b
    Examples:
      reviewflow validate
      reviewflow validate processes/leeds/ --format github
      reviewflow validate my-partnership.yaml --format json
    """
    from reviewflow.engine.calendar.package import package_fingerprint
    from reviewflow.engine.definition import results, validatecache
    from reviewflow.engine.definition.registry import yaml_kind
    from reviewflow.engine.render.diagnostics import Validation

    search = search_path()
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
        say("no definition or scenario among the files given: nothing to check")
        raise click.exceptions.Exit(EXIT_OK)
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
    answer = (text, code)
    # What the `reviewflow` script answers the same invocation with next time, before loading click
    # (reviewflow.launch handles only the workspace, no PATH); never a report with errors.
    if not paths and report.ok and validatecache.load_answer(cache_key, output_format, strict, quiet) != answer:
        validatecache.save_answer(cache_key, output_format, strict, quiet, *answer)
    click.echo(text, nl=False)
    raise click.exceptions.Exit(code)


def _validate(targets: list[Path], search: SearchPath, all_problems: bool) -> ValidationReport:
    """Load and lint every definition named, then check the scenario files among them."""
    from reviewflow.engine.validation import FileReport, ValidationReport, expand, validate_paths

    files = validate_paths(targets, registry(), all_problems=all_problems).files
    reported = {f.process_id for f in files if f.process_id and not f.ok}
    scenario_files = expand(targets)[1]
    if scenario_files:  # the scenario modules load only when there are scenarios to check
        from reviewflow.engine.scenarios.suite import validate_scenarios

        files += [FileReport(_shown(f), None, validate_scenarios([f], search, reported)) for f in scenario_files]
    return ValidationReport(files)


@click.command()
@format_option(Output.PROCESSES)
@processes_option
def processes(output_format: str) -> None:
    """List the process definitions on the search path: id, title, base, version, origin, file.

    ORIGIN says where each was found (option, environment, workspace, bundled); FILE is relative to the
    working directory, or `bundled:…` for one shipped with reviewflow. A workspace definition with a
    bundled id replaces the bundled one, which is then not listed.

    \b
    Examples:
      reviewflow processes
      reviewflow processes --processes ../our-definitions --format json
    """
    from reviewflow.engine.definition.loader import bundled_name, load_path
    from reviewflow.engine.definition.searchpath import Origin, shown_path
    from reviewflow.engine.render.process_view import Catalogue, CatalogueEntry

    found = registry()
    entries = []
    for process_id in found.ids():
        path = found.path_for(process_id)
        if path is None:
            continue
        origin = found.origin_of(path) or Origin.OPTION
        shown = bundled_name(path) if origin is Origin.BUNDLED else shown_path(path, Path.cwd())
        entries.append(CatalogueEntry(process_id, shown, origin.value, load_path(path, found)))
    echo_rendered(Output.PROCESSES, output_format, Catalogue(tuple(entries)))
    if found.diagnostics:  # two workspace files claim one id: the listing shows only the first
        from reviewflow.engine.render.diagnostics import diagnostics_text

        click.echo(diagnostics_text(found.diagnostics), err=True)
        raise click.exceptions.Exit(EXIT_PROBLEM)


@click.command()
@click.argument("process_ref", metavar="PROCESS")
@format_option(Output.GUIDE)
@processes_option
def show(process_ref: str, output_format: str) -> None:
    """Print the staff guide of a process: stages, who does what, every timescale and decision, with sources.

    PROCESS is a process id (see `reviewflow processes`) or the path of a definition file.

    \b
    Examples:
      reviewflow show leeds-rapid-review
      reviewflow show kirklees-cspr --format json
    """
    echo_rendered(Output.GUIDE, output_format, _load_process(process_ref))


@click.command()
@click.argument("process_ref", metavar="PROCESS")
@format_option(Output.DIAGRAM)
@processes_option
def diagram(process_ref: str, output_format: str) -> None:
    """Draw the stage graph of a process as Mermaid or Graphviz DOT.

    \b
    Examples:
      reviewflow diagram leeds-rapid-review > leeds.mmd
      reviewflow diagram kirklees-cspr --format dot | dot -Tsvg > kirklees.svg
    """
    echo_rendered(Output.DIAGRAM, output_format, _load_process(process_ref))


def register(cli: click.Group) -> None:
    for command in (validate, processes, show, diagram):
        cli.add_command(command)
