"""docs/lint-codes.md documents every lint code, and its generated section is current."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from reviewflow.engine.lint import CODES, RULES
from reviewflow.engine.lint.docs import parse_doc, render

DOC = Path(__file__).resolve().parent.parent / "docs" / "lint-codes.md"


def test_every_lint_code_is_in_the_docs_with_its_slug_and_severity() -> None:
    text = DOC.read_text(encoding="utf-8")
    for info in CODES:
        assert re.search(rf"\| \[{info.code}\]\(#[^)]+\) \| `{info.slug}` \| {info.severity.value} \|", text), info
        assert f"### {info.code} {info.slug}" in text


def test_the_generated_section_is_up_to_date() -> None:
    assert render() in DOC.read_text(encoding="utf-8"), "run: python scripts/gen_lint_docs.py"


def test_the_docs_leave_room_for_the_loading_and_structure_codes() -> None:
    assert "## Loading and structure codes" in DOC.read_text(encoding="utf-8")


@pytest.mark.parametrize("code", sorted(RULES))
def test_each_rule_documents_its_meaning_fix_and_snippets(code: str) -> None:
    doc = parse_doc(RULES[code])
    assert doc.meaning and doc.fix and doc.passing and doc.failing
