"""The definitions search path on the command line: `--processes DIR` on every command that reads definitions,
plus the workspace commands `copy` and `schema`.

`--processes` may be given before the command (`reviewflow --processes defs case open …`) or after it
(`reviewflow case open … --processes defs`); both add to the same list, in the order typed. The rest of the
path comes from $REVIEWFLOW_PATH, ./processes and the bundled definitions (docs/workspaces.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from reviewflow.commands.common import say
from reviewflow.commands.errors import EXIT_OK

if TYPE_CHECKING:
    from reviewflow.engine.definition.registry import Registry
    from reviewflow.engine.definition.searchpath import SearchPath

F = TypeVar("F", bound=Callable[..., Any])
_KEY = "reviewflow.processes"

PROCESSES_HELP = ("A folder of your own definitions, searched before $REVIEWFLOW_PATH, ./processes and the "
                  "bundled ones (repeatable).")


def _remember(ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]) -> None:
    root = ctx.find_root()
    root.meta.setdefault(_KEY, []).extend(value)


def processes_option(func: F) -> F:
    return click.option("--processes", "processes", metavar="DIR", multiple=True, expose_value=False,
                        callback=_remember, is_eager=True, help=PROCESSES_HELP)(func)


def search_path(ctx: click.Context | None = None, cwd: Path | None = None) -> SearchPath:
    """The search path of this invocation: --processes, $REVIEWFLOW_PATH, ./processes, bundled.

    `cwd` is the folder whose `processes/` counts (another workspace, for `new --dir`)."""
    from reviewflow.engine.definition import searchpath

    ctx = ctx or click.get_current_context()
    options = [Path(o).absolute() for o in ctx.find_root().meta.get(_KEY, [])]
    return searchpath.resolve(options, os.environ, (cwd or Path.cwd()).absolute())


def registry(ctx: click.Context | None = None) -> Registry:
    from reviewflow.engine.definition.registry import Registry

    return Registry.for_search_path(search_path(ctx))


def describe_search_path() -> str:
    """For `reviewflow --help`: where definitions are looked for from here, without --processes."""
    from reviewflow.engine.definition import searchpath

    return "\n".join(f"  {line}" for line in searchpath.explain(os.environ, Path.cwd()))


@click.command("copy")
@click.argument("process_id", metavar="PROCESS")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="The workspace (repository) to copy into; files go under DIR/processes/.")
def copy_command(process_id: str, directory: Path) -> None:
    """Copy a bundled definition and its scenarios into the workspace, to adapt them.

    The copy keeps its id, so it replaces the bundled definition for every command run in the workspace
    (`reviewflow validate` says so once). The scenarios come with it: an edit that moves a date makes
    them fail. Nothing is ever overwritten.

    \b
    Example:
      reviewflow copy leeds-rapid-review
      reviewflow test            # the copied scenarios, against the copy
    """
    from reviewflow.engine.workspace.copy import copy_bundled

    for item in copy_bundled(process_id, directory):
        say(f"{'created' if item.written else 'kept   '} {_shown(item.path)}")
    raise click.exceptions.Exit(EXIT_OK)


@click.command("schema")
@click.argument("name", type=click.Choice(["process", "scenario"]), required=False)
@click.option("--write", "folder", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write both schemas into this folder (replacing older copies) instead of printing one.")
def schema_command(name: str | None, folder: Path | None) -> None:
    """Print the JSON Schema of definitions (or scenarios), or vendor both into a folder for editors.

    Editors (VS Code's YAML extension and others) read the `# yaml-language-server: $schema=…` line at the
    top of a file; `reviewflow new` points it at the workspace's schemas/ folder, which this command
    refreshes after an upgrade.

    \b
    Examples:
      reviewflow schema --write schemas
      reviewflow schema scenario > scenario.schema.json
    """
    from reviewflow.engine.workspace.files import schema_files

    if folder is None:
        planned = {p.path.name: p.text for p in schema_files(Path("."))}
        click.echo(planned[f"{name or 'process'}.schema.json"], nl=False)
        raise click.exceptions.Exit(EXIT_OK)
    folder.mkdir(parents=True, exist_ok=True)
    for item in schema_files(folder):
        item.path.write_text(item.text, encoding="utf-8")
        say(f"wrote {_shown(item.path)}")
    raise click.exceptions.Exit(EXIT_OK)


def _shown(path: Path) -> str:
    from reviewflow.engine.definition.searchpath import shown_path

    return shown_path(path, Path.cwd())


def register(cli: click.Group) -> None:
    cli.add_command(copy_command)
    cli.add_command(schema_command)
