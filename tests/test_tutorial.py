"""docs/tutorial.md cannot drift: its definitions, edits, commands and shown output are replayed here.

The tutorial is read as a script, in order, in a temporary copy of `processes/` and `schemas/` (the
bundled folder is pointed there, so `reviewflow new`, `validate`, `test`, `show` and the case commands
all see the tutorial's partnership exactly as a reader's checkout would). An HTML comment right
before a fenced block says what the block is:

    <!-- tutorial: definition PATH [expect=C403,C404] -->  ```yaml: the whole file PATH; `reviewflow
        validate PATH` must report exactly these codes (none when `expect` is absent).
    <!-- tutorial: file PATH -->                            ```yaml: the whole file PATH (a scenario).
    <!-- tutorial: edit PATH {json} -->                     ```yaml: an excerpt of PATH after an edit.
        json: {"replace": [[old, new], ...], "append": text, "expect": [codes], "keep": false}.
        The edit applies to the last kept text of PATH; every line of the excerpt must be a line of
        the result. Unless "keep" is true it lasts only until the next `restore`, `definition`,
        `file` or `edit`.
    <!-- tutorial: restore -->                              (no block): undo the unkept edits.
    <!-- tutorial: run [exit=N] -->                         ```sh: each `reviewflow ...` command must
        exit N (default 0); `export NAME=value` sets the environment of the later commands.
    <!-- tutorial: output -->                              ```text: every line (except `...`) must be
        a line of the output of the run block before it.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import reviewflow.engine.paths
from click.testing import CliRunner
from reviewflow.cli import cli

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "docs" / "tutorial.md"

MARKER = re.compile(r"<!--\s*tutorial:\s*(?P<body>.*?)\s*-->", re.S)
FENCE = re.compile(r"\s*```(?P<lang>[a-z]*)\n(?P<text>.*?)^```[ \t]*$", re.S | re.M)
CODE = re.compile(r": (?:error|warning) ([A-Z]\d{3}) ")


@dataclass
class Block:
    line: int      # the marker's line in docs/tutorial.md
    kind: str
    args: str
    lang: str | None
    text: str | None


def blocks() -> list[Block]:
    doc = TUTORIAL.read_text(encoding="utf-8")
    out: list[Block] = []
    for m in MARKER.finditer(doc):
        kind, _, args = m.group("body").partition(" ")
        line = doc.count("\n", 0, m.start()) + 1
        fence = FENCE.match(doc, m.end())
        if kind in ("restore",):
            out.append(Block(line, kind, args.strip(), None, None))
            continue
        assert fence, f"docs/tutorial.md:{line}: `tutorial: {kind}` must be followed by a fenced block"
        out.append(Block(line, kind, args.strip(), fence.group("lang"), fence.group("text")))
    return out


def commands(text: str) -> list[list[str]]:
    joined = re.sub(r"\\\n", " ", text)
    return [words for line in joined.splitlines() if (words := shlex.split(line, comments=True))]


def codes_of(output: str) -> list[str]:
    return sorted(set(CODE.findall(output)))


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A reader's own workspace (where `reviewflow new` writes), beside an installed reviewflow whose bundled
    processes/ and schemas/ the CLI is pointed at. (Run inside the bundled folder itself, the reader's files
    would be named `bundled:…`, which no reader sees.)"""
    repo = tmp_path / "reviewflow"
    for name in ("processes", "schemas"):
        shutil.copytree(ROOT / name, repo / name,
                        ignore=shutil.ignore_patterns("__pycache__", "northshire"))
    monkeypatch.setattr(reviewflow.engine.paths, "_ROOT", repo)
    workspace = tmp_path / "northshire-safeguarding"
    workspace.mkdir()
    monkeypatch.chdir(workspace)
    return workspace


def test_tutorial_blocks_are_marked() -> None:
    kinds = [b.kind for b in blocks()]
    assert kinds.count("definition") >= 2 and kinds.count("run") >= 8 and "file" in kinds, kinds
    assert set(kinds) <= {"definition", "file", "edit", "restore", "run", "output"}, kinds


def test_tutorial_replays(checkout: Path) -> None:
    runner = CliRunner()
    env: dict[str, str] = {"REVIEWFLOW_DB": str(checkout / "tutorial.db")}
    kept: dict[str, str] = {}       # path -> the text the tutorial has settled on
    last_output: str | None = None

    def invoke(args: list[str]) -> tuple[int, str]:
        result = runner.invoke(cli, args, env=env, catch_exceptions=False)
        return result.exit_code, result.output

    def restore() -> None:
        for path, text in kept.items():
            (checkout / path).write_text(text, encoding="utf-8")

    def validate(path: str, expected: list[str], where: str) -> None:
        code, out = invoke(["validate", path])
        assert codes_of(out) == sorted(expected), f"{where}: validate {path}:\n{out}"
        errors = bool(re.search(r": error [A-Z]\d{3} ", out))
        assert code == (1 if errors else 0), f"{where}: validate {path} exited {code}:\n{out}"

    for b in blocks():
        where = f"docs/tutorial.md:{b.line}"
        if b.kind in ("definition", "file"):
            restore()
            path, _, opts = b.args.partition(" ")
            assert b.lang == "yaml", f"{where}: a {b.kind} is a ```yaml block"
            assert b.text is not None
            target = checkout / path
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
            text = kept[path] if path in kept else (checkout / path).read_text(encoding="utf-8")
            for old, new in spec.get("replace", []):
                assert text.count(old) == 1, f"{where}: {old!r} occurs {text.count(old)} times in {path}"
                text = text.replace(old, new)
            text += spec.get("append", "")
            assert b.text is not None
            lines = set(text.splitlines())
            for shown in b.text.splitlines():
                if shown.strip():
                    assert shown.rstrip() in lines, f"{where}: the excerpt line {shown!r} is not in {path}"
            (checkout / path).write_text(text, encoding="utf-8")
            if spec.get("keep"):
                kept[path] = text
            if "expect" in spec:
                validate(path, spec["expect"], where)
        elif b.kind == "restore":
            restore()
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
            actual = {line.rstrip() for line in last_output.splitlines()}
            assert b.text is not None
            for shown in b.text.splitlines():
                if shown.strip() and shown.strip() != "...":
                    assert shown.rstrip() in actual, (
                        f"{where}: the tutorial shows {shown!r}, the command printed:\n{last_output}")
