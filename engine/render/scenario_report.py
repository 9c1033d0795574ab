"""Scenario runs (`reviewflow test`) as text, JSON and JUnit XML: pure functions from results to str / dict."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reviewflow.engine.render.diagnostics import diagnostics_text
from reviewflow.engine.scenarios.run import ScenarioResult


@dataclass(frozen=True)
class ScenarioReport:
    results: tuple[ScenarioResult, ...]
    quiet: bool = False  # text: only failures and the summary line


def summary_line(results: Sequence[ScenarioResult]) -> str:
    """Exactly `N passed, N failed` (what CI greps for)."""
    passed = sum(r.passed for r in results)
    return f"{passed} passed, {len(results) - passed} failed"


def result_line(result: ScenarioResult) -> str:
    verdict = "PASS" if result.passed else "FAIL"
    against = f"  (on {result.definition})" if result.definition else ""
    return f"{verdict} {result.file}  {result.title}{against}"


def result_details(result: ScenarioResult) -> str:
    """The diagnostics of an invalid file, or the diff of every failed expectation (indented)."""
    blocks: list[str] = []
    if result.diagnostics:
        blocks.append(diagnostics_text(result.diagnostics))
    for failure in result.failures:
        blocks.append(failure.message())
    text = "\n".join(blocks)
    return "\n".join(f"  {line}" if line else "" for line in text.splitlines())


def text_report(report: ScenarioReport) -> str:
    """PASS or FAIL per scenario, the diff of each failed expectation, then `N passed, N failed`."""
    lines: list[str] = []
    for result in report.results:
        if report.quiet and result.passed:
            continue
        lines.append(result_line(result))
        details = result_details(result)
        if details and (not result.passed or (result.diagnostics and not report.quiet)):
            lines.append(details)
    lines.append(summary_line(report.results))
    return "\n".join(lines)


def json_report(report: ScenarioReport) -> dict[str, Any]:
    """Stable shape: {"scenarios": [...], "summary": {"passed", "failed", "ok"}}."""
    results = report.results
    passed = sum(r.passed for r in results)
    return {
        "scenarios": [r.to_dict() for r in results],
        "summary": {"passed": passed, "failed": len(results) - passed, "ok": passed == len(results)},
    }


def junit_report(report: ScenarioReport, suite_name: str = "reviewflow scenarios") -> str:
    """JUnit XML: one <testcase> per scenario; a <failure> (or <error> for an invalid file) when it did not pass."""
    results = report.results
    failed = sum(1 for r in results if r.failures and not r.invalid)
    errors = sum(1 for r in results if r.invalid)
    suites = ET.Element("testsuites", name=suite_name, tests=str(len(results)), failures=str(failed),
                        errors=str(errors))
    suite = ET.SubElement(suites, "testsuite", name=suite_name, tests=str(len(results)), failures=str(failed),
                          errors=str(errors), time=f"{sum(r.seconds for r in results):.3f}")
    for result in results:
        classname = (result.process or result.file.split("/", 1)[0]).replace(".", "_")
        case = ET.SubElement(suite, "testcase", classname=classname, name=f"{result.file}: {result.title}",
                             file=result.file, time=f"{result.seconds:.3f}")
        if result.definition:
            properties = ET.SubElement(case, "properties")
            ET.SubElement(properties, "property", name="definition", value=result.definition)
        if result.invalid:
            element = ET.SubElement(case, "error", message=f"invalid scenario file ({len(result.diagnostics)} problem(s))",
                                    type="invalid")
            element.text = diagnostics_text(result.diagnostics)
        elif result.failures:
            first = result.failures[0]
            message = f"{first.headline()}: expected {first.expected}, actual {first.actual}"
            if len(result.failures) > 1:
                message += f" (and {len(result.failures) - 1} more)"
            element = ET.SubElement(case, "failure", message=message, type="expectation")
            element.text = "\n\n".join(f.message() for f in result.failures)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
