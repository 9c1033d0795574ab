"""Every diagnostic code any module can emit is documented, and docs/lint-codes.md is current."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from reviewflow.engine.definition import loader, schema, yamlio
from reviewflow.engine.lint import CODES as LINT_CODES
from reviewflow.engine.scenarios import suite as scenarios

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "lint-codes.md"


def test_every_code_of_every_module_is_documented_with_its_slug() -> None:
    text = DOC.read_text(encoding="utf-8")
    for info in (*yamlio.CODES, *schema.CODES, *loader.CODES, *scenarios.CODES.values(), *LINT_CODES):
        assert f"{info.code}" in text and f"`{info.slug}`" in text, f"{info.code} {info.slug} is not documented"


def test_codes_are_unique_across_modules() -> None:
    codes = [info.code for info in (*yamlio.CODES, *schema.CODES, *loader.CODES, *scenarios.CODES.values(), *LINT_CODES)]
    assert len(codes) == len(set(codes)), sorted(c for c in codes if codes.count(c) > 1)


def test_the_generated_sections_are_current() -> None:
    result = subprocess.run([sys.executable, "scripts/gen_lint_docs.py", "--check"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_owners_named_in_the_families_table_exist() -> None:
    """The table of code families names the modules that own each family: they must still be there."""
    text = DOC.read_text(encoding="utf-8")
    table = text[text.index("| Family | Concern | Owner |"):text.index("## Loading and structure codes")]
    named = re.findall(r"engine/[\w/]+\.py", table)
    assert named, "the families table names no module"
    assert [path for path in named if not (ROOT / path).is_file()] == []
