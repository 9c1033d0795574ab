"""The definition corpus: every invalid file yields its expected code, at a reviewed golden output.

Each `tests/definitions/invalid/*.yaml` starts with `# expect: CODE`; its full validation output is kept
beside it as `<name>.expected` (reviewed by a person before it is committed). Regenerate with
`pytest tests/test_corpus.py --update-corpus` and read the diff.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from reviewflow.engine.definition.loader import clear_caches, default_registry
from reviewflow.engine.render.diagnostics import diagnostics_text
from reviewflow.engine.validation import validate_paths

ROOT = Path(__file__).resolve().parent.parent
VALID = ROOT / "tests" / "definitions" / "valid"
INVALID = ROOT / "tests" / "definitions" / "invalid"
EXPECT = re.compile(rb"#\s*expect:\s*([A-Z]\d{3})")


def expected_code(path: Path) -> str:
    match = EXPECT.search(path.read_bytes()[:400])
    assert match, f"{path.name} lacks a '# expect: CODE' line"
    return match.group(1).decode()


def validation_output(path: Path) -> str:
    clear_caches()
    previous = Path.cwd()
    os.chdir(ROOT)  # file names in the output are relative to the repository
    try:
        report = validate_paths([path.relative_to(ROOT)], registry=default_registry(extra_roots=[VALID]))
    finally:
        os.chdir(previous)
    return diagnostics_text(d for f in report.files for d in f.diagnostics) + "\n"


INVALID_FILES = sorted(INVALID.glob("*.yaml"))


def test_the_corpus_has_a_file_for_every_code_family() -> None:
    codes = {expected_code(p) for p in INVALID_FILES}
    assert len(INVALID_FILES) >= 40
    for family in "YSLRPDCXO":
        assert any(code.startswith(family) for code in codes), f"no invalid file for {family} codes"


@pytest.mark.parametrize("path", INVALID_FILES, ids=lambda p: p.stem)
def test_invalid_definition_reports_its_code_at_the_golden_output(path: Path, request: pytest.FixtureRequest) -> None:
    output = validation_output(path)
    code = expected_code(path)
    assert re.search(rf":\d+(:\d+)?: (error|warning) {code} ", output), f"{code} not reported:\n{output}"
    golden = path.with_suffix(".expected")
    if request.config.getoption("--update-corpus", default=False):
        golden.write_text(output, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden.name}: run pytest --update-corpus and review it"
    assert output == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", sorted(VALID.glob("*.yaml")), ids=lambda p: p.stem)
def test_valid_definition_has_no_errors(path: Path) -> None:
    report = validate_paths([path], registry=default_registry(extra_roots=[VALID]))
    errors = [d for f in report.files for d in f.diagnostics if d.is_error]
    assert not errors, diagnostics_text(errors)
