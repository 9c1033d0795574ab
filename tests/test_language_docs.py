"""The language reference and the schema's editor help cannot drift from the schema."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from reviewflow.engine.definition.schema import CODES as SCHEMA_CODES
from reviewflow.engine.definition.schema import load_schema
from reviewflow.engine.definition.yamlio import CODES as YAML_CODES

DOC = (Path(__file__).resolve().parent.parent / "docs" / "language.md").read_text(encoding="utf-8")


def schema_properties(node: Any, where: str = "#") -> Iterator[tuple[str, str, Any]]:
    """Every (place, key, subschema) under any `properties` keyword of the schema."""
    if isinstance(node, dict):
        for key, sub in (node.get("properties") or {}).items():
            yield where, key, sub
        for key, value in node.items():
            yield from schema_properties(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from schema_properties(value, f"{where}/{index}")


PROPERTIES = list(schema_properties(load_schema()))
KEYS = sorted({key for _, key, _ in PROPERTIES})


def test_the_schema_has_properties_to_check() -> None:
    assert len(KEYS) > 80


@pytest.mark.parametrize("key", KEYS)
def test_every_schema_key_is_documented(key: str) -> None:
    assert f"`{key}`" in DOC, f"docs/language.md does not mention `{key}`"


def test_every_schema_property_has_a_description() -> None:
    missing = [f"{where}/properties/{key}" for where, key, sub in PROPERTIES
               if not (isinstance(sub, dict) and str(sub.get("description", "")).strip())]
    assert missing == []


def test_every_description_is_a_sentence() -> None:
    short = [f"{where}/{key}" for where, key, sub in PROPERTIES
             if len(sub["description"]) < 15 or not sub["description"].rstrip().endswith((".", ")"))]
    assert short == []


@pytest.mark.parametrize("info", YAML_CODES + SCHEMA_CODES, ids=lambda c: c.code)
def test_every_code_is_in_the_code_table(info: Any) -> None:
    assert re.search(rf"^\| {info.code} \| {re.escape(info.slug)} \|", DOC, re.MULTILINE)
