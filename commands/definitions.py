"""Commands about process definitions: validate, processes, show, diagram."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from reviewflow.commands.common import echo_rendered, format_option
from reviewflow.commands.errors import EXIT_OK, EXIT_PROBLEM
from reviewflow.engine.render.formats import Output

if TYPE_CHECKING:
    from reviewflow.engine.definition.model import Process


def _load_process(reference: str) -> Process:
    """A process by id, or by the path of its YAML file."""
    from reviewflow.engine.definition.loader import default_registry, load_path, load_process_by_id
    from reviewflow.engine.errors import DefinitionError

    path = Path(reference)
    if reference.endswith((".yaml", ".yml")) or path.is_file():
        registry = default_registry(extra_roots=[path.parent])
        result = load_path(path, registry)
        errors = [d for d in result.diagnostics if d.is_error]
        if result.process is None or errors:
            raise DefinitionError(errors or result.diagnostics)
        return result.process
    return load_process_by_id(reference)


def _shown(path: Path) -> str:
    """A path as the report shows it: relative to the working directory when below it."""
    resolved, here = path.resolve(), Path.cwd()
    return str(resolved.relative_to(here)) if resolved.is_relative_to(here) else str(path)


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@format_option(Output.DIAGNOSTICS)
@click.option("--strict", is_flag=True, help="Treat warnings as errors (exit 1).")
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary line (text format).")
def validate(paths: tuple[Path, ...], output_format: str, strict: bool, quiet: bool) -> None:
    """Check definitions (schema, semantics, conformance to their base) and scenario files.

    With no PATH, checks every definition under the bundled processes/ folder.
    Exit 0 when clean, 1 when any error is found (or a warning with --strict).

    \b
    Examples:
      reviewflow validate
      reviewflow validate processes/leeds/ --format github
      reviewflow validate my-partnership.yaml --format json
    """
    from reviewflow.engine.paths import processes_dir
    from reviewflow.engine.render.diagnostics import Validation
    from reviewflow.engine.scenarios.suite import validate_scenarios
    from reviewflow.engine.validation import FileReport, ValidationReport, expand, validate_paths

    targets = list(paths) or [processes_dir()]
    files = validate_paths(targets).files
    files += [FileReport(_shown(f), None, validate_scenarios([f])) for f in expand(targets)[1]]
    validation = Validation(ValidationReport(files), strict=strict, quiet=quiet)
    echo_rendered(Output.DIAGNOSTICS, output_format, validation)
    raise click.exceptions.Exit(EXIT_PROBLEM if validation.failed else EXIT_OK)


@click.command()
@format_option(Output.PROCESSES)
def processes(output_format: str) -> None:
    """List the bundled process definitions: id, title, base, version, file.

    \b
    Example:
      reviewflow processes
      reviewflow processes --format json
    """
    from reviewflow.engine.definition.loader import default_registry, load_path
    from reviewflow.engine.paths import processes_dir
    from reviewflow.engine.render.process_view import Catalogue

    registry = default_registry()
    paths = {process_id: registry.path_for(process_id) for process_id in sorted(registry.ids())}
    loaded = tuple((process_id, path, load_path(path, registry)) for process_id, path in paths.items() if path)
    echo_rendered(Output.PROCESSES, output_format, Catalogue(processes_dir(), loaded))


@click.command()
@click.argument("process_ref", metavar="PROCESS")
@format_option(Output.GUIDE)
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
