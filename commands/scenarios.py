"""Commands about scenarios: `test` (run scenario files) and `new` (scaffold a partnership)."""

from __future__ import annotations

import re
from pathlib import Path

import click
from reviewflow.commands.common import echo_rendered, format_option, say
from reviewflow.commands.errors import EXIT_OK, EXIT_PROBLEM
from reviewflow.commands.workspace import processes_option, search_path
from reviewflow.engine.render.formats import Output, render

PARTNERSHIP_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


@click.command("test")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@format_option(Output.SCENARIOS, "text: one line per scenario; json: a stable shape (docs/scenarios.md); "
               "junit: JUnit XML for CI.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the report to this file in --format (the text report still goes to the terminal).")
@click.option("--quiet", "-q", is_flag=True, help="Print only failures and the summary line (text format).")
@click.option("--bundled", "include_bundled", is_flag=True,
              help="Also run the scenarios bundled with reviewflow (with no PATH and a workspace).")
@click.option("--if-changed", is_flag=True,
              help="PATHs are changed files (pre-commit): run the workspace's scenarios when one of them is a "
                   "definition or a scenario, else do nothing.")
@processes_option
def test_command(paths: tuple[Path, ...], output_format: str, output: Path | None, quiet: bool,
                 include_bundled: bool, if_changed: bool) -> None:
    """Run scenario files: cases played through a definition, with expected dates checked.

    With no PATH, runs the workspace's scenarios (`scenarios/*.yaml` under each folder of the definitions
    search path: --processes, $REVIEWFLOW_PATH, ./processes); the bundled ones only when there is no
    workspace, or with --bundled. A PATH may be a scenario file or a folder. Each line says PASS or FAIL
    and the definition file the scenario ran against, then the diff of each failed expectation and
    `N passed, N failed`. Exit 0 when all pass, 1 when any fails or a scenario file is invalid.

    \b
    Examples:
      reviewflow test
      reviewflow test processes/leeds/scenarios/rag-chain.yaml
      reviewflow test processes/kirklees/ --format junit --output scenarios.xml
      reviewflow test --format json
    """
    from reviewflow.engine.definition.loader import yaml_kind
    from reviewflow.engine.errors import NotFoundError
    from reviewflow.engine.output import write_report
    from reviewflow.engine.render.diagnostics import diagnostics_text
    from reviewflow.engine.render.scenario_report import ScenarioReport
    from reviewflow.engine.scenarios.suite import run_paths

    if if_changed:
        if paths and not any(yaml_kind(p) is not None for p in paths):
            say("no definition or scenario changed: no scenario to run")
            raise click.exceptions.Exit(EXIT_OK)
        paths = ()
    run = run_paths(list(paths), search_path(), include_bundled)
    if run.diagnostics:
        say(diagnostics_text(run.diagnostics), err=True)
    if not run.results and not run.diagnostics:
        raise NotFoundError("no scenario files found",
                            "scenarios live in <partnership>/scenarios/*.yaml beside the definitions they test")
    report = ScenarioReport(tuple(run.results), quiet=quiet)
    if output is None:
        echo_rendered(Output.SCENARIOS, output_format, report)
    else:
        write_report(output, render(Output.SCENARIOS, output_format, report))
        echo_rendered(Output.SCENARIOS, "text", report)
        say(f"{output_format} report written to {output}")
    raise click.exceptions.Exit(EXIT_OK if run.ok else EXIT_PROBLEM)


@click.command("new")
@click.argument("partnership")
@click.option("--extends", "base", required=True, metavar="BASE",
              help="The id of the process to build on, e.g. a national base (see `reviewflow processes`).")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="The workspace: the partnership's repository (created if missing).")
@processes_option
def new_command(partnership: str, base: str, directory: Path) -> None:
    """Start a partnership's workspace: its definition extending BASE, a starter scenario, and the checks.

    Creates, in DIR (the partnership's repository):

    \b
      processes/PARTNERSHIP/PARTNERSHIP.yaml          extends BASE; TODO comments say what to change
      processes/PARTNERSHIP/scenarios/starter.yaml    a case opens; add steps as you go
      schemas/                                        the JSON Schemas, for editors
      README.md, requirements.txt                     for the business unit (when absent)
      .pre-commit-config.yaml, .github/workflows/     the two checks, on commit and in CI (when absent)

    Both generated YAML files pass `reviewflow validate` and `reviewflow test` as they are. PARTNERSHIP
    is kebab-case. Nothing is ever overwritten.

    \b
    Example:
      reviewflow new calderdale --extends wt2023-national
      reviewflow validate
      reviewflow test
    """
    from reviewflow.engine.definition.searchpath import shown_path
    from reviewflow.engine.workspace.scaffold import scaffold

    if not PARTNERSHIP_NAME.match(partnership):
        raise click.BadParameter(
            f"{partnership!r} is not kebab-case; use lower-case letters and digits joined by hyphens, "
            "e.g. north-yorkshire", param_hint="PARTNERSHIP")
    directory.mkdir(parents=True, exist_ok=True)
    for item in scaffold(partnership, base, directory, search_path(cwd=directory)):
        state = "created" if item.written else "kept   "
        say(f"{state} {shown_path(item.path, Path.cwd())}")
    where = "" if directory.resolve() == Path.cwd().resolve() else f"cd {directory} && "
    say(f"next: edit what is marked TODO, then run `{where}reviewflow validate` and `reviewflow test`")
    raise click.exceptions.Exit(EXIT_OK)


def register(cli: click.Group) -> None:
    """Add this module's commands to the top-level group."""
    cli.add_command(test_command)
    cli.add_command(new_command)
