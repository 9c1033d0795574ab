"""Shared pytest set-up: a private cache for the whole run, and options to regenerate golden files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from installed import Installed, install


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("reviewflow")
    group.addoption("--update-golden", action="store_true", default=False,
                    help="Rewrite tests/golden/**.json from the current engine (then read the diff).")
    group.addoption("--update-corpus", action="store_true", default=False,
                    help="Rewrite the expected output of the tests/definitions corpus (then read the diff).")


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("reviewflow-cache")


@pytest.fixture(scope="session", autouse=True)
def private_environment(cache_dir: Path) -> Iterator[None]:
    """No test writes to ~/.cache/reviewflow or reads the developer's store or definitions path.

    Set for the whole session, so subprocesses started by tests inherit it too.
    """
    patch = pytest.MonkeyPatch()
    patch.setenv("REVIEWFLOW_CACHE", str(cache_dir))
    for name in ("REVIEWFLOW_DB", "REVIEWFLOW_PATH", "REVIEWFLOW_KEY"):
        patch.delenv(name, raising=False)
    yield
    patch.undo()


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel, built once per session and installed into a fresh venv (tests/installed.py)."""
    return install(tmp_path_factory.mktemp("wheel"))
