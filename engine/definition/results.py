"""What `reviewflow validate` found, as values, and a content-hash cache of clean results.

An unchanged workspace validates in a few milliseconds: the files are read and hashed (never parsed),
and a report saved by an earlier run on exactly the same inputs is shown again. Only a report without
errors is saved (warnings included), so every error is always found afresh. The key (everything a
report depends on) is `definition.validatecache.key`; files: `validate/` beside the compiled
definitions (same folder rules: 0700, owned by the user; files 0600, written atomically, checked on
load; anything unreadable or foreign is a miss).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviewflow.engine import cachefiles
from reviewflow.engine.definition.validatecache import FORMAT
from reviewflow.engine.errors import Diagnostic, Location, Severity


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
