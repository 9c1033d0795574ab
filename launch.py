"""The `reviewflow` script and `python -m reviewflow`: `reviewflow validate` is answered before the command
line is loaded; everything else is the command line of `reviewflow.cli`.

Starting click and the command framework costs more than twice a bare interpreter's start-up (a tenth of a
cold `validate` of the bundled definitions), and `validate` needs none of it. So the script reads a
`validate` invocation itself, importing only the standard library's lightest modules first:
- an unchanged workspace (no PATH) is answered with what the last clean run on exactly the same inputs
  printed, read through three light engine modules (`definition.searchroots`, `definition.validatecache`,
  `calendar.package`); it never prints anything it did not find saved;
- any other `validate` it can read is run by `commands.validating.answer`, the function the click command
  calls, so the text and the exit code are the command's own.

It reads only an invocation of this shape (options in any order, as click reads them):

    reviewflow [--processes DIR]... validate [PATH]... [--quiet|-q] [--strict] [--format FORMAT]
               [--all-problems] [--skip-other-yaml] [--processes DIR]...

with `--processes=DIR` and `--format=FORMAT` spellings too. Anything else goes to the full command line,
exactly as before: another command, --help, --debug, a repeated --format, an option or value this
module does not know, a format `validate` does not have, a PATH click would refuse (missing, unreadable,
empty, or spelt like an option), shell completion, Windows, or a standard output click would not write to
as it is (no encoding, or ASCII, which click re-wraps as UTF-8). So does any failure before a word is
printed (a folder with no definition in it, an unreadable search path): the command line runs again and
reports it in its own words. tests/test_unchanged.py compares the printed text and the exit code with the
full command line's for every shape accepted. Its own exception handlers are only that fall-through, and
the report of a failed write or Ctrl-C, which it hands to `commands.errors` as `cli` does.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

TYPE_CHECKING = False
if TYPE_CHECKING:  # `typing` itself costs a few milliseconds to import
    from collections.abc import Mapping, Sequence

FLAGS = {"--quiet": "quiet", "-q": "quiet", "--strict": "strict", "--all-problems": "all_problems",
         "--skip-other-yaml": "skip_other_yaml"}  # the last changes nothing without a PATH
VALUED = ("--processes", "--format")
COMPLETION_VARIABLE = "_REVIEWFLOW_COMPLETE"  # click's shell completion for the `reviewflow` program


class Invocation:
    """The options of a `validate` this module may answer."""

    def __init__(self) -> None:
        self.processes: list[str] = []
        self.paths: list[str] = []
        self.output_format: str | None = None
        self.flags: set[str] = set()


def parse(args: Sequence[str]) -> Invocation | None:
    """The invocation `args` spells, or None when it is not one of the shape above."""
    found = Invocation()
    tokens = list(args)
    seen_command = False
    while tokens:
        token = tokens.pop(0)
        name, equals, value = token.partition("=")
        if not seen_command and token == "validate":
            seen_command = True
        elif seen_command and token in FLAGS:
            found.flags.add(FLAGS[token])
        elif name in VALUED and (seen_command or name == "--processes"):
            if not equals:
                if not tokens:
                    return None  # click: "option requires an argument"
                value = tokens.pop(0)
            if name == "--processes":
                found.processes.append(value)
            elif found.output_format is None:
                found.output_format = value
            else:
                return None  # the last one would win: left to click
        elif seen_command and token and not token.startswith("-"):
            found.paths.append(token)
        else:
            return None
    return found if seen_command else None


def cached_answer(invocation: Invocation, environ: Mapping[str, str], cwd: Path) -> tuple[str, int] | None:
    """(text, exit code) saved by the validate command for this invocation on these inputs, or None."""
    from reviewflow.engine.calendar.package import package_fingerprint
    from reviewflow.engine.definition import validatecache
    from reviewflow.engine.definition.searchroots import search_folders

    # As commands.definitions.validate with no PATH: the workspace's folders, or the bundled ones.
    folders = search_folders([Path(o).absolute() for o in invocation.processes], environ, cwd)
    targets = [path for path, origin in folders if origin.is_workspace] or [path for path, _ in folders]
    key = validatecache.key(targets, [(path, origin.value) for path, origin in folders],
                            ["all_problems" in invocation.flags], package_fingerprint()[1])
    return validatecache.load_answer(key, invocation.output_format or "text", "strict" in invocation.flags,
                                     "quiet" in invocation.flags)


def computed_answer(invocation: Invocation, environ: Mapping[str, str], cwd: Path) -> tuple[str, int] | None:
    """(text, exit code) of this invocation, from `commands.validating.answer`; None when the command line
    would refuse the invocation before validating (a format or a PATH it does not accept)."""
    from reviewflow.engine.render.formats import Output, default_format, formats

    output_format = invocation.output_format or default_format(Output.DIAGNOSTICS)
    if output_format not in formats(Output.DIAGNOSTICS) or not all(map(_accepted_path, invocation.paths)):
        return None
    from reviewflow.commands.validating import answer
    from reviewflow.engine.definition.searchpath import resolve

    search = resolve([Path(o).absolute() for o in invocation.processes], environ, cwd)
    return answer([Path(p) for p in invocation.paths], search, output_format, strict="strict" in invocation.flags,
                  quiet="quiet" in invocation.flags, all_problems="all_problems" in invocation.flags,
                  skip_other_yaml="skip_other_yaml" in invocation.flags)


def _accepted_path(path: str) -> bool:
    """What click.Path(exists=True) accepts: a path that exists and may be read."""
    try:
        os.stat(path)
    except (OSError, ValueError):
        return False
    return os.access(path, os.R_OK)


def answer(args: Sequence[str]) -> int | None:
    """Print the answer of this `validate` and return its exit code, or None (nothing printed)."""
    if sys.platform == "win32" or COMPLETION_VARIABLE in os.environ:
        return None
    invocation = parse(args)
    if invocation is None:
        return None
    stdout = sys.stdout
    try:
        cwd = Path.cwd().absolute()
        found = None if invocation.paths else cached_answer(invocation, os.environ, cwd)
        if found is None:
            found = computed_answer(invocation, os.environ, cwd)
        if found is None or not _writes_as_click_would(stdout, found[0]):
            return None
    except Exception:  # noqa: BLE001 - anything unexpected is the full command line's to report
        return None
    text, code = found
    try:
        stdout.write(text)
        stdout.flush()
    except Exception as failure:  # a closed pipe, a full disk: reported as the command line reports them
        from reviewflow.commands.errors import exit_code_for

        return exit_code_for(failure, debug=False)
    return code


def _writes_as_click_would(stdout: object, text: str) -> bool:
    """click.echo writes to sys.stdout as it is when it has an encoding (not ASCII) and errors, and strips
    terminal escapes (a rendered answer has none: engine.render.terminal); elsewhere it wraps the stream."""
    import codecs

    encoding, errors = getattr(stdout, "encoding", None), getattr(stdout, "errors", None)
    if not encoding or errors is None or "\x1b" in text or not hasattr(stdout, "buffer"):
        return False
    try:
        if codecs.lookup(encoding).name == "ascii":
            return False
        text.encode(encoding, errors)  # what cannot be written is the full command line's to report
    except (LookupError, UnicodeError):
        return False
    return True


def main(argv: list[str] | None = None) -> None:
    try:
        code = answer(sys.argv[1:] if argv is None else argv)
    except KeyboardInterrupt as interrupted:  # as the command line reports it
        from reviewflow.commands.errors import exit_code_for

        code = exit_code_for(interrupted, debug=False)
    if code is not None:
        sys.exit(code)
    from reviewflow.cli import main as command_line

    command_line(argv)
