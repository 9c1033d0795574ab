"""Commands about process definitions: validate, processes, show, diagram."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from reviewflow.commands.common import echo_rendered, format_option
from reviewflow.commands.errors import EXIT_PROBLEM
from reviewflow.commands.workspace import processes_option, registry, search_path
from reviewflow.engine.render.formats import Output

if TYPE_CHECKING:
    from reviewflow.engine.definition.model import Process


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
    from reviewflow.commands.validating import answer

    text, code = answer(paths, search_path(), output_format, strict=strict, quiet=quiet, all_problems=all_problems,
                        skip_other_yaml=skip_other_yaml)
    click.echo(text, nl=False)
    raise click.exceptions.Exit(code)


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
