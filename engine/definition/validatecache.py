"""The light half of `reviewflow validate`'s cache: the key over every input of a run, and the answers
(printed text and exit code) of clean runs, by that key and the options that shape the output.

`definition.results` keeps the clean *report* under the key, so the same files shown another way need
no validation; this module keeps what a clean run *printed*, so that the `reviewflow` script can answer
an unchanged workspace before it loads the command line (reviewflow.launch). For that it imports only
`hashlib`, `json`, `os` and `pathlib` (and `cachefiles`, which imports no more).

**Key**: a sha256 over everything a report depends on: the content of every YAML file under every
folder the run reads definitions or scenarios from (the search path's roots, the paths named and
their folders), with their paths; the working directory and the paths as named (they shape how files
are shown); the options; the schemas; the installed `holidays` data (lint counts working days); this
format; and a stat fingerprint (name, size, mtime) of every module of the engine. Anything else
changed is a miss, never a stale answer. An **answer** is keyed by that key, the output format,
`--strict` and `--quiet`, and is kept only for a report without errors (so every error is found
afresh); its file repeats its key and a checksum of the text, both checked on load.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from reviewflow.engine import cachefiles

TYPE_CHECKING = False
if TYPE_CHECKING:  # `typing` itself costs a few milliseconds to import
    from collections.abc import Iterable, Sequence
    from typing import Any

FORMAT = 2
_ENGINE = Path(__file__).resolve().parent.parent  # engine/
_SCHEMAS = _ENGINE.parent / "schemas"


def key(named: Sequence[Path], roots: Sequence[tuple[Path, str]], options: Sequence[object],
        calendar_data: str) -> str:
    """The cache key of validating `named` on a search path of `roots` ((folder, origin), in order)."""
    digest = hashlib.sha256(json.dumps([FORMAT, os.getcwd(), [str(p) for p in named],
                                        [[str(p), origin] for p, origin in roots], [str(o) for o in options],
                                        calendar_data]).encode())
    _engine_stamp(digest)
    folders = [*(p for p, _ in roots), *named, *(p.parent for p in named if not p.is_dir())]
    for path in yaml_files(folders):
        try:
            with open(path, "rb") as file:
                raw = file.read()
        except OSError:
            raw = b"\0unreadable"
        digest.update(f"\n{path}\n{len(raw)}\n".encode())
        digest.update(raw)
    return digest.hexdigest()


def _engine_stamp(digest: Any) -> None:
    modules: list[tuple[str, os.stat_result]] = []
    _walk(str(_ENGINE), "", ".py", lambda relative, entry: modules.append((relative, entry.stat())))
    for relative, stat in sorted(modules):
        digest.update(f"{relative} {stat.st_size} {stat.st_mtime_ns}\n".encode())
    for schema in sorted(_SCHEMAS.glob("*.json")):
        digest.update(schema.name.encode() + b"\n" + schema.read_bytes())


def yaml_files(folders: Iterable[Path]) -> list[str]:
    """The real path of every *.yaml file under `folders` (a file among them counts itself), sorted.

    The same files as `Path.rglob("*.yaml")` of each folder, resolved (symlinked folders are not entered),
    found with `os.scandir`: several times faster, and a folder inside another one is walked once."""
    found: set[str] = set()
    walked: list[str] = []
    for folder in folders:
        if folder.is_file():
            found.add(os.path.realpath(folder))
        elif folder.is_dir():
            walked.append(os.path.realpath(folder))
    kept: list[str] = []
    for real in sorted(set(walked)):
        if not any(real.startswith(k.rstrip(os.sep) + os.sep) for k in kept):
            kept.append(real)
    for real in kept:
        _walk(real, "", ".yaml", lambda _relative, entry: found.add(
            os.path.realpath(entry.path) if entry.is_symlink() else entry.path))
    return sorted(found)


def _walk(folder: str, prefix: str, suffix: str, visit: Any) -> None:
    """Call visit(relative posix path, entry) for each file named *suffix below `folder`, not entering
    symlinked folders (as `Path.rglob`); unreadable folders are skipped."""
    try:
        with os.scandir(folder) as listing:
            entries = list(listing)
    except OSError:
        return
    for entry in entries:
        try:
            if entry.is_dir():
                if not entry.is_symlink():
                    _walk(entry.path, f"{prefix}{entry.name}/", suffix, visit)
            elif entry.name.endswith(suffix) and entry.is_file():
                visit(prefix + entry.name, entry)
        except OSError:
            continue


# -- the answers of clean runs --------------------------------------------------------------------

def _answer_name(report_key: str, output_format: str, strict: bool, quiet: bool) -> tuple[str, str]:
    answer_key = hashlib.sha256(json.dumps([report_key, output_format, strict, quiet]).encode()).hexdigest()
    return answer_key, f"{answer_key}.answer.json"


def _checksum(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()  # a file name may hold anything


def load_answer(report_key: str, output_format: str, strict: bool, quiet: bool) -> tuple[str, int] | None:
    """(printed text, exit code) of the clean run saved under these, or None."""
    answer_key, name = _answer_name(report_key, output_format, strict, quiet)
    raw = cachefiles.read(cachefiles.folder("validate"), name)
    if raw is None:
        return None
    try:
        payload = json.loads(raw)
        text, code = payload["text"], payload["exit"]
        if (payload["format"] != FORMAT or payload["key"] != answer_key or not isinstance(text, str)
                or type(code) is not int or _checksum(text) != payload["sha256"]):
            return None
    except (ValueError, KeyError, TypeError, UnicodeError):
        return None
    return text, code


def save_answer(report_key: str, output_format: str, strict: bool, quiet: bool, text: str, code: int) -> bool:
    """Keep what a clean run printed and its exit code; False when not written (the cache only costs speed)."""
    answer_key, name = _answer_name(report_key, output_format, strict, quiet)
    payload = {"format": FORMAT, "key": answer_key, "exit": code, "text": text,
               "sha256": _checksum(text)}
    return cachefiles.write(cachefiles.folder("validate"), name, json.dumps(payload).encode("utf-8"))
