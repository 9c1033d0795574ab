"""docs/architecture.md's package table and the layering test's PACKAGE_LAYERS say the same thing."""

from __future__ import annotations

import re
from pathlib import Path

from test_layering import ENGINE, PACKAGE_LAYERS, engine_files, module_name, package_of

DOC = Path(__file__).resolve().parent.parent / "docs" / "architecture.md"
ROW = re.compile(r"^\| (\d+) \| `([a-z_.]+)` \|", re.M)


def documented() -> dict[str, int]:
    text = DOC.read_text(encoding="utf-8")
    table = text.split("<!-- packages: begin -->")[1].split("<!-- packages: end -->")[0]
    return {package: int(layer) for layer, package in ROW.findall(table)}


def test_the_package_table_matches_the_layering_test() -> None:
    assert documented() == PACKAGE_LAYERS


def test_every_engine_package_folder_is_in_the_table() -> None:
    folders = {module_name(p.parent / "__init__.py") for p in ENGINE.rglob("__init__.py")}
    assert folders - set(documented()) == set()
    assert all(package_of(module_name(p)) in documented() for p in engine_files())
