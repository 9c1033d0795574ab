"""Commands about scenarios: `test` (run scenario files) and `new` (scaffold a partnership)."""

from __future__ import annotations

import re
from pathlib import Path

import click
from reviewflow.commands.common import echo_rendered, format_option
from reviewflow.commands.errors import EXIT_OK, EXIT_PROBLEM
from reviewflow.engine.render.formats import Output, render

PARTNERSHIP_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


@click.command("test")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@format_option(Output.SCENARIOS, "text: one line per scenario; json: a stable shape (docs/scenarios.md); "
               "junit: JUnit XML for CI.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the report to this file in --format (the text report still goes to the terminal).")
@click.option("--quiet", "-q", is_flag=True, help="Print only failures and the summary line (text format).")
def test_command(paths: tuple[Path, ...], output_format: str, output: Path | None, quiet: bool) -> None:
    """Run scenario files: cases played through a definition, with expected dates checked.

    With no PATH, runs every bundled `processes/**/scenarios/*.yaml`. A PATH may be a scenario file
    or a folder (searched for `scenarios/*.yaml`). Prints PASS or FAIL per scenario, the diff of each
    failed expectation, then `N passed, N failed`. Exit 0 when all pass, 1 when any fails or a
    scenario file is invalid.

    \b
    Examples:
      reviewflow test
      reviewflow test processes/leeds/scenarios/rag-chain.yaml
      reviewflow test processes/kirklees/ --format junit --output scenarios.xml
      reviewflow test --format json
    """
    from reviewflow.engine.errors import NotFoundError
    from reviewflow.engine.render.diagnostics import diagnostics_text
    from reviewflow.engine.render.scenario_report import ScenarioReport
    from reviewflow.engine.scenarios.suite import run_paths

    run = run_paths(list(paths))
    if run.diagnostics:
        click.echo(diagnostics_text(run.diagnostics), err=True)
    if not run.results and not run.diagnostics:
        raise NotFoundError("no scenario files found", "scenarios live in processes/<partnership>/scenarios/*.yaml")
    report = ScenarioReport(tuple(run.results), quiet=quiet)
    if output is None:
        echo_rendered(Output.SCENARIOS, output_format, report)
    else:
        output.write_text(render(Output.SCENARIOS, output_format, report), encoding="utf-8")
        echo_rendered(Output.SCENARIOS, "text", report)
        click.echo(f"{output_format} report written to {output}")
    raise click.exceptions.Exit(EXIT_OK if run.ok else EXIT_PROBLEM)


@click.command("new")
@click.argument("partnership")
@click.option("--extends", "base", required=True, metavar="BASE",
              help="The id of the process to build on, e.g. a national base (see `reviewflow processes`).")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=Path("processes"),
              show_default=True, help="The processes folder to create <partnership>/ in.")
def new_command(partnership: str, base: str, directory: Path) -> None:
    """Scaffold a partnership: a definition extending BASE and a starter scenario.

    Creates DIR/PARTNERSHIP/PARTNERSHIP.yaml (`extends: BASE`, with comments on what to change) and
    DIR/PARTNERSHIP/scenarios/starter.yaml. Both pass `reviewflow validate` and `reviewflow test` as
    generated. PARTNERSHIP is kebab-case (lower-case words joined by hyphens). Existing files are never
    overwritten.

    \b
    Example:
      reviewflow new calderdale --extends wt2023-national
      reviewflow validate processes/calderdale/
      reviewflow test processes/calderdale/
    """
    from reviewflow.engine.workspace.scaffold import scaffold

    if not PARTNERSHIP_NAME.match(partnership):
        raise click.BadParameter(
            f"{partnership!r} is not kebab-case; use lower-case letters and digits joined by hyphens, "
            "e.g. north-yorkshire", param_hint="PARTNERSHIP")
    files = scaffold(partnership, base, directory)
    for path, _text in files:
        click.echo(f"created {path}")
    click.echo("next: fill in the roles and deadlines marked TODO, then run "
               f"`reviewflow validate {directory / partnership}` and `reviewflow test {directory / partnership}`")
    raise click.exceptions.Exit(EXIT_OK)


def register(cli: click.Group) -> None:
    """Add this module's commands to the top-level group."""
    cli.add_command(test_command)
    cli.add_command(new_command)
