"""Diagnostics as text, JSON and GitHub workflow annotations, one by one and as `reviewflow validate`'s report."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reviewflow.engine.errors import Diagnostic

if TYPE_CHECKING:
    from reviewflow.engine.validation import ValidationReport


def diagnostic_line(diagnostic: Diagnostic) -> str:
    d = diagnostic
    return f"{d.location}: {d.severity.value} {d.code} {d.slug}: {d.message}"


def diagnostics_text(diagnostics: Iterable[Diagnostic]) -> str:
    lines: list[str] = []
    for d in diagnostics:
        lines.append(diagnostic_line(d))
        if d.hint:
            lines.append(f"  hint: {d.hint}")
    return "\n".join(lines)


def _escape_github(value: str, *, property_value: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def diagnostic_github(diagnostic: Diagnostic) -> str:
    """One `::error file=…,line=…,col=…,title=…::message` workflow command."""
    d = diagnostic
    level = {"error": "error", "warning": "warning"}.get(d.severity.value, "notice")
    props = [f"file={_escape_github(d.location.file, property_value=True)}"]
    if d.location.line:
        props.append(f"line={d.location.line}")
    if d.location.col:
        props.append(f"col={d.location.col}")
    props.append(f"title={_escape_github(f'{d.code} {d.slug}', property_value=True)}")
    message = d.message + (f" (hint: {d.hint})" if d.hint else "")
    return f"::{level} {','.join(props)}::{_escape_github(message)}"


def summary_line(files: int, errors: int, warnings: int, *, strict: bool = False) -> str:
    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    if errors:
        verdict = "invalid"
    elif strict and warnings:
        verdict = "failed: --strict treats warnings as errors"
    else:
        verdict = "ok"
    return f"{plural(files, 'file')} checked: {plural(errors, 'error')}, {plural(warnings, 'warning')} ({verdict})"


def report_json(files: Sequence[tuple[str, str | None, Sequence[Diagnostic]]]) -> dict[str, Any]:
    """Stable shape: {"files": [{"file", "process", "diagnostics": [...]}], "summary": {...}}."""
    out_files = []
    errors = warnings = 0
    for file, process_id, diagnostics in files:
        errors += sum(1 for d in diagnostics if d.severity.value == "error")
        warnings += sum(1 for d in diagnostics if d.severity.value == "warning")
        out_files.append({"file": file, "process": process_id, "diagnostics": [d.to_dict() for d in diagnostics]})
    return {
        "files": out_files,
        "summary": {"files": len(out_files), "errors": errors, "warnings": warnings, "ok": errors == 0},
    }


# -- reviewflow validate --------------------------------------------------------------------------


@dataclass(frozen=True)
class Validation:
    """What `reviewflow validate` found in every file it checked, and how to judge and show it."""

    report: ValidationReport
    strict: bool = False  # warnings fail too
    quiet: bool = False  # text: the summary line only

    @property
    def failed(self) -> bool:
        return self.report.error_count > 0 or (self.strict and self.report.warning_count > 0)

    def summary(self) -> str:
        return summary_line(len(self.report.files), self.report.error_count, self.report.warning_count,
                            strict=self.strict)


def validation_text(validation: Validation) -> str:
    found = "" if validation.quiet else diagnostics_text(d for f in validation.report.files for d in f.diagnostics)
    return "\n".join([*([found] if found else []), validation.summary()])


def validation_github(validation: Validation) -> str:
    annotations = [diagnostic_github(d) for f in validation.report.files for d in f.diagnostics]
    return "\n".join([*annotations, validation.summary()])


def validation_json(validation: Validation) -> dict[str, Any]:
    return report_json([(f.file, f.process_id, f.diagnostics) for f in validation.report.files])
