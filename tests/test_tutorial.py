"""docs/tutorial.md and docs/workspaces.md cannot drift: their definitions, edits, commands and shown output
are replayed here.

Each document is read as a script, in order, in an empty temporary folder that is the working directory:
a partnership's own repository, as the reader starts it. Nothing is copied into it and nothing is patched:
`reviewflow new` makes the workspace, and the bundled definitions are found where the installed tool finds
them. An HTML comment right before a fenced block says what the block is (`replay:` may be written for
`tutorial:`):

    <!-- tutorial: definition PATH [expect=C403,C404] -->  ```yaml: the whole file PATH; `reviewflow
        validate PATH` must report exactly these codes (none when `expect` is absent).
    <!-- tutorial: file PATH -->                            ```yaml: the whole file PATH (a scenario).
    <!-- tutorial: edit PATH {json} -->                     ```yaml: an excerpt of PATH after an edit.
        json: {"replace": [[old, new], ...], "append": text, "expect": [codes], "keep": false}.
        The edit applies to the last kept text of PATH (at first, the file as a command wrote it); every
        line of the excerpt must be a line of the result. Unless "keep" is true it lasts only until the next `restore`, `definition`,
        `file` or `edit`.
    <!-- tutorial: restore -->                              (no block): undo the unkept edits.
    <!-- tutorial: shows PATH -->                           any fence: the file PATH as a command wrote it:
        exactly its text, or, when the block has `...` lines, every other line is a line of it.
    <!-- tutorial: run [exit=N] -->                         ```sh: each `reviewflow ...` command must
        exit N (default 0); `export NAME=value` sets the environment of the later commands.
    <!-- tutorial: output -->                              ```text: every line (except `...`) must be
        a line of the output of the run block before it.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from reviewflow.cli import cli

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "docs" / "tutorial.md"
WORKSPACES = ROOT / "docs" / "workspaces.md"

MARKER = re.compile(r"<!--\s*(?:tutorial|replay):\s*(?P<body>.*?)\s*-->", re.S)
FENCE = re.compile(r"\s*```(?P<lang>[a-z]*)\n(?P<text>.*?)^```[ \t]*$", re.S | re.M)
CODE = re.compile(r": (?:error|warning) ([A-Z]\d{3}) ")
KINDS = {"definition", "file", "edit", "restore", "shows", "run", "output"}


@dataclass
class Block:
    line: int      # the marker's line in the document
    kind: str
    args: str
    lang: str | None
    text: str | None


def blocks(doc: Path = TUTORIAL) -> list[Block]:
    text = doc.read_text(encoding="utf-8")
    out: list[Block] = []
    for m in MARKER.finditer(text):
        kind, _, args = m.group("body").partition(" ")
        line = text.count("\n", 0, m.start()) + 1
        fence = FENCE.match(text, m.end())
        if kind in ("restore",):
            out.append(Block(line, kind, args.strip(), None, None))
            continue
        assert fence, f"docs/{doc.name}:{line}: `{kind}` must be followed by a fenced block"
        out.append(Block(line, kind, args.strip(), fence.group("lang"), fence.group("text")))
    return out


def commands(text: str) -> list[list[str]]:
    joined = re.sub(r"\\\n", " ", text)
    return [words for line in joined.splitlines() if (words := shlex.split(line, comments=True))]


def codes_of(output: str) -> list[str]:
    return sorted(set(CODE.findall(output)))


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The reader's repository: an empty folder, the working directory of every command."""
    folder = tmp_path / "northshire-procedures"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def test_tutorial_blocks_are_marked() -> None:
    kinds = [b.kind for b in blocks()]
    assert kinds.count("definition") >= 2 and kinds.count("run") >= 8 and "file" in kinds, kinds
    assert "shows" in kinds, kinds
    assert set(kinds) <= KINDS, kinds


def test_workspaces_doc_blocks_are_marked() -> None:
    kinds = [b.kind for b in blocks(WORKSPACES)]
    assert kinds.count("run") >= 5 and kinds.count("output") >= 5, kinds
    assert set(kinds) <= KINDS, kinds


def test_the_tutorial_starts_in_an_empty_folder_with_reviewflow_new() -> None:
    first = next(b for b in blocks() if b.kind == "run")
    assert first.text is not None and commands(first.text)[0][:2] == ["reviewflow", "new"]


def test_tutorial_replays(workspace: Path) -> None:
    replay(TUTORIAL, workspace)


def test_workspaces_doc_replays(workspace: Path) -> None:
    replay(WORKSPACES, workspace)


def replay(doc: Path, folder: Path) -> None:
    runner = CliRunner()
    env: dict[str, str] = {"REVIEWFLOW_DB": str(folder / "tutorial.db")}
    kept: dict[str, str] = {}       # path -> the text the document has settled on
    last_output: str | None = None

    def invoke(args: list[str]) -> tuple[int, str]:
        result = runner.invoke(cli, args, env=env, catch_exceptions=False)
        return result.exit_code, result.output

    def restore() -> None:
        for path, text in kept.items():
            (folder / path).write_text(text, encoding="utf-8")

    def validate(path: str, expected: list[str], where: str) -> None:
        code, out = invoke(["validate", path])
        assert codes_of(out) == sorted(expected), f"{where}: validate {path}:\n{out}"
        errors = bool(re.search(r": error [A-Z]\d{3} ", out))
        assert code == (1 if errors else 0), f"{where}: validate {path} exited {code}:\n{out}"

    for b in blocks(doc):
        where = f"docs/{doc.name}:{b.line}"
        if b.kind in ("definition", "file"):
            restore()
            path, _, opts = b.args.partition(" ")
            assert b.lang == "yaml", f"{where}: a {b.kind} is a ```yaml block"
            assert b.text is not None
            target = folder / path
            assert target.parent.is_dir(), f"{where}: {path}: its folder does not exist yet"
            target.write_text(b.text, encoding="utf-8")
            kept[path] = b.text
            if b.kind == "definition":
                expect = opts.removeprefix("expect=").split(",") if opts.startswith("expect=") else []
                validate(path, expect, where)
        elif b.kind == "edit":
            restore()
            path, _, spec_text = b.args.partition(" ")
            spec = json.loads(spec_text)
            # A file a command wrote (`reviewflow new`) is kept as written until an edit keeps another text.
            kept.setdefault(path, (folder / path).read_text(encoding="utf-8"))
            text = kept[path]
            for old, new in spec.get("replace", []):
                assert text.count(old) == 1, f"{where}: {old!r} occurs {text.count(old)} times in {path}"
                text = text.replace(old, new)
            text += spec.get("append", "")
            assert b.text is not None
            lines = set(text.splitlines())
            for shown in b.text.splitlines():
                if shown.strip():
                    assert shown.rstrip() in lines, f"{where}: the excerpt line {shown!r} is not in {path}"
            (folder / path).write_text(text, encoding="utf-8")
            if spec.get("keep"):
                kept[path] = text
            if "expect" in spec:
                validate(path, spec["expect"], where)
        elif b.kind == "restore":
            restore()
        elif b.kind == "shows":
            assert b.text is not None
            target = folder / b.args
            assert target.is_file(), f"{where}: {b.args} was not written"
            actual_text = target.read_text(encoding="utf-8")
            shown_lines = b.text.splitlines()
            if "..." in (line.strip() for line in shown_lines):
                actual_lines = {line.rstrip() for line in actual_text.splitlines()}
                for shown in shown_lines:
                    if shown.strip() and shown.strip() != "...":
                        assert shown.rstrip() in actual_lines, f"{where}: {shown!r} is not a line of {b.args}"
            else:
                assert b.text == actual_text, f"{where}: {b.args} is now:\n{actual_text}"
        elif b.kind == "run":
            assert b.lang == "sh" and b.text is not None, f"{where}: a run is a ```sh block"
            want = int(b.args.removeprefix("exit=")) if b.args.startswith("exit=") else 0
            outputs = []
            for words in commands(b.text):
                if words[0] == "export":
                    name, _, value = words[1].partition("=")
                    env[name] = value
                    continue
                assert words[0] == "reviewflow", f"{where}: only reviewflow and export run here: {words}"
                code, out = invoke(words[1:])
                assert code == want, f"{where}: `{shlex.join(words)}` exited {code}, not {want}:\n{out}"
                outputs.append(out)
            last_output = "".join(outputs)
        elif b.kind == "output":
            assert last_output is not None, f"{where}: output without a run block before it"
            # Runs of spaces are one space: a table's column widths follow the widest row, which changes
            # whenever a definition is added anywhere; the words of each shown line must not.
            actual = {" ".join(line.split()) for line in last_output.splitlines()}
            assert b.text is not None
            for shown in b.text.splitlines():
                if shown.strip() and shown.strip() != "...":
                    assert " ".join(shown.split()) in actual, (
                        f"{where}: the document shows {shown!r}, the command printed:\n{last_output}")
        else:
            raise AssertionError(f"{where}: unknown block kind {b.kind!r}")
