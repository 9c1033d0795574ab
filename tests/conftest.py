"""Shared pytest options: regenerate golden files only when asked, and review the diff."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("reviewflow")
    group.addoption("--update-golden", action="store_true", default=False,
                    help="Rewrite tests/golden/**.json from the current engine (then read the diff).")
    group.addoption("--update-corpus", action="store_true", default=False,
                    help="Rewrite the expected output of the tests/definitions corpus (then read the diff).")
