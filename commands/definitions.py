"""Commands about process definitions: validate, processes, show, diagram."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from reviewflow.commands.common import echo_json, format_option
from reviewflow.commands.errors import EXIT_OK, EXIT_PROBLEM

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
@format_option("text", "json", "github")
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
    from reviewflow.engine.render.diagnostics import (
        diagnostic_github,
        diagnostics_text,
        report_json,
        summary_line,
    )
    from reviewflow.engine.scenarios.suite import validate_scenarios
    from reviewflow.engine.validation import expand, validate_paths

    targets = list(paths) or [processes_dir()]
    report = validate_paths(targets)
    rows = [(f.file, f.process_id, f.diagnostics) for f in report.files]
    for scenario_file in expand(targets)[1]:
        rows.append((_shown(scenario_file), None, validate_scenarios([scenario_file])))
    errors = sum(1 for _, _, ds in rows for d in ds if d.is_error)
    warnings = sum(1 for _, _, ds in rows for d in ds if d.severity.value == "warning")
    if output_format == "json":
        echo_json(report_json(rows))
    elif output_format == "github":
        for _, _, diagnostics in rows:
            for diagnostic in diagnostics:
                click.echo(diagnostic_github(diagnostic))
        click.echo(summary_line(len(rows), errors, warnings, strict=strict))
    else:
        if not quiet:
            text = diagnostics_text(d for _, _, ds in rows for d in ds)
            if text:
                click.echo(text)
        click.echo(summary_line(len(rows), errors, warnings, strict=strict))
    failed = errors > 0 or (strict and warnings > 0)
    raise click.exceptions.Exit(EXIT_PROBLEM if failed else EXIT_OK)


@click.command()
@format_option("text", "json")
def processes(output_format: str) -> None:
    """List the bundled process definitions: id, title, base, version, file.

    \b
    Example:
      reviewflow processes
      reviewflow processes --format json
    """
    from reviewflow.engine.definition.loader import default_registry, load_path
    from reviewflow.engine.paths import processes_dir

    registry = default_registry()
    rows = []
    root = processes_dir()
    for process_id in sorted(registry.ids()):
        path = registry.path_for(process_id)
        if path is None:
            continue
        result = load_path(path, registry)
        process = result.process
        shown_file = str(path.relative_to(root.parent)) if path.is_relative_to(root.parent) else str(path)
        rows.append({
            "id": process_id,
            "title": process.title if process else "(invalid: run reviewflow validate)",
            "base": process.extends if process else None,
            "version": process.version if process else None,
            "file": shown_file,
            "valid": not any(d.is_error for d in result.diagnostics),
        })
    if output_format == "json":
        echo_json({"processes": rows})
        return
    if not rows:
        click.echo("no process definitions found")
        return
    headers = ("ID", "TITLE", "BASE", "VERSION", "FILE")
    table = [(r["id"], r["title"], r["base"] or "—", r["version"] or "—", r["file"]) for r in rows]
    widths = [max(len(str(row[i])) for row in [headers, *table]) for i in range(len(headers))]
    for row in [headers, *table]:
        click.echo("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


@click.command()
@click.argument("process_ref", metavar="PROCESS")
@format_option("markdown", "json", default="markdown")
def show(process_ref: str, output_format: str) -> None:
    """Print the staff guide of a process: stages, who does what, every timescale and decision, with sources.

    PROCESS is a process id (see `reviewflow processes`) or the path of a definition file.

    \b
    Examples:
      reviewflow show leeds-rapid-review
      reviewflow show kirklees-cspr --format json
    """
    from reviewflow.engine.render.guide import guide_markdown
    from reviewflow.engine.render.process_view import process_json

    process = _load_process(process_ref)
    if output_format == "json":
        echo_json(process_json(process))
    else:
        click.echo(guide_markdown(process), nl=False)


@click.command()
@click.argument("process_ref", metavar="PROCESS")
@format_option("mermaid", "dot", default="mermaid")
def diagram(process_ref: str, output_format: str) -> None:
    """Draw the stage graph of a process as Mermaid or Graphviz DOT.

    \b
    Examples:
      reviewflow diagram leeds-rapid-review > leeds.mmd
      reviewflow diagram kirklees-cspr --format dot | dot -Tsvg > kirklees.svg
    """
    from reviewflow.engine.render.diagram import dot, mermaid

    process = _load_process(process_ref)
    click.echo(mermaid(process) if output_format == "mermaid" else dot(process), nl=False)


def register(cli: click.Group) -> None:
    for command in (validate, processes, show, diagram):
        cli.add_command(command)
