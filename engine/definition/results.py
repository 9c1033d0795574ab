"""What `reviewflow validate` found, as values, and a content-hash cache of clean results.

An unchanged workspace validates in a few milliseconds: the files are read and hashed (never parsed),
and a report saved by an earlier run on exactly the same inputs is shown again. Only a report without
errors is saved (warnings included), so every error is always found afresh.

**Key**: a sha256 over everything a report depends on: the content of every YAML file under every
folder the run reads definitions or scenarios from (the search path's roots, the paths named and
their folders), with their paths; the working directory and the paths as named (they shape how files
are shown); the options; the schemas; the installed `holidays` data (lint counts working days); this
format; and a stat fingerprint (name, size, mtime) of every module of the engine. Anything else
changed is a miss, never a stale report. Files: `validate/` beside the compiled definitions (same
folder rules: 0700, owned by the user; files 0600, written atomically, checked on load; anything
unreadable or foreign is a miss).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviewflow.engine.definition import cachefiles
from reviewflow.engine.errors import Diagnostic, Location, Severity

FORMAT = 1
_ENGINE = Path(__file__).resolve().parent.parent  # engine/
_SCHEMAS = _ENGINE.parent / "schemas"


@dataclass
class FileReport:
    file: str
    process_id: str | None
    diagnostics: list[Diagnostic]

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


@dataclass
class ValidationReport:
    files: list[FileReport]

    @property
    def error_count(self) -> int:
        return sum(1 for f in self.files for d in f.diagnostics if d.severity is Severity.ERROR)

    @property
    def warning_count(self) -> int:
        return sum(1 for f in self.files for d in f.diagnostics if d.severity is Severity.WARNING)

    @property
    def ok(self) -> bool:
        return self.error_count == 0


# -- the key ------------------------------------------------------------------------------------------

def _engine_stamp(digest: Any) -> None:
    for file in sorted(_ENGINE.rglob("*.py")):
        try:
            stat = file.stat()
        except OSError:
            continue
        digest.update(f"{file.relative_to(_ENGINE).as_posix()} {stat.st_size} {stat.st_mtime_ns}\n".encode())
    for schema in sorted(_SCHEMAS.glob("*.json")):
        digest.update(schema.name.encode() + b"\n" + schema.read_bytes())


def _yaml_files(folders: Iterable[Path]) -> list[Path]:
    found: set[Path] = set()
    for folder in folders:
        if folder.is_file():
            found.add(folder.resolve())
        elif folder.is_dir():
            found.update(p.resolve() for p in folder.rglob("*.yaml") if p.is_file())
    return sorted(found)


def key(named: Sequence[Path], roots: Sequence[tuple[Path, str]], options: Sequence[object],
        calendar_data: str) -> str:
    """The cache key of validating `named` on a search path of `roots` ((folder, origin), in order)."""
    digest = hashlib.sha256(json.dumps([FORMAT, os.getcwd(), [str(p) for p in named],
                                        [[str(p), origin] for p, origin in roots], [str(o) for o in options],
                                        calendar_data]).encode())
    _engine_stamp(digest)
    folders = [*(p for p, _ in roots), *named, *(p.parent for p in named if not p.is_dir())]
    for path in _yaml_files(folders):
        try:
            raw = path.read_bytes()
        except OSError:
            raw = b"\0unreadable"
        digest.update(f"\n{path}\n{len(raw)}\n".encode())
        digest.update(raw)
    return digest.hexdigest()


# -- the files ----------------------------------------------------------------------------------------

def folder() -> Path:
    return cachefiles.folder("validate")


def load(cache_key: str) -> ValidationReport | None:
    """The clean report saved under `cache_key`, or None."""
    raw = cachefiles.read(folder(), f"{cache_key}.json")
    if raw is None:
        return None
    try:
        payload = json.loads(raw)
        if payload["format"] != FORMAT or payload["key"] != cache_key:
            return None
        body = json.dumps(payload["files"], sort_keys=True, ensure_ascii=False).encode("utf-8")
        if hashlib.sha256(body).hexdigest() != payload["sha256"]:
            return None
        report = ValidationReport([FileReport(f["file"], f["process_id"], [_diagnostic(d) for d in f["diagnostics"]])
                                   for f in payload["files"]])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return report if report.ok else None


def _diagnostic(d: dict[str, Any]) -> Diagnostic:
    return Diagnostic(str(d["code"]), str(d["slug"]), str(d["message"]),
                      Location(str(d["file"]), int(d["line"]), int(d["col"])), Severity(d["severity"]),
                      None if d["hint"] is None else str(d["hint"]))


def save(cache_key: str, report: ValidationReport) -> bool:
    """Keep a clean report for the next run on the same inputs; False when it is not clean or not written."""
    if not report.ok:
        return False
    files = [{"file": f.file, "process_id": f.process_id, "diagnostics": [d.to_dict() for d in f.diagnostics]}
             for f in report.files]
    body = json.dumps(files, sort_keys=True, ensure_ascii=False).encode("utf-8")
    payload = {"format": FORMAT, "key": cache_key, "sha256": hashlib.sha256(body).hexdigest(), "files": files}
    return cachefiles.write(folder(), f"{cache_key}.json", json.dumps(payload, ensure_ascii=False).encode("utf-8"))
